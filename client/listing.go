package client

import (
	"math"
	"time"
)

// Unknown stands in for a missing model name or status, so that such tasks
// are still counted.
const Unknown = "unknown"

// GroupKey identifies the tasks of one model in one status.
type GroupKey struct {
	Model  string
	Status string
}

// Group aggregates the tasks of one GroupKey.
type Group struct {
	Tasks int
	// VideoNanos and AudioNanos sum video_embedding.metadata.duration and
	// audio_embedding.metadata.duration in integer nanoseconds: integer sums
	// do not depend on the order in which concurrent pages arrive, so the
	// same tasks always give the same value.
	VideoNanos int64
	AudioNanos int64
	// OldestCreated is the earliest created_at in the group; zero when no
	// task of the group carried a readable created_at.
	OldestCreated time.Time
	// A stage's groups (Stage) also keep these: the sums and flag counts
	// by their index, and the earliest expires_at.
	Sums           [MaxSums]int64
	Flagged        [MaxFlags]int
	EarliestExpiry time.Time
	// Usage is what the group used of a plan's limits, when the query
	// asked (Query.UsageAt).
	Usage Usage
}

// Query is one question to a list endpoint: the tasks of API created in
// [Start, End), in one Status when Status is set. A listing answers it.
type Query struct {
	API        API
	Start, End time.Time
	// Status is "", processing, ready or failed.
	Status string
	// EndInclusive takes a task created exactly at End as inside: an API
	// that counts ended_at inclusively lists it, and a caller that has
	// seen it do so says so, so that such a task is counted, not dropped
	// as listed outside the window.
	EndInclusive bool
	// Limit is the page_limit sent; 0 takes Config.PageLimit. A page of
	// one answers how many tasks match (total_results) in one request.
	Limit int
	// Each, when set, is told of every task a listing counts, for callers
	// that keep task state; a listing done again tells of its tasks again.
	Each func(Task)
	// UsageAt, when set, sums each group's Usage in the windows before it.
	UsageAt time.Time
	// Sized, when set, is told before Each how many tasks page 1 says the
	// listing holds (total_results, at most a bound a hostile total cannot
	// pass), so that a caller keeping them allocates once, not by doubling.
	Sized func(total int)
}

// Task is one listed task, as kept by callers that follow tasks across
// listings (Query.Each, Client.Page).
type Task struct {
	IDHash           uint64 // a hash of _id, by a seed of this Client
	HasID            bool
	Model, Status    string
	Created, Updated time.Time
	VideoNanos       int64
	AudioNanos       int64
	// Malformed has bit f set when Field f was present but unreadable.
	Malformed uint16
	// Outside marks a task the API listed although its created_at is
	// outside the query's window (Client.Page only): it counts towards the
	// API's total_results, not towards the window's tasks.
	Outside bool
	// A stage's items (Stage) also carry these.
	Key               string
	Finished, Expires time.Time
	Sums              [MaxSums]int64
	Flags             uint8
}

func (t *task) export() Task {
	return Task{IDHash: t.IDHash, HasID: t.HasID, Model: t.Model, Status: t.Status, Created: t.Created, Updated: t.Updated,
		VideoNanos: t.VideoNanos, AudioNanos: t.AudioNanos, Malformed: t.Malformed,
		Key: t.Key, Finished: t.Finished, Expires: t.Expires, Sums: t.Sums, Flags: t.Flags}
}

// NewListing returns an empty listing, for callers that aggregate tasks
// they keep themselves (AddTask).
func NewListing() *Listing { return newListing() }

// AddTask counts t into l as a listing of q would (its malformed fields
// excepted: they are counted once, where the task was read).
func (l *Listing) AddTask(t Task, q *Query) {
	in := task{IDHash: t.IDHash, HasID: t.HasID, Model: t.Model, Status: t.Status, Created: t.Created, Updated: t.Updated,
		VideoNanos: t.VideoNanos, AudioNanos: t.AudioNanos, Key: t.Key, Finished: t.Finished, Expires: t.Expires,
		Sums: t.Sums, Flags: t.Flags}
	l.add(&in, q)
}

// LastWindow asks for the tasks of api created in the lookback before now.
// ended_at goes out in whole seconds, rounded down: a task created after the
// listing began must not enter the window and shift the pages under it (one
// created in the last fraction of a second before is counted by the next
// listing).
func LastWindow(api API, now time.Time, lookback time.Duration) Query {
	end := now.UTC().Truncate(time.Second)
	return Query{API: api, Start: end.Add(-lookback), End: end}
}

