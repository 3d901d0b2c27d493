// Command twelvelabs_exporter exports the embedding tasks of a TwelveLabs
// account (Embed API v1 and v2) as Prometheus metrics.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"

	"github.com/twelvelabs-community/twelvelabs_exporter/client"
	"github.com/twelvelabs-community/twelvelabs_exporter/collector"
)

const (
	program = "twelvelabs_exporter"
	// defaultAddress lies outside 9100-9999: that range of Prometheus's
	// default port allocations is taken in full.
	defaultAddress = ":10157"
)

// keyEnvVars are read, in order, when no key file is given;
// TWELVE_LABS_API_KEY is the name the official JS SDK reads.
var keyEnvVars = []string{"TWELVELABS_API_KEY", "TWELVE_LABS_API_KEY"}

type config struct {
	apiURL        string
	keyFile       string
	apis          []string
	concurrency   int
	maxPages      int
	timeout       time.Duration
	timeoutOffset time.Duration
	reqTimeout    time.Duration
	retries       int
	cacheTTL      time.Duration
	lookback      time.Duration
	telemetryPath string
	maxRequests   int
	web           *web.FlagConfig
	log           promslog.Config
}

// newApp declares every flag; the README's flag table is checked against it.
func newApp() (*kingpin.Application, *config) {
	c := &config{}
	app := kingpin.New(program, "Prometheus exporter for TwelveLabs embedding tasks (Embed API v1 and v2).")
	app.Flag("twelvelabs.url", "Base URL of the TwelveLabs API, version included.").
		Default("https://api.twelvelabs.io/v1.3").StringVar(&c.apiURL)
	app.Flag("twelvelabs.api-key-file", "File holding the API key; re-read when it changes. Without it the key comes from $"+
		strings.Join(keyEnvVars, " or $")+".").PlaceHolder("PATH").StringVar(&c.keyFile)
	app.Flag("twelvelabs.embed-api", "Embed API to list, v1 (GET /embed/tasks) or v2 (GET /embed-v2/tasks). Repeatable.").
		Default(string(client.V1), string(client.V2)).StringsVar(&c.apis)
	app.Flag("twelvelabs.concurrency", "Page requests in flight per listing, after page 1.").
		Default(fmt.Sprint(client.DefaultConcurrency)).IntVar(&c.concurrency)
	app.Flag("twelvelabs.max-pages", "Most pages (of 50 tasks) one listing may read; a larger listing fails rather than being cut short.").
		Default(fmt.Sprint(client.DefaultMaxPages)).IntVar(&c.maxPages)
	app.Flag("twelvelabs.timeout", "Longest time one listing may take. A scrape waits for it at most until Prometheus's scrape timeout, less the offset; "+
		"a listing still running then goes on, and the scrape serves the newest complete listing.").
		Default("5m").DurationVar(&c.timeout)
	app.Flag("twelvelabs.timeout-offset", "Subtracted from Prometheus's X-Prometheus-Scrape-Timeout-Seconds, to leave time to answer.").
		Default("500ms").DurationVar(&c.timeoutOffset)
	app.Flag("twelvelabs.request-timeout", "Longest time one HTTP request to the API may take, body included, before it is retried.").
		Default(client.DefaultRequestTimeout.String()).DurationVar(&c.reqTimeout)
	app.Flag("twelvelabs.retries", "Retries of a request after 408, 429, 5xx or a network error, within the scrape's deadline.").
		Default(fmt.Sprint(client.DefaultRetries)).IntVar(&c.retries)
	app.Flag("twelvelabs.cache-ttl", "Serve the last successful listing for this long instead of listing on every scrape; 0 turns the cache off.").
		Default("0s").DurationVar(&c.cacheTTL)
	app.Flag("twelvelabs.lookback", "How far back to list tasks (started_at); the API keeps tasks for 7 days.").
		Default("168h").DurationVar(&c.lookback)
	app.Flag("web.telemetry-path", "Path under which to expose metrics.").
		Default("/metrics").StringVar(&c.telemetryPath)
	app.Flag("web.max-requests", "Most scrapes served at once; more get HTTP 503. 0 means no limit.").
		Default("40").IntVar(&c.maxRequests)
	c.web = kingpinflag.AddFlags(app, defaultAddress)
	promslogflag.AddFlags(app, &c.log)
	app.Version(version.Print(program))
	app.HelpFlag.Short('h')
	return app, c
}

// validate checks what kingpin cannot; its errors name the flag to fix.
func (c *config) validate() error {
	for _, a := range c.apis {
		if _, err := client.ParseAPI(a); err != nil {
			return fmt.Errorf("--twelvelabs.embed-api: %w", err)
		}
	}
	switch {
	case c.concurrency < 1:
		return fmt.Errorf("--twelvelabs.concurrency=%d: want at least 1", c.concurrency)
	case c.maxPages < 1:
		return fmt.Errorf("--twelvelabs.max-pages=%d: want at least 1", c.maxPages)
	case c.timeout <= 0:
		return fmt.Errorf("--twelvelabs.timeout=%s: want a positive duration", c.timeout)
	case c.reqTimeout <= 0:
		return fmt.Errorf("--twelvelabs.request-timeout=%s: want a positive duration", c.reqTimeout)
	case c.timeoutOffset < 0:
		return fmt.Errorf("--twelvelabs.timeout-offset=%s: want zero or more", c.timeoutOffset)
	case c.retries < 0:
		return fmt.Errorf("--twelvelabs.retries=%d: want zero or more", c.retries)
	case c.cacheTTL < 0:
		return fmt.Errorf("--twelvelabs.cache-ttl=%s: want zero or more", c.cacheTTL)
	case c.lookback <= 0:
		return fmt.Errorf("--twelvelabs.lookback=%s: want a positive duration", c.lookback)
	case !strings.HasPrefix(c.telemetryPath, "/"):
		return fmt.Errorf("--web.telemetry-path=%q: want a path starting with /", c.telemetryPath)
	case c.maxRequests < 0:
		return fmt.Errorf("--web.max-requests=%d: want zero or more", c.maxRequests)
	}
	return nil
}

