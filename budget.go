package main

import (
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
type budget struct {
	org       string
	perMinute *rate.Limiter // nil: no limit
	perDay    *rate.Limiter // nil: no limit
	exhausted atomic.Uint64 // requests or listings refused
	now       func() time.Time
}

func newBudget(org string, perMinute, perDay float64) *budget {
	b := &budget{org: org, now: time.Now}
	if perMinute > 0 {
		b.perMinute = rate.NewLimiter(rate.Limit(perMinute/60), int(math.Ceil(perMinute)))
	}
	if perDay > 0 {
		b.perDay = rate.NewLimiter(rate.Limit(perDay/86400), int(math.Ceil(perDay)))
	}
	return b
}

// Take spends one request (client.Budget).
func (b *budget) Take() bool {
	now := b.now()
	if b.perMinute != nil && b.perDay != nil {
		// Both or neither: a token taken from one is given back when the
		// other refuses.
		r := b.perMinute.ReserveN(now, 1)
		if !r.OK() || r.DelayFrom(now) > 0 {
			r.CancelAt(now)
			b.exhausted.Add(1)
			return false
		}
		if !b.perDay.AllowN(now, 1) {
			r.CancelAt(now)
			b.exhausted.Add(1)
			return false
		}
		return true
	}
	for _, l := range []*rate.Limiter{b.perMinute, b.perDay} {
		if l != nil && !l.AllowN(now, 1) {
			b.exhausted.Add(1)
			return false
		}
	}
	return true
}

// Afford tells whether a listing of that many requests can be paid for now
// (collector.Options.Budget); a refusal counts as exhausted.
func (b *budget) Afford(requests int) bool {
	if b.remaining() >= float64(requests) {
		return true
	}
	b.exhausted.Add(1)
	return false
}

// remaining is the requests the budget can pay for now.
func (b *budget) remaining() float64 {
	now := b.now()
	left := math.Inf(1)
	for _, l := range []*rate.Limiter{b.perMinute, b.perDay} {
		if l != nil {
			left = min(left, l.TokensAt(now))
		}
	}
	return left
}
