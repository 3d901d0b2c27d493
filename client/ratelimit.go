package client

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RateLimit is what an answer's X-Ratelimit-* headers say of the
// organisation's limit; a header not sent is -1 (Reset: zero).
type RateLimit struct {
	Limit, Remaining int
	Reset            time.Time
}

// parseRateLimit reads X-Ratelimit-Limit, -Remaining and -Reset; ok is
// false when none was sent. Reset may come as seconds until the reset, as
// a Unix time, or as an HTTP date.
func parseRateLimit(h http.Header, now time.Time) (rl RateLimit, ok bool) {
	rl = RateLimit{Limit: -1, Remaining: -1}
	count := func(name string) int {
		v := strings.TrimSpace(h.Get(name))
		if v == "" {
			return -1
		}
		ok = true
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return -1
		}
		return n
	}
	rl.Limit = count("X-Ratelimit-Limit")
	rl.Remaining = count("X-Ratelimit-Remaining")
	if v := strings.TrimSpace(h.Get("X-Ratelimit-Reset")); v != "" {
		ok = true
		if secs, err := strconv.ParseFloat(v, 64); err == nil && secs > 0 {
			if secs > 1e9 { // a Unix time, not a delay
				rl.Reset = time.Unix(0, int64(secs*1e9))
			} else if secs <= 1e6 {
				rl.Reset = now.Add(time.Duration(secs * float64(time.Second)))
			}
		} else if t, err := http.ParseTime(v); err == nil {
			rl.Reset = t
		}
	}
	return rl, ok
}
