package main

import (
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/twelvelabs-community/twelvelabs_exporter/simulator"
)

// BenchmarkScrapeCached serves /metrics from a listing already done (a
// cache hit): the cost of each Prometheus scrape to the exporter's host.
// cpu-ms/op is the process's user+system CPU per scrape.
func BenchmarkScrapeCached(b *testing.B) {
	sim := simulator.New(simKey)
	now := time.Now()
	for i, api := range []string{"v1", "v2"} {
		sim.SetTasks(api, simulator.Generate(simulator.GenerateOptions{Seed: uint64(i), N: 2000, Now: now, API: api,
			FailedRatio: 0.05, ProcessingRatio: 0.05, UnknownModelRatio: 0.01}))
	}
	h := testHandler(b, sim, "--twelvelabs.cache-ttl=1h")
	if code, _, _ := serve(h, nil); code != http.StatusOK {
		b.Fatalf("warm-up scrape: HTTP %d", code)
	}
	before := sim.Requests("v1") + sim.Requests("v2")
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept", "text/plain")
	cpu0 := cpuTime()
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("HTTP %d", rec.Code)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
	if after := sim.Requests("v1") + sim.Requests("v2"); after != before {
		b.Fatalf("%d API requests during cached scrapes", after-before)
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
