package main

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/twelvelabs-community/twelvelabs_exporter/collector"
)

// newHandler serves the metrics and the landing page.
func newHandler(cfg *config, exp *collector.Exporter, logger *slog.Logger) (http.Handler, error) {
	base := newRegistry()
	mux := http.NewServeMux()
	metrics := &metricsHandler{
		exp:     exp,
		base:    base,
		timeout: cfg.timeout,
		offset:  cfg.timeoutOffset,
		logger:  logger,
	}
	if cfg.maxRequests > 0 {
		metrics.slots = make(chan struct{}, cfg.maxRequests)
	}
	mux.Handle(cfg.telemetryPath, promhttp.InstrumentMetricHandler(base, metrics))
	if cfg.telemetryPath != "/" {
		landing, err := web.NewLandingPage(web.LandingConfig{
			Name:        "TwelveLabs Exporter",
			Description: "Prometheus exporter for TwelveLabs embedding tasks (Embed API v1 and v2)",
			Version:     version.Info(),
			Links: []web.LandingLinks{
				{Address: cfg.telemetryPath, Text: "Metrics", Description: "Task counts, media durations and exporter health"},
			},
		})
		if err != nil {
			return nil, err
		}
		mux.Handle("/", landing)
	}
	return mux, nil
}

// metricsHandler runs one scrape per request: the Go, process and build
// collectors from a shared registry, and the TwelveLabs collector bound to
// this request's deadline.
type metricsHandler struct {
	exp             *collector.Exporter
	base            prometheus.Gatherer
	timeout, offset time.Duration
	slots           chan struct{} // nil: no limit
	logger          *slog.Logger
}

func (h *metricsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.slots != nil {
		select {
		case h.slots <- struct{}{}:
			defer func() { <-h.slots }()
		default:
			http.Error(w, "too many scrapes in flight (--web.max-requests)", http.StatusServiceUnavailable)
			return
		}
	}
	timeout := scrapeTimeout(r.Header.Get("X-Prometheus-Scrape-Timeout-Seconds"), h.timeout, h.offset)
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	reg := prometheus.NewRegistry()
	reg.MustRegister(h.exp.Collector(ctx))
	promhttp.HandlerFor(prometheus.Gatherers{h.base, reg}, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(h.logger.Handler(), slog.LevelError),
		ErrorHandling: promhttp.ContinueOnError,
	}).ServeHTTP(w, r)
}

// scrapeTimeout bounds a scrape by the exporter's own limit and by what
// Prometheus allows it, less an offset for sending the answer. When the
// offset would eat the whole scrape timeout, the scrape timeout itself is
// used: a short answer beats none.
func scrapeTimeout(header string, limit, offset time.Duration) time.Duration {
	secs, err := strconv.ParseFloat(header, 64)
	if err != nil || !(secs > 0) || secs > 1e6 {
		return limit
	}
	prom := time.Duration(secs * float64(time.Second))
	if prom > offset {
		prom -= offset
	}
	return min(prom, limit)
}
