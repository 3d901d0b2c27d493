package e2e

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twelvelabs-community/twelvelabs_exporter/internal/testproc"
	"github.com/twelvelabs-community/twelvelabs_exporter/simulator"
)

// binary is the exporter, built once for every test here, which run it as
// a user would.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "twelvelabs_exporter-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// A plain go build, as a user's: no linker flags, the version read from
	// the build info (TestPlainGoBuildReportsItsVersion).
	flags := []string{"-buildvcs=true"}
	if raceEnabled {
		flags = append(flags, "-race") // the soak test runs the race detector on the binary too
	}
	binary, err = testproc.Build(dir, "github.com/twelvelabs-community/twelvelabs_exporter", "twelvelabs_exporter", flags...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "building the exporter:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// The tests here run in parallel (make test gives them -parallel 6): most
// of their time is real time spent waiting (Prometheus's scrapes, the
// alerts' compressed for:, the soak's length). The soak's scrapes must
// answer within 2.5 s, which a burst of race-built processes starting
// beside it can delay: it starts once the tests that call parallel have
// ended. TestEndToEnd does not wait for it, nor it for TestEndToEnd, which
// starts three processes and then waits on Prometheus.
var others sync.WaitGroup

// parallel runs a top-level test beside the others, and before the soak.
// (Every test calls it before any is released, in go test's sequential
// phase, so that the soak's wait counts them all.)
func parallel(t *testing.T) {
	t.Helper()
	others.Add(1)
	t.Cleanup(others.Done) // last, after the test's processes have stopped
	t.Parallel()
}

// afterOthers waits until the tests that call parallel have ended, when
// -parallel leaves them a slot beside the soak and TestEndToEnd; with
// fewer (go test's default is GOMAXPROCS), they would wait for the soak's
// slot while it waits for them, so it goes on beside them.
func afterOthers(t *testing.T) {
	t.Helper()
	if f := flag.Lookup("test.parallel"); f != nil {
		if n, err := strconv.Atoi(f.Value.String()); err == nil && n < 3 {
			t.Logf("-parallel %d: not waiting for the other tests", n)
			return
		}
	}
	start := time.Now()
	others.Wait()
	t.Logf("waited %v for the other tests to end", time.Since(start).Round(time.Second))
}

// exporterProcess is the built exporter running on a free loopback port.
type exporterProcess struct {
	*testproc.Process
	addr string
}

func (p *exporterProcess) logs() string { return p.Logs() }

// startExporter runs the binary and waits (at most 10 s) until it answers.
func startExporter(t *testing.T, env []string, args ...string) *exporterProcess {
	t.Helper()
	addr := testproc.FreeAddr(t)
	p := testproc.Start(t, binary, env, append([]string{"--web.listen-address=" + addr}, args...)...)
	testproc.WaitHTTP(t, "http://"+addr+"/", 10*time.Second)
	return &exporterProcess{Process: p, addr: addr}
}

func get(t *testing.T, url string, header map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// The acceptance test: 1,237 tasks over both APIs, exact counts,
// sums and oldest timestamps, and ceil(N/50) requests per API per scrape
// listed in full; listed incrementally, the first scrape costs that and the
// next ones a few requests, with the same exact counts.
func TestBinaryExportsExactCountsWithMinimalRequests(t *testing.T) {
	parallel(t)
	for _, mode := range []string{"full", "incremental"} {
		t.Run(mode, func(t *testing.T) { exactCountsWithMinimalRequests(t, mode) })
	}
}

func exactCountsWithMinimalRequests(t *testing.T, mode string) {
	sim := simulator.New(simKey)
	now := time.Now().Add(-2 * time.Second) // inside the window, which ends at the last whole second
	sizes := map[string]int{"v1": 700, "v2": 537}
	tasks := map[string][]simulator.Task{}
	for api, n := range sizes {
		tasks[api] = simulator.Generate(simulator.GenerateOptions{Seed: 42, N: n, Now: now, API: api,
			FailedRatio: 0.07, ProcessingRatio: 0.13, UnknownModelRatio: 0.01})
		sim.SetTasks(api, tasks[api])
	}
	srv := httptest.NewServer(sim)
	defer srv.Close()

	p := startExporter(t, []string{"TWELVELABS_API_KEY=" + simKey}, "--twelvelabs.url="+srv.URL+simulator.BasePath, "--twelvelabs.listing="+mode)
	spent := map[string]int64{}
	for scrape := 1; scrape <= 3; scrape++ {
		code, body := get(t, "http://"+p.addr+"/metrics", nil)
		if code != 200 {
			t.Fatalf("scrape %d: HTTP %d", scrape, code)
		}
		mfs := testproc.ParseMetrics(t, body)
		for api, n := range sizes {
			got := sim.Requests(api) - spent[api]
			spent[api] = sim.Requests(api)
			// A listing of more than one page is confirmed by the API's
			// count of each of the 3 statuses.
			const verify = 3
			// The processing tasks are read whole too: moves in and out of
			// processing can cancel out in the counts.
			full := int64((n+49)/50) + verify + int64((processing(tasks[api])+49)/50) - 1
			if n%50 == 0 {
				// A pass that ends on a full page, as its count says, may
				// have been ended a page early by a count that lags: its
				// oldest second is counted.
				full++
			}
			switch {
			case (mode == "full" || scrape == 1) && got != full:
				t.Errorf("scrape %d: %s saw %d requests, want %d", scrape, api, got, full)
			case mode == "incremental" && scrape > 1 && got > 1+verify+int64((processing(tasks[api])+49)/50):
				t.Errorf("incremental scrape %d: %s saw %d requests, want the first page, the status counts and the %d processing tasks' pages", scrape, api, got,
					processing(tasks[api]))
			}
			if up, _ := testproc.Value(mfs, "twelvelabs_up", map[string]string{"api": api}); up != 1 {
				t.Errorf("twelvelabs_up{api=%q} = %v", api, up)
			}
			if pages, _ := testproc.Value(mfs, "twelvelabs_exporter_scrape_pages", map[string]string{"api": api}); pages != float64(got) {
				t.Errorf("scrape_pages{api=%q} = %v", api, pages)
			}
			total := 0.0
			for k, g := range simulator.Aggregate(tasks[api], api, time.Time{}, time.Time{}, time.Now()) {
				l := map[string]string{"api": api, "model_name": k.Model, "status": k.Status}
				check := func(name string, w float64) {
					if got, ok := testproc.Value(mfs, name, l); !ok || got != w {
						t.Errorf("%s%v = %v (present %v), want %v", name, l, got, ok, w)
					}
				}
				check("twelvelabs_embed_tasks", float64(g.Tasks))
				check("twelvelabs_embed_tasks_video_duration_seconds", float64(g.VideoNanos)/1e9)
				check("twelvelabs_embed_tasks_audio_duration_seconds", float64(g.AudioNanos)/1e9)
				check("twelvelabs_embed_tasks_oldest_created_timestamp_seconds", float64(g.Oldest.UnixMicro())/1e6)
				total += float64(g.Tasks)
			}
			if sum := testproc.Sum(mfs, "twelvelabs_embed_tasks", "api", api); sum != float64(n) || total != float64(n) {
				t.Errorf("%s: exported %v tasks in all, want %d", api, sum, n)
			}
		}
		if _, ok := testproc.Value(mfs, "twelvelabs_exporter_build_info", nil); !ok && mfs["twelvelabs_exporter_build_info"] == nil {
			t.Error("twelvelabs_exporter_build_info missing")
		}
		for _, name := range []string{"go_goroutines", "process_cpu_seconds_total"} {
			if mfs[name] == nil {
				t.Errorf("%s missing: the standard collectors should stay on", name)
			}
		}
	}
	if strings.Contains(p.logs(), simKey) {
		t.Error("the exporter logged the API key")
	}
}

func TestBinaryWithRevokedKeyKeepsServing(t *testing.T) {
	parallel(t)
	sim := simulator.New("another-key")
	sim.SetTasks("v1", simulator.Generate(simulator.GenerateOptions{Seed: 1, N: 60, Now: time.Now(), API: "v1"}))
	srv := httptest.NewServer(sim)
	defer srv.Close()
	keyFile := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(keyFile, []byte(simKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startExporter(t, nil, "--twelvelabs.url="+srv.URL+simulator.BasePath, "--twelvelabs.api-key-file="+keyFile, "--twelvelabs.embed-api=v1")

	code, body := get(t, "http://"+p.addr+"/metrics", nil)
	mfs := testproc.ParseMetrics(t, body)
	if up, ok := testproc.Value(mfs, "twelvelabs_up", map[string]string{"api": "v1"}); code != 200 || !ok || up != 0 {
		t.Fatalf("HTTP %d, twelvelabs_up %v (present %v); want 200 and 0", code, up, ok)
	}
	if mfs["twelvelabs_embed_tasks"] != nil || mfs["twelvelabs_up"].GetMetric()[0].GetLabel()[0].GetValue() != "v1" || len(mfs["twelvelabs_up"].GetMetric()) != 1 {
		t.Error("a failed listing must export no task metrics, and only the configured API")
	}
	if n, _ := testproc.Value(mfs, "twelvelabs_exporter_api_requests_total", map[string]string{"api": "v1", "code": "401"}); n != 1 {
		t.Errorf("401 requests counted %v, want 1 (never retried)", n)
	}
	// Rotate the key in place: the next scrape uses it without a restart.
	if err := os.WriteFile(keyFile, []byte("another-key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, body = get(t, "http://"+p.addr+"/metrics", nil)
	mfs = testproc.ParseMetrics(t, body)
	if up, _ := testproc.Value(mfs, "twelvelabs_up", map[string]string{"api": "v1"}); up != 1 {
		t.Errorf("after rotating the key file: twelvelabs_up %v, want 1", up)
	}
	if n, _ := testproc.Value(mfs, "twelvelabs_embed_tasks", map[string]string{"api": "v1", "model_name": "marengo3.0", "status": "ready"}); n == 0 {
		t.Error("after rotating the key file: no tasks exported")
	}
	logs := p.logs()
	if !strings.Contains(logs, `msg="listing failed" api=v1`) || !strings.Contains(logs, "api_key_invalid") || !strings.Contains(logs, "rotate it") {
		t.Errorf("the failure should be logged with the API's code and a hint:\n%s", logs)
	}
	for _, secret := range []string{simKey, "another-key"} {
		if strings.Contains(logs, secret) || strings.Contains(body, secret) {
			t.Errorf("the key %q leaked into the logs or metrics", secret)
		}
	}
	_, landing := get(t, "http://"+p.addr+"/", nil)
	if !strings.Contains(landing, "TwelveLabs Exporter") || !strings.Contains(landing, `href="/metrics"`) || strings.Contains(landing, simKey) {
		t.Errorf("landing page:\n%s", landing)
	}
}

func TestBinaryStopsGracefullyOnSIGTERM(t *testing.T) {
	parallel(t)
	p := startExporter(t, []string{"TWELVELABS_API_KEY=k"}, "--twelvelabs.url=http://127.0.0.1:1/v1.3")
	start := time.Now()
	if err := p.Stop(10 * time.Second); err != nil {
		t.Errorf("exit after SIGTERM: %v", err)
	}
	if took := time.Since(start); took > 9*time.Second {
		t.Errorf("took %v to stop after SIGTERM", took)
	}
	if !strings.Contains(p.Logs(), "Shutting down") {
		t.Errorf("no shutdown log line:\n%s", p.Logs())
	}
}

func TestStartupErrorsSayWhatToFix(t *testing.T) {
	parallel(t)
	dir := t.TempDir()
	emptyFile := filepath.Join(dir, "empty")
	if err := os.WriteFile(emptyFile, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bom := filepath.Join(dir, "bom")
	twoLines := filepath.Join(dir, "two-lines")
	for path, content := range map[string]string{bom: "\xef\xbb\xbf" + simKey, twoLines: simKey + "\nsecond-line\n"} {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	unreadable := filepath.Join(dir, "unreadable")
	if err := os.Mkdir(unreadable, 0o700); err != nil { // a directory cannot be read as a file
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"no key", nil, nil, "no TwelveLabs API key: set $TWELVELABS_API_KEY or --twelvelabs.api-key-file"},
		{"empty env key", []string{"TWELVELABS_API_KEY= "}, nil, "$TWELVELABS_API_KEY is empty"},
		{"empty key file", nil, []string{"--twelvelabs.api-key-file=" + emptyFile}, "API key file " + emptyFile + " is empty"},
		{"missing key file", nil, []string{"--twelvelabs.api-key-file=" + dir + "/nope"}, "no such file or directory"},
		{"unreadable key file", nil, []string{"--twelvelabs.api-key-file=" + unreadable}, "is a directory"},
		{"key file with a byte-order mark", nil, []string{"--twelvelabs.api-key-file=" + bom}, "API key file " + bom + " starts with a byte-order mark"},
		{"key file of two lines", nil, []string{"--twelvelabs.api-key-file=" + twoLines}, "API key file " + twoLines + " holds more than one line"},
		{"key variable with a newline inside", []string{"TWELVELABS_API_KEY=" + simKey + "\nx"}, nil, "$TWELVELABS_API_KEY holds more than one line"},
		{"bad max models", []string{"TWELVELABS_API_KEY=" + simKey}, []string{"--twelvelabs.max-models=0"}, "--twelvelabs.max-models=0: want at least 1"},
		{"bad API", []string{"TWELVELABS_API_KEY=" + simKey}, []string{"--twelvelabs.embed-api=v3"}, `--twelvelabs.embed-api: unknown Embed API "v3"`},
		{"bad URL", []string{"TWELVELABS_API_KEY=" + simKey}, []string{"--twelvelabs.url=api.twelvelabs.io"}, "--twelvelabs.url"},
		{"bad concurrency", []string{"TWELVELABS_API_KEY=" + simKey}, []string{"--twelvelabs.concurrency=0"}, "--twelvelabs.concurrency=0: want at least 1"},
		{"bad duration", []string{"TWELVELABS_API_KEY=" + simKey}, []string{"--twelvelabs.timeout=soon"}, "twelvelabs.timeout"},
		{"bad telemetry path", []string{"TWELVELABS_API_KEY=" + simKey}, []string{"--web.telemetry-path=metrics"}, "--web.telemetry-path"},
		{"unknown flag", []string{"TWELVELABS_API_KEY=" + simKey}, []string{"--twelvelabs.key=x"}, "unknown long flag '--twelvelabs.key'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Bounded: a wrongly accepted setting would start a server.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, binary, append([]string{"--web.listen-address=" + testproc.FreeAddr(t)}, tc.args...)...)
			cmd.Env = tc.env
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("started; want a failure saying %q", tc.want)
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], tc.want) || !strings.HasPrefix(lines[0], "twelvelabs_exporter: error: ") {
				t.Errorf("output %q: want one line saying %q", out, tc.want)
			}
			if strings.Contains(string(out), simKey) {
				t.Error("the key is in the output")
			}
		})
	}
}

func TestAlternativeKeyVariable(t *testing.T) {
	parallel(t)
	sim := simulator.New(simKey)
	srv := httptest.NewServer(sim)
	defer srv.Close()
	p := startExporter(t, []string{"TWELVE_LABS_API_KEY=" + simKey}, "--twelvelabs.url="+srv.URL+simulator.BasePath)
	_, body := get(t, "http://"+p.addr+"/metrics", nil)
	mfs := testproc.ParseMetrics(t, body)
	for _, api := range []string{"v1", "v2"} {
		if up, _ := testproc.Value(mfs, "twelvelabs_up", map[string]string{"api": api}); up != 1 {
			t.Errorf("with $TWELVE_LABS_API_KEY: twelvelabs_up{api=%q} = %v", api, up)
		}
	}
	sc := bufio.NewScanner(strings.NewReader(p.logs()))
	for sc.Scan() {
		if strings.Contains(sc.Text(), "Starting") && !strings.Contains(sc.Text(), "api_key_from=$TWELVE_LABS_API_KEY") {
			t.Errorf("start-up line should name the key's source: %s", sc.Text())
		}
	}
}

func processing(tasks []simulator.Task) int {
	n := 0
	for _, t := range tasks {
		if t.StatusAt(time.Now()) == "processing" {
			n++
		}
	}
	return n
}
