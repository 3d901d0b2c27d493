package collector

import (
	"slices"
	"time"

	"github.com/twelvelabs-community/twelvelabs_exporter/client"
)

// taskRec is what the exporter keeps of one task of the window between
// scrapes: 40 bytes, so that a week of 100,000 tasks takes 4 MiB.
type taskRec struct {
	hash         uint64 // of _id
	created      int64  // Unix microseconds; 0 when unreadable
	video, audio int64  // nanoseconds
	model        uint16 // index in taskTable.names
	status       uint16
}

// maxNames bounds the distinct model and status names a table interns;
// further names share the last slot, "other" (the label fold of
// Options.MaxModels bounds what is exported long before).
const maxNames = 1 << 15

// taskTable holds the tasks of one API's window, sorted by hash for
// lookups by binary search: no map, whose overhead would double the bytes
// per task.
type taskTable struct {
	recs  []taskRec
	names []string
	index map[string]uint16
}

func newTaskTable() *taskTable { return &taskTable{index: map[string]uint16{}} }

func (tt *taskTable) name(s string) uint16 {
	if i, ok := tt.index[s]; ok {
		return i
	}
	if len(tt.names) >= maxNames {
		s = Other
		if i, ok := tt.index[s]; ok {
			return i
		}
	}
	i := uint16(len(tt.names))
	tt.names = append(tt.names, s)
	tt.index[s] = i
	return i
}

func (tt *taskTable) rec(t client.Task) taskRec {
	var created int64
	if !t.Created.IsZero() {
		created = t.Created.UnixMicro()
	}
	return taskRec{hash: t.IDHash, created: created, video: t.VideoNanos, audio: t.AudioNanos,
		model: tt.name(t.Model), status: tt.name(t.Status)}
}

func (tt *taskTable) find(hash uint64) (int, bool) {
	return slices.BinarySearchFunc(tt.recs, hash, func(r taskRec, h uint64) int {
		switch {
		case r.hash < h:
			return -1
		case r.hash > h:
			return 1
		}
		return 0
	})
}

// put adds or replaces a task; prev is the one it replaced.
func (tt *taskTable) put(r taskRec) (prev taskRec, existed bool) {
	i, ok := tt.find(r.hash)
	if ok {
		prev = tt.recs[i]
		tt.recs[i] = r
		return prev, true
	}
	tt.recs = slices.Insert(tt.recs, i, r)
	return taskRec{}, false
}

// expire drops the tasks created before start: the API keeps a task for
// the look-back, and the exporter drops it as it leaves the window.
func (tt *taskTable) expire(start time.Time) {
	cut := start.UnixMicro()
	tt.recs = slices.DeleteFunc(tt.recs, func(r taskRec) bool { return r.created != 0 && r.created < cut })
}

func (tt *taskTable) statusOf(r taskRec) string { return tt.names[r.status] }

// count is the number of tasks in a status ("" for all).
func (tt *taskTable) count(status string) int {
	if status == "" {
		return len(tt.recs)
	}
	i, ok := tt.index[status]
	if !ok {
		return 0
	}
	n := 0
	for _, r := range tt.recs {
		if r.status == i {
			n++
		}
	}
	return n
}

// listing aggregates the table as a listing would.
func (tt *taskTable) listing() *client.Listing {
	l := &client.Listing{Groups: map[client.GroupKey]*client.Group{}}
	for _, r := range tt.recs {
		k := client.GroupKey{Model: tt.names[r.model], Status: tt.names[r.status]}
		g := l.Groups[k]
		if g == nil {
			g = &client.Group{}
			l.Groups[k] = g
		}
		o := client.Group{Tasks: 1, VideoNanos: r.video, AudioNanos: r.audio}
		if r.created != 0 {
			o.OldestCreated = time.UnixMicro(r.created).UTC()
		}
		g.Merge(&o)
	}
	l.Tasks = len(tt.recs)
	return l
}
