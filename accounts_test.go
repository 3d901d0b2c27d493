package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twelvelabs-community/twelvelabs_exporter/internal/testproc"
	"github.com/twelvelabs-community/twelvelabs_exporter/simulator"
)

// orgs is a simulated API serving several accounts, each with its own key
// and tasks.
type orgs struct {
	sims map[string]*simulator.Server // by account name
	url  string
	env  map[string]string // key_env variables
}

func newOrgs(t *testing.T, sizes map[string]int) *orgs {
	t.Helper()
	o := &orgs{sims: map[string]*simulator.Server{}, env: map[string]string{}}
	byKey := map[string]*simulator.Server{}
	for name, n := range sizes {
		key := "tlk_" + name + "_0123456789abcdef"
		sim := simulator.New(key)
		sim.SetTasks(simulator.V1, simulator.Generate(simulator.GenerateOptions{Seed: 3, N: n, Now: time.Now().Add(-2 * time.Second), API: simulator.V1}))
		o.sims[name], byKey[key] = sim, sim
		o.env["KEY_"+strings.ToUpper(name)] = key
	}
	srv := httptest.NewServer(simulator.NewAccounts(byKey))
	t.Cleanup(srv.Close)
	o.url = srv.URL + simulator.BasePath
	return o
}

func (o *orgs) lookupEnv(name string) (string, bool) { v, ok := o.env[name]; return v, ok }