// keySource finds the API key: the key file when given, else the
// environment. The description names where the key came from, never the key.
func (c *config) keySource(lookupEnv func(string) (string, bool)) (src client.KeySource, from string, err error) {
	if c.keyFile != "" {
		fk, err := client.NewFileKey(c.keyFile)
		if err != nil {
			return nil, "", fmt.Errorf("--twelvelabs.api-key-file: %w", err)
		}
		return fk, "file " + c.keyFile, nil
	}
	for _, name := range keyEnvVars {
		if v, ok := lookupEnv(name); ok {
			if k := strings.TrimSpace(v); k != "" {
				return client.StaticKey(k), "$" + name, nil
			}
			return nil, "", fmt.Errorf("$%s is empty: set it to your TwelveLabs API key", name)
		}
	}
	return nil, "", fmt.Errorf("no TwelveLabs API key: set $%s or --twelvelabs.api-key-file", keyEnvVars[0])
}

// nameFailingFlag adds the flag's name to kingpin's value errors, which
// say only what failed ("time: invalid duration \"soon\"").
func nameFailingFlag(app *kingpin.Application, args []string, err error) error {
	ctx, perr := app.ParseContext(args)
	if perr != nil {
		return err
	}
	for _, el := range ctx.Elements {
		fc, ok := el.Clause.(*kingpin.FlagClause)
		if !ok || el.Value == nil {
			continue
		}
		m := fc.Model()
		if serr := m.Value.Set(*el.Value); serr != nil {
			return fmt.Errorf("--%s=%q: %w", m.Name, *el.Value, serr)
		}
	}
	return err
}

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(args []string, stderr io.Writer) int {
	app, cfg := newApp()
	app.ErrorWriter(stderr)
	app.UsageWriter(stderr)
	if _, err := app.Parse(args); err != nil {
		fmt.Fprintf(stderr, "%s: error: %v\n", program, nameFailingFlag(app, args, err))
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "%s: error: %v\n", program, err)
		return 1
	}
	if err := cfg.validate(); err != nil {
		return fail(err)
	}
	cfg.log.Writer = stderr
	logger := promslog.New(&cfg.log)

	keys, keyFrom, err := cfg.keySource(os.LookupEnv)
	if err != nil {
		return fail(err)
	}
	exp, err := newExporter(cfg, keys, logger)
	if err != nil {
		return fail(err)
	}

	logger.Info("Starting "+program, "version", version.Info(), "api_url", cfg.apiURL, "embed_apis", strings.Join(cfg.apis, ","), "api_key_from", keyFrom)
	logger.Info("Build context", "build_context", version.BuildContext())

	handler, err := newHandler(cfg, exp, logger)
	if err != nil {
		return fail(err)
	}
	srv := newServer(cfg, handler)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- web.ListenAndServe(srv, cfg.web, logger) }()
	select {
	case err := <-served:
		logger.Error("Server stopped", "err", err)
		return 1
	case <-ctx.Done():
	}
	logger.Info("Shutting down: finishing scrapes in flight")
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		logger.Error("Shutdown", "err", err)
		return 1
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Error("Server stopped", "err", err)
		return 1
	}
	return 0
}

// newServer sets the server's timeouts: slow or idle clients must not hold
// connections. A scrape is a small GET, and no answer waits longer than the
// listing timeout.
func newServer(cfg *config, handler http.Handler) *http.Server {
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      cfg.timeout + 10*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
}

// newExporter wires the client to the collector.
func newExporter(cfg *config, keys client.KeySource, logger *slog.Logger) (*collector.Exporter, error) {
	apis := make([]client.API, 0, len(cfg.apis))
	for _, a := range cfg.apis {
		api, err := client.ParseAPI(a)
		if err != nil {
			return nil, fmt.Errorf("--twelvelabs.embed-api: %w", err)
		}
		if !slices.Contains(apis, api) {
			apis = append(apis, api)
		}
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	// Keep a connection for every page request in flight, for both APIs,
	// so that each listing reuses connections instead of opening new ones.
	transport.MaxIdleConnsPerHost = 2 * cfg.concurrency
	var exp *collector.Exporter
	c, err := client.New(client.Config{
		BaseURL:        cfg.apiURL,
		Key:            keys,
		HTTPClient:     &http.Client{Transport: transport},
		UserAgent:      program + "/" + version.Version,
		Concurrency:    cfg.concurrency,
		MaxPages:       cfg.maxPages,
		Retries:        cfg.retries,
		RequestTimeout: cfg.reqTimeout,
		Lookback:       cfg.lookback,
		OnResponse:     func(api client.API, code string) { exp.ObserveRequest(api, code) },
	})
	if err != nil {
		return nil, fmt.Errorf("--twelvelabs.url: %w", err)
	}
	exp = collector.New(c, collector.Options{APIs: apis, CacheTTL: cfg.cacheTTL, ListingTimeout: cfg.timeout, Logger: logger})
	return exp, nil
}

// newRegistry holds the collectors shared by every scrape.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	// client_golang's build_info has no build date; the wrapper adds it.
	prometheus.WrapRegistererWith(prometheus.Labels{"build_date": version.BuildDate}, reg).
		MustRegister(versioncollector.NewCollector(program))
	return reg
}