// Listing is the aggregate of one complete listing: the answer to a Query.
type Listing struct {
	Groups map[GroupKey]*Group
	// Pages is the number of pages read; Requests counts HTTP attempts,
	// retries included.
	Pages    int
	Requests int
	// Tasks counts distinct tasks; Duplicates counts tasks seen again on a
	// later page (page boundaries shift while tasks are created or expire).
	Tasks      int
	Duplicates int
	// OutsideWindow counts the distinct tasks the API listed although
	// created outside the query's window; they are not counted, but they
	// are part of the API's total_results.
	OutsideWindow int
	// Total is the total_results page 1 announced; -1 when it sent none.
	// A listing is complete when Tasks+OutsideWindow equals it.
	Total int
	// Malformed counts, per Field, the tasks counted whose field was
	// present but unreadable (taken as missing).
	Malformed [MaxStageFields]int
	Duration  time.Duration
	// Keys maps the _id of a stage's items to their dimension value, for
	// the stages that join on it (an index's _id to its name); nil for
	// others. KeysTruncated says that some were left out (past maxKeys).
	Keys          map[string]string
	KeysTruncated bool
}

// maxKeys bounds Listing.Keys: a stage joined on is small (indexes), and
// a hostile list must not grow it without end; a join that needs more
// fails rather than naming tasks "unknown".
const maxKeys = 1 << 17

func newListing() *Listing {
	return &Listing{Groups: make(map[GroupKey]*Group), Total: -1}
}

// add counts one task of q. Model and status are already defaulted.
func (l *Listing) add(t *task, q *Query) {
	k := GroupKey{Model: t.Model, Status: t.Status}
	g := l.Groups[k]
	if g == nil {
		g = &Group{}
		l.Groups[k] = g
	}
	g.Tasks++
	for f := range MaxStageFields {
		if t.Malformed&(1<<f) != 0 {
			l.Malformed[f]++
		}
	}
	g.VideoNanos = addSaturating(g.VideoNanos, t.VideoNanos)
	g.AudioNanos = addSaturating(g.AudioNanos, t.AudioNanos)
	if !t.Created.IsZero() && (g.OldestCreated.IsZero() || t.Created.Before(g.OldestCreated)) {
		g.OldestCreated = t.Created
	}
	for i, v := range t.Sums {
		g.Sums[i] = addSaturating(g.Sums[i], v)
	}
	for i := range MaxFlags {
		if t.Flags&(1<<i) != 0 {
			g.Flagged[i]++
		}
	}
	if !t.Expires.IsZero() && (g.EarliestExpiry.IsZero() || t.Expires.Before(g.EarliestExpiry)) {
		g.EarliestExpiry = t.Expires
	}
	g.usage(q.API, t, q.UsageAt)
	if t.Key != "" {
		if l.Keys == nil {
			l.Keys = map[string]string{}
		}
		if _, ok := l.Keys[t.Key]; ok || len(l.Keys) < maxKeys {
			l.Keys[t.Key] = t.Model
		} else {
			l.KeysTruncated = true
		}
	}
	l.Tasks++
}

// Merge adds o's tasks to g.
func (g *Group) Merge(o *Group) {
	g.Tasks += o.Tasks
	g.VideoNanos = addSaturating(g.VideoNanos, o.VideoNanos)
	g.AudioNanos = addSaturating(g.AudioNanos, o.AudioNanos)
	if !o.OldestCreated.IsZero() && (g.OldestCreated.IsZero() || o.OldestCreated.Before(g.OldestCreated)) {
		g.OldestCreated = o.OldestCreated
	}
	for i, v := range o.Sums {
		g.Sums[i] = addSaturating(g.Sums[i], v)
	}
	for i, n := range o.Flagged {
		g.Flagged[i] += n
	}
	if !o.EarliestExpiry.IsZero() && (g.EarliestExpiry.IsZero() || o.EarliestExpiry.Before(g.EarliestExpiry)) {
		g.EarliestExpiry = o.EarliestExpiry
	}
	g.Usage.merge(&o.Usage)
}

// VideoSeconds is the summed video duration in seconds.
func (g *Group) VideoSeconds() float64 { return float64(g.VideoNanos) / 1e9 }

// AudioSeconds is the summed audio duration in seconds.
func (g *Group) AudioSeconds() float64 { return float64(g.AudioNanos) / 1e9 }

// Nanos turns a duration in seconds as the API sends it into nanoseconds.
// Negative durations count as zero; absurdly large ones saturate.
func Nanos(seconds float64) int64 {
	switch {
	case !(seconds > 0):
		return 0
	case seconds >= math.MaxInt64/1e9:
		return math.MaxInt64
	}
	return int64(math.Round(seconds * 1e9))
}

func addSaturating(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}
