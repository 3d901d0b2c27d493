package collector

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twelvelabs-community/twelvelabs_exporter/client"
)

// Pager reads one page of the answer to a query: what the incremental
// listing asks, many small questions a scrape (the client in production).
type Pager interface {
	Page(ctx context.Context, q client.Query, n int) (tasks []client.Task, total, requests int, err error)
}

// Listing modes.
const (
	// ListingIncremental keeps the window's tasks between scrapes and asks
	// only for what can have changed, checked against the API's totals.
	ListingIncremental = "incremental"
	// ListingFull reads every task of the window on every scrape.
	ListingFull = "full"
)

// taskState is the window's tasks of one API between scrapes. Only the
// listing of that API in flight touches it (one at a time: singleflight),
// so it needs no lock.
type taskState struct {
	table    *taskTable // nil until the first full listing
	lastSync time.Time
	dirty    bool // an incremental step failed half-way: resync
	// incRequests is what the last incremental listing cost (the estimate
	// of the next one, for the request budget).
	incRequests int
}

// nextCost estimates the requests of api's next listing: what the last
// one cost when listings are full, what the last incremental one cost when
// the next will be incremental.
func (e *Exporter) nextCost(api client.API, l *client.Listing) int {
	ts := e.tasks[api]
	if l == nil {
		return 1
	}
	if _, canPage := e.lister.(Pager); e.opts.Listing == ListingFull || !canPage || ts.table == nil || ts.dirty {
		return max(l.Requests, 1)
	}
	return max(ts.incRequests, 1)
}

// errMismatch: the state disagrees with what the API answers; a full
// listing settles it.
var errMismatch = errors.New("the task state disagrees with the API")

// list answers q for api: incrementally when the state allows it, else by
// a full listing that rebuilds the state. Either way the lifecycle
// counters see every task's news once.
func (e *Exporter) list(ctx context.Context, api client.API, q client.Query, now time.Time) (*client.Listing, error) {
	ts := e.tasks[api]
	pager, canPage := e.lister.(Pager)
	reason := ""
	switch {
	case ts.table == nil:
		reason = resyncStartup
	case ts.dirty:
		reason = resyncError
	case e.opts.Listing == ListingFull || !canPage:
		reason = "" // a full listing every time: no resync to count
	case now.Sub(ts.lastSync) >= e.opts.ResyncInterval:
		reason = resyncInterval
	default:
		l, err := e.incremental(ctx, api, ts, pager, q, now)
		if !errors.Is(err, errMismatch) {
			ts.dirty = err != nil
			return l, err
		}
		e.opts.Logger.Info("task state disagrees with the API; listing in full", "api", string(api), "why", err)
		reason = resyncMismatch
	}
	l, err := e.resync(ctx, api, ts, q, now)
	if err == nil && reason != "" {
		e.lifecycle.resyncs.WithLabelValues(string(api), reason).Inc()
		e.opts.Logger.Debug("listed in full to rebuild the task state", "api", string(api), "reason", reason)
	}
	return l, err
}

// resync lists every task of the window into a new state.
func (e *Exporter) resync(ctx context.Context, api client.API, ts *taskState, q client.Query, now time.Time) (*client.Listing, error) {
	old, fresh := ts.table, newTaskTable()
	q.Each = func(t client.Task) {
		if _, again := fresh.put(fresh.rec(t)); again {
			return // a listing done twice tells of its tasks twice
		}
		prevStatus, existed := "", false
		if old != nil {
			if i, ok := old.find(t.IDHash); ok && t.HasID {
				prevStatus, existed = old.statusOf(old.recs[i]), true
			}
		}
		e.lifecycle.seen(api, t, prevStatus, existed, now, e.label(api))
	}
	l, err := e.lister.List(ctx, q)
	if err != nil {
		ts.dirty = ts.table != nil
		return l, err
	}
	ts.table, ts.lastSync, ts.dirty = fresh, now, false
	return l, nil
}