func writeConfig(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

func probe(h http.Handler, target string) (int, string) {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/probe?target="+target, nil)
	req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", "5")
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

func TestProbeServesEachAccountAlone(t *testing.T) {
	o := newOrgs(t, map[string]int{"staging": 30, "production": 70})
	cfg := filepath.Join(t.TempDir(), "accounts.yml")
	writeConfig(t, cfg, `
accounts:
  - name: staging
    key_env: KEY_STAGING
    embed_apis: [v1]
  - name: production
    key_env: KEY_PRODUCTION
    embed_apis: [v1]
`)
	svc, err := wire([]string{"--config.file=" + cfg, "--twelvelabs.url=" + o.url}, o.lookupEnv, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	for name, n := range map[string]float64{"staging": 30, "production": 70} {
		code, body := probe(svc.handler, name)
		mfs := testproc.ParseMetrics(t, body)
		if got := testproc.Sum(mfs, "twelvelabs_embed_tasks", "api", "v1"); code != 200 || got != n {
			t.Errorf("%s: HTTP %d, %v tasks, want %v", name, code, got, n)
		}
		if mfs["go_goroutines"] != nil || mfs["twelvelabs_exporter_build_info"] != nil {
			t.Errorf("%s: a probe carries the exporter's own metrics", name)
		}
	}
	// The exporter's own metrics on /metrics, no account's.
	_, body, _ := serve(svc.handler, nil)
	mfs := testproc.ParseMetrics(t, body)
	if mfs["twelvelabs_up"] != nil || mfs["go_goroutines"] == nil {
		t.Error("/metrics with --config.file: want the exporter's own metrics only")
	}
	if v, _ := testproc.Value(mfs, "twelvelabs_exporter_config_last_reload_successful", nil); v != 1 {
		t.Errorf("config_last_reload_successful %v", v)
	}
	// A target that is not an account: a clear 4xx, and no request anywhere.
	before := o.sims["staging"].Requests(simulator.V1) + o.sims["production"].Requests(simulator.V1)
	for target, want := range map[string]int{"nope": 404, "http://169.254.169.254/": 404, "": 400} {
		if code, body := probe(svc.handler, target); code != want || strings.Contains(body, "twelvelabs_") {
			t.Errorf("target %q: HTTP %d %q, want %d", target, code, body, want)
		}
	}
	if after := o.sims["staging"].Requests(simulator.V1) + o.sims["production"].Requests(simulator.V1); after != before {
		t.Errorf("%d API requests for unknown targets, want none", after-before)
	}
}

// A slow account does not delay another's probe.
func TestAccountsAreIsolated(t *testing.T) {
	o := newOrgs(t, map[string]int{"slow": 10, "fast": 10})
	o.sims["slow"].SetLatency(3 * time.Second)
	cfg := filepath.Join(t.TempDir(), "accounts.yml")
	writeConfig(t, cfg, "accounts:\n  - {name: slow, key_env: KEY_SLOW, embed_apis: [v1]}\n  - {name: fast, key_env: KEY_FAST, embed_apis: [v1]}\n")
	svc, err := wire([]string{"--config.file=" + cfg, "--twelvelabs.url=" + o.url}, o.lookupEnv, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() { probe(svc.handler, "slow") })
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	code, body := probe(svc.handler, "fast")
	if took := time.Since(start); code != 200 || took > time.Second || !strings.Contains(body, `twelvelabs_up{api="v1"} 1`) {
		t.Errorf("fast account: HTTP %d after %v while the slow one lists", code, took)
	}
	wg.Wait()
}

// Reload keeps unchanged accounts as they are (state, counters), builds
// new ones, and a bad file keeps the configuration in use.
func TestReloadKeepsUnchangedAccounts(t *testing.T) {
	o := newOrgs(t, map[string]int{"a": 10, "b": 20})
	cfg := filepath.Join(t.TempDir(), "accounts.yml")
	writeConfig(t, cfg, "accounts:\n  - {name: a, key_env: KEY_A, embed_apis: [v1]}\n")
	var logs testproc.SyncBuffer
	svc, err := wire([]string{"--config.file=" + cfg, "--twelvelabs.url=" + o.url, "--web.enable-lifecycle"}, o.lookupEnv, &logs)
	if err != nil {
		t.Fatal(err)
	}
	probe(svc.handler, "a")
	before := svc.targets.account("a")
	reload := func() int {
		rec := httptest.NewRecorder()
		svc.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/-/reload", nil))
		return rec.Code
	}
	writeConfig(t, cfg, "accounts:\n  - {name: a, key_env: KEY_A, embed_apis: [v1]}\n  - {name: b, key_env: KEY_B, embed_apis: [v1]}\n")
	if code := reload(); code != 200 || svc.targets.account("a") != before || svc.targets.account("b") == nil {
		t.Fatalf("reload: HTTP %d; want a kept as it was and b added", code)
	}
	_, body := probe(svc.handler, "a")
	if n, _ := testproc.Value(testproc.ParseMetrics(t, body), "twelvelabs_exporter_api_requests_total", map[string]string{"api": "v1", "code": "200"}); n != 2 {
		t.Errorf("account a's request counter %v after reload, want 2 (kept across the reload)", n)
	}
	writeConfig(t, cfg, "accounts:\n  - {name: a, key_env: KEY_A, api_key: tlk_inline}\n")
	if code := reload(); code != 500 || svc.targets.account("b") == nil {
		t.Errorf("bad file: HTTP %d; want 500 and the old accounts kept", code)
	}
	_, body, _ = serve(svc.handler, nil)
	if v, _ := testproc.Value(testproc.ParseMetrics(t, body), "twelvelabs_exporter_config_last_reload_successful", nil); v != 0 {
		t.Errorf("config_last_reload_successful %v after a bad file, want 0", v)
	}
	if !strings.Contains(logs.String(), "the key never goes in the file") || strings.Contains(logs.String(), "tlk_inline") {
		t.Errorf("the bad reload should be logged with why, never the key:\n%s", logs.String())
	}
}

// An organisation's budget bounds what every account of it spends; when it
// cannot pay for a listing within the listing's timeout (1 s here, and a
// token every 7.5 s), scrapes serve the newest complete one.
func TestBudgetBoundsTheOrganisation(t *testing.T) {
	start := time.Now()
	o := newOrgs(t, map[string]int{"a": 120, "b": 120}) // 3 requests a listing each
	cfg := filepath.Join(t.TempDir(), "accounts.yml")
	writeConfig(t, cfg, `
organizations:
  - {name: acme, requests_per_minute: 8}
accounts:
  - {name: a, organization: acme, key_env: KEY_A, embed_apis: [v1]}
  - {name: b, organization: acme, key_env: KEY_B, embed_apis: [v1]}
`)
	svc, err := wire([]string{"--config.file=" + cfg, "--twelvelabs.url=" + o.url, "--twelvelabs.timeout=1s"}, o.lookupEnv, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		for _, name := range []string{"a", "b"} {
			code, body := probe(svc.handler, name)
			if code != 200 {
				t.Fatalf("%s: HTTP %d", name, code)
			}
			mfs := testproc.ParseMetrics(t, body)
			// Served: the complete listing or none, never part of one.
			if up, _ := testproc.Value(mfs, "twelvelabs_up", map[string]string{"api": "v1"}); up == 1 && testproc.Sum(mfs, "twelvelabs_embed_tasks", "api", "v1") != 120 {
				t.Errorf("%s: a partial listing was served", name)
			}
		}
	}
	spent := o.sims["a"].Requests(simulator.V1) + o.sims["b"].Requests(simulator.V1)
	if allowed := 8 + int64(time.Since(start).Seconds()*8/60); spent > allowed {
		t.Errorf("the organisation spent %d requests, over its budget of 8 a minute (%d in %s)", spent, allowed, time.Since(start))
	}
	_, body, _ := serve(svc.handler, nil)
	if n, _ := testproc.Value(testproc.ParseMetrics(t, body), "twelvelabs_exporter_budget_exhausted_total", map[string]string{"organization": "acme"}); n == 0 {
		t.Error("budget_exhausted_total stayed 0")
	}
}

func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	writeConfig(t, keyFile, "tlk_0123456789\n")
	good := filepath.Join(dir, "good.yml")
	writeConfig(t, good, "accounts:\n  - {name: a, key_file: "+keyFile+"}\n")
	bad := filepath.Join(dir, "bad.yml")
	writeConfig(t, bad, `
organizations:
  - {name: acme, requests_per_minute: -1}
accounts:
  - {name: a, key_file: `+keyFile+`, key_env: X}
  - {name: a, key_file: /nope}
  - {name: "http://x", key_env: X}
  - {name: c, organization: other, key_env: UNSET, concurrency: 0}
`)
	var out bytes.Buffer
	if code := run([]string{"--config.file=" + good, "--config.check"}, &out); code != 0 || !strings.Contains(out.String(), "OK") {
		t.Errorf("good file: exit %d, %q", code, out.String())
	}
	out.Reset()
	code := run([]string{"--config.file=" + bad, "--config.check"}, &out)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if code != 1 || len(lines) != 8 {
		t.Errorf("bad file: exit %d, %d lines, want 1 and one line per problem (8):\n%s", code, len(lines), out.String())
	}
	for _, want := range []string{"requests_per_minute", "exactly one of key_file and key_env", "declared twice", "/nope",
		"it is the /probe target", "organization \"other\" is not declared", "$UNSET is not set", "concurrency=0"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no line says %q", want)
		}
	}
	out.Reset()
	if code := run([]string{"--config.file=" + filepath.Join(dir, "typo.yml"), "--config.check"}, &out); code != 1 {
		t.Errorf("missing file: exit %d", code)
	}
	writeConfig(t, filepath.Join(dir, "typo.yml"), "accounts:\n  - {name: a, key_flie: /x}\n")
	out.Reset()
	if code := run([]string{"--config.file=" + filepath.Join(dir, "typo.yml"), "--config.check"}, &out); code != 1 || !strings.Contains(out.String(), "key_flie") {
		t.Errorf("unknown field: exit %d, %q", code, out.String())
	}
}

// A modest budget keeps a large account fresh with the incremental
// listing: after the start-up listing (20 pages and the 3 status counts
// that confirm it), each scrape costs page 1 and the status counts, so new
// tasks show at once; listed in full, the same budget cannot pay for a
// second listing within a listing timeout of 3 s.
func TestModestBudgetKeepsALargeAccountFresh(t *testing.T) {
	for mode, wantFresh := range map[string]bool{"incremental": true, "full": false} {
		start := time.Now()
		o := newOrgs(t, map[string]int{"big": 1000}) // 20 pages
		cfg := filepath.Join(t.TempDir(), "accounts.yml")
		writeConfig(t, cfg, "organizations:\n  - {name: acme, requests_per_minute: 40}\n"+
			"accounts:\n  - {name: big, organization: acme, key_env: KEY_BIG, embed_apis: [v1]}\n")
		svc, err := wire([]string{"--config.file=" + cfg, "--twelvelabs.url=" + o.url, "--twelvelabs.listing=" + mode, "--twelvelabs.timeout=3s"},
			o.lookupEnv, &bytes.Buffer{})
		if err != nil {
			t.Fatal(err)
		}
		probe(svc.handler, "big")
		for i := range 3 {
			created := time.Now()
			o.sims["big"].AddTasks(simulator.V1, simulator.Task{ID: fmt.Sprintf("fresh-%d", i), Model: "marengo3.0", Status: "ready",
				Created: created, VideoSeconds: 1, AudioSeconds: -1})
			time.Sleep(time.Until(created.Truncate(time.Second).Add(time.Second + 10*time.Millisecond))) // into the next window
			_, body := probe(svc.handler, "big")
			got := testproc.Sum(testproc.ParseMetrics(t, body), "twelvelabs_embed_tasks", "api", "v1")
			if fresh := got == float64(1001+i); fresh != wantFresh {
				t.Errorf("%s listing, scrape %d: %v tasks exported; fresh %v, want %v", mode, i+1, got, fresh, wantFresh)
			}
		}
		if spent, allowed := o.sims["big"].Requests(simulator.V1), 40+int64(time.Since(start).Seconds()*40/60); spent > allowed {
			t.Errorf("%s listing spent %d requests, over the budget of 40 a minute (%d in %s)", mode, spent, allowed, time.Since(start))
		}
	}
}

// mkfifo makes a named pipe with the mkfifo command, which this package
// cannot call through syscall on every platform it builds for.
func mkfifo(t *testing.T, path string) {
	t.Helper()
	if err := exec.Command("mkfifo", path).Run(); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
}

// runWithin runs the exporter's run and fails the test if it has not
// returned after 10 s: reading a FIFO without O_NONBLOCK waits for a
// writer forever.
func runWithin(t *testing.T, args ...string) (int, string) {
	t.Helper()
	type result struct {
		code int
		out  string
	}
	done := make(chan result, 1)
	go func() {
		var out bytes.Buffer
		code := run(args, &out)
		done <- result{code, out.String()}
	}()
	select {
	case r := <-done:
		return r.code, r.out
	case <-time.After(10 * time.Second):
		t.Fatalf("run %v: still running after 10 s", args)
		return 0, ""
	}
}

// The configuration file and the key files it names must be regular
// files of a sane size: a FIFO, a device or a huge file is one line naming
// the file, in --config.check, at start-up and on reload (which keeps the
// configuration in use).
func TestConfigAndKeyFilesMustBeRegular(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no FIFO or /dev/zero")
	}
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	mkfifo(t, fifo)
	big := filepath.Join(dir, "big.yml")
	writeConfig(t, big, "accounts: []\n"+strings.Repeat("# padding\n", maxConfigBytes/10+1))
	for path, want := range map[string]string{
		fifo:        fifo + " is a named pipe, not a regular file: point it at the YAML file of the accounts",
		"/dev/zero": "/dev/zero is a character device, not a regular file: point it at the YAML file of the accounts",
		big:         big + " is larger than 1 MiB: point it at the YAML file of the accounts",
	} {
		code, out := runWithin(t, "--config.file="+path, "--config.check")
		if lines := strings.Split(strings.TrimSpace(out), "\n"); code != 1 || len(lines) != 1 || !strings.Contains(out, "--config.file: "+want) {
			t.Errorf("--config.check of %s: exit %d, %q; want one line saying %q", path, code, out, want)
		}
	}

	keyFile := filepath.Join(dir, "key")
	writeConfig(t, keyFile, "tlk_file_key_0123456789\n")
	cfg := filepath.Join(dir, "accounts.yml")
	writeConfig(t, cfg, "accounts:\n  - {name: a, key_file: "+fifo+"}\n  - {name: b, key_file: /dev/zero}\n  - {name: c, key_file: "+keyFile+"}\n")
	code, out := runWithin(t, "--config.file="+cfg, "--config.check")
	for _, want := range []string{
		`account "a": key_file: API key file ` + fifo + " is a named pipe, not a regular file: point it at a file holding the key",
		`account "b": key_file: API key file /dev/zero is a character device, not a regular file: point it at a file holding the key`,
	} {
		if code != 1 || !strings.Contains(out, want) {
			t.Errorf("--config.check: exit %d, %q; want a line saying %q", code, out, want)
		}
	}
	if n := strings.Count(strings.TrimSpace(out), "\n") + 1; n != 2 {
		t.Errorf("--config.check: %d lines, want 2 (account c is fine):\n%s", n, out)
	}
	code, out = runWithin(t, "--config.file="+cfg, "--web.listen-address=127.0.0.1:0")
	if code != 1 || !strings.Contains(out, "is a named pipe, not a regular file") || strings.Count(strings.TrimSpace(out), "\n") != 0 {
		t.Errorf("start-up: exit %d, %q; want one line saying the key file is a named pipe", code, out)
	}

	// Reload: the file in use becomes a FIFO; the accounts in use stay.
	writeConfig(t, cfg, "accounts:\n  - {name: c, key_file: "+keyFile+"}\n")
	svc, err := wire([]string{"--config.file=" + cfg}, func(string) (string, bool) { return "", false }, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(cfg); err != nil {
		t.Fatal(err)
	}
	mkfifo(t, cfg)
	err = runWithinErr(t, svc.targets.load)
	if err == nil || !strings.Contains(err.Error(), cfg+" is a named pipe") || svc.targets.account("c") == nil {
		t.Errorf("reload of a FIFO: %v; want it refused and account c kept", err)
	}
}

func runWithinErr(t *testing.T, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("still running after 10 s")
		return nil
	}
}

