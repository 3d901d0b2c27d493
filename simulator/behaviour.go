package simulator

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"slices"
	"time"
)

// Behaviour is how the API may act beyond what its documentation promises,
// for the exporter to be tried against: each field is a mode, off at its
// zero value, and any of them may be on together.
type Behaviour struct {
	// UnstableTies orders tasks of equal created_at differently on every
	// request, as a database without a tie-breaker may: pages shift under
	// a group of them.
	UnstableTies bool `json:"unstable_ties"`
	// RetentionEarly deletes tasks this long before the Retention has
	// passed: the API's schedule, not the client's window edge.
	RetentionEarly time.Duration `json:"retention_early"`
	// RetentionEvery deletes expired tasks in batches, at whole multiples
	// of this period, instead of continuously.
	RetentionEvery time.Duration `json:"retention_every"`
	// BackwardsPerMinute tasks a minute move their status backwards or
	// sideways: ready to processing (and back to ready some minutes
	// later), or ready to failed, picked anywhere in the window.
	BackwardsPerMinute float64 `json:"backwards_per_minute"`
	// DeletesPerMinute tasks a minute are deleted, picked anywhere in the
	// window.
	DeletesPerMinute float64 `json:"deletes_per_minute"`
	// ClockOffset puts the API's clock this far ahead of the caller's
	// (negative: behind): statuses, arrivals, expiry, the default window
	// and the Date header follow it.
	ClockOffset time.Duration `json:"clock_offset"`
	// TotalLag makes total_results count only the tasks created at least
	// this long ago, as a count kept by a lagging index would, while the
	// pages serve every task.
	TotalLag time.Duration `json:"total_lag"`
	// HiddenEvery soft-deletes one task in this many, picked by _id: the
	// API cuts a page with it and then drops it, so that pages come back
	// shorter than page_limit before the list's end, and total_results
	// does not count it. It is not one of the account's tasks.
	HiddenEvery int `json:"hidden_every"`
	// DateOffset sends a Date header this far from the API's clock (a
	// proxy's, or a server's whose clock is wrong), while created_at
	// stays on the API's clock.
	DateOffset time.Duration `json:"date_offset"`
	// IgnoresStatusFilter accepts the status parameter and answers as if
	// it had not been sent, as an API (or a cache in front of it) that
	// drops the parameter would.
	IgnoresStatusFilter bool `json:"ignores_status_filter"`
	// EndInclusive counts tasks created exactly at ended_at in the range
	// (the documentation says "before"), and WholeSeconds gives created_at
	// in whole seconds: together, every task of a boundary second is in
	// both ranges around it.
	EndInclusive bool `json:"end_inclusive"`
	// StartExclusive leaves tasks created exactly at started_at out of
	// the range, as the documentation's "after" may be read.
	StartExclusive bool `json:"start_exclusive"`
	WholeSeconds   bool `json:"whole_seconds"`
	// TwiceEvery lists one task in this many a second time, as a second
	// row of the same _id created an hour earlier in another status, and
	// counts both rows, as a store holding a stale copy of a task would.
	TwiceEvery int `json:"twice_every"`
	// TwoStatusesEvery serves one processing task in this many in the
	// answers filtered by status=ready too, as ready, and counts it there,
	// as an index whose status fields disagree would.
	TwoStatusesEvery int `json:"two_statuses_every"`
}

// picked tells whether the one task in every that salt picks is id.
func picked(id string, every int, salt byte) bool {
	if every <= 1 {
		return false
	}
	h := fnv.New64a()
	h.Write([]byte{salt})
	h.Write([]byte(id))
	return h.Sum64()%uint64(every) == 0
}

// withCopies adds the second rows of TwiceEvery to tasks (oldest first),
// in order: a view for one request.
func (b Behaviour) withCopies(tasks []Task, now time.Time) []Task {
	if b.TwiceEvery <= 1 {
		return tasks
	}
	var copies []Task // in order too: each an hour before its task
	for i := range tasks {
		if !picked(tasks[i].ID, b.TwiceEvery, 't') {
			continue
		}
		c := tasks[i]
		c.Created = c.Created.Add(-time.Hour)
		c.Status, c.ReadyAt = "failed", time.Time{}
		if tasks[i].StatusAt(now) == "failed" {
			c.Status = "ready"
		}
		copies = append(copies, c)
	}
	// Merged, not sorted: a request must not cost a sort of the account.
	out := make([]Task, 0, len(tasks)+len(copies))
	i, j := 0, 0
	for i < len(tasks) || j < len(copies) {
		if j == len(copies) || (i < len(tasks) && compareOldestFirst(tasks[i], copies[j]) <= 0) {
			out = append(out, tasks[i])
			i++
		} else {
			out = append(out, copies[j])
			j++
		}
	}
	return out
}

// alsoReady tells whether t, processing at now, is served as ready too.
func (b Behaviour) alsoReady(t *Task, now time.Time) bool {
	return picked(t.ID, b.TwoStatusesEvery, 's') && t.StatusAt(now) == "processing"
}

// hidden tells whether the behaviour soft-deleted t.
func (b Behaviour) hidden(t *Task) bool {
	if b.HiddenEvery <= 1 {
		return false
	}
	h := fnv.New64a()
	h.Write([]byte(t.ID))
	return h.Sum64()%uint64(b.HiddenEvery) == 0
}

