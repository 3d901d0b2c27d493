package main

import (
	"context"
	"math"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// budget is an organisation's share of its rate limit: token buckets per
// minute and, optionally, per day, shared by every API and every scrape of
// the organisation's accounts, so that what the exporter spends is bounded
// whatever Prometheus does (several servers, short intervals, retries).
// golang.org/x/time/rate is the Go team's token bucket.
//
// A budget paces, it does not starve: a request waits for its token when
// the wait ends before the listing's deadline, so a listing larger than
// the bucket (a large account's first listing) goes on at the budget's
// rate, in the background of the scrapes, which serve the newest complete
// listing meanwhile.
type budget struct {
	org       string
	perMinute *rate.Limiter // nil: no limit
	perDay    *rate.Limiter // nil: no limit
	exhausted atomic.Uint64 // requests or listings refused
	waited    atomic.Int64  // nanoseconds requests waited for a token
	now       func() time.Time
	// sleep waits d or until ctx is done; tests replace it with a clock
	// they move.
	sleep func(ctx context.Context, d time.Duration) error
}

// Sane bounds of a budget: far above any plan's limits, and small enough
// that the token buckets' arithmetic stays exact (a burst is an int).
const (
	maxRequestsPerMinute = 1e6
	maxRequestsPerDay    = 1e9
)

func newBudget(org string, perMinute, perDay float64) *budget {
	b := &budget{org: org, now: time.Now, sleep: sleepCtx}
	if perMinute > 0 {
		b.perMinute = rate.NewLimiter(rate.Limit(perMinute/60), int(math.Ceil(min(perMinute, maxRequestsPerMinute))))
	}
	if perDay > 0 {
		b.perDay = rate.NewLimiter(rate.Limit(perDay/86400), int(math.Ceil(min(perDay, maxRequestsPerDay))))
	}
	return b
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// Take spends one request (client.Budget): at once when a token is there,
// else after waiting for one, when that wait ends before ctx's deadline.
// Both buckets pay or neither does: a token reserved from one is given
// back when the other cannot pay in time.
func (b *budget) Take(ctx context.Context) bool {
	now := b.now()
	var rs []*rate.Reservation
	var wait time.Duration
	refuse := func() bool {
		for _, r := range rs {
			r.CancelAt(now)
		}
		b.exhausted.Add(1)
		return false
	}
	for _, l := range []*rate.Limiter{b.perMinute, b.perDay} {
		if l == nil {
			continue
		}
		r := l.ReserveN(now, 1)
		if !r.OK() {
			return refuse()
		}
		rs = append(rs, r)
		wait = max(wait, r.DelayFrom(now))
	}
	if wait <= 0 {
		return true
	}
	if dl, ok := ctx.Deadline(); ok && wait > time.Until(dl) {
		return refuse()
	}
	if err := b.sleep(ctx, wait); err != nil {
		return refuse()
	}
	b.waited.Add(int64(wait))
	return true
}

// Afford tells whether a listing of that many requests can be paid for
// within the given time, the tokens there now and those the budget earns
// meanwhile (collector.Options.Budget); a refusal counts as exhausted.
func (b *budget) Afford(requests int, within time.Duration) bool {
	if b.capacity(within) >= float64(requests) {
		return true
	}
	b.exhausted.Add(1)
	return false
}

// capacity is the requests the budget can pay for within d from now.
func (b *budget) capacity(d time.Duration) float64 {
	now := b.now()
	left := math.Inf(1)
	for _, l := range []*rate.Limiter{b.perMinute, b.perDay} {
		if l != nil {
			left = min(left, l.TokensAt(now)+float64(l.Limit())*d.Seconds())
		}
	}
	return left
}

// remaining is the requests the budget can pay for now.
func (b *budget) remaining() float64 { return b.capacity(0) }