// A URL's password never reaches --config.check's lines or start-up
// errors: it is replaced as url.URL.Redacted does.
func TestConfigErrorsRedactURLPasswords(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "accounts.yml")
	env := func(string) (string, bool) { return "tlk_env_key_0123456789", true }
	writeConfig(t, cfg, "accounts:\n  - {name: a, key_env: K, url: \"https://svc:s3cr3tpass@api.example/v1.3\"}\n")
	code, out := runWithin(t, "--config.file="+cfg, "--config.check")
	if code != 1 || strings.Contains(out, "s3cr3tpass") || !strings.Contains(out, `url="https://svc:xxxxx@api.example/v1.3"`) {
		t.Errorf("--config.check: exit %d, %q; want the URL with its password redacted", code, out)
	}
	_, err := wire([]string{"--config.file=" + cfg}, env, &bytes.Buffer{})
	if err == nil || strings.Contains(err.Error(), "s3cr3tpass") || !strings.Contains(err.Error(), "svc:xxxxx@api.example") {
		t.Errorf("start-up: %v; want the URL with its password redacted", err)
	}
	// yaml quotes a value it cannot read (when short enough).
	writeConfig(t, cfg, "accounts:\n  - {name: a, key_env: K, concurrency: \"s://u:pw@h\"}\n")
	code, out = runWithin(t, "--config.file="+cfg, "--config.check")
	if code != 1 || strings.Contains(out, ":pw@") || !strings.Contains(out, "s://u:xxxxx@h") {
		t.Errorf("yaml error: exit %d, %q; want the password redacted", code, out)
	}
}

