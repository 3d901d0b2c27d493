package collector

import (
	"slices"
	"time"

	"github.com/twelvelabs-community/twelvelabs_exporter/client"
)

// taskRec is what the exporter keeps of one task of the window between
// scrapes: 40 bytes, so that a week of 100,000 tasks takes 4 MiB.
type taskRec struct {
	// created is the task's created_at in Unix microseconds, the table's
	// sort key: a range of creation times is a slice of the table, counted
	// by two binary searches. A task whose created_at could not be read
	// sits where the API placed it, at the start of the range it was read
	// in, and carries recNoCreated.
	created      int64
	hash         uint64 // of _id
	video, audio int64  // nanoseconds
	model        uint16 // index in taskTable.names
	status       uint16
	flags        uint32
}

// recNoCreated: the task's created_at was unreadable; created is where it
// was listed, not when it was made.
const recNoCreated = 1

// maxNames bounds the distinct model and status names a table interns;
// further names share the last slot, "other" (the label fold of
// Options.MaxModels bounds what is exported long before).
const maxNames = 1 << 15

// taskTable holds the tasks of one API's window sorted by (created, hash):
// no map, whose overhead would double the bytes per task, and every count
// the reconciliation compares with the API's is a range of the slice.
type taskTable struct {
	recs  []taskRec
	names []string
	index map[string]uint16
	// placed is where each task without a readable created_at sits, by
	// _id hash: read again in another range, it is found (and moved), not
	// held twice. Such tasks are rare, and the map holds only them.
	placed map[uint64]int64
}

func newTaskTable() *taskTable { return &taskTable{index: map[string]uint16{}} }

// remove drops the task r names (same _id, same created), if held.
func (tt *taskTable) remove(r taskRec) {
	if i, ok := slices.BinarySearchFunc(tt.recs, r, compareRecs); ok {
		tt.recs = slices.Delete(tt.recs, i, i+1)
	}
}

// place finds where a task without a readable created_at, read in [a, b),
// sits: where the table holds it when that is inside the range (the API
// placed it there), else at a, its old place dropped. prev is what the
// table held of it.
func (tt *taskTable) place(r *taskRec, a, b int64) (prev taskRec, held bool) {
	if tt.placed == nil {
		tt.placed = map[uint64]int64{}
	}
	if p, ok := tt.placed[r.hash]; ok {
		old := taskRec{created: p, hash: r.hash}
		if prev, held = tt.get(old); held && p >= a && p < b {
			r.created = p
		} else if held {
			tt.remove(old)
		}
	}
	tt.placed[r.hash] = r.created
	return prev, held
}

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

// rec makes the record of t; place is where a task without a readable
// created_at sits.
func (tt *taskTable) rec(t client.Task, place int64) taskRec {
	r := taskRec{hash: t.IDHash, video: t.VideoNanos, audio: t.AudioNanos, model: tt.name(t.Model), status: tt.name(t.Status)}
	if t.Created.IsZero() {
		r.created, r.flags = place, recNoCreated
	} else {
		r.created = t.Created.UnixMicro()
	}
	return r
}

func compareRecs(a, b taskRec) int {
	switch {
	case a.created != b.created:
		if a.created < b.created {
			return -1
		}
		return 1
	case a.hash < b.hash:
		return -1
	case a.hash > b.hash:
		return 1
	}
	return 0
}

// lower is the index of the first task created at or after us.
func (tt *taskTable) lower(us int64) int {
	i, _ := slices.BinarySearchFunc(tt.recs, us, func(r taskRec, t int64) int {
		switch {
		case r.created < t:
			return -1
		case r.created > t:
			return 1
		}
		return 0
	})
	return i
}

// span is the slice [i, j) of the tasks created in [a, b).
func (tt *taskTable) span(a, b int64) (int, int) {
	i := tt.lower(a)
	return i, max(i, tt.lower(b))
}

// status is the index of a status name; -1 for "" (any status) and -2 for
// a name the table has never held (no task has it).
func (tt *taskTable) status(name string) int {
	if name == "" {
		return -1
	}
	if i, ok := tt.index[name]; ok {
		return int(i)
	}
	return -2
}

// count is the number of tasks created in [a, b) in a status ("": any).
func (tt *taskTable) count(a, b int64, status string) int {
	i, j := tt.span(a, b)
	st := tt.status(status)
	if st == -1 {
		return j - i
	}
	n := 0
	for k := i; k < j; k++ {
		if int(tt.recs[k].status) == st {
			n++
		}
	}
	return n
}

// get finds the task r would replace: the same _id at the same created.
func (tt *taskTable) get(r taskRec) (taskRec, bool) {
	i, ok := slices.BinarySearchFunc(tt.recs, r, compareRecs)
	if !ok {
		return taskRec{}, false
	}
	return tt.recs[i], true
}

