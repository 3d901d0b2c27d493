package client

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// Retry-After is honoured as delay-seconds or an HTTP date within
// [1 ms, 24 h]; anything else counts as absent (0), so that the caller
// waits as it would without the header (for a 429, at least its 1 s
// floor). NaN used to come out as a negative wait, which the caller reads
// as "give up".
func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	date := func(d time.Duration) string { return now.Add(d).Format(http.TimeFormat) }
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"   ", 0},
		{"2", 2 * time.Second},
		{" 7 ", 7 * time.Second},
		{"0.5", 500 * time.Millisecond},
		{"0.001", time.Millisecond},
		{"3600", time.Hour},
		{"86400", 24 * time.Hour},
		{date(90 * time.Second), 90 * time.Second},
		// Absent: zero, too small to be a wait, or too large to be advice.
		{"0", 0},
		{"0.0001", 0},
		{"86401", 0},
		{"1e6", 0},
		{"99999999999999999999999999", 0},
		{date(-time.Minute), 0},
		{date(0), 0},
		{date(48 * time.Hour), 0},
		{"Fri, 31 Dec 9999 23:59:59 GMT", 0},
		// Not delay-seconds, whatever strconv.ParseFloat makes of them.
		{"NaN", 0},
		{"nan", 0},
		{"Inf", 0},
		{"+Inf", 0},
		{"-Inf", 0},
		{"infinity", 0},
		{"-5", 0},
		{"+5", 0},
		{"-0.5", 0},
		{"1e2", 0},
		{"0x1p-2", 0},
		{"0x10", 0},
		{"1_0", 0},
		{".5", 0},
		{"5.", 0},
		{"1.2.3", 0},
		{"5s", 0},
		{"soon", 0},
		{"2, 3", 0},
	} {
		if got := parseRetryAfter(tc.in, now); got != tc.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// A garbled Retry-After leaves the retry to the client's own waits: a
// 503 is retried after a backoff (NaN once made it final), and a 429
// still waits at least its floor.
func TestGarbledRetryAfterIsRetriedAsWithout(t *testing.T) {
	for _, code := range []int{http.StatusServiceUnavailable, http.StatusTooManyRequests} {
		for _, v := range []string{"NaN", "-Inf", "0x1p-2", "0.00001"} {
			s := &script{steps: []func(http.ResponseWriter, *http.Request){
				status(code, map[string]string{"Retry-After": v}, `{"code":"x","message":"later"}`),
				status(200, nil, onePage),
			}}
			c, slept := scripted(t, s, nil)
			_, err := c.List(context.Background(), week(V1))
			if err != nil || s.n.Load() != 2 || len(*slept) != 1 {
				t.Errorf("%d Retry-After %q: err %v after %d requests, waits %v; want a retry", code, v, err, s.n.Load(), *slept)
				continue
			}
			if d := (*slept)[0]; code == http.StatusTooManyRequests && d < minRateLimitWait || d <= 0 {
				t.Errorf("%d Retry-After %q: waited %v", code, v, d)
			}
		}
	}
}
