package collector

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/twelvelabs-community/twelvelabs_exporter/client"
)

// The reconciliation: the task table of an API is verified against counts
// the API itself gives, and where they disagree the disagreement is
// narrowed, not relisted. Every list endpoint answers total_results for
// any started_at/ended_at window and status, so one request checks any
// slice of the window; a slice that disagrees is split in two, the half
// that still disagrees split again, until a slice fits one page of 50 and
// is read whole (anti-entropy by range counts, as Dynamo-style stores
// reconcile replicas by Merkle ranges). The cost grows with what changed
// times log2(N/50), never with N, and is capped by a full listing's.
//
// The same steps serve both listing modes: a full listing is one pass over
// every page followed by the same verification, so that a pass that pages
// shifted under (ties in created_at in an order the API changes between
// requests, tasks deleted during the pass) is never taken as complete.

// statusChecks are the statuses whose counts are verified one by one, so
// that a task moving between them in either direction is seen at once.
// Statuses the API does not document are verified by the unfiltered
// counts and the reads of whole ranges.
var statusChecks = []string{"processing", "failed", "ready"}

// Why a reconciliation gives up.
var (
	// errOverBudget: narrowing would cost more than a full listing.
	errOverBudget = fmt.Errorf("%w: narrowing the disagreement would cost more than a full listing", client.ErrInconsistent)
	// errNoTotals: the API sends no total_results to verify against.
	errNoTotals = errors.New("the API sends no total_results")
	// errUnsettled: a range read whole keeps disagreeing with its count.
	errUnsettled = fmt.Errorf("%w: its pages and counts do not settle", client.ErrInconsistent)
	// errTwice: one _id listed at two creation times.
	errTwice = fmt.Errorf("%w: it lists one task twice", client.ErrInconsistent)
)

// Limits of the reconciliation.
const (
	// tiePasses bounds the passes over the pages of one second's tasks
	// that the API orders differently on each request: each pass adds the
	// tasks it had not shown yet. In an order drawn afresh for each page,
	// a pass over 2 to 3 pages misses a given task of a group of ~100 one
	// time in four, so 8 passes leave one of the group out about once in
	// a thousand reads and 16 passes once in ten million; the passes stop
	// as soon as the group is whole.
	tiePasses = 16
	// findRounds bounds the rounds of findLeft: each finds the tasks
	// without a readable created_at in narrower ranges.
	findRounds = 8
	// confirmRounds bounds the rounds of confirm: a status whose tasks a
	// later step moved is verified again. A task that finishes between two
	// status counts costs one round; an API that counts a task in two
	// statuses at once moves it back and forth in every round.
	confirmRounds = 2
	// budgetSlack is what an incremental reconciliation may spend on top
	// of a full listing's pages: the status counts and a few narrowing
	// steps, so that a small account is not relisted for one disagreement.
	budgetSlack = 16
	// verifySlack is what the verification of a full listing may spend on
	// top of another full listing's pages: a second's tasks that do not
	// fit a page are read in passes (tiePasses), and that is what a full
	// listing cannot do for them. A group of 120 costs 12 to 18 requests
	// in passes of 3 pages; 160 pays for several such groups at once (64
	// ran out about once in 800 full listings of the differential test's
	// four groups of 120).
	verifySlack = 160
)

// syncer is one reconciliation of an API's task table with the API.
type syncer struct {
	e     *Exporter
	api   client.API
	tt    *taskTable
	pager Pager
	ctx   context.Context
	now   time.Time // the listing's start, on the exporter's clock
	seen  time.Time // the same on the API's clock: when tasks were seen
	win   client.Query
	label func(string) string

	pages, requests int
	budget          int // requests allowed before a full listing is cheaper
	outside         int
	malformed       [client.MaxStageFields]int
	left            []taskRec // tasks that left a status, to be found again
	// gone holds what the table held of the tasks that left a status, so
	// that a task found again in its new status is news once, not a new
	// task.
	gone map[uint64]taskRec
	// ts is the API's task state: what it learned of the API (ended_at
	// inclusive, tasks listed twice) outlives one reconciliation.
	ts *taskState
	// passed: a full listing's pass is complete; what fails after it is
	// its verification, and the next reconciliation takes it from there.
	passed bool
	// verified is, per status ("" for all), how many tasks the table held
	// in the window when that status's count was last verified: a later
	// step that changes it (a task moved to another status) is verified
	// again before the listing is served.
	verified map[string]int
	// added are the _id hashes of the tasks the table did not hold before
	// this reconciliation, when trackAdded (a full listing's pass keeps
	// its own _ids distinct): each must be held once.
	added      []uint64
	trackAdded bool
}

