package main

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twelvelabs-community/twelvelabs_exporter/internal/testproc"
	"github.com/twelvelabs-community/twelvelabs_exporter/simulator"
)

const simKey = "tlk_sim_5f1e2d3c4b5a69788796a5b4c3d2e1f0"

// testHandler serves the exporter in-process against a simulator, through
// the wiring run uses, with the key in the environment.
func testHandler(t testing.TB, sim *simulator.Server, args ...string) http.Handler {
	t.Helper()
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return wired(t, io.Discard, envWith("TWELVELABS_API_KEY", simKey),
		append([]string{"--twelvelabs.url=" + srv.URL + simulator.BasePath}, args...)...)
}

// wired builds the exporter's handler with wire, as run does.
func wired(t testing.TB, logs io.Writer, env func(string) (string, bool), args ...string) http.Handler {
	t.Helper()
	svc, err := wire(args, env, logs)
	if err != nil {
		t.Fatal(err)
	}
	return svc.handler
}

// envWith is an environment holding one variable.
func envWith(name, value string) func(string) (string, bool) {
	return func(n string) (string, bool) {
		if n == name {
			return value, true
		}
		return "", false
	}
}

func serve(h http.Handler, header map[string]string) (int, string, time.Duration) {
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	start := time.Now()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String(), time.Since(start)
}

func TestPrometheusScrapeTimeoutBoundsTheScrape(t *testing.T) {
	sim := simulator.New(simKey)
	sim.SetLatency(3 * time.Second)
	h := testHandler(t, sim, "--twelvelabs.timeout=20s", "--twelvelabs.timeout-offset=250ms")
	code, body, took := serve(h, map[string]string{"X-Prometheus-Scrape-Timeout-Seconds": "1"})
	if code != 200 || took > 2*time.Second {
		t.Fatalf("HTTP %d after %v; want an answer within the 1s scrape timeout", code, took)
	}
	for _, want := range []string{`twelvelabs_up{api="v1"} 0`, `twelvelabs_up{api="v2"} 0`} {
		if !strings.Contains(body, want) {
			t.Errorf("missing %s", want)
		}
	}
	if strings.Contains(body, "twelvelabs_embed_tasks{") {
		t.Error("a listing cut by the deadline must export no task metrics")
	}
}

func TestExcessScrapesGet503(t *testing.T) {
	sim := simulator.New(simKey)
	sim.SetLatency(500 * time.Millisecond)
	h := testHandler(t, sim, "--web.max-requests=1", "--twelvelabs.embed-api=v1")
	var wg sync.WaitGroup
	codes := make([]int, 2)
	wg.Go(func() { codes[0], _, _ = serve(h, nil) })
	time.Sleep(100 * time.Millisecond)
	codes[1], _, _ = serve(h, nil)
	wg.Wait()
	if codes[0] != 200 || codes[1] != http.StatusServiceUnavailable {
		t.Errorf("codes %v, want the first scrape served and the second refused with 503", codes)
	}
}

// Two Prometheus servers of an HA pair scrape at the same moment: one
// listing serves both, so the API sees ceil(N/50) requests, not twice that.
func TestHAPairScrapesShareOneListing(t *testing.T) {
	sim := simulator.New(simKey)
	// 100 ms a request: the listing lasts about half a second, time enough
	// for both scrapes to arrive while it runs.
	sim.SetLatency(100 * time.Millisecond)
	sim.SetTasks("v2", simulator.Generate(simulator.GenerateOptions{Seed: 5, N: 1000, Now: time.Now(), API: "v2"}))
	h := testHandler(t, sim, "--twelvelabs.embed-api=v2")
	var wg sync.WaitGroup
	bodies := make([]string, 2)
	for i := range bodies {
		wg.Go(func() { _, bodies[i], _ = serve(h, map[string]string{"X-Prometheus-Scrape-Timeout-Seconds": "10"}) })
	}
	wg.Wait()
	// One listing: 20 pages, the count of its oldest second (1,000 is a
	// multiple of the page: a lagging count could have ended the pass a
	// page early) and the 3 status counts that confirm them.
	if got := sim.Requests("v2"); got != 20+1+3 {
		t.Errorf("the API saw %d requests for two simultaneous scrapes of 1,000 tasks, want 24", got)
	}
	for i, b := range bodies {
		if !strings.Contains(b, `twelvelabs_up{api="v2"} 1`) {
			t.Errorf("scrape %d did not get the listing", i)
		}
	}
}
func TestScrapeTimeout(t *testing.T) {
	for _, tc := range []struct {
		header string
		want   time.Duration
	}{
		{"", 10 * time.Second},
		{"junk", 10 * time.Second},
		{"-3", 10 * time.Second},
		{"NaN", 10 * time.Second},
		{"4", 3500 * time.Millisecond},
		{"30", 10 * time.Second},
		{"0.3", 300 * time.Millisecond},
	} {
		if got := scrapeTimeout(tc.header, 10*time.Second, 500*time.Millisecond); got != tc.want {
			t.Errorf("header %q: %v, want %v", tc.header, got, tc.want)
		}
	}
}
func TestNoProfilingEndpoints(t *testing.T) {
	sim := simulator.New(simKey)
	h := testHandler(t, sim)
	for _, path := range []string{"/debug/pprof/", "/debug/pprof/heap", "/debug/vars"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusNotFound {
			t.Errorf("%s: HTTP %d, want 404", path, rec.Code)
		}
	}
}

