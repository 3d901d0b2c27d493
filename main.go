// Command twelvelabs_exporter exports the embedding tasks of a TwelveLabs
// account (Embed API v1 and v2) as Prometheus metrics.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
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
	configFile  string
	configCheck bool
	autoReload  bool
	reloadEvery time.Duration
	lifecycle   bool
	apiURL      string
	keyFile     string
	apis        []string
	// collectors are the --[no-]collector.<name> flags; an account's
	// collectors: entries override them (collectorOverrides).
	collectors         map[string]*bool
	collectorOverrides map[string]bool
	// plan is the organisation's plan as declared (--plan.*, or an
	// organisation's plan: in the config file).
	plan          planConfig
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
	maxModels     int
	listing       string
	resync        time.Duration
	noOwnMetrics  bool
	web           *web.FlagConfig
	log           promslog.Config
}

// newApp declares every flag; the README's flag table is checked against it.
func newApp() (*kingpin.Application, *config) {
	c := &config{}
	app := kingpin.New(program, "Prometheus exporter for TwelveLabs embedding tasks (Embed API v1 and v2).")
	app.Flag("config.file", "YAML file of the accounts to watch, served on /probe?target=NAME; without it the flags and environment define one account, served on /metrics.").
		PlaceHolder("PATH").StringVar(&c.configFile)
	app.Flag("config.check", "Check --config.file and exit: 0, or one line per problem.").BoolVar(&c.configCheck)
	app.Flag("config.auto-reload", "Reload --config.file when its content changes (SIGHUP and POST /-/reload work either way).").BoolVar(&c.autoReload)
	app.Flag("config.auto-reload-interval", "How often --config.auto-reload reads the file.").Default("30s").DurationVar(&c.reloadEvery)
	app.Flag("web.enable-lifecycle", "Reload --config.file on POST /-/reload (SIGHUP always reloads).").BoolVar(&c.lifecycle)
	app.Flag("twelvelabs.url", "Base URL of the TwelveLabs API, version included.").
		Default("https://api.twelvelabs.io/v1.3").StringVar(&c.apiURL)
	app.Flag("twelvelabs.api-key-file", "File holding the API key; re-read when it changes. Without it the key comes from $"+
		strings.Join(keyEnvVars, " or $")+".").PlaceHolder("PATH").StringVar(&c.keyFile)
	app.Flag("twelvelabs.embed-api", "Embed API to list, v1 (GET /embed/tasks) or v2 (GET /embed-v2/tasks). Repeatable, or comma-separated.").
		Default(string(client.V1), string(client.V2)).StringsVar(&c.apis)
	app.Flag("twelvelabs.concurrency", "Page requests in flight per listing, after page 1.").
		Default(fmt.Sprint(client.DefaultConcurrency)).IntVar(&c.concurrency)
	app.Flag("twelvelabs.max-pages", "Most pages (of 50 tasks) one listing may read; a larger listing fails rather than being cut short.").
		Default(fmt.Sprint(client.DefaultMaxPages)).IntVar(&c.maxPages)
	app.Flag("twelvelabs.timeout", "Longest time one listing may take, retries and their waits included. A scrape waits for it at most until "+
		"Prometheus's scrape timeout, less the offset; a listing still running then goes on, and the scrape serves the newest complete listing.").
		Default("5m").DurationVar(&c.timeout)
	app.Flag("twelvelabs.timeout-offset", "Subtracted from Prometheus's X-Prometheus-Scrape-Timeout-Seconds, to leave time to answer.").
		Default("500ms").DurationVar(&c.timeoutOffset)
	app.Flag("twelvelabs.request-timeout", "Longest time one HTTP request to the API may take, body included, before it is retried.").
		Default(client.DefaultRequestTimeout.String()).DurationVar(&c.reqTimeout)
	app.Flag("twelvelabs.retries", "Retries of a request after 408, 429, 5xx or a network error; a wait that would pass the listing's timeout is not taken.").
		Default(fmt.Sprint(client.DefaultRetries)).IntVar(&c.retries)
	app.Flag("twelvelabs.cache-ttl", "Serve the last successful listing for this long instead of listing on every scrape; 0 turns the cache off.").
		Default("0s").DurationVar(&c.cacheTTL)
	app.Flag("twelvelabs.max-models", "Most distinct model_name values exported per API; tasks of further models are exported as model_name=\"other\".").
		Default(fmt.Sprint(collector.DefaultMaxModels)).IntVar(&c.maxModels)
	app.Flag("twelvelabs.listing", "incremental: keep the window's tasks between scrapes and ask only for what can have changed, checked against the API's totals; full: read every task on every scrape.").
		Default(collector.ListingIncremental).EnumVar(&c.listing, collector.ListingIncremental, collector.ListingFull)
	app.Flag("twelvelabs.resync-interval", "With incremental listing, list in full this often all the same.").
		Default(collector.DefaultResyncInterval.String()).DurationVar(&c.resync)
	app.Flag("twelvelabs.lookback", "How far back to list tasks (started_at); the API keeps tasks for 7 days.").
		Default("168h").DurationVar(&c.lookback)
	app.Flag("web.telemetry-path", "Path under which to expose metrics.").
		Default("/metrics").StringVar(&c.telemetryPath)
	app.Flag("web.disable-exporter-metrics", "Leave the Go runtime and process metrics (go_*, process_*) out of /metrics; they cost most of a small account's scrape.").
		BoolVar(&c.noOwnMetrics)
	app.Flag("web.max-requests", "Most scrapes served at once; more get HTTP 503. 0 means no limit.").
		Default("40").IntVar(&c.maxRequests)
	addCollectorFlags(app, c)
	addPlanFlags(app, c)
	c.web = kingpinflag.AddFlags(app, defaultAddress)
	promslogflag.AddFlags(app, &c.log)
	app.Version(version.Print(program))
	app.HelpFlag.Short('h')
	return app, c
}