func (e *Exporter) newSyncer(ctx context.Context, api client.API, tt *taskTable, pager Pager, win client.Query, now time.Time) *syncer {
	ts := e.tasks[api]
	return &syncer{e: e, api: api, tt: tt, pager: pager, ctx: ctx, now: now, seen: now.Add(e.skew()), win: win, label: e.label(api),
		ts: ts, verified: map[string]int{}, trackAdded: true}
}

// hi is where the table's range of the tasks the API counts in [a, b)
// ends: past b when the API counts ended_at inclusively.
func (s *syncer) hi(b int64) int64 {
	if s.ts.endInclusive {
		return b + 1
	}
	return b
}

// learn takes what a page shows of how the API bounds its ranges: a task
// listed with a created_at exactly at ended_at is one the API counts
// there (the documentation says "before"; an API may not keep to it, and
// with whole-second created_at every task of the boundary second is
// counted in both ranges around it unless the exporter counts as the API
// does).
func (s *syncer) learn(q client.Query, tasks []client.Task) {
	if s.ts.endInclusive {
		return
	}
	for _, t := range tasks {
		if t.Outside && !t.Created.IsZero() && t.Created.Equal(q.End) {
			s.ts.endInclusive, s.ts.boundaries = true, true
			s.e.opts.Logger.Info("the API counts tasks created exactly at ended_at; counting as it does",
				"api", string(s.api), "ended_at", q.End.Format(time.RFC3339))
			return
		}
	}
}

// inside tells whether a task listed for [a, b) is in the range as the
// API counts it.
func (s *syncer) inside(t client.Task, b int64) bool {
	return !t.Outside || (s.ts.endInclusive && !t.Created.IsZero() && t.Created.UnixMicro() == b)
}

// seconds is a whole-second instant in Unix microseconds: the API takes
// started_at and ended_at in RFC 3339 seconds, so ranges split on seconds.
const second = int64(time.Second / time.Microsecond)

func floorSecond(us int64) int64 {
	if us >= 0 {
		return us - us%second
	}
	return us - (second+us%second)%second
}

// setBudget caps the requests of the reconciliation from here at a full
// listing of total tasks plus slack.
func (s *syncer) setBudget(total, slack int) {
	// A count far beyond what the table holds (10^12 from a broken
	// answer) must not buy 2*10^10 requests: a listing costs at most what
	// twice the table, or the pass just read, does.
	total = min(total, 2*len(s.tt.recs)+100*client.MaxPageLimit)
	s.budget = s.requests + (max(total, len(s.tt.recs))+client.MaxPageLimit-1)/client.MaxPageLimit + slack
}

// probe asks page n of [a, b) in a status, 50 a page: its total, and the
// tasks themselves when they fit.
func (s *syncer) probe(a, b int64, status string, n int) (client.PageResult, error) {
	if s.requests >= s.budget {
		return client.PageResult{}, errOverBudget
	}
	q := client.Query{API: s.api, Start: time.UnixMicro(a).UTC(), End: time.UnixMicro(b).UTC(), Status: status, Limit: client.MaxPageLimit,
		EndInclusive: s.ts.endInclusive}
	p, err := s.pager.Page(s.ctx, q, n)
	s.pages++
	s.requests += p.Requests
	if err == nil {
		s.learn(q, p.Tasks)
	}
	return p, err
}

// observe tells the lifecycle counters of one task as read, against what
// the table holds of it, and makes its record.
func (s *syncer) observe(t client.Task, a, b int64) taskRec {
	r := s.tt.rec(t, a)
	var prev taskRec
	var existed bool
	if r.flags&recNoCreated != 0 {
		prev, existed = s.tt.place(&r, a, b)
	} else {
		prev, existed = s.tt.get(r)
	}
	if !existed {
		prev, existed = s.gone[r.hash]
	}
	if !existed && s.trackAdded && t.HasID {
		s.added = append(s.added, r.hash)
	}
	s.e.lifecycle.seen(s.api, t, s.tt.statusOf(prev), existed, s.seen, s.label)
	if !existed {
		for f := range client.NumFields {
			if t.Malformed&(1<<f) != 0 {
				s.malformed[f]++
			}
		}
	}
	return r
}

