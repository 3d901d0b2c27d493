// Package collector turns listings of TwelveLabs embedding tasks into
// Prometheus metrics, and keeps what outlives a scrape: the last listings
// and the exporter's own counters. It knows Prometheus, not HTTP: listings
// come from a Lister (the client package in production).
package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/singleflight"

	"github.com/twelvelabs-community/twelvelabs_exporter/client"
)

// Lister answers a query about one Embed API's tasks. On error the Listing,
// when not nil, still reports Pages and Duration of the failed attempt.
type Lister interface {
	List(ctx context.Context, q client.Query) (*client.Listing, error)
}

// Options configure an Exporter.
type Options struct {
	// APIs to list; each gets its own twelvelabs_up.
	APIs []client.API
	// Lookback is how far back a listing reaches (started_at).
	Lookback time.Duration
	// CacheTTL, when positive, serves the last successful listing of an
	// API until it is that old, instead of listing again.
	CacheTTL time.Duration
	// ListingTimeout bounds a listing, which may outlive the scrape that
	// started it: a scrape waits only until its own deadline.
	ListingTimeout time.Duration
	// MaxModels bounds the distinct model_name values exported per API;
	// the rest are exported as model_name="other".
	MaxModels int
	// Traffic counts the HTTP requests of the Lister and keeps its
	// rate-limit headers; the caller makes it first and hands its methods
	// to the client. Nil: none are seen.
	Traffic *Traffic
	// Listing is ListingIncremental (the default) or ListingFull.
	Listing string
	// ResyncInterval is how often an incremental listing is replaced by a
	// full one all the same.
	ResyncInterval time.Duration
	// MaxIncrementalPages bounds the pages of new or processing tasks an
	// incremental listing reads before it lists in full instead.
	MaxIncrementalPages int
	// Budget, when set, is asked before a listing starts whether it can pay
	// for as many requests as the next one is expected to take within
	// ListingTimeout (the listing waits for the tokens it lacks); when it
	// cannot, or runs out during the listing, scrapes serve the newest
	// complete listing.
	Budget interface {
		Afford(requests int, within time.Duration) bool
	}
	// Plan is the organisation's plan as declared, exported beside the
	// usage the listings show.
	Plan Plan
	// Hint, when set, says what an operator can do about a failed listing
	// of a given reason (client.Reason); the text is logged with the error.
	Hint   func(reason client.Reason) string
	Logger *slog.Logger
	// Now is the clock of every time the exporter keeps; tests set it.
	Now func() time.Time
}

// DefaultMaxModels is the default of Options.MaxModels: TwelveLabs has a
// handful of models; a hundred leaves room for years of them and bounds a
// flood of odd names to 100 × 3 series per metric.
const DefaultMaxModels = 100

// DefaultResyncInterval is the default of Options.ResyncInterval. Every
// scrape already checks the state against the API's total and processing
// tasks; the full listing a day is a safety net that costs a 100,000-task
// account 2,000 requests, 1.4 a scrape at one a minute (an hourly one would
// cost 33, more than the incremental listing itself).
const DefaultResyncInterval = 24 * time.Hour

// Exporter holds what outlives a scrape: the state of each API (state.go),
// the counters, and the listings in flight that concurrent scrapes share.
type Exporter struct {
	lister    Lister
	opts      Options
	flight    singleflight.Group
	state     *states
	counters  counters
	lifecycle *lifecycle
	tasks     map[client.API]*taskState // each touched only by its API's listing in flight
	stages    map[client.API]*stageDescs
	// stageLife is each task-like stage's lifecycle, touched only by its
	// listing in flight.
	stageLife map[client.API]*stageLifecycle
}

type result struct {
	listing *client.Listing
	err     error
	done    time.Time
	// nextCost is the requests the next listing is expected to take: an
	// incremental one costs a few even after a full one cost thousands.
	nextCost int
}

// New makes an Exporter for the given APIs.
func New(lister Lister, opts Options) *Exporter {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if len(opts.APIs) == 0 {
		opts.APIs = client.APIs
	}
	if opts.Lookback <= 0 {
		opts.Lookback = client.DefaultLookback
	}
	if opts.ListingTimeout <= 0 {
		opts.ListingTimeout = 5 * time.Minute
	}
	if opts.Traffic == nil {
		opts.Traffic = NewTraffic()
	}
	if opts.MaxModels <= 0 {
		opts.MaxModels = DefaultMaxModels
	}
	if opts.Listing == "" {
		opts.Listing = ListingIncremental
	}
	if opts.ResyncInterval <= 0 {
		opts.ResyncInterval = DefaultResyncInterval
	}
	if opts.MaxIncrementalPages <= 0 {
		opts.MaxIncrementalPages = 20
	}
	tasks := map[client.API]*taskState{}
	stages := map[client.API]*stageDescs{}
	stageLife := map[client.API]*stageLifecycle{}
	var embed []client.API
	for _, api := range opts.APIs {
		if st := client.StageOf(api); st != nil {
			stages[api] = newStageDescs(st)
			if len(st.Final) > 0 {
				stageLife[api] = newStageLifecycle(st, opts.Now())
			}
			continue
		}
		embed = append(embed, api)
		tasks[api] = &taskState{}
	}
	if opts.Hint == nil {
		opts.Hint = func(client.Reason) string { return "" }
	}
	return &Exporter{lister: lister, opts: opts, state: newStates(opts.APIs, opts.MaxModels), counters: newCounters(opts.APIs),
		lifecycle: newLifecycle(embed, opts.Now()), tasks: tasks, stages: stages, stageLife: stageLife}
}