// clientFlags names the flag behind each client.Config field that
// client.New checks, so that its errors name what to fix.
var clientFlags = map[string]string{
	"BaseURL":        "twelvelabs.url",
	"Concurrency":    "twelvelabs.concurrency",
	"MaxPages":       "twelvelabs.max-pages",
	"Retries":        "twelvelabs.retries",
	"RequestTimeout": "twelvelabs.request-timeout",
}

// validate checks the settings that are main's own; client.New checks the
// client's. Its errors name the flag to fix.
func (c *config) validate() error {
	switch {
	case c.timeout <= 0:
		return fmt.Errorf("--twelvelabs.timeout=%s: want a positive duration", c.timeout)
	case c.timeoutOffset < 0:
		return fmt.Errorf("--twelvelabs.timeout-offset=%s: want zero or more", c.timeoutOffset)
	case c.cacheTTL < 0:
		return fmt.Errorf("--twelvelabs.cache-ttl=%s: want zero or more", c.cacheTTL)
	case c.lookback <= 0:
		return fmt.Errorf("--twelvelabs.lookback=%s: want a positive duration", c.lookback)
	case !strings.HasPrefix(c.telemetryPath, "/"):
		return fmt.Errorf("--web.telemetry-path=%q: want a path starting with /", c.telemetryPath)
	case c.maxRequests < 0:
		return fmt.Errorf("--web.max-requests=%d: want zero or more", c.maxRequests)
	case c.reloadEvery < time.Second:
		return fmt.Errorf("--config.auto-reload-interval=%s: want at least 1s", c.reloadEvery)
	case c.autoReload && c.configFile == "":
		return errors.New("--config.auto-reload: give --config.file, the file to watch")
	case c.resync <= 0:
		return fmt.Errorf("--twelvelabs.resync-interval=%s: want a positive duration", c.resync)
	case c.maxModels < 1:
		return fmt.Errorf("--twelvelabs.max-models=%d: want at least 1", c.maxModels)
	}
	if err := c.plan.check("--plan."); err != nil {
		return err
	}
	_, err := c.listedAPIs()
	return err
}

// embedAPIs reads --twelvelabs.embed-api, repeated or comma-separated,
// each API once.
func (c *config) embedAPIs() ([]client.API, error) {
	var apis []client.API
	for _, v := range c.apis {
		for _, s := range strings.Split(v, ",") {
			api, err := client.ParseAPI(strings.TrimSpace(s))
			if err != nil {
				return nil, fmt.Errorf("--twelvelabs.embed-api: %w", err)
			}
			if !slices.Contains(apis, api) {
				apis = append(apis, api)
			}
		}
	}
	return apis, nil
}

// keySource finds the API key: the key file when given, else the
// environment. The description names where the key came from, never the key.
// A key file's later failures and rotations are logged: the last good key
// stays in use meanwhile.
func (c *config) keySource(lookupEnv func(string) (string, bool), logger *slog.Logger) (src client.KeySource, from string, err error) {
	if c.keyFile != "" {
		fk, err := client.NewFileKey(c.keyFile, keyFileReport(c.keyFile, logger))
		if err != nil {
			return nil, "", fmt.Errorf("--twelvelabs.api-key-file: %w", err)
		}
		return fk, "file " + c.keyFile, nil
	}
	for _, name := range keyEnvVars {
		if v, ok := lookupEnv(name); ok {
			k, err := client.CheckKey([]byte(v))
			if err != nil {
				return nil, "", fmt.Errorf("$%s %w: set it to your TwelveLabs API key", name, err)
			}
			return client.StaticKey(k), "$" + name, nil
		}
	}
	return nil, "", fmt.Errorf("no TwelveLabs API key: set $%s or --twelvelabs.api-key-file", keyEnvVars[0])
}