// hint adds the tasks of a page to the table: each is a fact, whatever
// the counts say (a new task, a status that moved).
func (s *syncer) hint(tasks []client.Task) (allNew bool) {
	allNew = true
	for _, t := range tasks {
		if t.Outside || t.Created.IsZero() || !t.HasID {
			allNew = false
			continue
		}
		_, existed := s.tt.upsert(s.observe(t, 0, 0))
		allNew = allNew && !existed
	}
	return allNew
}

// complete tells whether page 1 of a range holds the whole range: as many
// tasks as its count, or, without a count to trust, fewer than a page
// holds (the list ends there, as the official SDKs take it). A short page
// the count says more than is not the end: an API may cut a page and then
// drop tasks from it (soft-deleted ones), or page by less than it says.
func complete(p client.PageResult) bool {
	if p.Total >= 0 {
		// More tasks than the count is a count that lags its pages: a
		// short page is still the whole range (the pages are what is
		// there), but a full one may have more pages after it.
		return len(p.Tasks) == p.Total || (len(p.Tasks) > p.Total && len(p.Tasks) < p.Limit)
	}
	return len(p.Tasks) < p.Limit
}

// whole is the tasks of [a, b) in a status whose page 1, p, is complete:
// p's, unless p is a full page, or holds more tasks than its count, and
// lacks a task the table holds there. Then the count may lag its pages (a
// full page of 50 that a count of 50 calls whole, while a 51st task is
// listed on page 2), and the pages after it are read while they bring
// tasks not yet seen: one request more when the held task is really gone.
// A short page of its count's tasks is whole (a task gone from it, as
// every task that finished is from its old status, costs nothing more).
func (s *syncer) whole(a, b int64, status string, p client.PageResult) ([]client.Task, error) {
	if p.Limit <= 0 || (len(p.Tasks) < p.Limit && len(p.Tasks) <= p.Total) {
		return p.Tasks, nil
	}
	onPage := make(map[uint64]struct{}, len(p.Tasks))
	for _, t := range p.Tasks {
		onPage[t.IDHash] = struct{}{}
	}
	i, j := s.tt.span(a, s.hi(b))
	st := s.tt.status(status)
	lacks := false
	for _, r := range s.tt.recs[i:j] {
		if _, ok := onPage[r.hash]; !ok && r.flags&recNoCreated == 0 && (st == -1 || int(r.status) == st) {
			lacks = true
			break
		}
	}
	if !lacks {
		return p.Tasks, nil
	}
	tasks := slices.Clone(p.Tasks)
	for n := 2; ; n++ {
		np, err := s.probe(a, b, status, n)
		if err != nil {
			return nil, err
		}
		news := false
		for _, t := range np.Tasks {
			if !t.HasID {
				tasks, news = append(tasks, t), true
				continue
			}
			if _, ok := onPage[t.IDHash]; !ok {
				onPage[t.IDHash] = struct{}{}
				tasks = append(tasks, t)
				news = true
			}
		}
		if !news {
			return tasks, nil
		}
	}
}

// take makes tasks, read whole, the tasks of [a, b) in a status.
func (s *syncer) take(a, b int64, status string, tasks []client.Task) {
	batch := make([]taskRec, 0, len(tasks))
	seen := make(map[uint64]struct{}, len(tasks))
	for _, t := range tasks {
		if !s.inside(t, b) {
			s.outside++
			continue
		}
		if t.HasID {
			if _, dup := seen[t.IDHash]; dup {
				continue
			}
			seen[t.IDHash] = struct{}{}
		}
		batch = append(batch, s.observe(t, a, b))
	}
	slices.SortFunc(batch, compareRecs)
	batch = slices.CompactFunc(batch, func(x, y taskRec) bool { return compareRecs(x, y) == 0 })
	for _, r := range s.tt.replace(a, s.hi(b), status, batch) {
		if s.gone == nil {
			s.gone = map[uint64]taskRec{}
		}
		s.gone[r.hash] = r
		s.left = append(s.left, r)
	}
}

