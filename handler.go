package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
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
	base := baseCollectors(!cfg.noOwnMetrics)
	base.MustRegister(t)
	var slots chan struct{} // nil: no limit
	if cfg.maxRequests > 0 {
		slots = make(chan struct{}, cfg.maxRequests)
	}
	scrapes := func(base *collectorList, exp func(*http.Request) (*collector.Exporter, error)) *metricsHandler {
		return &metricsHandler{exp: exp, base: base, timeout: cfg.timeout, offset: cfg.timeoutOffset, slots: slots,
			errorLog: slog.NewLogLogger(logger.Handler(), slog.LevelError), free: make(chan *encoder, freeEncoders)}
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
	probes := scrapes(nil, func(r *http.Request) (*collector.Exporter, error) {
		name := r.URL.Query().Get("target")
		if name == "" {
			return nil, &httpError{http.StatusBadRequest, "missing the target parameter: /probe?target=ACCOUNT"}
		}
		exp := t.account(name)
		if exp == nil {
			return nil, &httpError{http.StatusNotFound, fmt.Sprintf("unknown target %q: not an account of --config.file", name)}
		}
		return exp, nil
	})
	mux.Handle("/probe", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// module is taken and ignored (an account is the whole module),
		// so that probe configurations written for blackbox_exporter's
		// convention work as they are.
		if r.URL.Query().Get("debug") == "true" {
			t.debugProbe(w, r, scrapeTimeout(r.Header.Get("X-Prometheus-Scrape-Timeout-Seconds"), cfg.timeout, cfg.timeoutOffset))
			return
		}
		probes.ServeHTTP(w, r)
	}))
	mux.HandleFunc("/config", t.serveConfig)
	metrics := scrapes(base, func(*http.Request) (*collector.Exporter, error) { return t.fixed, nil })
	instrumented := promhttp.InstrumentMetricHandler(base, metrics)
	// A registry of each now: collectors that clash panic here, at start-up.
	probes.put(probes.encoder())
	metrics.put(metrics.encoder())
	if err := handle(mux, cfg.telemetryPath, instrumented); err != nil {
		return nil, fmt.Errorf("--web.telemetry-path=%q: %w", cfg.telemetryPath, err)
	}
	if cfg.telemetryPath != "/" {
		links := []web.LandingLinks{
			{Address: cfg.telemetryPath, Text: "Metrics", Description: "Task counts, media durations and exporter health"},
		}
		if cfg.configFile != "" {
			links[0].Description = "The exporter's own metrics; each account's are on /probe"
			links = append(links,
				web.LandingLinks{Address: "/probe?target=" + t.firstAccount(), Text: "Probe",
					Description: "One account's metrics: /probe?target=NAME, a name of --config.file (&debug=true: how its listings went)"},
				web.LandingLinks{Address: "/config", Text: "Configuration", Description: "The accounts loaded from --config.file (no keys; URL passwords redacted)"})
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

// baseCollectors lists the collectors of /metrics besides the account's.
func baseCollectors(runtime bool) *collectorList {
	l := &collectorList{}
	if runtime {
		l.MustRegister(
			collectors.NewGoCollector(),
			newProcessCollector(),
		)
	}
	// client_golang's build_info has no build date; the wrapper adds it.
	prometheus.WrapRegistererWith(prometheus.Labels{"build_date": version.BuildDate}, l).
		MustRegister(versioncollector.NewCollector(program))
	return l
}

// collectorList is a Registerer that lists what is registered with it: the
// collectors that each scrape's registry holds. The registries check them.
type collectorList struct{ cs []prometheus.Collector }

func (l *collectorList) Register(c prometheus.Collector) error {
	l.cs = append(l.cs, c)
	return nil
}

func (l *collectorList) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		_ = l.Register(c)
	}
}

func (l *collectorList) Unregister(c prometheus.Collector) bool {
	for i, x := range l.cs {
		if x == c {
			l.cs = slices.Delete(l.cs, i, i+1)
			return true
		}
	}
	return false
}