// incremental brings the state to q's window with a few requests: the
// newest page(s) of the window (new tasks, recent ones finishing, and the
// window's total), the processing tasks when the state holds older ones,
// and a one-second window for each older task that finished. The total
// and the processing count must then match the API's, or it is a mismatch.
func (e *Exporter) incremental(ctx context.Context, api client.API, ts *taskState, pager Pager, q client.Query, now time.Time) (*client.Listing, error) {
	tt := ts.table
	tt.expire(q.Start)
	label := e.label(api)
	var pages, requests int
	page := func(q client.Query, n int) ([]client.Task, int, error) {
		tasks, total, r, err := pager.Page(ctx, q, n)
		pages, requests = pages+1, requests+r
		return tasks, total, err
	}
	apply := func(t client.Task) (existed bool, err error) {
		if !t.HasID {
			return false, fmt.Errorf("%w: a task without _id cannot be followed", errMismatch)
		}
		prev, existed := tt.put(tt.rec(t))
		e.lifecycle.seen(api, t, tt.statusOf(prev), existed, now, label)
		return existed, nil
	}
	processing := map[uint64]taskRec{}
	if i, ok := tt.index["processing"]; ok {
		for _, r := range tt.recs {
			if r.status == i {
				processing[r.hash] = r
			}
		}
	}

	// The newest tasks: new ones, and recent ones that finished. Pages
	// follow while every task on them is new.
	total := -1
	for n := 1; ; n++ {
		if n > e.opts.MaxIncrementalPages {
			return nil, fmt.Errorf("%w: more than %d pages of new tasks", errMismatch, e.opts.MaxIncrementalPages)
		}
		tasks, t, err := page(q, n)
		if err != nil {
			return nil, err
		}
		if n == 1 {
			total = t
		}
		allNew := true
		for _, task := range tasks {
			existed, err := apply(task)
			if err != nil {
				return nil, err
			}
			allNew = allNew && !existed
			delete(processing, task.IDHash)
		}
		if !allNew || len(tasks) < client.MaxPageLimit {
			break
		}
	}

	// Older tasks the state holds as processing: those no longer listed
	// as processing finished; a one-second window finds how.
	if len(processing) > 0 {
		pq := q
		pq.Status = "processing"
		for n := 1; ; n++ {
			tasks, _, err := page(pq, n)
			if err != nil {
				return nil, err
			}
			for _, task := range tasks {
				if _, err := apply(task); err != nil {
					return nil, err
				}
				delete(processing, task.IDHash)
			}
			if len(tasks) < client.MaxPageLimit {
				break
			}
			if n >= e.opts.MaxIncrementalPages {
				return nil, fmt.Errorf("%w: too many processing tasks to follow", errMismatch)
			}
		}
		for _, r := range processing {
			if r.created == 0 {
				return nil, fmt.Errorf("%w: a task without created_at finished", errMismatch)
			}
			at := time.UnixMicro(r.created).UTC().Truncate(time.Second)
			wq := client.Query{API: api, Start: at, End: at.Add(time.Second)}
			tasks, _, err := page(wq, 1)
			if err != nil {
				return nil, err
			}
			found := false
			for _, task := range tasks {
				if task.IDHash == r.hash {
					if _, err := apply(task); err != nil {
						return nil, err
					}
					found = true
				}
			}
			if !found {
				return nil, fmt.Errorf("%w: a processing task left the list", errMismatch)
			}
		}
	}

	if total >= 0 && tt.count("") != total {
		return nil, fmt.Errorf("%w: %d tasks held, the API lists %d", errMismatch, tt.count(""), total)
	}
	l := tt.listing()
	l.Pages, l.Requests, l.Duration = pages, requests, e.opts.Now().Sub(now)
	ts.incRequests = requests
	return l, nil
}

// label maps a model name to the label it is exported under, by the same
// bound as the task metrics.
func (e *Exporter) label(api client.API) func(string) string {
	return func(model string) string { return e.state.admitModel(api, model) }
}