// restore puts back the tasks that left a status and were not found again
// when a reconciliation stops half-way: held as they were, they are news
// once when the next reconciliation finds them, not new tasks.
func (s *syncer) restore() {
	for _, r := range s.left {
		if _, ok := s.tt.get(r); !ok {
			s.tt.upsert(r)
		}
	}
	s.left = nil
}

// narrow settles [a, b) in a status, whose page 1 is p: read whole when it
// fits a page, accepted when the counts agree, else split and each part
// settled. edge settles the ends of the range first: the API deletes at
// the old end on its own schedule, and new tasks (and counts that lag
// them) are at the new end, so that is where a whole window disagrees
// most often, and a request at each end settles it.
func (s *syncer) narrow(a, b int64, status string, p client.PageResult, edge bool) error {
	if complete(p) {
		tasks, err := s.whole(a, b, status, p)
		if err != nil {
			return err
		}
		s.take(a, b, status, tasks)
		return nil
	}
	if p.Total < 0 {
		// No count to compare with (none sent, or one the page disproves,
		// as a lagging count does): the range is read to its end.
		tasks, err := s.readToEnd(a, b, status, p)
		if err != nil {
			return err
		}
		s.take(a, b, status, tasks)
		return nil
	}
	s.hint(p.Tasks)
	if s.tt.count(a, s.hi(b), status) == p.Total {
		return nil
	}
	parts := s.split(a, b, edge)
	if b-a <= second || parts == nil {
		return s.readTie(a, b, status, p)
	}
	if len(p.Tasks) < p.Limit && p.Total <= 2*p.Limit {
		// Short pages whose count a page or two would hold: the range is
		// read by its pages, not split into ranges whose pages are as short.
		tasks, err := s.readAll(a, b, status, p)
		if err != nil {
			return err
		}
		s.take(a, b, status, tasks)
		return nil
	}
	// The parts are settled in turn; once the range's held count equals
	// its count, the parts not yet asked are right (with the parts settled
	// agreeing, they hold what the API counts there). Else (a change
	// there, or the API's counts disagreeing with each other, as a total
	// that lags does) the next part is asked. The parent's held count, not
	// a sum of the parts', is compared: an API that counts ended_at
	// inclusively counts a boundary instant in both parts around it.
	for k, part := range parts {
		if k > 0 && s.tt.count(a, s.hi(b), status) == p.Total {
			return nil
		}
		pp, err := s.probe(part[0], part[1], status, 1)
		if err != nil {
			return err
		}
		if err := s.narrow(part[0], part[1], status, pp, false); err != nil {
			return err
		}
	}
	return nil
}

// split cuts [a, b) on whole seconds strictly inside it into the parts to
// settle, in the order to settle them. At an edge: the oldest page's worth
// of held tasks, the newest page's worth, then what lies between. Else in
// two at the held tasks' median, or halfway in time.
func (s *syncer) split(a, b int64, edge bool) [][2]int64 {
	i, j := s.tt.span(a, b)
	n := j - i
	if edge && n > 3*client.MaxPageLimit {
		m1, ok1 := s.gap(floorSecond(s.tt.recs[i+client.MaxPageLimit].created), a, b)
		m2, ok2 := s.gap(floorSecond(s.tt.recs[j-client.MaxPageLimit].created), a, b)
		if ok1 && ok2 && a < m1 && m1 < m2 && m2 < b {
			return [][2]int64{{a, m1}, {m2, b}, {m1, m2}}
		}
	}
	var m int64
	if n >= 2 {
		m = floorSecond(s.tt.recs[i+n/2].created)
	}
	if m <= a || m >= b {
		m = a + floorSecond((b-a)/2)
	}
	m, ok := s.gap(m, a, b)
	if !ok {
		return nil // no second inside without a task on it: read as a tie
	}
	return [][2]int64{{a, m}, {m, b}}
}