// upsert adds or replaces one task; prev is the one it replaced.
func (tt *taskTable) upsert(r taskRec) (prev taskRec, existed bool) {
	i, ok := slices.BinarySearchFunc(tt.recs, r, compareRecs)
	if ok {
		prev = tt.recs[i]
		tt.recs[i] = r
		return prev, true
	}
	tt.recs = slices.Insert(tt.recs, i, r)
	return taskRec{}, false
}

// replace makes batch (sorted by compareRecs, each _id once, all created
// in [a, b)) the tasks of [a, b) in a status ("": every task of the
// range). Tasks of that status the batch lacks left it: they are removed
// and returned, for the caller to find where they went (and so are tasks
// without a readable created_at that a read of the whole range lacks). A task of the
// batch held in another status is moved, not doubled.
func (tt *taskTable) replace(a, b int64, status string, batch []taskRec) (left []taskRec) {
	i, j := tt.span(a, b)
	st := tt.status(status)
	if st == -1 && i == 0 && j == len(tt.recs) {
		// The whole table: the batch becomes it, so that a full listing of
		// a large account never holds two copies.
		tt.recs = batch
		return nil
	}
	inBatch := make(map[uint64]struct{}, len(batch))
	for _, r := range batch {
		inBatch[r.hash] = struct{}{}
	}
	// In place, all of it: the range is compacted to the tasks that stay,
	// and the batch merged in from the back. A copy of the range (or of
	// the table's tail) would be garbage of the table's size on every
	// scrape that reads a status of the whole window, or settles a range
	// at the old end: 4 MB a scrape at 100,000 tasks.
	w := i
	for k := i; k < j; k++ {
		r := tt.recs[k]
		_, replaced := inBatch[r.hash]
		switch {
		case st == -1:
			if !replaced && r.flags&recNoCreated != 0 {
				// Not where the exporter placed it, which is not where
				// the API counts it: to be found again, not gone.
				left = append(left, r)
			}
			continue
		case replaced:
			continue // replaced by the batch's copy
		case int(r.status) == st:
			left = append(left, r)
			continue
		}
		tt.recs[w] = r
		w++
	}
	tt.recs = slices.Delete(tt.recs, w, j)
	tt.recs = slices.Insert(tt.recs, w, batch...)
	// [i, w) and [w, w+len(batch)) are each sorted: merge them from the
	// back, reading the batch from the caller's copy.
	p, q := w-1, len(batch)-1
	for k := w + len(batch) - 1; q >= 0; k-- {
		if p >= i && compareRecs(tt.recs[p], batch[q]) > 0 {
			tt.recs[k] = tt.recs[p]
			p--
		} else {
			tt.recs[k] = batch[q]
			q--
		}
	}
	return left
}

// clip drops the tasks created outside [a, b): the API keeps a task for
// the look-back, and the exporter drops it as it leaves the window.
func (tt *taskTable) clip(a, b int64) {
	i, j := tt.span(a, b)
	// A task without a readable created_at sits where it was read, not
	// where the API counts it: the window's old end passing its place says
	// nothing of whether it expired. It moves with the old end, and the
	// next read of that range tells whether the API still lists it;
	// dropped here, it came back as a new task on every scrape (created
	// and its malformed fields counted again).
	var moved []taskRec
	for _, r := range tt.recs[:i] {
		if r.flags&recNoCreated != 0 {
			r.created = a
			moved = append(moved, r)
		}
	}
	for h, p := range tt.placed {
		if p < a || p >= b {
			delete(tt.placed, h)
		}
	}
	if j < len(tt.recs) {
		tt.recs = tt.recs[:j]
	}
	if i > 0 {
		tt.recs = slices.Delete(tt.recs, 0, i)
	}
	if len(moved) > 0 && tt.placed == nil {
		tt.placed = map[uint64]int64{}
	}
	for _, r := range moved {
		tt.upsert(r)
		tt.placed[r.hash] = a
	}
}

func (tt *taskTable) statusOf(r taskRec) string { return tt.names[r.status] }

// listing aggregates the table as a listing would, with the usage of each
// group as of at (zero: none).
func (tt *taskTable) listing(at time.Time) *client.Listing {
	l := &client.Listing{Groups: map[client.GroupKey]*client.Group{}, Total: len(tt.recs)}
	for _, r := range tt.recs {
		k := client.GroupKey{Model: tt.names[r.model], Status: tt.names[r.status]}
		g := l.Groups[k]
		if g == nil {
			g = &client.Group{}
			l.Groups[k] = g
		}
		o := client.Group{Tasks: 1, VideoNanos: r.video, AudioNanos: r.audio}
		if r.flags&recNoCreated == 0 {
			o.OldestCreated = time.UnixMicro(r.created).UTC()
			o.Usage.AddTask(o.OldestCreated, at, r.video, r.audio)
		}
		g.Merge(&o)
	}
	l.Tasks = len(tt.recs)
	return l
}