func (b Behaviour) validate() error {
	switch {
	case b.RetentionEarly < 0 || b.RetentionEarly >= Retention:
		return fmt.Errorf("retention_early %s: want 0 to under %s", b.RetentionEarly, Retention)
	case b.RetentionEvery < 0:
		return fmt.Errorf("retention_every %s: want 0 (continuous) or a period", b.RetentionEvery)
	case !(b.BackwardsPerMinute >= 0) || !(b.DeletesPerMinute >= 0):
		return fmt.Errorf("backwards_per_minute and deletes_per_minute: want 0 or more")
	case b.TotalLag < 0:
		return fmt.Errorf("total_lag %s: want 0 or more", b.TotalLag)
	case b.HiddenEvery < 0 || b.TwiceEvery < 0 || b.TwoStatusesEvery < 0:
		return fmt.Errorf("hidden_every, twice_every, two_statuses_every: want 0 (none) or more")
	}
	return nil
}

// SetBehaviour sets the modes of Behaviour; the churn (backwards moves,
// deletions) runs from now on.
func (s *Server) SetBehaviour(b Behaviour) error {
	if err := b.validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked(s.clockLocked())
	s.behaviour = b
	s.churned = s.clockLocked()
	if b.WholeSeconds {
		for api := range s.tasks {
			s.tasks[api] = wholeSeconds(s.tasks[api])
		}
	}
	return nil
}

// wholeSeconds truncates created_at to the second, in place, keeping the
// order by created_at and _id.
func wholeSeconds(tasks []Task) []Task {
	for i := range tasks {
		tasks[i].Created = tasks[i].Created.Truncate(time.Second)
	}
	slices.SortStableFunc(tasks, compareOldestFirst)
	return tasks
}

// clockLocked is the API's clock: the server's clock plus the offset.
func (s *Server) clockLocked() time.Time { return s.now().Add(s.behaviour.ClockOffset) }

// expiryCut is the created_at before which the API has deleted tasks.
func (b Behaviour) expiryCut(now time.Time) time.Time {
	cut := now.Add(-Retention + b.RetentionEarly)
	if b.RetentionEvery > 0 {
		cut = cut.Truncate(b.RetentionEvery)
	}
	return cut
}

// churnLocked moves statuses backwards and deletes tasks, at the rates of
// the behaviour, for the minutes since it last ran.
func (s *Server) churnLocked(now time.Time) {
	b := s.behaviour
	elapsed := now.Sub(s.churned)
	if elapsed <= 0 {
		return
	}
	if b.BackwardsPerMinute <= 0 && b.DeletesPerMinute <= 0 {
		s.churned = now
		return
	}
	s.churned = now
	s.churnCarry[0] += b.BackwardsPerMinute * elapsed.Minutes()
	s.churnCarry[1] += b.DeletesPerMinute * elapsed.Minutes()
	moves, deletes := int(s.churnCarry[0]), int(s.churnCarry[1])
	s.churnCarry[0] -= float64(moves)
	s.churnCarry[1] -= float64(deletes)
	for _, api := range APIs {
		tasks := s.tasks[api]
		for range min(moves, 10_000) {
			if len(tasks) == 0 {
				break
			}
			t := &tasks[s.rng.IntN(len(tasks))]
			if t.StatusAt(now) != "ready" {
				continue
			}
			if s.rng.IntN(2) == 0 {
				t.ReadyAt = now.Add(time.Duration(1+s.rng.IntN(10)) * time.Minute) // back to processing for a while
			} else {
				t.Status, t.ReadyAt = "failed", time.Time{}
			}
		}
		for range min(deletes, 10_000) {
			tasks := s.tasks[api]
			if len(tasks) == 0 {
				break
			}
			i := s.rng.IntN(len(tasks))
			s.tasks[api] = slices.Delete(tasks, i, i+1)
		}
	}
}

// Batch makes n tasks submitted together, created over spread from
// created (all in the same millisecond when spread is 0, so that they
// tie), processing until readyAt (never, when it is zero: they stay ready
// from the start), then ready, or failed for one in failEvery (0: none
// fail).
func Batch(api string, seed uint64, n int, created, readyAt time.Time, spread time.Duration, failEvery int) []Task {
	tasks := Generate(GenerateOptions{Seed: seed, N: n, Now: created, API: api})
	for i := range tasks {
		t := &tasks[i]
		t.Created = created.Add(spread * time.Duration(i) / time.Duration(n)).Truncate(time.Millisecond)
		t.Updated = t.Created
		if readyAt.After(t.Created) {
			t.Updated = readyAt
		}
		t.Status, t.ReadyAt = "ready", readyAt
		if failEvery > 0 && i%failEvery == 0 {
			t.Status = "failed"
		}
	}
	return tasks
}

// Now is the API's clock: the server's clock plus the behaviour's offset.
func (s *Server) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clockLocked()
}

// tieOrder orders a group of tasks of equal created_at for one request:
// by a hash of each _id and the request's seed, so that every request
// sees another order.
func tieOrder(group []Task, seed uint64) {
	key := func(t *Task) uint64 {
		h := fnv.New64a()
		_, _ = fmt.Fprintf(h, "%d/%s", seed, t.ID)
		return h.Sum64()
	}
	slices.SortFunc(group, func(a, b Task) int { return cmp.Compare(key(&a), key(&b)) })
}