// gap moves a split point m inside (a, b) to a nearby whole second at
// which no held task was created: how an API counts a task created
// exactly at started_at or ended_at (the documentation says "after" and
// "before"; an API may count either end in) then does not matter, where
// with whole-second created_at every task of the boundary second would be
// in both parts, or in neither.
func (s *syncer) gap(m, a, b int64) (int64, bool) {
	if !s.ts.boundaries {
		// Until the API shows that its ends matter (an inclusive
		// ended_at), splits stay where the
		// held tasks' median puts them: moving them off task seconds
		// unbalances the halves (a batch of 400 finishing took 29
		// requests instead of 17).
		return m, true
	}
	at := func(x int64) bool {
		k := s.tt.lower(x)
		return k < len(s.tt.recs) && s.tt.recs[k].created == x
	}
	for d := int64(0); d <= 8; d++ {
		for _, x := range []int64{m + d*second, m - d*second} {
			if x > a && x < b && !at(x) {
				return x, true
			}
		}
	}
	return m, false
}

// readTie reads one second whose tasks do not fit a page. Split by status
// when unfiltered, so that each part fits a page if it can; else paged in
// passes until the distinct tasks read equal the count: an API that orders
// tasks of equal created_at differently on each request shows a few more
// of them each pass.
func (s *syncer) readTie(a, b int64, status string, p client.PageResult) error {
	if status == "" {
		sum := 0
		var parts [][]client.Task
		for _, st := range statusChecks {
			sp, err := s.probe(a, b, st, 1)
			if err != nil {
				return err
			}
			if sp.Total < 0 {
				sum = -1
				break
			}
			sum += sp.Total
			tasks, err := s.readAll(a, b, st, sp)
			if err != nil {
				return err
			}
			parts = append(parts, tasks)
		}
		if sum == p.Total {
			s.take(a, b, "", slices.Concat(parts...))
			return nil
		}
	}
	tasks, err := s.readAll(a, b, status, p)
	if err != nil {
		return err
	}
	s.take(a, b, status, tasks)
	return nil
}

// readAll pages through [a, b) in a status whose page 1 is p, in passes,
// until the distinct tasks read reach its total: an API that orders tasks
// of equal created_at differently on each request shows a few more of
// them each pass. More tasks than the total is a count that lags the
// pages: the pages are what is there.
func (s *syncer) readAll(a, b int64, status string, p client.PageResult) ([]client.Task, error) {
	if complete(p) {
		return s.whole(a, b, status, p)
	}
	if p.Total < 0 {
		return s.readToEnd(a, b, status, p)
	}
	byID := map[uint64]client.Task{}
	add := func(tasks []client.Task) {
		for _, t := range tasks {
			byID[t.IDHash] = t
		}
	}
	add(p.Tasks)
	// The target is the newest count: a task deleted, or moved out of
	// the status, while the passes run leaves the count it was in.
	target := p.Total
	pages := (target + p.Limit - 1) / p.Limit
	for pass := 0; pass < tiePasses && len(byID) < target; pass++ {
		// Page 1 is in hand on the first pass. Paging goes on until the
		// count is reached, past a short page too (an API may cut a page
		// and then drop tasks from it); a page of nothing new is the end
		// (an API that serves a page again past its list's end).
		for n := 2 - min(pass, 1); ; n++ {
			np, err := s.probe(a, b, status, n)
			if err != nil {
				return nil, err
			}
			before := len(byID)
			add(np.Tasks)
			if np.Total >= 0 {
				target = np.Total
			}
			news := len(byID) > before
			full := len(np.Tasks) >= np.Limit
			if len(np.Tasks) == 0 {
				break // past the end, whatever the count says (a hostile count of 10^12 is no reason to page on)
			}
			// More tasks than the count (a count that lags its pages)
			// ends at a short page only: the pages the count promises
			// are not all there are.
			if (!news && n >= pages) || (len(byID) == target && n >= pages) || (len(byID) >= target && !full) {
				break
			}
		}
	}
	if len(byID) < target {
		return nil, fmt.Errorf("%w: %d tasks created in [%s, %s) (status %q) are counted, %d distinct ones read in %d passes",
			errUnsettled, target, time.UnixMicro(a).UTC().Format(time.RFC3339), time.UnixMicro(b).UTC().Format(time.RFC3339),
			status, len(byID), tiePasses)
	}
	tasks := make([]client.Task, 0, len(byID))
	for _, t := range byID {
		tasks = append(tasks, t)
	}
	return tasks, nil
}

