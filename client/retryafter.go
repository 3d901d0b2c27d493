package client

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Bounds of a Retry-After worth honouring. Below minRetryAfter the header
// says "now", which backing off by itself answers better; past
// maxRetryAfter it says nothing usable: the API's longest limit window is
// a day, so a longer wait is a broken header, not advice.
const (
	minRetryAfter = time.Millisecond
	maxRetryAfter = 24 * time.Hour
)

// parseRetryAfter reads Retry-After as seconds or as an HTTP date; zero when
// absent, unreadable or out of bounds, so that the caller falls back to its
// own wait (for a 429, at least minRateLimitWait).
//
// Seconds are digits, with a decimal fraction tolerated since some servers
// send one; strconv.ParseFloat alone would also take "NaN", "Inf", signs,
// exponents and hex floats ("0x1p-2"), and NaN converts to a negative
// Duration, which the caller reads as "do not retry".
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if isDecimal(v) {
		secs, err := strconv.ParseFloat(v, 64)
		if err != nil || secs > maxRetryAfter.Seconds() {
			return 0
		}
		d = time.Duration(secs * float64(time.Second))
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	if d < minRetryAfter || d > maxRetryAfter {
		return 0
	}
	return d
}

// isDecimal tells whether v is digits, optionally followed by a point and
// more digits: nothing else (sign, exponent, letters) is a delay.
func isDecimal(v string) bool {
	digits := func(s string) bool {
		if s == "" {
			return false
		}
		for i := 0; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return false
			}
		}
		return true
	}
	whole, frac, hasPoint := strings.Cut(v, ".")
	return digits(whole) && (!hasPoint || digits(frac))
}
