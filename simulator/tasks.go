// Package simulator serves the TwelveLabs embedding-task list endpoints from
// an in-memory task set, with the real API's request handling, so that the
// exporter can be tested, demonstrated and benchmarked without a TwelveLabs
// account.
package simulator

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Task is one embedding task as the simulator stores it.
type Task struct {
	ID     string
	Model  string // empty: the field is left out of the response
	Status string
	// Created is when the task was created; Updated is sent by v2 only.
	Created, Updated time.Time
	// VideoSeconds and AudioSeconds are the media durations; a negative
	// value leaves that embedding out of the response. Audio is sent by v2
	// only.
	VideoSeconds, AudioSeconds float64
	Filename                   string
}

// Models seen in the wild, per API.
var (
	ModelsV1 = []string{"marengo3.0", "Marengo-retrieval-2.7"}
	ModelsV2 = []string{"marengo3.0", "marengo3.5"}
)

// GenerateOptions shape a generated task set.
type GenerateOptions struct {
	Seed uint64
	// N tasks, created uniformly over [Now-Spread, Now).
	N      int
	Now    time.Time
	Spread time.Duration
	// API is "v1" or "v2": v2 tasks may carry audio.
	API string
	// FailedRatio and ProcessingRatio split the statuses; the rest is ready.
	FailedRatio, ProcessingRatio float64
	// UnknownModelRatio leaves model_name out of that share of tasks.
	UnknownModelRatio float64
}

// Generate makes a reproducible task set with realistic durations: most
// clips are minutes long, a few run for hours.
func Generate(o GenerateOptions) []Task {
	rng := rand.New(rand.NewPCG(o.Seed, uint64(o.N)))
	models := ModelsV1
	if o.API == "v2" {
		models = ModelsV2
	}
	if o.Spread <= 0 {
		o.Spread = 7*24*time.Hour - time.Minute
	}
	tasks := make([]Task, o.N)
	for i := range tasks {
		t := &tasks[i]
		t.ID = fmt.Sprintf("%08x%016x", uint32(o.Seed), rng.Uint64())
		if rng.Float64() >= o.UnknownModelRatio {
			t.Model = models[rng.IntN(len(models))]
		}
		switch r := rng.Float64(); {
		case r < o.FailedRatio:
			t.Status = "failed"
		case r < o.FailedRatio+o.ProcessingRatio:
			t.Status = "processing"
		default:
			t.Status = "ready"
		}
		t.Created = o.Now.Add(-time.Duration(rng.Int64N(int64(o.Spread)))).Truncate(time.Millisecond)
		t.Updated = t.Created.Add(time.Duration(rng.IntN(600)) * time.Second)
		t.Filename = fmt.Sprintf("clip-%06d.mp4", i)
		t.VideoSeconds, t.AudioSeconds = mediaDuration(rng), -1
		if o.API == "v2" {
			switch rng.IntN(3) {
			case 0: // audio only
				t.AudioSeconds, t.VideoSeconds = t.VideoSeconds, -1
			case 1: // both
				t.AudioSeconds = t.VideoSeconds
			}
		}
	}
	return tasks
}

// mediaDuration draws a log-normal duration around three minutes, between
// four seconds and four hours, with millisecond precision.
func mediaDuration(rng *rand.Rand) float64 {
	d := math.Exp(math.Log(180) + 1.2*rng.NormFloat64())
	d = math.Min(math.Max(d, 4), 4*3600)
	return math.Round(d*1000) / 1000
}