// readToEnd pages through [a, b) in a status whose page 1 is p while
// pages come back full, as the official SDKs page: what a range without a
// count is verified by. The budget bounds it.
func (s *syncer) readToEnd(a, b int64, status string, p client.PageResult) ([]client.Task, error) {
	tasks := slices.Clone(p.Tasks)
	seen := make(map[uint64]struct{}, len(tasks))
	for _, t := range tasks {
		seen[t.IDHash] = struct{}{}
	}
	for n := 2; len(p.Tasks) >= p.Limit && p.Limit > 0; n++ {
		var err error
		if p, err = s.probe(a, b, status, n); err != nil {
			return nil, err
		}
		news := false
		for _, t := range p.Tasks {
			if !t.HasID {
				tasks, news = append(tasks, t), true // no _id to tell it from another
				continue
			}
			if _, ok := seen[t.IDHash]; !ok {
				seen[t.IDHash] = struct{}{}
				tasks = append(tasks, t)
				news = true
			}
		}
		if !news {
			break // a page served again past the end
		}
	}
	return tasks, nil
}

// findLeft reads again, in as few ranges as cover them, the tasks that
// left a status: where they went (a task that finished) is found in one
// request per range of up to a page, not one per task. A task without a
// readable created_at sits where the exporter placed it, not where the API
// counts it: one not found there is found by the window's count, narrowed
// (a few rounds at most, as each finds it in a narrower range).
func (s *syncer) findLeft() error {
	for round := 0; len(s.left) > 0 && round < findRounds; round++ {
		left := s.left
		s.left = nil
		slices.SortFunc(left, compareRecs)
		for k := 0; k < len(left); {
			a := floorSecond(left[k].created)
			b := a + second
			missing := 1
			k++
			for ; k < len(left); k++ {
				nb := floorSecond(left[k].created) + second
				if s.tt.count(a, s.hi(nb), "")+missing+1 > client.MaxPageLimit {
					break
				}
				b, missing = nb, missing+1
			}
			p, err := s.probe(a, b, "", 1)
			if err != nil {
				return err
			}
			if err := s.narrow(a, b, "", p, false); err != nil {
				return err
			}
		}
		s.left = slices.DeleteFunc(s.left, func(r taskRec) bool { return r.flags&recNoCreated == 0 })
		unplaced := false
		for _, r := range left {
			if p, ok := s.tt.placed[r.hash]; ok && r.flags&recNoCreated != 0 {
				if _, held := s.tt.get(taskRec{created: p, hash: r.hash}); !held {
					unplaced = true
				}
			}
		}
		if unplaced {
			a, b := s.win.Start.UnixMicro(), s.win.End.UnixMicro()
			p, err := s.probe(a, b, "", 1)
			if err != nil {
				return err
			}
			if err := s.narrow(a, b, "", p, true); err != nil {
				return err
			}
		}
	}
	s.left = nil
	return nil
}

// verifyStatuses checks each status's count over the window and narrows
// where one disagrees; the tasks that left a status are found after each.
// The tasks still processing are read whole while they fit
// Options.MaxIncrementalPages: that is where statuses move, and two moves
// that cancel out in the counts (one task in, another out) are seen only
// by reading them, in both listing modes: a pass whose pages shifted can
// miss one that the counts do not show.
func (s *syncer) verifyStatuses(a, b int64, readProcessing bool) error {
	for _, st := range statusChecks {
		if err := s.verifyStatus(a, b, st, readProcessing); err != nil {
			return err
		}
	}
	return nil
}

// verifyStatus checks one status's count over the window, as
// verifyStatuses does, and notes what the table holds of it then.
func (s *syncer) verifyStatus(a, b int64, st string, readProcessing bool) error {
	p, err := s.probe(a, b, st, 1)
	if err != nil {
		return err
	}
	switch {
	case p.Total < 0 && !complete(p):
		// No count, or one the page disproves (a count that lags):
		// the status is read to its end, as the SDKs page.
		tasks, err := s.readToEnd(a, b, st, p)
		if err != nil {
			return err
		}
		s.take(a, b, st, tasks)
	case readProcessing && st == "processing" && !complete(p) && p.Total <= p.Limit*s.e.opts.MaxIncrementalPages:
		tasks, err := s.readAll(a, b, st, p)
		if err != nil {
			return err
		}
		s.take(a, b, st, tasks)
	default:
		if err := s.narrow(a, b, st, p, true); err != nil {
			return err
		}
	}
	if err := s.findLeft(); err != nil {
		return err
	}
	s.verified[st] = s.tt.count(a, s.hi(b), st)
	return nil
}

