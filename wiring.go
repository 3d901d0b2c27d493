package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/common/version"

	"github.com/twelvelabs-community/twelvelabs_exporter/client"
	"github.com/twelvelabs-community/twelvelabs_exporter/collector"
)

// service is everything run builds before it serves: what wire returns.
type service struct {
	cfg     *config
	logger  *slog.Logger
	keys    client.KeySource // the default account's; nil with --config.file
	keyFrom string           // where the key came from, for the start-up log line
	handler http.Handler
	targets *targets
	// checked is set by --config.check: the problems found, none if good.
	checked *[]string
}

// usageError is a command line kingpin could not parse: exit code 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// wire parses the command line and builds the exporter from it, in the one
// order that needs no cycle: key, traffic counter, client, collector,
// handler. run serves what it returns; tests call it with their own
// arguments, environment and log writer, so that they exercise the wiring
// run uses. Its errors are one line that names what to fix.
//
// Without --config.file the flags define one account, served on /metrics;
// with it, each account of the file is built the same way, once, and
// served on /probe?target=NAME.
func wire(args []string, lookupEnv func(string) (string, bool), logOut io.Writer) (*service, error) {
	app, cfg := newApp()
	app.ErrorWriter(logOut)
	app.UsageWriter(logOut)
	if _, err := app.Parse(args); err != nil {
		return nil, &usageError{nameFailingFlag(app, args, err)}
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	logger := newLogger(cfg, logOut)
	if cfg.configCheck {
		if cfg.configFile == "" {
			return nil, errors.New("--config.check: give --config.file")
		}
		var problems []string
		fc, err := readConfig(cfg.configFile)
		var shape configProblems
		switch {
		case errors.As(err, &shape):
			problems = shape
		case err != nil:
			problems = []string{err.Error()}
		default:
			problems = fc.problems(cfg, lookupEnv)
		}
		return &service{cfg: cfg, logger: logger, checked: &problems}, nil
	}
	svc := &service{cfg: cfg, logger: logger, targets: &targets{lookupEnv: lookupEnv, logger: logger, flags: cfg}}
	if cfg.configFile != "" {
		if err := svc.targets.load(); err != nil {
			return nil, err
		}
		svc.keyFrom = "--config.file " + cfg.configFile
	} else {
		keys, keyFrom, err := cfg.keySource(lookupEnv, logger)
		if err != nil {
			return nil, err
		}
		exp, err := newAccountExporter(cfg, keys, nil, logger)
		if err != nil {
			return nil, err
		}
		svc.keys, svc.keyFrom, svc.targets.fixed = keys, keyFrom, exp
	}
	handler, err := newHandler(cfg, svc.targets, logger)
	if err != nil {
		return nil, err
	}
	svc.handler = handler
	return svc, nil
}

// targets holds what is served: the default account of the flags (fixed),
// or the accounts of --config.file, swapped whole on each reload.
type targets struct {
	flags     *config
	lookupEnv func(string) (string, bool)
	logger    *slog.Logger
	fixed     *collector.Exporter

	mu          sync.Mutex // one reload at a time
	current     atomic.Pointer[accounts]
	reloadOK    atomic.Bool
	reloadAt    atomic.Int64 // Unix seconds of the last successful load
	reloadCount atomic.Uint64
	digest      atomic.Pointer[[sha256.Size]byte] // of the content last loaded, or tried
}

// configDigest is the SHA-256 of --config.file's content.
func configDigest(path string) ([sha256.Size]byte, error) {
	raw, err := client.ReadRegularFile(path, maxConfigBytes, client.FileReadTimeout)
	if err != nil {
		return [sha256.Size]byte{}, err
	}
	return sha256.Sum256(raw), nil
}

// watch reloads --config.file whenever its content changes
// (--config.auto-reload), until ctx ends. Content, not time:
// a ConfigMap's update or an rsync may keep the time, or touch the file
// without changing it. A file that cannot be read is left for the next
// tick; the configuration in use stays.
func (t *targets) watch(ctx context.Context, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		d, err := configDigest(t.flags.configFile)
		if err != nil {
			continue
		}
		if last := t.digest.Load(); last == nil || *last != d {
			_ = t.reload("--config.auto-reload") // logged
		}
	}
}

// load reads --config.file and builds its accounts, keeping unchanged ones
// with their state. On error the configuration in use stays.
func (t *targets) load() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reloadCount.Add(1)
	// The content about to be read, for watch: a file that changes
	// after this is read again, one that fails stays failed until it
	// changes.
	if d, err := configDigest(t.flags.configFile); err == nil {
		t.digest.Store(&d)
	}
	fc, err := readConfig(t.flags.configFile)
	var as *accounts
	if err == nil {
		as, err = buildAccounts(fc, t.flags, t.lookupEnv, t.logger, t.current.Load())
	}
	t.reloadOK.Store(err == nil)
	if err != nil {
		return err
	}
	t.current.Store(as)
	t.reloadAt.Store(time.Now().Unix())
	return nil
}

// reload loads --config.file again and logs the outcome: why it failed
// (the configuration in use stays), or what it kept and built.
func (t *targets) reload(why string) error {
	err := t.load()
	if err != nil {
		t.logger.Error("configuration not reloaded; the one in use stays", "trigger", why, "file", t.flags.configFile, "err", err)
		return err
	}
	t.logger.Info("configuration reloaded", "trigger", why, "file", t.flags.configFile, "accounts", len(t.current.Load().byName))
	return nil
}

