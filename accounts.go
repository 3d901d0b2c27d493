package main

import (
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/twelvelabs-community/twelvelabs_exporter/client"
	"github.com/twelvelabs-community/twelvelabs_exporter/collector"
)

// fileConfig is --config.file: the accounts one exporter watches, and the
// organisations whose request budgets they share.
type fileConfig struct {
	Organizations []orgConfig     `yaml:"organizations,omitempty"`
	Accounts      []accountConfig `yaml:"accounts"`
	// src says where each entry was read, for problems to name.
	src configSource
}

type orgConfig struct {
	Name string `yaml:"name"`
	// RequestsPerMinute and RequestsPerDay bound what every account of the
	// organisation spends together; 0 is no limit.
	RequestsPerMinute float64 `yaml:"requests_per_minute,omitempty"`
	RequestsPerDay    float64 `yaml:"requests_per_day,omitempty"`
	// Plan is what the organisation's TwelveLabs plan allows, exported
	// beside the usage its accounts' listings show.
	Plan planConfig `yaml:"plan,omitempty"`
}

// accountConfig is one account. Settings left out take the flags' values.
// The key itself never goes in the file: key_file or key_env name where it is.
type accountConfig struct {
	Name           string         `yaml:"name"`
	Organization   string         `yaml:"organization,omitempty"`
	KeyFile        string         `yaml:"key_file,omitempty"`
	KeyEnv         string         `yaml:"key_env,omitempty"`
	URL            string         `yaml:"url,omitempty"`
	EmbedAPIs      []string       `yaml:"embed_apis,omitempty"`
	Concurrency    *int           `yaml:"concurrency,omitempty"`
	MaxPages       *int           `yaml:"max_pages,omitempty"`
	Timeout        *time.Duration `yaml:"timeout,omitempty"`
	RequestTimeout *time.Duration `yaml:"request_timeout,omitempty"`
	Retries        *int           `yaml:"retries,omitempty"`
	CacheTTL       *time.Duration `yaml:"cache_ttl,omitempty"`
	Lookback       *time.Duration `yaml:"lookback,omitempty"`
	MaxModels      *int           `yaml:"max_models,omitempty"`
	// Collectors turn the account's collectors on or off by name (embed,
	// indexing, …), over the --collector.<name> flags.
	Collectors map[string]bool `yaml:"collectors,omitempty"`
}

// accountFlagNames maps the flags an account's fields override to the
// fields' names, for a problem to name the field as the file spells it:
// "--twelvelabs.concurrency=0" in an account is "concurrency=0".
var accountFlagNames = func() []string {
	var out []string
	t := reflect.TypeFor[accountConfig]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		switch name {
		case "name", "organization", "key_file", "key_env", "collectors":
			continue // no flag of that name
		case "embed_apis":
			out = append(out, "--twelvelabs.embed-api", name)
		default:
			out = append(out, "--twelvelabs."+strings.ReplaceAll(name, "_", "-"), name)
		}
	}
	return out
}()

// accountName is what a /probe target may be: a name, never a URL.
var accountName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)

// maxConfigBytes bounds --config.file: an account takes a few lines, and
// thousands fit in a fraction of it; a larger file (or /dev/zero) is not
// a configuration, and must not fill memory.
const maxConfigBytes = 1 << 20

// readConfig parses the file strictly: unknown fields are errors, so that a
// typo does not silently fall back to a default.
func readConfig(path string) (*fileConfig, error) {
	raw, err := client.ReadRegularFile(path, maxConfigBytes, client.FileReadTimeout)
	switch {
	case errors.Is(err, client.ErrNotRegularFile), errors.Is(err, client.ErrFileTooLarge):
		return nil, fmt.Errorf("--config.file: %w: point it at the YAML file of the accounts", err)
	case err != nil:
		return nil, fmt.Errorf("--config.file: %w", err)
	}
	fc, problems := decodeConfig(path, raw)
	if len(problems) > 0 {
		return nil, configProblems(problems)
	}
	return fc, nil
}

// configProblems are every problem of shape in --config.file, one line
// each, as --config.check prints them; as an error (start-up, reload),
// the first and how many more.
type configProblems []string

func (p configProblems) Error() string {
	if len(p) == 1 {
		return p[0]
	}
	more := "problems"
	if len(p) == 2 {
		more = "problem"
	}
	return fmt.Sprintf("%s (and %d more %s: --config.check lists them all)", p[0], len(p)-1, more)
}

