package collector

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/twelvelabs-community/twelvelabs_exporter/client"
)

// Traffic is what the client saw of the API: requests by status code, and
// the rate-limit headers last sent. It is made before the client, whose
// OnResponse and OnRateLimit are its methods, and handed to the Exporter
// that exposes it: neither needs the other to exist first.
type Traffic struct {
	requests *prometheus.CounterVec

	mu        sync.Mutex
	rateLimit map[client.API]client.RateLimit
}

// NewTraffic makes an empty Traffic.
func NewTraffic() *Traffic {
	return &Traffic{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace,
			Name:      "exporter_api_requests_total",
			Help:      "HTTP requests sent to the TwelveLabs API, retries included, by status code (code=\"error\" when no response came).",
		}, []string{"api", "code"}),
		rateLimit: map[client.API]client.RateLimit{},
	}
}

// Observe counts one request; code is the HTTP status code, or "error".
func (t *Traffic) Observe(api client.API, code string) {
	t.requests.WithLabelValues(string(api), code).Inc()
}

// ObserveRateLimit keeps the rate-limit headers of the API's last answer
// that carried them.
func (t *Traffic) ObserveRateLimit(api client.API, rl client.RateLimit) {
	t.mu.Lock()
	t.rateLimit[api] = rl
	t.mu.Unlock()
}

var (
	rateLimitDesc = prometheus.NewDesc(namespace+"_exporter_rate_limit_requests",
		"X-Ratelimit-Limit of the API's last answer that sent it.", apiLabels, nil)
	rateRemainingDesc = prometheus.NewDesc(namespace+"_exporter_rate_limit_remaining_requests",
		"X-Ratelimit-Remaining of the API's last answer that sent it.", apiLabels, nil)
	rateResetDesc = prometheus.NewDesc(namespace+"_exporter_rate_limit_reset_timestamp_seconds",
		"Unix time of the rate-limit window's reset, from X-Ratelimit-Reset of the API's last answer that sent it.", apiLabels, nil)
)

func (t *Traffic) describe(ch chan<- *prometheus.Desc) {
	t.requests.Describe(ch)
	ch <- rateLimitDesc
	ch <- rateRemainingDesc
	ch <- rateResetDesc
}

func (t *Traffic) collect(ch chan<- prometheus.Metric, log func(error)) {
	t.requests.Collect(ch)
	t.mu.Lock()
	defer t.mu.Unlock()
	for api, rl := range t.rateLimit {
		a := string(api)
		if rl.Limit >= 0 {
			send(ch, log, rateLimitDesc, prometheus.GaugeValue, float64(rl.Limit), a)
		}
		if rl.Remaining >= 0 {
			send(ch, log, rateRemainingDesc, prometheus.GaugeValue, float64(rl.Remaining), a)
		}
		if !rl.Reset.IsZero() {
			send(ch, log, rateResetDesc, prometheus.GaugeValue, unixSeconds(rl.Reset), a)
		}
	}
}

// counters are the exporter's own counters of listings.
type counters struct {
	failures  *prometheus.CounterVec
	malformed *prometheus.CounterVec
}

// newCounters makes the counters, every known label value zero-filled.
func newCounters(apis []client.API) counters {
	c := counters{
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace,
			Name:      "exporter_listing_failures_total",
			Help:      "Listings of the API that failed, by reason (key_rejected, not_allowed, rate_limited, server_error, timeout, malformed, too_large, transport, bad_request).",
		}, []string{"api", "reason"}),
		malformed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace,
			Name:      "exporter_malformed_fields_total",
			Help:      "Tasks counted by a listing whose field was present but unreadable (wrong type, bad time, out of range), taken as missing.",
		}, []string{"api", "field"}),
	}
	for _, api := range apis {
		for _, r := range client.Reasons {
			c.failures.WithLabelValues(string(api), string(r))
		}
		for _, f := range api.FieldNamesOf() {
			c.malformed.WithLabelValues(string(api), f)
		}
	}
	return c
}

func (c counters) describe(ch chan<- *prometheus.Desc) {
	c.failures.Describe(ch)
	c.malformed.Describe(ch)
}

func (c counters) collect(ch chan<- prometheus.Metric) {
	c.failures.Collect(ch)
	c.malformed.Collect(ch)
}

// send makes a const metric and sends it; a value that cannot be a metric
// (a label that is not valid UTF-8, say) is logged and left out, so that
// one bad value never costs the scrape its other series.
func send(ch chan<- prometheus.Metric, log func(error), desc *prometheus.Desc, typ prometheus.ValueType, v float64, labels ...string) {
	m, err := prometheus.NewConstMetric(desc, typ, v, labels...)
	if err != nil {
		log(err)
		return
	}
	ch <- m
}

// unixSeconds keeps microseconds: UnixMicro is exact in a float64, so the
// division rounds once and 12:00:00.939 prints as .939, not .9390001.
func unixSeconds(t time.Time) float64 { return float64(t.UnixMicro()) / 1e6 }