// Collector returns the collector of one scrape: its listings are bounded
// by ctx, which carries the scrape's deadline.
func (e *Exporter) Collector(ctx context.Context) prometheus.Collector {
	return &scrape{e: e, ctx: ctx}
}

// listing returns a listing of api for a scrape: from the cache when it is
// on and fresh, else from a listing shared with every scrape that asks
// while it runs. The listing runs under its own timeout, not the scrape's:
// when the scrape's deadline comes first, the listing goes on in the
// background and the scrape is answered with the newest complete listing,
// so that an account too large to list within a scrape timeout is still
// exported, never partially.
func (e *Exporter) listing(ctx context.Context, api client.API) result {
	if ttl := e.opts.CacheTTL; ttl > 0 {
		if g := e.state.get(api).good; g.listing != nil && e.opts.Now().Sub(g.done) < ttl {
			return g
		}
	}
	if e.opts.Budget != nil {
		if last := e.state.get(api).good; last.listing != nil && !e.opts.Budget.Afford(last.nextCost, e.opts.ListingTimeout) {
			e.opts.Logger.Debug("the request budget cannot pay for a listing; serving the newest complete one", "api", string(api),
				"age", e.opts.Now().Sub(last.done))
			return last
		}
	}
	ch := e.flight.DoChan(string(api), func() (any, error) {
		start := e.opts.Now()
		e.state.begin(api, start)
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.opts.ListingTimeout)
		defer cancel()
		var l *client.Listing
		var err error
		if st := client.StageOf(api); st != nil {
			l, err = e.listStage(lctx, st, start.Add(e.skew()))
		} else {
			l, err = e.listOnTheAPIClock(lctx, api, start)
		}
		r, folded, first := e.state.finish(api, result{listing: l, err: err, done: e.opts.Now(), nextCost: e.nextCost(api, l)})
		e.report(api, r, folded, first)
		return r, nil
	})
	wait := ctx.Done()
	if e.hopeless(ctx, api) {
		// The listing will not finish before the scrape's deadline, judged
		// by how long the last one took: answer at once with the newest
		// complete listing, unless this one is already done.
		closed := make(chan struct{})
		close(closed)
		wait = closed
	}
	select {
	case res := <-ch:
		r := res.Val.(result)
		if good := e.state.get(api).good; errors.Is(r.err, client.ErrBudgetExhausted) && good.listing != nil {
			return good // never a partial listing: the newest complete one
		}
		return r
	case <-wait:
	}
	if last := e.state.get(api).last; last.err == nil && last.listing != nil {
		e.opts.Logger.Debug("listing still running at the scrape's deadline; serving the previous one", "api", string(api),
			"age", e.opts.Now().Sub(last.done))
		return last
	}
	err := fmt.Errorf("listing %s: not finished by the scrape's deadline (%w); it goes on in the background, "+
		"and the next scrape serves it when done", api, context.Cause(ctx))
	e.opts.Logger.Info("no complete listing to serve yet", "api", string(api), "err", err)
	return result{err: err}
}

// minSkew is the least clock skew the windows follow: the API's Date
// header has whole seconds, so a smaller skew is not told from none.
const minSkew = 2 * time.Second

// skewer is a Lister that knows how far the API's clock is from ours.
type skewer interface {
	ClockSkew() (time.Duration, bool)
}

// skew is how far ahead of ours the windows are computed: the API's
// clock, so that a task it created "now" is in the window, never in a
// future the exporter does not ask for.
func (e *Exporter) skew() time.Duration {
	d, known := e.clockSkew()
	if !known || (d < minSkew && d > -minSkew) {
		return 0
	}
	return d
}

// clockSkew is the lister's measure of the API's clock, if it has one.
func (e *Exporter) clockSkew() (time.Duration, bool) {
	sk, ok := e.lister.(skewer)
	if !ok {
		return 0, false
	}
	return sk.ClockSkew()
}

// window is the look-back on both clocks, ours and the API's (by the skew
// its Date header shows): it starts a look-back before the earlier of the
// two and ends at the later. A Date header behind the API's own created_at
// (a proxy's, a wrong server clock) must not hide the newest tasks, nor one
// ahead of them (a day ahead, while created_at follows the real clock) drop
// the oldest tasks the API still lists; while the API's clock really runs
// ahead, the part of the window before its retention edge is empty, and
// costs nothing.
func (e *Exporter) window(api client.API, now time.Time) client.Query {
	ours := client.LastWindow(api, now, e.opts.Lookback)
	theirs := client.LastWindow(api, now.Add(e.skew()), e.opts.Lookback)
	// The start spans both clocks only when the look-back is the API's
	// retention: then the API's own deletions decide what is there. A
	// shorter look-back is the operator's, on the exporter's clock: a
	// Date header behind would otherwise add hours of older tasks.
	if theirs.Start.Before(ours.Start) && e.opts.Lookback >= client.DefaultLookback {
		ours.Start = theirs.Start
	}
	if theirs.End.After(ours.End) {
		ours.End = theirs.End
	}
	ours.UsageAt = now.Add(e.skew())
	return ours
}