// problems lists what is wrong with the file, one line each, without
// building anything; --config.check prints them.
func (fc *fileConfig) problems(flags *config, lookupEnv func(string) (string, bool)) []string {
	var out []string
	// Lines quote settings, a url with a password among them, and
	// --config.check prints them: the password goes.
	// Each names the file, the line of the entry (or field) at yamlPath,
	// and the field as the file spells it.
	add := func(yamlPath, format string, a ...any) {
		out = append(out, client.RedactURLs(fc.src.at(yamlPath)+fmt.Sprintf(format, a...)))
	}
	// The settings of an account are checked as the flags are: their
	// messages name the flags, which the account's fields override.
	fields := strings.NewReplacer(accountFlagNames...)
	orgs := map[string]bool{}
	orgCfg := map[string]orgConfig{} // the organisations whose budgets are sane
	for i, o := range fc.Organizations {
		switch {
		case !accountName.MatchString(o.Name):
			add(fmt.Sprintf("organizations[%d].name", i), "organizations[%d]: name %q: want letters, digits, '_', '.' or '-'", i, o.Name)
		case orgs[o.Name]:
			add(fmt.Sprintf("organizations[%d]", i), "organizations[%d]: %q is declared twice", i, o.Name)
		case !(o.RequestsPerMinute >= 0 && o.RequestsPerMinute <= maxRequestsPerMinute) || !(o.RequestsPerDay >= 0 && o.RequestsPerDay <= maxRequestsPerDay):
			add(fmt.Sprintf("organizations[%d]", i), "organization %q: requests_per_minute=%g, requests_per_day=%g: want zero (no limit) or up to %g a minute and %g a day",
				o.Name, o.RequestsPerMinute, o.RequestsPerDay, float64(maxRequestsPerMinute), float64(maxRequestsPerDay))
		default:
			orgCfg[o.Name] = o
		}
		if err := o.Plan.check("plan."); err != nil {
			add(fmt.Sprintf("organizations[%d].plan", i), "organization %q: %v", o.Name, err)
		}
		orgs[o.Name] = true
	}
	// Each organisation's budget must pay, within the listing timeout, for
	// the least its accounts' start-up listings cost: one request per
	// account and API. A budget that cannot would never list them.
	type demand struct {
		requests int
		timeout  time.Duration
	}
	need := map[string]*demand{}
	checkBudgets := func() {
		for oi, o := range fc.Organizations {
			d, ok := need[o.Name]
			if !ok {
				continue
			}
			if c := newBudget(o.Name, o.RequestsPerMinute, o.RequestsPerDay).capacity(d.timeout); c < float64(d.requests) {
				add(fmt.Sprintf("organizations[%d]", oi), "organization %q: requests_per_minute=%g and requests_per_day=%g pay for %d requests within --twelvelabs.timeout=%s, "+
					"fewer than the %d its accounts' start-up listings need at the least (one per account and API): raise them or the timeout",
					o.Name, o.RequestsPerMinute, o.RequestsPerDay, int(c), d.timeout, d.requests)
			}
		}
	}
	if len(fc.Accounts) == 0 {
		add("accounts", "accounts: none; want at least one")
	}
	seen := map[string]bool{}
	for i, a := range fc.Accounts {
		switch {
		case !accountName.MatchString(a.Name):
			add(fmt.Sprintf("accounts[%d].name", i), "accounts[%d]: name %q: want letters, digits, '_', '.' or '-' (it is the /probe target)", i, a.Name)
			continue
		case seen[a.Name]:
			add(fmt.Sprintf("accounts[%d].name", i), "account %q: declared twice", a.Name)
		}
		seen[a.Name] = true
		if a.Organization != "" && !orgs[a.Organization] {
			add(fmt.Sprintf("accounts[%d].organization", i), "account %q: organization %q is not declared under organizations", a.Name, a.Organization)
		}
		if (a.KeyFile == "") == (a.KeyEnv == "") {
			add(fmt.Sprintf("accounts[%d]", i), "account %q: want exactly one of key_file and key_env", a.Name)
		} else if _, _, err := a.keySource(lookupEnv, nil); err != nil {
			add(fmt.Sprintf("accounts[%d].%s", i, map[bool]string{true: "key_file", false: "key_env"}[a.KeyFile != ""]), "account %q: %v", a.Name, err)
		}
		if err := checkCollectorNames(a.Collectors); err != nil {
			add(fmt.Sprintf("accounts[%d].collectors", i), "account %q: %v", a.Name, err)
		}
		cfg := a.settings(flags)
		if _, ok := orgCfg[a.Organization]; ok {
			if apis, err := cfg.listedAPIs(); err == nil {
				d := need[a.Organization]
				if d == nil {
					d = &demand{}
					need[a.Organization] = d
				}
				d.requests += len(apis)
				d.timeout = max(d.timeout, cfg.timeout)
			}
		}
		if err := cfg.validate(); err != nil {
			add(fmt.Sprintf("accounts[%d]", i), "account %q: %s", a.Name, fields.Replace(err.Error()))
		} else if _, err := newClient(cfg, client.StaticKey("check"), collector.NewTraffic(), nil); err != nil {
			add(fmt.Sprintf("accounts[%d]", i), "account %q: %s", a.Name, fields.Replace(err.Error()))
		}
	}
	checkBudgets()
	return out
}

