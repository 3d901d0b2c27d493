package simulator

import (
	"math"
	"time"
)

// GroupKey names the tasks of one model in one status, as an exporter
// groups them; a task without a model is in model "unknown".
type GroupKey struct{ Model, Status string }

// Group is what an exporter should report of one GroupKey.
type Group struct {
	Tasks int
	// VideoNanos and AudioNanos sum the durations, each rounded to the
	// nanosecond; audio counts on v2 only, as only v2 sends it.
	VideoNanos, AudioNanos int64
	// Oldest is the earliest creation time.
	Oldest time.Time
}

// Aggregate is the expected answer to a listing of tasks created in
// [start, end) at time now: the oracle the exporter's tests compare with.
// A zero start or end leaves that side open.
func Aggregate(tasks []Task, api string, start, end, now time.Time) map[GroupKey]Group {
	out := map[GroupKey]Group{}
	for i := range tasks {
		t := &tasks[i]
		if (!start.IsZero() && t.Created.Before(start)) || (!end.IsZero() && !t.Created.Before(end)) {
			continue
		}
		k := GroupKey{Model: t.Model, Status: t.StatusAt(now)}
		if k.Model == "" {
			k.Model = "unknown"
		}
		g := out[k]
		g.Tasks++
		if t.VideoSeconds >= 0 {
			g.VideoNanos += nanos(t.VideoSeconds)
		}
		if t.AudioSeconds >= 0 && api == V2 {
			g.AudioNanos += nanos(t.AudioSeconds)
		}
		if g.Oldest.IsZero() || t.Created.Before(g.Oldest) {
			g.Oldest = t.Created
		}
		out[k] = g
	}
	return out
}

func nanos(seconds float64) int64 { return int64(math.Round(seconds * 1e9)) }
