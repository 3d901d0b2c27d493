package client

import (
	"net/http"
	"sync/atomic"
	"time"
)

// clockSkew keeps how far the API's clock is ahead of ours, as its Date
// headers tell. The windows of a listing are the API's: a task it created
// "now" by its clock must fall inside the window asked for, or an API
// whose clock runs ahead hides its newest tasks for as long as it runs
// ahead.
type clockSkew struct {
	nanos atomic.Int64
	known atomic.Bool
}

// observeDate takes one answer's Date header, read at local time now. The
// header has whole seconds, so the API's instant lies in [date, date+1s):
// its middle is the estimate, within half a second of the truth.
func (c *Client) observeDate(v string, now time.Time) {
	if v == "" {
		return
	}
	d, err := http.ParseTime(v)
	if err != nil {
		return
	}
	skew := d.Add(500 * time.Millisecond).Sub(now)
	if skew > maxSkew || skew < -maxSkew {
		return // a Date so far off is a broken header, not a clock
	}
	c.skew.nanos.Store(int64(skew))
	c.skew.known.Store(true)
}

// maxSkew bounds the skew believed: beyond a day, the header is wrong.
const maxSkew = 24 * time.Hour

// ClockSkew is how far the API's clock was ahead of ours at its last answer
// that carried a Date header (negative when behind); ok is false before
// any did.
func (c *Client) ClockSkew() (skew time.Duration, ok bool) {
	return time.Duration(c.skew.nanos.Load()), c.skew.known.Load()
}