// account finds a /probe target among the configured accounts.
func (t *targets) account(name string) *collector.Exporter {
	if a := t.current.Load().get(name); a != nil {
		return a.exp
	}
	return nil
}

// newAccountExporter builds one account's client and collector: the
// wiring done once per account. b, when not nil, is the account's
// organisation's request budget.
func newAccountExporter(cfg *config, keys client.KeySource, b *budget, logger *slog.Logger) (*collector.Exporter, error) {
	apis, err := cfg.listedAPIs()
	if err != nil {
		return nil, err
	}
	traffic := collector.NewTraffic()
	c, err := newClient(cfg, keys, traffic, b)
	if err != nil {
		return nil, err
	}
	opts := collector.Options{
		APIs:           apis,
		Lookback:       cfg.lookback,
		CacheTTL:       cfg.cacheTTL,
		ListingTimeout: cfg.timeout,
		MaxModels:      cfg.maxModels,
		Listing:        cfg.listing,
		ResyncInterval: cfg.resync,
		Plan:           cfg.plan.collector(),
		Traffic:        traffic,
		Hint:           hint,
		Logger:         logger,
	}
	if b != nil {
		opts.Budget = b
	}
	return collector.New(c, opts), nil
}

// newClient makes the account's API client; its errors name the flag.
func newClient(cfg *config, keys client.KeySource, traffic *collector.Traffic, b *budget) (*client.Client, error) {
	cc := client.Config{
		BaseURL:        cfg.apiURL,
		Key:            keys,
		HTTPClient:     &http.Client{Transport: sharedTransport(cfg.concurrency)},
		UserAgent:      program + "/" + version.Version,
		Concurrency:    cfg.concurrency,
		MaxPages:       cfg.maxPages,
		Retries:        cfg.retries,
		RequestTimeout: cfg.reqTimeout,
		OnResponse:     traffic.Observe,
		OnRateLimit:    traffic.ObserveRateLimit,
	}
	if b != nil {
		cc.Budget = b
	}
	c, err := client.New(cc)
	var ce *client.ConfigError
	if errors.As(err, &ce) && clientFlags[ce.Field] != "" {
		// The value may be a URL with a password: never repeat it.
		return nil, client.RedactURLsInError(fmt.Errorf("--%s=%v: want %s", clientFlags[ce.Field], ce.Value, ce.Want))
	}
	return c, err
}

var (
	transportOnce sync.Once
	transport     *http.Transport
)

// sharedTransport is the one connection pool of the process: every account
// talks to the same API host, and a pool per account kept ~8 idle
// connections (and 16 goroutines) each, 350 KiB an account at 100
// accounts. It keeps a connection for every page request in flight of a
// few accounts' listings at once.
func sharedTransport(concurrency int) *http.Transport {
	transportOnce.Do(func() {
		transport = http.DefaultTransport.(*http.Transport).Clone()
		transport.MaxIdleConnsPerHost = max(4*client.DefaultConcurrency, 2*concurrency)
		transport.MaxIdleConns = 4 * transport.MaxIdleConnsPerHost
	})
	return transport
}

// hints say in a few words what an operator can do about a failed listing.
var hints = map[client.Reason]string{
	client.ReasonKeyRejected: "the API key is invalid or expired: rotate it",
	client.ReasonNotAllowed:  "the key works, but the organisation's plan or region does not allow this endpoint: check the plan, or drop the API with --twelvelabs.embed-api",
	client.ReasonRateLimited: "rate-limited: scrape less often, lower --twelvelabs.concurrency or turn on --twelvelabs.cache-ttl",
	client.ReasonServerError: "the API is failing: see the TwelveLabs status page; the exporter retries on the next scrape",
	client.ReasonTimeout:     "the listing did not finish in time: raise --twelvelabs.timeout or --twelvelabs.concurrency",
	client.ReasonMalformed:   "the API sent a page the exporter cannot read, or pages and counts that never agree: check --twelvelabs.url (or the account's url in --config.file) and any proxy in between, and the debug log for the window",
	client.ReasonTooLarge:    "the answer is larger than the exporter's limits: raise --twelvelabs.max-pages or shorten --twelvelabs.lookback",
	client.ReasonTransport:   "no HTTP answer: check the network, proxy and TLS settings for --twelvelabs.url (or the account's url in --config.file)",
	client.ReasonBadRequest:  "the API refused the request: check --twelvelabs.url or the account's url in --config.file (it should end in the API version, such as /v1.3)",
	client.ReasonBudget:      "the organisation's requests_per_minute/requests_per_day in --config.file ran out: raise them or scrape less often",
}

func hint(r client.Reason) string { return hints[r] }

// keyFileReport logs what a key file's re-reads find; nil without a logger.
func keyFileReport(path string, logger *slog.Logger) func(error) {
	if logger == nil {
		return nil
	}
	return func(err error) {
		if errors.Is(err, client.ErrKeyChanged) {
			logger.Info("API key file changed; the new key is in use", "file", path)
			return
		}
		logger.Error("API key file unusable", "err", err, "hint", "fix the file; the exporter reads it again on every request")
	}
}