// nameFailingFlag adds the flag's name to kingpin's value errors, which
// say only what failed ("time: invalid duration \"soon\"").
func nameFailingFlag(app *kingpin.Application, args []string, err error) error {
	ctx, perr := app.ParseContext(args)
	if perr != nil {
		return suggestFlag(app, err)
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

// unknownFlag matches kingpin's error for a flag it does not know.
var unknownFlag = regexp.MustCompile(`^unknown long flag '--([^']+)'$`)

// suggestFlag adds the nearest known flag to an unknown flag's error, as
// --config.check does for a field: an unknown flag is most often a typo.
func suggestFlag(app *kingpin.Application, err error) error {
	m := unknownFlag.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	best, bestD := "", 3 // at most two edits away
	for _, f := range app.Model().Flags {
		if d := editDistance(m[1], f.Name); d < bestD {
			best, bestD = f.Name, d
		}
	}
	if best == "" {
		return fmt.Errorf("%w (--help lists the flags)", err)
	}
	return fmt.Errorf("%w (did you mean --%s?)", err, best)
}

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

// run is the whole exporter: wire, then serve until SIGINT or SIGTERM.
// addressInUse tells whether err is a listener's address being taken,
// and which address.
func addressInUse(err error) (string, bool) {
	var op *net.OpError
	if !errors.Is(err, syscall.EADDRINUSE) || !errors.As(err, &op) || op.Addr == nil {
		return "", false
	}
	return op.Addr.String(), true
}

func run(args []string, stderr io.Writer) int {
	svc, err := wire(args, os.LookupEnv, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "%s: error: %v\n", program, err)
		if errors.As(err, new(*usageError)) {
			return 2
		}
		return 1
	}
	if svc.checked != nil {
		for _, p := range *svc.checked {
			fmt.Fprintf(stderr, "%s: %s\n", program, p) // each names the file and line
		}
		if len(*svc.checked) > 0 {
			return 1
		}
		fmt.Fprintf(stderr, "%s: %s: OK\n", program, svc.cfg.configFile)
		return 0
	}
	logger := svc.logger
	logger.Info("Starting "+program, "version", version.Info(), "api_url", svc.cfg.apiURL, "embed_apis", strings.Join(svc.cfg.apis, ","), "api_key_from", svc.keyFrom)
	logger.Info("Build context", "build_context", version.BuildContext())

	// Scrapes run under base: stopping cancels it, so that a scrape
	// waiting on a slow API answers at once (with the newest complete
	// listing, or twelvelabs_up 0) instead of holding the shutdown.
	base, cancelScrapes := context.WithCancel(context.Background())
	defer cancelScrapes()
	srv := newServer(svc.cfg, svc.handler)
	srv.BaseContext = func(net.Listener) context.Context { return base }
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	if svc.cfg.autoReload {
		go svc.targets.watch(ctx, svc.cfg.reloadEvery)
	}
	served := make(chan error, 1)
	go func() { served <- web.ListenAndServe(srv, svc.cfg.web, logger) }()
	for waiting := true; waiting; {
		select {
		case err := <-served:
			if addr, busy := addressInUse(err); busy {
				fmt.Fprintf(stderr, "%s: error: --web.listen-address: %s is in use by another process (another exporter?): stop it or choose another port\n", program, addr)
				return 1
			}
			logger.Error("Server stopped", "err", err)
			return 1
		case <-hup:
			if svc.cfg.configFile != "" {
				_ = svc.targets.reload("SIGHUP") // logged; the configuration in use stays on error
			} else {
				reloadKey(svc, logger)
			}
		case <-ctx.Done():
			waiting = false
		}
	}
	logger.Info("Shutting down: ending scrapes in flight")
	cancelScrapes()
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

// reloadKey answers SIGHUP: the key file is read again (as it is on every
// request anyway), and the log says what came of it.
func reloadKey(svc *service, logger *slog.Logger) {
	fk, ok := svc.keys.(*client.FileKey)
	if !ok {
		logger.Info("SIGHUP: nothing to reload; the key comes from the environment", "api_key_from", svc.keyFrom)
		return
	}
	switch _, changed, err := fk.Reload(); {
	case err != nil:
		logger.Error("SIGHUP: API key file not reloaded; the last good key stays in use", "err", err)
	default:
		logger.Info("SIGHUP: API key file reloaded", "file", svc.cfg.keyFile, "changed", changed)
	}
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

// newLogger logs to w at the level and in the format the flags chose.
func newLogger(cfg *config, w io.Writer) *slog.Logger {
	cfg.log.Writer = w
	return promslog.New(&cfg.log)
}