// listOnTheAPIClock lists api's window on the API's clock. That clock is
// known from the API's answers only, so the first listing's window is on
// ours: when its answers show the API's clock elsewhere, the parts of the
// window that moves are counted (one request each), and the listing is
// done again on the API's clock, once, only when they hold tasks, so that
// no listing with the newest tasks missing is served. In incremental mode
// the second listing reads the gap only.
func (e *Exporter) listOnTheAPIClock(ctx context.Context, api client.API, start time.Time) (*client.Listing, error) {
	_, knownBefore := e.clockSkew()
	q := e.window(api, start)
	l, err := e.list(ctx, api, q, start)
	if err != nil || knownBefore {
		return l, err
	}
	again := e.window(api, start)
	near := func(x, y time.Time) bool { d := x.Sub(y); return d < minSkew && d > -minSkew }
	if near(again.Start, q.Start) && near(again.End, q.End) {
		return l, nil
	}
	empty, requests := e.emptyBetween(ctx, api, q, again)
	l.Requests += requests
	if empty {
		return l, nil
	}
	e.opts.Logger.Debug("the API's clock is not ours; listing again on its clock", "api", string(api), "skew", e.skew())
	l2, err := e.list(ctx, api, again, start)
	if l2 != nil {
		l2.Pages += l.Pages
		l2.Requests += l.Requests
	}
	return l2, err
}

// emptyBetween tells whether the API counts no task in the parts of
// window b that window a leaves out or a holds beyond b: then a listing of
// a is one of b. It is false when it cannot tell (no counts, an error).
func (e *Exporter) emptyBetween(ctx context.Context, api client.API, a, b client.Query) (empty bool, requests int) {
	pager, ok := e.lister.(Pager)
	if !ok {
		return false, 0
	}
	span := func(lo, hi time.Time) [2]time.Time {
		if hi.Before(lo) {
			lo, hi = hi, lo
		}
		return [2]time.Time{lo, hi}
	}
	for _, part := range [][2]time.Time{span(a.Start, b.Start), span(a.End, b.End)} {
		if !part[0].Before(part[1]) {
			continue
		}
		p, err := pager.Page(ctx, client.Query{API: api, Start: part[0], End: part[1], Limit: 1}, 1)
		requests += p.Requests
		if err != nil || p.Total != 0 || len(p.Tasks) != 0 {
			return false, requests
		}
	}
	return true, requests
}

// hopeless tells whether the listing of api in flight cannot finish before
// ctx's deadline, if it takes as long as the last one, while a complete
// listing is there to serve instead.
func (e *Exporter) hopeless(ctx context.Context, api client.API) bool {
	dl, ok := ctx.Deadline()
	if !ok {
		return false
	}
	st := e.state.get(api)
	if st.last.err != nil || st.last.listing == nil {
		return false
	}
	// A listing not yet marked as running has only just begun.
	var elapsed time.Duration
	if !st.running.IsZero() {
		elapsed = e.opts.Now().Sub(st.running)
	}
	return st.last.listing.Duration-elapsed > time.Until(dl)
}

// report logs a finished listing and counts a failure by its reason, or
// the unreadable fields of a success.
func (e *Exporter) report(api client.API, r result, folded folding, first bool) {
	log := e.opts.Logger.With("api", string(api))
	if r.err != nil {
		reason := client.ReasonOf(r.err)
		e.counters.failures.WithLabelValues(string(api), string(reason)).Inc()
		log.Error("listing failed", "err", r.err, "reason", string(reason), "hint", e.opts.Hint(reason))
		return
	}
	l := r.listing
	if _, embed := e.tasks[api]; embed {
		for k := range l.Groups { // labels already bounded by finish
			e.lifecycle.zeroFill(api, k.Model)
		}
	}
	for f, n := range l.Malformed {
		if n > 0 {
			e.counters.malformed.WithLabelValues(string(api), api.FieldName(f)).Add(float64(n))
		}
	}
	if first {
		log.Warn("too many distinct label values: the rest are exported as \"other\"", "models_folded", folded.models,
			"statuses_folded", folded.statuses, "max_models", e.opts.MaxModels, "max_unknown_statuses", maxUnknownStatuses)
	}
	if l.OutsideWindow > 0 {
		log.Debug("the API listed tasks created outside the window asked for; not counted", "tasks", l.OutsideWindow)
	}
	log.Debug("listing done", "tasks", l.Tasks, "pages", l.Pages, "requests", l.Requests,
		"duplicates", l.Duplicates, "duration", l.Duration)
}
