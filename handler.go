package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/twelvelabs-community/twelvelabs_exporter/collector"
)

// newHandler serves the metrics, the probes, the health endpoints, the
// reload endpoint and the landing page.
func newHandler(cfg *config, t *targets, logger *slog.Logger) (http.Handler, error) {
	base := newRegistry(!cfg.noOwnMetrics)
	base.MustRegister(t)
	var slots chan struct{} // nil: no limit
	if cfg.maxRequests > 0 {
		slots = make(chan struct{}, cfg.maxRequests)
	}
	scrapes := func(base prometheus.Gatherer, exp func(*http.Request) (*collector.Exporter, error)) http.Handler {
		return &metricsHandler{exp: exp, base: base, timeout: cfg.timeout, offset: cfg.timeoutOffset, slots: slots, logger: logger}
	}
	mux := http.NewServeMux()
	// Liveness and readiness, as Prometheus and Alertmanager answer them:
	// the exporter is ready as soon as it serves, since a scrape answers
	// (with twelvelabs_up 0) even before the first listing is done.
	for path, text := range map[string]string{"/-/healthy": "Healthy.\n", "/-/ready": "Ready.\n"} {
		mux.HandleFunc(path, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = w.Write([]byte(text))
		})
	}
	mux.HandleFunc("/-/reload", func(w http.ResponseWriter, r *http.Request) {
		switch {
		case !cfg.lifecycle:
			http.Error(w, "the lifecycle API is not enabled (--web.enable-lifecycle)", http.StatusForbidden)
		case r.Method != http.MethodPost && r.Method != http.MethodPut:
			http.Error(w, "POST to reload", http.StatusMethodNotAllowed)
		case cfg.configFile == "":
			http.Error(w, "nothing to reload: no --config.file", http.StatusBadRequest)
		default:
			if err := t.reload("POST /-/reload"); err != nil {
				http.Error(w, "failed to reload config: "+err.Error(), http.StatusInternalServerError)
				return
			}
			_, _ = w.Write([]byte("Reloaded.\n"))
		}
	})
	// /probe?target=NAME: one account's metrics only. The target is the
	// name of a configured account, never a URL: an unknown one gets a
	// 404 and causes no request anywhere.
	mux.Handle("/probe", scrapes(nil, func(r *http.Request) (*collector.Exporter, error) {
		name := r.URL.Query().Get("target")
		if name == "" {
			return nil, &httpError{http.StatusBadRequest, "missing the target parameter: /probe?target=ACCOUNT"}
		}
		exp := t.account(name)
		if exp == nil {
			return nil, &httpError{http.StatusNotFound, fmt.Sprintf("unknown target %q: not an account of --config.file", name)}
		}
		return exp, nil
	}))
	metrics := scrapes(base, func(*http.Request) (*collector.Exporter, error) { return t.fixed, nil })
	if err := handle(mux, cfg.telemetryPath, promhttp.InstrumentMetricHandler(base, metrics)); err != nil {
		return nil, fmt.Errorf("--web.telemetry-path=%q: %w", cfg.telemetryPath, err)
	}
	if cfg.telemetryPath != "/" {
		links := []web.LandingLinks{
			{Address: cfg.telemetryPath, Text: "Metrics", Description: "Task counts, media durations and exporter health"},
		}
		if cfg.configFile != "" {
			links[0].Description = "The exporter's own metrics; each account's are at /probe?target=NAME"
		}
		links = append(links,
			web.LandingLinks{Address: "/-/healthy", Text: "Health", Description: "Liveness probe"},
			web.LandingLinks{Address: "/-/ready", Text: "Ready", Description: "Readiness probe"})
		landing, err := web.NewLandingPage(web.LandingConfig{
			Name:        "TwelveLabs Exporter",
			Description: "Prometheus exporter for TwelveLabs embedding tasks (Embed API v1 and v2)",
			Version:     version.Info(),
			Profiling:   "false", // no pprof endpoints are served
			Links:       links,
		})
		if err != nil {
			return nil, err
		}
		mux.Handle("/", landing)
	}
	return mux, nil
}

// httpError is a request the handler refuses, with its status.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

// handle registers h at pattern, turning the mux's panic on a pattern it
// cannot take (such as "/metrics {x}" or one that repeats /-/ready) into
// an error.
func handle(mux *http.ServeMux, pattern string, h http.Handler) (err error) {
	defer func() {
		if r := recover(); r != nil {
			// The first line, without the source positions it names.
			msg, _, _ := strings.Cut(fmt.Sprint(r), "\n")
			err = fmt.Errorf("not a path the server can serve: %s", registeredAt.ReplaceAllString(msg, ""))
		}
	}()
	mux.Handle(pattern, h)
	return nil
}

var registeredAt = regexp.MustCompile(` \(registered at [^)]*\)`)

// newRegistry holds the collectors shared by every scrape.
func newRegistry(runtime bool) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	if runtime {
		reg.MustRegister(
			collectors.NewGoCollector(),
			collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		)
	}
	// client_golang's build_info has no build date; the wrapper adds it.
	prometheus.WrapRegistererWith(prometheus.Labels{"build_date": version.BuildDate}, reg).
		MustRegister(versioncollector.NewCollector(program))
	return reg
}

// metricsHandler runs one scrape per request: the shared collectors of
// base (Go, process, build, configuration; none for a probe), and the
// account's collector bound to this request's deadline.
type metricsHandler struct {
	exp             func(*http.Request) (*collector.Exporter, error) // nil exporter: none
	base            prometheus.Gatherer
	timeout, offset time.Duration
	slots           chan struct{} // nil: no limit
	logger          *slog.Logger
}

func (h *metricsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	exp, err := h.exp(r)
	var he *httpError
	if errors.As(err, &he) {
		http.Error(w, he.msg, he.status)
		return
	}
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
	if exp != nil {
		reg.MustRegister(exp.Collector(ctx))
	}
	gatherers := prometheus.Gatherers{reg}
	if h.base != nil {
		gatherers = append(gatherers, h.base)
	}
	promhttp.HandlerFor(gatherers, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(h.logger.Handler(), slog.LevelError),
		ErrorHandling: promhttp.ContinueOnError,
		// OpenMetrics when asked for, with the counters' created
		// timestamps, so that Prometheus sees when each counter started.
		EnableOpenMetrics:                   true,
		EnableOpenMetricsTextCreatedSamples: true,
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