func TestServerTimeouts(t *testing.T) {
	_, cfg := newApp()
	cfg.timeout = time.Minute
	s := newServer(cfg, http.NotFoundHandler())
	if s.ReadHeaderTimeout <= 0 || s.ReadTimeout <= 0 || s.IdleTimeout <= 0 || s.MaxHeaderBytes <= 0 {
		t.Errorf("server limits %v %v %v %d: want all set", s.ReadHeaderTimeout, s.ReadTimeout, s.IdleTimeout, s.MaxHeaderBytes)
	}
	if s.WriteTimeout <= cfg.timeout {
		t.Errorf("write timeout %v must exceed the listing timeout %v, or slow answers are cut", s.WriteTimeout, cfg.timeout)
	}
}

// A week-old account at steady state, listed in full: tasks keep expiring at the window's
// old edge while each listing reads it (the simulator's clock runs 200 ms
// ahead per request). That shifts no page already read, so each scrape
// costs ceil(N/50) requests, never a second listing.
func TestWeekOldAccountCostsOneRequestPerPage(t *testing.T) {
	sim := simulator.New(simKey)
	var calls atomic.Int64
	start := time.Now()
	sim.SetClock(func() time.Time {
		return start.Add(time.Since(start) + time.Duration(calls.Add(1))*200*time.Millisecond)
	})
	sim.SetTasks(simulator.V1, simulator.SteadyWeek(simulator.GenerateOptions{Seed: 8, N: 1010, Now: start.Add(-time.Second), API: simulator.V1}))
	var logs testproc.SyncBuffer
	srv := httptest.NewServer(sim)
	defer srv.Close()
	h := wired(t, &logs, envWith("TWELVELABS_API_KEY", simKey), "--twelvelabs.url="+srv.URL+simulator.BasePath,
		"--twelvelabs.embed-api=v1", "--twelvelabs.concurrency=1", "--twelvelabs.listing=full")
	expired := false
	for scrape := range 4 {
		before := len(sim.Tasks(simulator.V1))
		requests := sim.Requests(simulator.V1)
		_, body, _ := serve(h, map[string]string{"X-Prometheus-Scrape-Timeout-Seconds": "10"})
		got := sim.Requests(simulator.V1) - requests
		after := len(sim.Tasks(simulator.V1))
		expired = expired || after < before
		// One pass, the 3 status counts that confirm it, and for the
		// window's count and each status count that expiry moved during
		// the listing, the oldest page's range and the rest asked again:
		// never a second pass.
		if lo, hi := int64((after+49)/50), int64((before+49)/50)+3+4*2; got < lo || got > hi {
			t.Errorf("scrape %d: %d requests for %d..%d tasks, want ceil(N/50) to ceil(N/50)+11 = %d..%d", scrape, got, after, before, lo, hi)
		}
		if up, _ := testproc.Value(testproc.ParseMetrics(t, body), "twelvelabs_up", map[string]string{"api": "v1"}); up != 1 {
			t.Errorf("scrape %d: twelvelabs_up %v", scrape, up)
		}
	}
	if !expired {
		t.Error("no task expired during the scrapes: the test did not model a week-old account")
	}
	if strings.Contains(logs.String(), "listed again") {
		t.Errorf("expiry at the old edge caused a second listing:\n%s", logs.String())
	}
}

// --twelvelabs.embed-api takes a comma-separated list, as the README's
// default (v1,v2) reads, and repeated flags; each API once.
func TestEmbedAPIListForms(t *testing.T) {
	sim := simulator.New(simKey)
	for _, args := range [][]string{{"--twelvelabs.embed-api=v1,v2"}, {"--twelvelabs.embed-api=v2", "--twelvelabs.embed-api=v1,v2"}} {
		_, body, _ := serve(testHandler(t, sim, args...), nil)
		mfs := testproc.ParseMetrics(t, body)
		if n := len(mfs["twelvelabs_up"].GetMetric()); n != 2 {
			t.Errorf("%v: %d APIs listed, want v1 and v2 once each", args, n)
		}
	}
}

// A busy listen address is one line naming it, not a log of a server that
// stopped.
func TestBusyPortIsOneLine(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	t.Setenv("TWELVELABS_API_KEY", simKey)
	var out bytes.Buffer
	code := run([]string{"--web.listen-address=" + l.Addr().String(), "--log.level=error"}, &out)
	want := "twelvelabs_exporter: error: --web.listen-address: " + l.Addr().String() + " is in use by another process"
	if code != 1 || strings.Count(out.String(), "\n") != 1 || !strings.Contains(out.String(), want) {
		t.Errorf("exit %d, %q; want 1 and one line saying %q", code, out.String(), want)
	}
}