// A budget must be a finite, sane number, and able to pay within the
// listing timeout for the least its accounts' start-up listings cost; a
// budget that could never list them is one line in --config.check.
func TestConfigCheckBudgets(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	writeConfig(t, keyFile, "tlk_0123456789\n")
	accounts := "accounts:\n  - {name: a, organization: acme, key_file: " + keyFile + "}\n" +
		"  - {name: b, organization: acme, key_file: " + keyFile + ", embed_apis: [v2]}\n"
	for org, want := range map[string]string{
		"{name: acme, requests_per_minute: 1e19}": "requests_per_minute=1e+19, requests_per_day=0: want zero (no limit) or up to 1e+06 a minute and 1e+09 a day",
		"{name: acme, requests_per_minute: .inf}": "requests_per_minute=+Inf",
		"{name: acme, requests_per_day: .nan}":    "requests_per_day=NaN",
		// v1 and v2 for a, v2 for b: 3 requests at the least; a day's
		// budget of 2 pays for 2 within 5 minutes.
		"{name: acme, requests_per_day: 2}":                             `organization "acme": requests_per_minute=0 and requests_per_day=2 pay for 2 requests within --twelvelabs.timeout=5m0s, fewer than the 3`,
		"{name: acme, requests_per_day: 3}":                             "",
		"{name: acme, requests_per_minute: 1e6, requests_per_day: 1e9}": "",
	} {
		path := filepath.Join(dir, "accounts.yml")
		writeConfig(t, path, "organizations:\n  - "+org+"\n"+accounts)
		var out bytes.Buffer
		code := run([]string{"--config.file=" + path, "--config.check"}, &out)
		if want == "" {
			if code != 0 {
				t.Errorf("%s: exit %d, %q; want OK", org, code, out.String())
			}
			continue
		}
		if lines := strings.Split(strings.TrimSpace(out.String()), "\n"); code != 1 || len(lines) != 1 || !strings.Contains(out.String(), want) {
			t.Errorf("%s: exit %d, %q; want one line saying %q", org, code, out.String(), want)
		}
	}
}

