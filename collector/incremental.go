package collector

import (
	"context"
	"errors"
	"time"

	"github.com/twelvelabs-community/twelvelabs_exporter/client"
)

// Pager lists and reads single pages: what the reconciliation asks, many
// small questions a scrape (the client in production). A Lister that
// cannot page is trusted as it answers.
type Pager interface {
	Lister
	Page(ctx context.Context, q client.Query, n int) (client.PageResult, error)
}

// Listing modes.
const (
	// ListingIncremental keeps the window's tasks between scrapes and asks
	// only for what can have changed, verified against the API's counts.
	ListingIncremental = "incremental"
	// ListingFull reads every task of the window on every scrape, verified
	// the same way.
	ListingFull = "full"
)

// taskState is the window's tasks of one API between scrapes. Only the
// listing of that API in flight touches it (one at a time: singleflight),
// so it needs no lock.
type taskState struct {
	table    *taskTable // nil until the first full listing
	lastSync time.Time
	// incRequests is what the last incremental listing cost (the estimate
	// of the next one, for the request budget).
	incRequests int
	// window is the last window listed, on the API's clock.
	window client.Query
	// endInclusive: the API has been seen to count tasks created exactly
	// at ended_at (learned from its pages, kept for the account's life).
	endInclusive bool
	// boundaries: the API has shown that how it counts a task created
	// exactly at a range's end matters (an inclusive ended_at, a range's
	// parts short of its count): splits then avoid seconds holding tasks.
	boundaries bool
	// twice are the _id hashes last found listed at two creation times.
	twice map[uint64]struct{}
}

// nextCost estimates the requests of api's next listing: what the last
// one cost when listings are full, what the last incremental one cost when
// the next will be incremental, and before the first incremental one the
// least it can cost (page 1 and the status counts): a budget that could
// not pay for a second full listing must not refuse the small one.
func (e *Exporter) nextCost(api client.API, l *client.Listing) int {
	ts := e.tasks[api]
	if l == nil {
		return 1
	}
	if ts == nil { // a stage: each listing reads it whole
		return max(l.Requests, 1)
	}
	if _, canPage := e.lister.(Pager); e.opts.Listing == ListingFull || !canPage || ts.table == nil {
		return max(l.Requests, 1)
	}
	if ts.incRequests == 0 {
		return min(max(l.Requests, 1), 1+len(statusChecks))
	}
	return max(ts.incRequests, 1)
}

// list answers q for api by reconciling the task state with the API:
// incrementally when the state allows it, else by a full listing verified
// the same way. Either way the lifecycle counters see every task's news
// once.
func (e *Exporter) list(ctx context.Context, api client.API, q client.Query, now time.Time) (*client.Listing, error) {
	pager, canPage := e.lister.(Pager)
	if !canPage {
		return e.lister.List(ctx, q)
	}
	ts := e.tasks[api]
	ts.window = q
	reason := ""
	var spentPages, spentRequests int // by an incremental attempt that gave way
	switch {
	case ts.table == nil:
		reason = resyncStartup
	case e.opts.Listing == ListingFull:
		reason = "" // a full listing every time: no resync to count
	case now.Sub(ts.lastSync) >= e.opts.ResyncInterval:
		reason = resyncInterval
	default:
		s := e.newSyncer(ctx, api, ts.table, pager, q, now)
		err := s.incremental()
		switch {
		case err == nil:
			ts.incRequests = s.requests
			return s.listing(), nil
		case errors.Is(err, errNoTotals):
			// Nothing to verify against: every scrape reads the window to
			// the end, as a full listing does.
			e.opts.Logger.Debug("the API sends no totals; listing in full", "api", string(api))
		case errors.Is(err, errOverBudget):
			e.opts.Logger.Info("the task state disagrees with the API in more places than a full listing costs; listing in full",
				"api", string(api), "requests", s.requests)
			reason = resyncMismatch
		default:
			// The state stays as far as it got: every change it took is a
			// fact, and the next reconciliation verifies the rest.
			s.restore()
			l := &client.Listing{Pages: s.pages, Requests: s.requests, Duration: e.opts.Now().Sub(now)}
			return l, err
		}
		spentPages, spentRequests = s.pages, s.requests
	}
	table := ts.table
	if table == nil {
		table = newTaskTable()
	}
	s := e.newSyncer(ctx, api, table, pager, q, now)
	s.pages, s.requests = spentPages, spentRequests
	if err := s.full(); err != nil {
		s.restore()
		if s.passed {
			// The pass is whole, and what failed is its verification (the
			// API's answers contradict each other): the next scrape
			// reconciles from it, and verifies it all again, rather than
			// list the window in full once more.
			ts.table, ts.lastSync = table, now
		}
		return &client.Listing{Pages: s.pages, Requests: s.requests, Duration: e.opts.Now().Sub(now)}, err
	}
	ts.table, ts.lastSync = table, now
	if reason != "" {
		e.lifecycle.resyncs.WithLabelValues(string(api), reason).Inc()
		e.opts.Logger.Debug("listed in full to rebuild the task state", "api", string(api), "reason", reason)
	}
	return s.listing(), nil
}

// label maps a model name to the label it is exported under, by the same
// bound as the task metrics.
func (e *Exporter) label(api client.API) func(string) string {
	return func(model string) string { return e.state.admitModel(api, model) }
}