// verifyAll checks the window's count, narrowing where it disagrees, and
// notes what the table holds then.
func (s *syncer) verifyAll(a, b int64) error {
	p, err := s.probe(a, b, "", 1)
	if err != nil {
		return err
	}
	if err := s.narrow(a, b, "", p, true); err != nil {
		return err
	}
	if err := s.findLeft(); err != nil {
		return err
	}
	s.verified[""] = s.tt.count(a, s.hi(b), "")
	return nil
}

// confirm makes sure that what the table holds of each status verified
// is still what was verified: a later step may have moved a task out of a
// status already verified (the task finished between two counts, or the
// API counts it in two statuses at once). Such a status is verified again,
// for a few rounds: a race settles in one, an API whose counts contradict
// each other never does, and is not served. Then each task added is held
// once.
func (s *syncer) confirm() error {
	a, b := s.win.Start.UnixMicro(), s.win.End.UnixMicro()
	for round := 0; ; round++ {
		var moved []string
		for _, st := range append([]string{""}, statusChecks...) {
			if held, ok := s.verified[st]; ok && s.tt.count(a, s.hi(b), st) != held {
				moved = append(moved, st)
			}
		}
		if len(moved) == 0 {
			break
		}
		if round == confirmRounds {
			return fmt.Errorf("%w: the window's count of %q tasks changes whenever another status is read, %d times (a task counted in two statuses at once?)",
				errUnsettled, moved, confirmRounds)
		}
		for _, st := range moved {
			var err error
			if st == "" {
				err = s.verifyAll(a, b)
			} else {
				err = s.verifyStatus(a, b, st, false)
			}
			if err != nil {
				return err
			}
		}
	}
	return s.distinct()
}

// distinct checks that every task added by this reconciliation, and
// every task found listed twice before, is held once: an _id listed at
// two creation times (two rows of one task, each counted where it was
// created) would be two tasks to the table, and the counts would agree
// with them. The table is scanned once; a bitmap of the hashes to check
// skips nearly every task without a map lookup. Both rows stay held, as
// listed, and are remembered: each reconciliation fails while the API
// lists them (a few requests, not a full listing), and the first after it
// stops counts one and is served.
func (s *syncer) distinct() error {
	if len(s.added) == 0 && len(s.ts.twice) == 0 {
		return nil
	}
	const unseen = math.MinInt64
	var bits [64]uint64
	at := make(map[uint64]int64, len(s.added)+len(s.ts.twice))
	check := func(h uint64) {
		bits[(h>>6)&63] |= 1 << (h & 63)
		at[h] = unseen
	}
	for _, h := range s.added {
		check(h)
	}
	for h := range s.ts.twice {
		check(h)
	}
	twice := map[uint64][2]int64{}
	for _, r := range s.tt.recs {
		if bits[(r.hash>>6)&63]&(1<<(r.hash&63)) == 0 {
			continue
		}
		switch first, ok := at[r.hash]; {
		case !ok:
		case first == unseen:
			at[r.hash] = r.created
		case first != r.created:
			twice[r.hash] = [2]int64{first, r.created}
		}
	}
	s.ts.twice = nil
	if len(twice) == 0 {
		return nil
	}
	s.ts.twice = make(map[uint64]struct{}, len(twice))
	var example [2]int64
	for h, c := range twice {
		s.ts.twice[h] = struct{}{}
		example = c
	}
	return fmt.Errorf("%w: %d _ids are each listed at two creation times, one as created at %s and at %s", errTwice, len(twice),
		time.UnixMicro(example[0]).UTC().Format(time.RFC3339Nano), time.UnixMicro(example[1]).UTC().Format(time.RFC3339Nano))
}