// A budget paces, it does not starve: an account whose start-up listing
// costs more than the bucket holds (6,000 tasks: 120 pages and the status
// counts, against 120 requests a minute) is listed at the budget's rate
// and exported whole, where a budget that refused would never list it.
func TestBudgetPacesAListingLargerThanItsBucket(t *testing.T) {
	start := time.Now()
	o := newOrgs(t, map[string]int{"big": 6000})
	cfg := filepath.Join(t.TempDir(), "accounts.yml")
	writeConfig(t, cfg, "organizations:\n  - {name: acme, requests_per_minute: 120}\n"+
		"accounts:\n  - {name: big, organization: acme, key_env: KEY_BIG, embed_apis: [v1]}\n")
	svc, err := wire([]string{"--config.file=" + cfg, "--twelvelabs.url=" + o.url}, o.lookupEnv, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/probe?target=big", nil)
	req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", "60")
	svc.handler.ServeHTTP(rec, req)
	mfs := testproc.ParseMetrics(t, rec.Body.String())
	if up, _ := testproc.Value(mfs, "twelvelabs_up", map[string]string{"api": "v1"}); up != 1 {
		t.Fatalf("twelvelabs_up %v, want 1: the listing should wait for the budget's tokens", up)
	}
	if n := testproc.Sum(mfs, "twelvelabs_embed_tasks", "api", "v1"); n != 6000 {
		t.Errorf("%v tasks exported, want 6000", n)
	}
	spent := o.sims["big"].Requests(simulator.V1)
	if spent <= 120 {
		t.Fatalf("the listing spent %d requests, within the bucket: this test needs more", spent)
	}
	if allowed := 120 + int64(time.Since(start).Seconds()*2) + 1; spent > allowed {
		t.Errorf("spent %d requests, over the budget's %d in %s", spent, allowed, time.Since(start))
	}
	_, body, _ := serve(svc.handler, nil)
	if w, _ := testproc.Value(testproc.ParseMetrics(t, body), "twelvelabs_exporter_budget_wait_seconds_total", map[string]string{"organization": "acme"}); w <= 0 {
		t.Errorf("budget_wait_seconds_total %v, want the time the listing waited", w)
	}
}

// --config.check reports every problem of shape at once, each with the
// file, the line and the field as the file spells it, in words rather
// than Go's type names, with the nearest field for a typo; start-up says
// the first and how many more.
func TestConfigCheckNamesFileLineAndField(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "accounts.yml")
	writeConfig(t, cfg, `organizations:
  - name: acme
    requests_per_minute: many
accounts:
  - name: a
    key_fil: /x
    concurrency: abc
    timeout: soon
  - name: b
    key_env: K
    organisation: acme
    embed_apis: v2
  - name: c
    key_env: K
    key: tlk_0123456789
    colour: blue
`)
	code, out := runWithin(t, "--config.file="+cfg, "--config.check")
	want := []string{
		cfg + `:3: organizations[0].requests_per_minute: want a number, got "many"`,
		cfg + `:6: accounts[0]: unknown field "key_fil" (did you mean key_file?)`,
		cfg + `:7: accounts[0].concurrency: want a whole number, got "abc"`,
		cfg + `:8: accounts[0].timeout: want a duration such as 30s, 5m or 1h, got "soon"`,
		cfg + `:11: accounts[1]: unknown field "organisation" (did you mean organization?)`,
		cfg + `:12: accounts[1].embed_apis: want a list, got "v2"`,
		cfg + `:15: accounts[2]: unknown field "key" (the key never goes in the file: use key_file or key_env)`,
		cfg + `:16: accounts[2]: unknown field "colour"; known fields: name, organization, key_file`,
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 1 || len(lines) != len(want) {
		t.Errorf("exit %d, %d lines, want 1 and %d:\n%s", code, len(lines), len(want), out)
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("no line says %q", w)
		}
	}
	if strings.Contains(out, "tlk_0123456789") || strings.Contains(out, "float64") || strings.Contains(out, "time.Duration") || strings.Contains(out, "!!") {
		t.Errorf("a line quotes the key or names a Go or YAML type:\n%s", out)
	}
	// The semantic problems, once the shape is right, name their line too.
	writeConfig(t, cfg, "accounts:\n  - {name: a, key_env: K}\n  - {name: a, key_env: K, concurrency: 0}\n")
	_, out = runWithin(t, "--config.file="+cfg, "--config.check")
	for _, w := range []string{cfg + `:3: account "a": declared twice`, cfg + `:3: account "a": concurrency=0: want at least 1`} {
		if !strings.Contains(out, w) {
			t.Errorf("no line says %q:\n%s", w, out)
		}
	}
	// Start-up: one line, the first problem and how many more.
	writeConfig(t, cfg, "accounts:\n  - {name: a, key_fil: /x, retries: lots}\n")
	_, err := wire([]string{"--config.file=" + cfg}, func(string) (string, bool) { return "", false }, &bytes.Buffer{})
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), `unknown field "key_fil"`) ||
		!strings.Contains(err.Error(), "and 1 more problem: --config.check lists them all") {
		t.Errorf("start-up: %v; want one line with the first problem and how many more", err)
	}
}

