package main

import (
	"context"
	"testing"
	"time"
)

// fakeClock is a budget's clock that moves only when the budget sleeps.
type fakeClock struct{ t time.Time }

func pacedBudget(perMinute, perDay float64) (*budget, *fakeClock) {
	c := &fakeClock{t: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	b := newBudget("acme", perMinute, perDay)
	b.now = func() time.Time { return c.t }
	b.sleep = func(_ context.Context, d time.Duration) error { c.t = c.t.Add(d); return nil }
	return b, c
}

// A listing larger than the bucket goes on at the budget's rate: each
// request past the burst waits for its token, and the whole costs the
// time the budget needs to earn them, not a refusal.
func TestBudgetPacesRequestsPastItsBurst(t *testing.T) {
	b, c := pacedBudget(60, 0) // one a second, a burst of 60
	start := c.t
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	for i := range 90 {
		if !b.Take(ctx) {
			t.Fatalf("request %d refused; a budget paces within the deadline", i+1)
		}
	}
	if got := c.t.Sub(start); got < 29*time.Second || got > 31*time.Second {
		t.Errorf("90 requests at 60 a minute (burst 60) took %s, want 30 s", got)
	}
	if w := time.Duration(b.waited.Load()); w < 29*time.Second || w > 31*time.Second {
		t.Errorf("waited %s, want 30 s", w)
	}
	if n := b.exhausted.Load(); n != 0 {
		t.Errorf("exhausted %d, want 0", n)
	}
}

// A wait that would pass the deadline is not taken: the request is refused
// at once, counted, and the token it reserved is given back.
func TestBudgetRefusesAWaitPastTheDeadline(t *testing.T) {
	b, c := pacedBudget(6, 0) // one every 10 s
	for range 6 {
		b.Take(context.Background())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	before := c.t
	if b.Take(ctx) {
		t.Fatal("a request that needs a 10 s wait was taken within a 2 s deadline")
	}
	if c.t != before {
		t.Errorf("the refused request waited %s", c.t.Sub(before))
	}
	if n := b.exhausted.Load(); n != 1 {
		t.Errorf("exhausted %d, want 1", n)
	}
	// Given back: 10 s later one token is there, not a debt of one.
	c.t = c.t.Add(10 * time.Second)
	if r := b.remaining(); r < 0.99 || r > 1.01 {
		t.Errorf("remaining %.2f after 10 s, want 1 (the refused token given back)", r)
	}
}

// Both buckets pay or neither: a day's budget spent refuses the request
// without spending the minute's token.
func TestBudgetDayAndMinuteTogether(t *testing.T) {
	b, _ := pacedBudget(60, 3)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i := range 3 {
		if !b.Take(ctx) {
			t.Fatalf("request %d refused", i+1)
		}
	}
	if b.Take(ctx) {
		t.Fatal("the day's 3 requests spent, a 4th was taken within a minute")
	}
	if m := b.perMinute.TokensAt(b.now()); m < 56.9 || m > 57.1 {
		t.Errorf("the minute's bucket holds %.1f, want 57: the refused request must not spend it", m)
	}
}

// Afford counts what the budget earns within the time given.
func TestBudgetAffordsWhatItEarnsInTime(t *testing.T) {
	b, _ := pacedBudget(60, 0)
	for range 60 {
		b.Take(context.Background())
	}
	if !b.Afford(30, 31*time.Second) {
		t.Error("30 requests within 31 s at one a second: refused")
	}
	if b.Afford(30, 10*time.Second) {
		t.Error("30 requests within 10 s at one a second, bucket empty: afforded")
	}
}