// incremental brings the table to the window with a few requests: page 1
// of the window (the newest tasks and the total), further pages while
// every task on them is new, then the counts verified and narrowed.
func (s *syncer) incremental() error {
	a, b := s.win.Start.UnixMicro(), s.win.End.UnixMicro()
	s.tt.clip(a, s.hi(b))
	s.setBudget(len(s.tt.recs), budgetSlack)
	p, err := s.probe(a, b, "", 1)
	if err != nil {
		return err
	}
	if complete(p) {
		// A one-page account: one request a scrape.
		tasks, err := s.whole(a, b, "", p)
		if err != nil {
			return err
		}
		s.take(a, b, "", tasks)
		return s.distinct()
	}
	if p.Total < 0 {
		return errNoTotals
	}
	s.setBudget(p.Total, budgetSlack)
	first := p
	for n := 1; s.hint(p.Tasks) && len(p.Tasks) >= p.Limit; n++ {
		if n >= s.e.opts.MaxIncrementalPages {
			break // the counts find the rest
		}
		if p, err = s.probe(a, b, "", n+1); err != nil {
			return err
		}
	}
	if err := s.narrow(a, b, "", first, true); err != nil {
		return err
	}
	s.verified[""] = s.tt.count(a, s.hi(b), "")
	if err := s.verifyStatuses(a, b, true); err != nil {
		return err
	}
	return s.confirm()
}

// full lists every task of the window in one pass, then verifies it as the
// incremental listing is verified: a pass is complete when its distinct
// tasks equal the API's count.
func (s *syncer) full() error {
	a, b := s.win.Start.UnixMicro(), s.win.End.UnixMicro()
	s.tt.clip(a, s.hi(b))
	q := s.win
	q.EndInclusive = s.ts.endInclusive
	var batch []taskRec
	// The pass's _ids are distinct by its own listing: only what the
	// verification adds after it is checked.
	s.trackAdded = false
	q.Each = func(t client.Task) { batch = append(batch, s.observe(t, a, b)) }
	q.Sized = func(n int) { batch = slices.Grow(batch, max(n-len(batch), 0)) }
	l, err := s.pager.List(s.ctx, q)
	if l != nil {
		s.pages += l.Pages
		s.requests += l.Requests
	}
	if err != nil {
		return err
	}
	s.outside += l.OutsideWindow
	slices.SortFunc(batch, compareRecs)
	batch = slices.CompactFunc(batch, func(x, y taskRec) bool { return compareRecs(x, y) == 0 })
	s.tt.replace(a, s.hi(b), "", batch)
	s.trackAdded, s.passed = true, true
	read := l.Tasks + l.OutsideWindow
	switch {
	case l.Total < 0:
		// No count: read to the end by fullness, as the official SDKs
		// page, is all there is to verify against.
		return nil
	case l.Pages <= 1:
		return nil // one page is one answer: its tasks and its count agree
	}
	s.setBudget(l.Total, verifySlack)
	// A pass with more distinct tasks than the count was read past it
	// (a count that lags): the older ranges' counts, which do not lag,
	// verify it by narrowing as any disagreement is.
	if read != l.Total {
		p, err := s.probe(a, b, "", 1)
		if err != nil {
			return err
		}
		if err := s.narrow(a, b, "", p, true); err != nil {
			return err
		}
	}
	// The pass ends where its count says: with a count that lags its
	// pages (new tasks listed, not yet counted), the oldest tasks are on a
	// page after that, and the new ones make up the number. The oldest
	// second held, counted, finds them (one request).
	if i := slices.IndexFunc(s.tt.recs, func(r taskRec) bool { return r.flags&recNoCreated == 0 }); i >= 0 &&
		read == l.Total && l.Total%client.MaxPageLimit == 0 {
		if tail := floorSecond(s.tt.recs[i].created) + second; tail > a && tail < b {
			p, err := s.probe(a, tail, "", 1)
			if err != nil {
				return err
			}
			if err := s.narrow(a, tail, "", p, false); err != nil {
				return err
			}
		}
	}
	s.verified[""] = s.tt.count(a, s.hi(b), "")
	if err := s.verifyStatuses(a, b, true); err != nil {
		return err
	}
	return s.confirm()
}

// listing is the table's aggregate, with what the reconciliation cost.
func (s *syncer) listing() *client.Listing {
	l := s.tt.listing(s.now.Add(s.e.skew()))
	l.Pages, l.Requests, l.OutsideWindow, l.Malformed = s.pages, s.requests, s.outside, s.malformed
	l.Duration = s.e.opts.Now().Sub(s.now)
	return l
}
