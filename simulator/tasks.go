// Package simulator serves the TwelveLabs embedding-task list endpoints from
// an in-memory task set, with the real API's request handling, a live
// workload and injectable faults, so that the exporter can be tested,
// demonstrated and benchmarked without a TwelveLabs account.
package simulator

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Retention is how long the API keeps a task.
const Retention = 7 * 24 * time.Hour

// The Embed APIs the simulator serves, by the names the tests use.
const (
	V1 = "v1" // GET /embed/tasks
	V2 = "v2" // GET /embed-v2/tasks; its tasks may carry audio
)

// APIs lists V1 and V2.
var APIs = []string{V1, V2}

// Task is one embedding task as the simulator stores it.
type Task struct {
	ID     string
	Model  string // empty: the field is left out of the response
	Status string // the status once ReadyAt has passed
	// Created is when the task was created; Updated is sent by v2 only.
	Created, Updated time.Time
	// ReadyAt, when set, is when a task that is processing until then
	// takes Status. A stuck task has Status "processing".
	ReadyAt time.Time
	// VideoSeconds and AudioSeconds are the media durations; a negative
	// value leaves that embedding out of the response. Audio is sent by v2
	// only.
	VideoSeconds, AudioSeconds float64
	Filename                   string
}

// StatusAt is the task's status at a given time.
func (t *Task) StatusAt(now time.Time) string {
	if !t.ReadyAt.IsZero() && now.Before(t.ReadyAt) {
		return "processing"
	}
	return t.Status
}

// Models seen in the wild, per API.
var (
	ModelsV1 = []string{"marengo3.0", "Marengo-retrieval-2.7"}
	ModelsV2 = []string{"marengo3.0", "marengo3.5"}
)

// GenerateOptions shape a generated task set.
type GenerateOptions struct {
	Seed uint64
	// N tasks, created over [Now-Spread, Now); Spread defaults to just
	// under the retention.
	N      int
	Now    time.Time
	Spread time.Duration
	// API is V1 or V2: v2 tasks may carry audio.
	API string
	// FailedRatio and ProcessingRatio split the statuses; the rest is
	// ready. Processing tasks were created in the last ProcessingWindow
	// (default 15 minutes), as in a healthy queue.
	FailedRatio, ProcessingRatio float64
	ProcessingWindow             time.Duration
	// UnknownModelRatio leaves model_name out of that share of tasks.
	UnknownModelRatio float64
}

// Generate makes a reproducible task set with realistic durations: most
// clips are minutes long, a few run for hours.
func Generate(o GenerateOptions) []Task {
	rng := rand.New(rand.NewPCG(o.Seed, uint64(o.N)))
	if o.Spread <= 0 {
		o.Spread = Retention - time.Minute
	}
	if o.ProcessingWindow <= 0 {
		o.ProcessingWindow = 15 * time.Minute
	}
	tasks := make([]Task, o.N)
	for i := range tasks {
		t := &tasks[i]
		status := "ready"
		switch r := rng.Float64(); {
		case r < o.FailedRatio:
			status = "failed"
		case r < o.FailedRatio+o.ProcessingRatio:
			status = "processing"
		}
		spread := o.Spread
		if status == "processing" {
			spread = min(spread, o.ProcessingWindow)
		}
		created := o.Now.Add(-time.Duration(rng.Int64N(int64(spread)))).Truncate(time.Millisecond)
		*t = newTask(rng, o.API, o.Seed, created, status, o.UnknownModelRatio)
		t.Filename = fmt.Sprintf("clip-%06d.mp4", i)
	}
	return tasks
}

// newTask draws one task's model, id and media.
func newTask(rng *rand.Rand, api string, seed uint64, created time.Time, status string, unknownModelRatio float64) Task {
	models := ModelsV1
	if api == V2 {
		models = ModelsV2
	}
	t := Task{
		ID:      fmt.Sprintf("%08x%016x", uint32(seed), rng.Uint64()),
		Status:  status,
		Created: created,
		Updated: created.Add(time.Duration(rng.IntN(600)) * time.Second),
	}
	if rng.Float64() >= unknownModelRatio {
		t.Model = models[rng.IntN(len(models))]
	}
	t.Filename = t.ID + ".mp4"
	t.VideoSeconds, t.AudioSeconds = mediaDuration(rng), -1
	if api == V2 {
		switch rng.IntN(3) {
		case 0: // audio only
			t.AudioSeconds, t.VideoSeconds = t.VideoSeconds, -1
		case 1: // both
			t.AudioSeconds = t.VideoSeconds
		}
	}
	return t
}

// mediaDuration draws a log-normal duration around three minutes, between
// four seconds and four hours, with millisecond precision.
func mediaDuration(rng *rand.Rand) float64 {
	d := math.Exp(math.Log(180) + 1.2*rng.NormFloat64())
	d = math.Min(math.Max(d, 4), 4*3600)
	return math.Round(d*1000) / 1000
}

// SteadyWeekEdge is how close to the retention edge SteadyWeek puts its
// oldest tasks: they expire within this long of o.Now.
const SteadyWeekEdge = 10 * time.Second

// SteadyWeek makes the task set of an account in its steady state, a week
// or more old: Generate's tasks spread uniformly over the whole retention
// (o.Spread is ignored), and one in 25 of the tasks that are not
// processing (at least one) moved to the retention edge, created in the
// SteadyWeekEdge after o.Now-Retention, so that they expire during the
// first seconds after o.Now — during a listing — as tasks do on a real
// account. Processing tasks stay at the new end (o.ProcessingWindow).
func SteadyWeek(o GenerateOptions) []Task {
	o.Spread = Retention
	tasks := Generate(o)
	rng := rand.New(rand.NewPCG(o.Seed^0x57ead7, uint64(o.N)))
	want := max(len(tasks)/25, min(len(tasks), 1))
	for i := range tasks {
		t := &tasks[i]
		if want == 0 {
			break
		}
		if t.Status == "processing" {
			continue
		}
		// At least a millisecond inside the edge, after truncation.
		created := o.Now.Add(-Retention + time.Millisecond + time.Duration(rng.Int64N(int64(SteadyWeekEdge-time.Millisecond))))
		created = created.Truncate(time.Millisecond)
		t.Updated = created.Add(t.Updated.Sub(t.Created))
		t.Created = created
		want--
	}
	return tasks
}