// Probes as blackbox_exporter's: module is taken and ignored, debug=true
// says how the account's listings went (and what the scrape would have
// returned, and the account's configuration) with no key in it; /config
// shows the loaded file, which holds no key; /metrics says
// which accounts belong to which organisation; the landing page lists
// /probe and /config.
func TestProbesLikeBlackbox(t *testing.T) {
	o := newOrgs(t, map[string]int{"staging": 30})
	o.env["KEY_BROKEN"] = "tlk_broken_0123456789abcdef" // not a key the API knows
	cfg := filepath.Join(t.TempDir(), "accounts.yml")
	writeConfig(t, cfg, `
organizations:
  - {name: acme, requests_per_minute: 600}
accounts:
  - {name: staging, organization: acme, key_env: KEY_STAGING, embed_apis: [v1]}
  - {name: broken, key_env: KEY_BROKEN, embed_apis: [v1], url: "`+o.url+`"}
`)
	svc, err := wire([]string{"--config.file=" + cfg, "--twelvelabs.url=" + o.url}, o.lookupEnv, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", "5")
		svc.handler.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	code, body := get("/probe?target=staging&module=whatever")
	if got := testproc.Sum(testproc.ParseMetrics(t, body), "twelvelabs_embed_tasks", "api", "v1"); code != 200 || got != 30 {
		t.Errorf("probe with a module: HTTP %d, %v tasks, want 200 and 30", code, got)
	}
	code, body = get("/probe?target=staging&debug=true")
	for _, want := range []string{`Probe of account "staging" (organization "acme")`, "v1: the last listing succeeded", "30 tasks",
		"Metrics that would have been returned:", `twelvelabs_up{api="v1"} 1`, "Account configuration:", "key_env: KEY_STAGING"} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("debug probe: HTTP %d, no %q in:\n%s", code, want, body)
		}
	}
	code, body = get("/probe?target=broken&debug=true")
	for _, want := range []string{"v1: the last listing failed", "reason key_rejected", "what to do: the API key is invalid or expired"} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("debug probe of a failing account: HTTP %d, no %q in:\n%s", code, want, body)
		}
	}
	if code, _ := get("/probe?target=nope&debug=true"); code != 404 {
		t.Errorf("debug probe of an unknown target: HTTP %d, want 404", code)
	}
	code, body = get("/config")
	if code != 200 || !strings.Contains(body, "name: staging") || !strings.Contains(body, "requests_per_minute: 600") ||
		!strings.Contains(body, "url: "+o.url) || strings.Contains(body, "concurrency") {
		t.Errorf("/config: HTTP %d:\n%s", code, body)
	}
	_, body = get("/metrics")
	mfs := testproc.ParseMetrics(t, body)
	if v, _ := testproc.Value(mfs, "twelvelabs_exporter_account_info", map[string]string{"account": "staging", "organization": "acme"}); v != 1 {
		t.Errorf("account_info{staging,acme} = %v, want 1", v)
	}
	if v, _ := testproc.Value(mfs, "twelvelabs_exporter_account_info", map[string]string{"account": "broken", "organization": ""}); v != 1 {
		t.Errorf("account_info{broken,} = %v, want 1", v)
	}
	_, body = get("/")
	if !strings.Contains(body, "/probe?target=broken") || !strings.Contains(body, "/config") {
		t.Errorf("the landing page lists no /probe or /config:\n%s", body)
	}
	var all strings.Builder
	for _, p := range []string{"/probe?target=staging&debug=true", "/probe?target=broken&debug=true", "/config", "/metrics", "/"} {
		_, b := get(p)
		all.WriteString(b)
	}
	for _, secret := range []string{"0123456789abcdef"} { // a piece of every key
		if strings.Contains(all.String(), secret) {
			t.Errorf("a page shows %q", secret)
		}
	}
	// Without --config.file there is no file to show.
	svc1, err := wire([]string{"--twelvelabs.url=" + o.url}, func(string) (string, bool) { return "tlk_x", true }, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	svc1.handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/config", nil))
	if rec.Code != 404 || !strings.Contains(rec.Body.String(), "no --config.file") {
		t.Errorf("/config without a file: HTTP %d %q", rec.Code, rec.Body.String())
	}
}

