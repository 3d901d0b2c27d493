package e2e

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/textparse"

	"github.com/twelvelabs-community/twelvelabs_exporter/internal/testproc"
	"github.com/twelvelabs-community/twelvelabs_exporter/simulator"
)

// SIGHUP re-reads the key file and says so; the process goes on serving.
func TestSIGHUPReloadsTheKeyFile(t *testing.T) {
	parallel(t)
	sim := simulator.New("second-key-0123456789")
	srv := httptest.NewServer(sim)
	defer srv.Close()
	keyFile := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(keyFile, []byte("first-key-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startExporter(t, nil, "--twelvelabs.url="+srv.URL+simulator.BasePath, "--twelvelabs.api-key-file="+keyFile, "--twelvelabs.embed-api=v1")
	if err := os.WriteFile(keyFile, []byte("second-key-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := p.Cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	testproc.Eventually(t, 5*time.Second, 50*time.Millisecond, func() string {
		if !strings.Contains(p.Logs(), "SIGHUP: API key file reloaded") {
			return "no reload line in the log:\n" + p.Logs()
		}
		return ""
	})
	_, body := get(t, "http://"+p.addr+"/metrics", nil)
	if up, _ := testproc.Value(testproc.ParseMetrics(t, body), "twelvelabs_up", map[string]string{"api": "v1"}); up != 1 {
		t.Errorf("after SIGHUP: twelvelabs_up %v, want 1 with the new key", up)
	}
	if strings.Contains(p.Logs(), "first-key") || strings.Contains(p.Logs(), "second-key") {
		t.Error("a key reached the log")
	}
}

// SIGTERM while a scrape waits on a slow API: the scrape answers, the
// process exits 0, promptly.
func TestSIGTERMDuringASlowScrape(t *testing.T) {
	parallel(t)
	sim := simulator.New(simKey)
	sim.SetLatency(time.Minute)
	srv := httptest.NewServer(sim)
	defer srv.Close()
	p := startExporter(t, []string{"TWELVELABS_API_KEY=" + simKey}, "--twelvelabs.url="+srv.URL+simulator.BasePath)
	answered := make(chan int, 1)
	go func() {
		resp, err := http.Get("http://" + p.addr + "/metrics") // no scrape timeout header: waits up to --twelvelabs.timeout
		if err != nil {
			answered <- 0
			return
		}
		resp.Body.Close()
		answered <- resp.StatusCode
	}()
	time.Sleep(500 * time.Millisecond)
	start := time.Now()
	if err := p.Stop(10 * time.Second); err != nil {
		t.Errorf("exit after SIGTERM during a scrape: %v, want 0", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("took %v to stop", took)
	}
	select {
	case code := <-answered:
		if code != http.StatusOK {
			t.Errorf("the scrape in flight got %d, want an answer", code)
		}
	case <-time.After(5 * time.Second):
		t.Error("the scrape in flight never got an answer")
	}
}

func TestTelemetryPathTheMuxRefusesIsAStartupError(t *testing.T) {
	parallel(t)
	for _, path := range []string{"/metrics {x}", "/-/ready", "/a/{b"} {
		cmd := exec.Command(binary, "--web.listen-address="+testproc.FreeAddr(t), "--web.telemetry-path="+path)
		cmd.Env = []string{"TWELVELABS_API_KEY=k-0123456789"}
		out, err := cmd.CombinedOutput()
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if err == nil || len(lines) != 1 || !strings.Contains(lines[0], "--web.telemetry-path") || strings.Contains(string(out), "goroutine") {
			t.Errorf("%q: err %v, output %q; want one line naming the flag", path, err, out)
		}
	}
}

// OpenMetrics when asked for, with created timestamps on the counters:
// Prometheus's own OpenMetrics parser reads it to the end, and promtool
// (which reads the text format only) accepts the text exposition.
func TestOpenMetricsAndPromtool(t *testing.T) {
	parallel(t)
	sim := simulator.New(simKey)
	for _, api := range simulator.APIs {
		sim.SetTasks(api, simulator.Generate(simulator.GenerateOptions{Seed: 4, N: 70, Now: time.Now().Add(-2 * time.Second), API: api}))
	}
	srv := httptest.NewServer(sim)
	defer srv.Close()
	p := startExporter(t, []string{"TWELVELABS_API_KEY=" + simKey}, "--twelvelabs.url="+srv.URL+simulator.BasePath)
	code, om := get(t, "http://"+p.addr+"/metrics", map[string]string{"Accept": "application/openmetrics-text;version=1.0.0"})
	if code != 200 || !strings.HasSuffix(om, "# EOF\n") || !strings.Contains(om, "twelvelabs_exporter_api_requests_created{") {
		t.Errorf("OpenMetrics answer (HTTP %d) lacks # EOF or created timestamps:\n%.2000s", code, om)
	}
	parser := textparse.NewOpenMetricsParser([]byte(om), labels.NewSymbolTable())
	for {
		_, err := parser.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("OpenMetrics parse: %v", err)
		}
	}
	_, text := get(t, "http://"+p.addr+"/metrics", nil)
	cmd := exec.Command(testproc.Require(t, "promtool", "prometheus"), "check", "metrics")
	cmd.Stdin = strings.NewReader(text)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// The built binary with --config.file: probes by account name, 404 for
// any other target, SIGHUP reloads the file, --config.check reports.
func TestBinaryServesAccountsFromAConfigFile(t *testing.T) {
	parallel(t)
	sim := simulator.New("tlk_one_0123456789abcdef")
	sim.SetTasks(simulator.V1, simulator.Generate(simulator.GenerateOptions{Seed: 1, N: 42, Now: time.Now().Add(-2 * time.Second), API: simulator.V1}))
	srv := httptest.NewServer(sim)
	defer srv.Close()
	cfg := filepath.Join(t.TempDir(), "accounts.yml")
	if err := os.WriteFile(cfg, []byte("accounts:\n  - {name: one, key_env: KEY_ONE, embed_apis: [v1]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"KEY_ONE=tlk_one_0123456789abcdef"}
	check := exec.Command(binary, "--config.file="+cfg, "--config.check")
	check.Env = env
	if out, err := check.CombinedOutput(); err != nil || !strings.Contains(string(out), "OK") {
		t.Errorf("--config.check: %v %s", err, out)
	}
	p := startExporter(t, env, "--config.file="+cfg, "--twelvelabs.url="+srv.URL+simulator.BasePath)
	code, body := get(t, "http://"+p.addr+"/probe?target=one", nil)
	if got := testproc.Sum(testproc.ParseMetrics(t, body), "twelvelabs_embed_tasks", "api", "v1"); code != 200 || got != 42 {
		t.Errorf("probe one: HTTP %d, %v tasks", code, got)
	}
	before := sim.Requests(simulator.V1)
	if code, _ := get(t, "http://"+p.addr+"/probe?target="+url.QueryEscape("http://127.0.0.1:1/"), nil); code != http.StatusNotFound || sim.Requests(simulator.V1) != before {
		t.Errorf("unknown target: HTTP %d, %d requests; want 404 and none", code, sim.Requests(simulator.V1)-before)
	}
	if err := os.WriteFile(cfg, []byte("accounts:\n  - {name: one, key_env: KEY_ONE, embed_apis: [v1]}\n  - {name: two, key_env: KEY_ONE, embed_apis: [v1]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := p.Cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	testproc.Eventually(t, 5*time.Second, 50*time.Millisecond, func() string {
		if code, _ := get(t, "http://"+p.addr+"/probe?target=two", nil); code != 200 {
			return fmt.Sprintf("after SIGHUP, probe two: HTTP %d", code)
		}
		return ""
	})
}

// A plain `go build` (no linker flags) still reports a version, the
// revision and a date, from what the toolchain records in the binary.
func TestPlainGoBuildReportsItsVersion(t *testing.T) {
	parallel(t)
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	out, err := exec.Command(binary, "--version").CombinedOutput()
	rev := strings.TrimSpace(string(head))
	if err != nil || strings.Contains(string(out), "version ,") || !strings.Contains(string(out), "revision: "+rev) ||
		strings.Contains(string(out), "build date:       \n") {
		t.Errorf("--version of a plain go build:\n%s\nwant a version, revision %s and a build date", out, rev)
	}
}
