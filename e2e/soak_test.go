package e2e

import (
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/twelvelabs-community/twelvelabs_exporter/internal/testproc"
	"github.com/twelvelabs-community/twelvelabs_exporter/simulator"
)

// TestSoak scrapes the built exporter continuously while the simulator
// injects a changing fault into a share of requests (rate limits, 5xx,
// malformed and truncated bodies, hangs, stalls): every scrape answers on
// time, and goroutines, open files and heap stay flat. SOAK_DURATION sets
// its length (default 90s); -short skips it.
func TestSoak(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("soak test")
	}
	// Alone, but for TestEndToEnd: a scrape that must answer within 2.5 s
	// is not timed beside a burst of race-built processes (see others).
	afterOthers(t)
	duration := 90 * time.Second
	if d, err := time.ParseDuration(os.Getenv("SOAK_DURATION")); err == nil {
		duration = d
	}
	sim := simulator.New(simKey)
	now := time.Now()
	for i, api := range []string{"v1", "v2"} {
		sim.SetTasks(api, simulator.Generate(simulator.GenerateOptions{Seed: uint64(i), N: 400, Now: now, API: api, FailedRatio: 0.05}))
	}
	sim.SetWorkload(simulator.Workload{RatePerMinute: 300, FailedRatio: 0.05, StuckRatio: 0.01, ProcessingSeconds: 10})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	p := startExporter(t, []string{"TWELVELABS_API_KEY=" + simKey, "GORACE=halt_on_error=1"},
		"--twelvelabs.url="+srv.URL+simulator.BasePath, "--twelvelabs.request-timeout=500ms", "--twelvelabs.timeout=5s")

	faults := []simulator.Fault{
		{}, {Kind: "429", Ratio: 0.3, RetryAfter: "1"}, {Kind: "503", Ratio: 0.3}, {Kind: "malformed", Ratio: 0.2},
		{Kind: "truncated", Ratio: 0.2}, {Kind: "hang", Ratio: 0.2}, {Kind: "stall", Ratio: 0.2}, {Kind: "html", Ratio: 0.3},
	}
	type sample struct{ goroutines, fds, heap float64 }
	read := func(body string) sample {
		mfs := testproc.ParseMetrics(t, body)
		g, _ := testproc.Value(mfs, "go_goroutines", nil)
		f, _ := testproc.Value(mfs, "process_open_fds", nil)
		h, _ := testproc.Value(mfs, "go_memstats_heap_inuse_bytes", nil)
		return sample{g, f, h}
	}
	var base, last sample
	var scrapes, ups int
	start := time.Now()
	for i := 0; time.Since(start) < duration; i++ {
		sim.SetFault(faults[(i/20)%len(faults)]) // a new fault every 20 scrapes
		t0 := time.Now()
		code, body := get(t, "http://"+p.addr+"/metrics", map[string]string{"X-Prometheus-Scrape-Timeout-Seconds": "1.5"})
		if took := time.Since(t0); code != 200 || took > 2500*time.Millisecond {
			t.Fatalf("scrape %d: HTTP %d after %v", i, code, took)
		}
		scrapes++
		if strings.Contains(body, `twelvelabs_up{api="v1"} 1`) {
			ups++
		}
		s := read(body)
		if time.Since(start) < 10*time.Second { // warm-up: the high-water mark is the baseline
			base = sample{max(base.goroutines, s.goroutines), max(base.fds, s.fds), max(base.heap, s.heap)}
		}
		last = s
		time.Sleep(100 * time.Millisecond)
	}
	sim.SetFault(simulator.Fault{})
	t.Logf("%d scrapes (%d with v1 up) over %v; goroutines %v -> %v, open fds %v -> %v, heap in use %.1f -> %.1f MiB",
		scrapes, ups, duration, base.goroutines, last.goroutines, base.fds, last.fds, base.heap/(1<<20), last.heap/(1<<20))
	if last.goroutines > base.goroutines+20 {
		t.Errorf("goroutines grew from %v to %v", base.goroutines, last.goroutines)
	}
	if last.fds > base.fds+10 {
		t.Errorf("open file descriptors grew from %v to %v", base.fds, last.fds)
	}
	if last.heap > 2*base.heap+8<<20 {
		t.Errorf("heap in use grew from %.1f to %.1f MiB", base.heap/(1<<20), last.heap/(1<<20))
	}
	if ups == 0 || ups == scrapes {
		t.Errorf("%d of %d scrapes had v1 up: the faults should fail some listings and not all", ups, scrapes)
	}
	if logs := p.logs(); strings.Contains(logs, "DATA RACE") || strings.Contains(logs, simKey) {
		t.Errorf("the exporter reported a data race or logged the key:\n%s", lastLines(logs, 40))
	}
	if err := p.Stop(10 * time.Second); err != nil {
		t.Errorf("exit after the soak: %v\n%s", err, lastLines(p.logs(), 40))
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
