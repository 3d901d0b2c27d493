package collector

import (
	"time"

	"github.com/twelvelabs-community/twelvelabs_exporter/client"
)

// Status is what a debug probe shows of one API's listings: where the
// numbers of the last scrape came from, and why a listing failed.
type Status struct {
	API client.API
	// Running is when the listing in flight started; zero when none is.
	Running time.Time
	// Last is the latest listing to finish, failed or not; Good the
	// latest that succeeded (what scrapes serve).
	Last, Good ListingStatus
}

// ListingStatus is one finished listing.
type ListingStatus struct {
	Done     time.Time // zero: none yet
	Err      string
	Reason   client.Reason // when Err is set
	Pages    int
	Requests int
	Duration time.Duration
	Tasks    int
}

// Status reports each API's listings. The error texts are the ones the
// log gets: the key is redacted from them already.
func (e *Exporter) Status() []Status {
	out := make([]Status, 0, len(e.opts.APIs))
	for _, api := range e.opts.APIs {
		v := e.state.get(api)
		out = append(out, Status{API: api, Running: v.running, Last: listingStatus(v.last), Good: listingStatus(v.good)})
	}
	return out
}

func listingStatus(r result) ListingStatus {
	s := ListingStatus{Done: r.done}
	if r.err != nil {
		s.Err = client.RedactURLs(r.err.Error())
		s.Reason = client.ReasonOf(r.err)
	}
	if l := r.listing; l != nil {
		s.Pages, s.Requests, s.Duration, s.Tasks = l.Pages, l.Requests, l.Duration, l.Tasks
	}
	return s
}