// --config.auto-reload reloads the file when its content changes, and
// only then: one reload per change, none while it stays the same or
// cannot be read, the configuration in use kept when the new one is bad.
func TestAutoReloadFollowsTheContent(t *testing.T) {
	o := newOrgs(t, map[string]int{"a": 5, "b": 5})
	cfg := filepath.Join(t.TempDir(), "accounts.yml")
	writeConfig(t, cfg, "accounts:\n  - {name: a, key_env: KEY_A}\n")
	svc, err := wire([]string{"--config.file=" + cfg, "--config.auto-reload", "--config.auto-reload-interval=1s", "--twelvelabs.url=" + o.url}, o.lookupEnv, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go svc.targets.watch(ctx, 20*time.Millisecond)
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("after 5s: %s", what)
			}
		}
	}
	loads := svc.targets.reloadCount.Load()
	time.Sleep(100 * time.Millisecond) // five ticks of an unchanged file
	if n := svc.targets.reloadCount.Load(); n != loads {
		t.Errorf("%d reloads of an unchanged file", n-loads)
	}
	writeConfig(t, cfg, "accounts:\n  - {name: a, key_env: KEY_A}\n  - {name: b, key_env: KEY_B}\n")
	waitFor("account b loaded", func() bool { return svc.targets.account("b") != nil })
	loads = svc.targets.reloadCount.Load()
	writeConfig(t, cfg, "accounts:\n  - {name: a, key_fil: /x}\n") // bad: the configuration in use stays
	waitFor("the bad file tried", func() bool { return svc.targets.reloadCount.Load() == loads+1 })
	time.Sleep(100 * time.Millisecond)
	if n := svc.targets.reloadCount.Load(); n != loads+1 || svc.targets.account("b") == nil || svc.targets.reloadOK.Load() {
		t.Errorf("a bad file: %d reloads (want 1, not one per tick), account b kept %v, reload ok %v", n-loads, svc.targets.account("b") != nil, svc.targets.reloadOK.Load())
	}
	if err := os.Remove(cfg); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if n := svc.targets.reloadCount.Load(); n != loads+1 {
		t.Errorf("%d reloads of a missing file, want none", n-loads-1)
	}
	// Without --config.file there is nothing to watch: a start-up error.
	if _, err := wire([]string{"--config.auto-reload"}, o.lookupEnv, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "give --config.file") {
		t.Errorf("--config.auto-reload without a file: %v", err)
	}
}
