package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/prometheus/common/version"

	"github.com/twelvelabs-community/twelvelabs_exporter/client"
	"github.com/twelvelabs-community/twelvelabs_exporter/collector"
)

// service is everything run builds before it serves: what wire returns.
type service struct {
	cfg     *config
	logger  *slog.Logger
	keys    client.KeySource
	keyFrom string // where the key came from, for the start-up log line
	handler http.Handler
}

// usageError is a command line kingpin could not parse: exit code 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// wire parses the command line and builds the exporter from it, in the one
// order that needs no cycle: key, request counter, client, collector,
// handler. run serves what it returns; tests call it with their own
// arguments, environment and log writer, so that they exercise the wiring
// run uses. Its errors are one line that names what to fix.
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
	keys, keyFrom, err := cfg.keySource(lookupEnv, logger)
	if err != nil {
		return nil, err
	}
	exp, err := newExporter(cfg, keys, logger)
	if err != nil {
		return nil, err
	}
	handler, err := newHandler(cfg, exp, logger)
	if err != nil {
		return nil, err
	}
	return &service{cfg: cfg, logger: logger, keys: keys, keyFrom: keyFrom, handler: handler}, nil
}

// newExporter builds one account's client and collector.
func newExporter(cfg *config, keys client.KeySource, logger *slog.Logger) (*collector.Exporter, error) {
	apis, err := cfg.embedAPIs()
	if err != nil {
		return nil, err
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	// Keep a connection for every page request in flight, for both APIs,
	// so that each listing reuses connections instead of opening new ones.
	transport.MaxIdleConnsPerHost = 2 * cfg.concurrency
	traffic := collector.NewTraffic()
	c, err := client.New(client.Config{
		BaseURL:        cfg.apiURL,
		Key:            keys,
		HTTPClient:     &http.Client{Transport: transport},
		UserAgent:      program + "/" + version.Version,
		Concurrency:    cfg.concurrency,
		MaxPages:       cfg.maxPages,
		Retries:        cfg.retries,
		RequestTimeout: cfg.reqTimeout,
		OnResponse:     traffic.Observe,
		OnRateLimit:    traffic.ObserveRateLimit,
	})
	var ce *client.ConfigError
	if errors.As(err, &ce) && clientFlags[ce.Field] != "" {
		return nil, fmt.Errorf("--%s=%v: want %s", clientFlags[ce.Field], ce.Value, ce.Want)
	}
	if err != nil {
		return nil, err
	}
	return collector.New(c, collector.Options{
		APIs:           apis,
		Lookback:       cfg.lookback,
		CacheTTL:       cfg.cacheTTL,
		ListingTimeout: cfg.timeout,
		MaxModels:      cfg.maxModels,
		Traffic:        traffic,
		Hint:           hint,
		Logger:         logger,
	}), nil
}

// hints say in a few words what an operator can do about a failed listing.
var hints = map[client.Reason]string{
	client.ReasonKeyRejected: "the API key is invalid or expired: rotate it",
	client.ReasonNotAllowed:  "the key works, but the organisation's plan or region does not allow this endpoint: check the plan, or drop the API with --twelvelabs.embed-api",
	client.ReasonRateLimited: "rate-limited: scrape less often, lower --twelvelabs.concurrency or turn on --twelvelabs.cache-ttl",
	client.ReasonServerError: "the API is failing: see the TwelveLabs status page; the exporter retries on the next scrape",
	client.ReasonTimeout:     "the listing did not finish in time: raise --twelvelabs.timeout or --twelvelabs.concurrency",
	client.ReasonMalformed:   "the API sent a page the exporter cannot read: check --twelvelabs.url and any proxy in between",
	client.ReasonTooLarge:    "the answer is larger than the exporter's limits: raise --twelvelabs.max-pages or shorten --twelvelabs.lookback",
	client.ReasonTransport:   "no HTTP answer: check the network, proxy and TLS settings for --twelvelabs.url",
	client.ReasonBadRequest:  "the API refused the request: check --twelvelabs.url (it should end in the API version, such as /v1.3)",
}

func hint(r client.Reason) string { return hints[r] }
