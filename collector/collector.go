// Package collector turns listings of TwelveLabs embedding tasks into
// Prometheus metrics. It knows Prometheus, not HTTP: listings come from a
// Lister (the client package in production).
package collector

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/singleflight"

	"github.com/twelvelabs-community/twelvelabs_exporter/client"
)

// Lister lists the tasks of one Embed API. On error the Listing, when not
// nil, still reports Pages and Duration of the failed attempt.
type Lister interface {
	List(ctx context.Context, api client.API) (*client.Listing, error)
}

// Options configure an Exporter.
type Options struct {
	// APIs to list; each gets its own twelvelabs_up.
	APIs []client.API
	// CacheTTL, when positive, serves the last successful listing of an
	// API until it is that old, instead of listing again.
	CacheTTL time.Duration
	// ListingTimeout bounds a listing, which may outlive the scrape that
	// started it: a scrape waits only until its own deadline.
	ListingTimeout time.Duration
	Logger         *slog.Logger
	// Now is the clock; tests set it.
	Now func() time.Time
}

// Exporter holds what outlives a scrape: the last listings, the request
// counters, and the listings in flight that concurrent scrapes share.
type Exporter struct {
	lister Lister
	opts   Options
	flight singleflight.Group

	mu       sync.Mutex
	last     map[client.API]result    // last listing attempted
	good     map[client.API]result    // last listing that succeeded
	started  map[client.API]time.Time // wall-clock start of the latest listing
	ended    map[client.API]time.Time // wall-clock end of the latest listing
	requests map[requestKey]uint64
}

type result struct {
	listing *client.Listing
	err     error
	done    time.Time
}

type requestKey struct {
	api  client.API
	code string
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
	if opts.ListingTimeout <= 0 {
		opts.ListingTimeout = 5 * time.Minute
	}
	return &Exporter{
		lister:   lister,
		opts:     opts,
		last:     map[client.API]result{},
		good:     map[client.API]result{},
		started:  map[client.API]time.Time{},
		ended:    map[client.API]time.Time{},
		requests: map[requestKey]uint64{},
	}
}

// ObserveRequest counts one HTTP request to the API; code is the status
// code, or "error" when no response came. It is the client's OnResponse.
func (e *Exporter) ObserveRequest(api client.API, code string) {
	e.mu.Lock()
	e.requests[requestKey{api, code}]++
	e.mu.Unlock()
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
// exported, never partially. fromCache is true when the listing served is
// not the one this scrape waited for.
func (e *Exporter) listing(ctx context.Context, api client.API) (r result, fromCache bool) {
	if ttl := e.opts.CacheTTL; ttl > 0 {
		e.mu.Lock()
		g, ok := e.good[api]
		e.mu.Unlock()
		if ok && e.opts.Now().Sub(g.done) < ttl {
			return g, true
		}
	}
	ch := e.flight.DoChan(string(api), func() (any, error) {
		e.mu.Lock()
		e.started[api] = time.Now()
		e.mu.Unlock()
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.opts.ListingTimeout)
		defer cancel()
		l, err := e.lister.List(lctx, api)
		r := result{listing: l, err: err, done: e.opts.Now()}
		e.record(api, r)
		return r, nil
	})
	if e.hopeless(ctx, api) {
		// The listing will not finish before the scrape's deadline, judged
		// by how long the last one took: answer at once with the newest
		// complete listing, unless this one is already done.
		select {
		case res := <-ch:
			return res.Val.(result), false
		default:
		}
	} else {
		select {
		case res := <-ch:
			return res.Val.(result), false
		case <-ctx.Done():
		}
	}
	e.mu.Lock()
	last, ok := e.last[api]
	e.mu.Unlock()
	if ok && last.err == nil {
		e.opts.Logger.Debug("listing still running at the scrape's deadline; serving the previous one", "api", string(api),
			"age", e.opts.Now().Sub(last.done))
		return last, true
	}
	err := fmt.Errorf("listing Embed API %s: not finished by the scrape's deadline (%w); it goes on in the background, "+
		"and the next scrape serves it when done", api, context.Cause(ctx))
	e.opts.Logger.Info("no complete listing to serve yet", "api", string(api), "err", err)
	return result{err: err}, false
}

// hopeless tells whether the listing of api in flight cannot finish before
// ctx's deadline, if it takes as long as the last successful one, while a
// complete listing is there to serve instead.
func (e *Exporter) hopeless(ctx context.Context, api client.API) bool {
	dl, ok := ctx.Deadline()
	if !ok {
		return false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	last, ok := e.last[api]
	if !ok || last.err != nil || last.listing == nil {
		return false
	}
	// A start recorded before the last listing ended is that listing's:
	// the one in flight has only just begun. Deadlines are wall-clock time.
	start := e.started[api]
	if !start.After(e.ended[api]) {
		start = time.Now()
	}
	return start.Add(last.listing.Duration).After(dl)
}

func (e *Exporter) record(api client.API, r result) {
	e.mu.Lock()
	e.ended[api] = time.Now()
	e.last[api] = r
	if r.err == nil {
		e.good[api] = r
	}
	e.mu.Unlock()
	log := e.opts.Logger.With("api", string(api))
	if r.err != nil {
		log.Error("listing failed", "err", r.err, "hint", hint(r.err))
		return
	}
	l := r.listing
	if l.Relisted > 0 {
		log.Info("the listed tasks changed while they were read; listed again", "requests", l.Requests)
	}
	log.Debug("listing done", "tasks", l.Tasks, "pages", l.Pages, "requests", l.Requests,
		"duplicates", l.Duplicates, "duration", l.Duration)
}