// metricsHandler runs one scrape per request: the shared collectors of
// base (Go, process, build, configuration; none for a probe), and the
// account's collector bound to this request's deadline.
type metricsHandler struct {
	exp             func(*http.Request) (*collector.Exporter, error) // nil exporter: none
	base            *collectorList                                   // nil: none
	timeout, offset time.Duration
	slots           chan struct{} // nil: no limit
	errorLog        *log.Logger   // promhttp's

	// free holds encoders built before, each used by one scrape at a time.
	free chan *encoder
}

// freeEncoders is how many encoders wait for the next scrapes; more
// scrapes at once build their own.
const freeEncoders = 8

// encoder is a registry of the base collectors and of a slot for the
// collector of the scrape in progress, and the promhttp handler that
// gathers it, negotiates the format and the compression, and encodes.
// Built once and reused, it saves each scrape a registry, its
// registrations, and a second gathering merged with the first.
type encoder struct {
	h    http.Handler
	slot scrapeSlot
}

// scrapeSlot collects the account's collector of one scrape. It describes
// nothing, so that the registry takes it unchecked: the account changes
// from probe to probe.
type scrapeSlot struct{ c prometheus.Collector }

func (s *scrapeSlot) Describe(chan<- *prometheus.Desc) {}

func (s *scrapeSlot) Collect(ch chan<- prometheus.Metric) {
	if s.c != nil {
		s.c.Collect(ch)
	}
}

func (h *metricsHandler) encoder() *encoder {
	select {
	case e := <-h.free:
		return e
	default:
	}
	e := &encoder{}
	reg := prometheus.NewRegistry()
	reg.MustRegister(&e.slot)
	if h.base != nil {
		reg.MustRegister(h.base.cs...)
	}
	e.h = promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:      h.errorLog,
		ErrorHandling: promhttp.ContinueOnError,
		// OpenMetrics when asked for, with the counters' created
		// timestamps, so that Prometheus sees when each counter started.
		EnableOpenMetrics:                   true,
		EnableOpenMetricsTextCreatedSamples: true,
	})
	return e
}

func (h *metricsHandler) put(e *encoder) {
	e.slot.c = nil
	select {
	case h.free <- e:
	default:
	}
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
	e := h.encoder()
	if exp != nil {
		e.slot.c = exp.Collector(ctx)
	}
	bw := newBufferedResponse(w)
	e.h.ServeHTTP(bw, r)
	bw.finish()
	h.put(e)
}

// maxBuffered is the largest answer sent in one write with its
// Content-Length; a larger one goes out as it is encoded, chunked. One
// write costs the exporter less CPU than the chunks of http's 2 KiB buffer
// (a one-page account's /metrics is 17 to 25 kB).
const maxBuffered = 256 << 10

var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// bufferedResponse holds what a handler writes until it is done, then sends
// it in one write with its Content-Length; past maxBuffered it streams.
type bufferedResponse struct {
	http.ResponseWriter
	buf       *bytes.Buffer
	status    int // 0: none set
	streaming bool
}

func newBufferedResponse(w http.ResponseWriter) *bufferedResponse {
	buf := buffers.Get().(*bytes.Buffer)
	buf.Reset()
	return &bufferedResponse{ResponseWriter: w, buf: buf}
}

func (b *bufferedResponse) WriteHeader(code int) {
	if b.streaming {
		b.ResponseWriter.WriteHeader(code)
	} else if b.status == 0 {
		b.status = code
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.streaming {
		return b.ResponseWriter.Write(p)
	}
	if b.buf.Len()+len(p) <= maxBuffered {
		return b.buf.Write(p)
	}
	b.streaming = true
	if b.status != 0 {
		b.ResponseWriter.WriteHeader(b.status)
	}
	if b.buf.Len() > 0 {
		if _, err := b.ResponseWriter.Write(b.buf.Bytes()); err != nil {
			return 0, err
		}
	}
	return b.ResponseWriter.Write(p)
}

// finish sends what is held, if the answer did not stream, and gives back
// the buffer.
func (b *bufferedResponse) finish() {
	if !b.streaming {
		b.Header().Set("Content-Length", strconv.Itoa(b.buf.Len()))
		if b.status != 0 {
			b.ResponseWriter.WriteHeader(b.status)
		}
		_, _ = b.ResponseWriter.Write(b.buf.Bytes())
	}
	if b.buf.Cap() <= 2*maxBuffered {
		buffers.Put(b.buf)
	}
	b.buf = nil
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