// settings are the flags' listing settings with the account's overrides.
func (a *accountConfig) settings(flags *config) *config {
	c := *flags
	set := func(dst any, src any) {
		if v := reflect.ValueOf(src); !v.IsNil() {
			reflect.ValueOf(dst).Elem().Set(v.Elem())
		}
	}
	if a.URL != "" {
		c.apiURL = a.URL
	}
	if len(a.EmbedAPIs) > 0 {
		c.apis = a.EmbedAPIs
	}
	set(&c.concurrency, a.Concurrency)
	set(&c.maxPages, a.MaxPages)
	set(&c.timeout, a.Timeout)
	set(&c.reqTimeout, a.RequestTimeout)
	set(&c.retries, a.Retries)
	set(&c.cacheTTL, a.CacheTTL)
	set(&c.lookback, a.Lookback)
	set(&c.maxModels, a.MaxModels)
	if len(a.Collectors) > 0 {
		c.collectorOverrides = a.Collectors
	}
	c.keyFile = a.KeyFile
	return &c
}

// keySource finds the account's key; the description names where it came
// from, never the key.
func (a *accountConfig) keySource(lookupEnv func(string) (string, bool), logger *slog.Logger) (client.KeySource, string, error) {
	if a.KeyFile != "" {
		fk, err := client.NewFileKey(a.KeyFile, keyFileReport(a.KeyFile, logger))
		if err != nil {
			return nil, "", fmt.Errorf("key_file: %w", err)
		}
		return fk, "file " + a.KeyFile, nil
	}
	v, ok := lookupEnv(a.KeyEnv)
	if !ok {
		return nil, "", fmt.Errorf("key_env: $%s is not set", a.KeyEnv)
	}
	k, err := client.CheckKey([]byte(v))
	if err != nil {
		return nil, "", fmt.Errorf("key_env: $%s %w", a.KeyEnv, err)
	}
	return client.StaticKey(k), "$" + a.KeyEnv, nil
}

// account is one watched account: its exporter and what built it.
type account struct {
	name string
	cfg  accountConfig
	org  orgConfig
	exp  *collector.Exporter
}

// accounts is one configuration's accounts and budgets, by name.
type accounts struct {
	byName  map[string]*account
	budgets map[string]*budget
	// file is the configuration they were built from, for /config.
	file *fileConfig
}

// buildAccounts makes the accounts of fc; accounts and budgets of old whose
// configuration did not change are kept as they are, with their listings,
// cache, state and counters.
func buildAccounts(fc *fileConfig, flags *config, lookupEnv func(string) (string, bool), logger *slog.Logger, old *accounts) (*accounts, error) {
	if p := fc.problems(flags, lookupEnv); len(p) > 0 {
		return nil, errors.New(strings.Join(p, "; "))
	}
	orgs := map[string]orgConfig{}
	out := &accounts{byName: map[string]*account{}, budgets: map[string]*budget{}}
	for _, o := range fc.Organizations {
		orgs[o.Name] = o
		if prev, ok := old.orgBudget(o); ok {
			out.budgets[o.Name] = prev
		} else if o.RequestsPerMinute > 0 || o.RequestsPerDay > 0 {
			out.budgets[o.Name] = newBudget(o.Name, o.RequestsPerMinute, o.RequestsPerDay)
		}
	}
	for _, a := range fc.Accounts {
		org := orgs[a.Organization]
		if prev := old.get(a.Name); prev != nil && reflect.DeepEqual(prev.cfg, a) && prev.org == org {
			out.byName[a.Name] = prev
			continue
		}
		log := logger.With("account", a.Name)
		keys, _, err := a.keySource(lookupEnv, log)
		if err != nil {
			return nil, client.RedactURLsInError(fmt.Errorf("account %q: %w", a.Name, err))
		}
		var b *budget
		if bb, ok := out.budgets[a.Organization]; ok {
			b = bb
		}
		cfg := a.settings(flags)
		if org.Plan != (planConfig{}) {
			cfg.plan = org.Plan
		}
		exp, err := newAccountExporter(cfg, keys, b, log)
		if err != nil {
			return nil, client.RedactURLsInError(fmt.Errorf("account %q: %w", a.Name, err))
		}
		out.byName[a.Name] = &account{name: a.Name, cfg: a, org: org, exp: exp}
	}
	out.file = fc
	return out, nil
}

func (as *accounts) get(name string) *account {
	if as == nil {
		return nil
	}
	return as.byName[name]
}

// orgBudget returns old's budget of an organisation configured the same.
func (as *accounts) orgBudget(o orgConfig) (*budget, bool) {
	if as == nil {
		return nil, false
	}
	for _, a := range as.byName {
		if a.org == o {
			b, ok := as.budgets[o.Name]
			return b, ok
		}
	}
	return nil, false
}
