package client

import "math/bits"

// idSet remembers the _ids of a listing as 64-bit hashes, so that a task a
// shifting page shows twice counts once. It is an open-addressing table of
// the hashes themselves: 8 bytes a slot at a load of at most 3/4, about
// 1 MiB for 100,000 tasks, where a map[uint64]struct{} takes 2.3 MiB. The
// chance that two of a million _ids share a hash is below one in a
// billion.
type idSet struct {
	slots []uint64 // 0 marks an empty slot
	n     int
}

// maxIDHint bounds the table a listing sizes up front from page 1's
// total_results, so that a hostile total cannot allocate; past it the
// table grows as tasks come.
const maxIDHint = 1 << 21

func newIDSet(hint int) *idSet {
	hint = min(max(hint, 16), maxIDHint)
	return &idSet{slots: make([]uint64, hint+hint/3+1)}
}

// insert adds h and reports whether it was new.
func (s *idSet) insert(h uint64) bool {
	if h == 0 {
		h = 1
	}
	if 4*(s.n+1) > 3*len(s.slots) {
		s.grow()
	}
	if !place(s.slots, h) {
		return false
	}
	s.n++
	return true
}

// place puts h in the first free slot from its home slot on, linear
// probing; false when h is already there.
func place(slots []uint64, h uint64) bool {
	i, _ := bits.Mul64(h, uint64(len(slots))) // home slot: h scaled to the table
	for {
		switch slots[i] {
		case 0:
			slots[i] = h
			return true
		case h:
			return false
		}
		if i++; i == uint64(len(slots)) {
			i = 0
		}
	}
}

func (s *idSet) grow() {
	bigger := make([]uint64, 2*len(s.slots))
	for _, h := range s.slots {
		if h != 0 {
			place(bigger, h)
		}
	}
	s.slots = bigger
}

// addPage counts a page's tasks into l, each _id once, leaving out tasks
// created outside the query's window (an API that filters loosely), which
// are counted apart, each once, as part of what total_results counts. A task
// whose created_at could not be read is counted: nothing says it is out.
func (s *idSet) addPage(l *Listing, tasks []task, q Query) {
	for i := range tasks {
		t := &tasks[i]
		if t.HasID && !s.insert(t.IDHash) {
			l.Duplicates++
			continue
		}
		if !q.inWindow(t) {
			l.OutsideWindow++
			continue
		}
		l.add(t, &q)
		if q.Each != nil {
			q.Each(t.export())
		}
	}
}

// inWindow tells whether t's creation is in q's window; a task whose
// created_at could not be read is taken as in.
func (q *Query) inWindow(t *task) bool {
	return t.Created.IsZero() || ((q.Start.IsZero() || !t.Created.Before(q.Start)) &&
		(q.End.IsZero() || t.Created.Before(q.End) || (q.EndInclusive && t.Created.Equal(q.End))))
}
