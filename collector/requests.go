package collector

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/twelvelabs-community/twelvelabs_exporter/client"
)

// Requests counts the HTTP requests sent to the API. It is made before the
// client, whose OnResponse is its Observe, and handed to the Exporter that
// exposes it: neither needs the other to exist first.
type Requests struct{ vec *prometheus.CounterVec }

// NewRequests makes an empty request counter.
func NewRequests() *Requests {
	return &Requests{vec: prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace,
		Name:      "exporter_api_requests_total",
		Help:      "HTTP requests sent to the TwelveLabs API, retries included, by status code (code=\"error\" when no response came).",
	}, []string{"api", "code"})}
}

// Observe counts one request; code is the HTTP status code, or "error".
func (r *Requests) Observe(api client.API, code string) {
	r.vec.WithLabelValues(string(api), code).Inc()
}

func newFailures() *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace,
		Name:      "exporter_listing_failures_total",
		Help:      "Listings of the API that failed, by reason (key_rejected, not_allowed, rate_limited, server_error, timeout, malformed, too_large, transport, bad_request).",
	}, []string{"api", "reason"})
}
