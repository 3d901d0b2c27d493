package collector

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/twelvelabs-community/twelvelabs_exporter/client"
	"github.com/twelvelabs-community/twelvelabs_exporter/simulator"
)

// BenchmarkIncrementalSteadyState: a week of 100,000 tasks (v2), about ten
// new tasks a minute, a few stuck ones, scraped every simulated minute for
// two simulated hours after the start-up listing. requests/scrape is the
// API's cost of a scrape; s@300ms/scrape is the scrape's longest wait at
// 300 ms a request (its requests are sequential), which must stay well
// under the 60 s interval for the data to be younger than one scrape.
// idle-requests/scrape is the cost when nothing changes.
func BenchmarkIncrementalSteadyState(b *testing.B) {
	for b.Loop() {
		clock := &simClock{t: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)}
		const key = "tlk_bench_0123456789"
		sim := simulator.New(key)
		sim.SetClock(clock.now)
		sim.SetTasks(simulator.V2, simulator.SteadyWeek(simulator.GenerateOptions{Seed: 1, N: 100_000, Now: clock.now(), API: simulator.V2,
			FailedRatio: 0.03, ProcessingRatio: 0.0002}))
		sim.SetWorkload(simulator.Workload{RatePerMinute: 10, FailedRatio: 0.03, StuckRatio: 0.005, ProcessingSeconds: 60})
		srv := httptest.NewServer(sim)
		c, err := client.New(client.Config{BaseURL: srv.URL + simulator.BasePath, Key: client.StaticKey(key),
			Concurrency: 4, MaxPages: 5000, Now: clock.now})
		if err != nil {
			b.Fatal(err)
		}
		e := New(c, Options{APIs: []client.API{client.V2}, Now: clock.now})
		scrape := func() (requests int64, up float64) {
			before := sim.Requests(simulator.V2)
			mfs := gather(b, e.Collector(context.Background()))
			return sim.Requests(simulator.V2) - before, mfs["twelvelabs_up"].GetMetric()[0].GetGauge().GetValue()
		}
		startup, _ := scrape()
		var total, worst int64
		const scrapes = 120
		for range scrapes {
			clock.add(time.Minute)
			r, up := scrape()
			if up != 1 {
				b.Fatal("a scrape failed")
			}
			total += r
			worst = max(worst, r)
		}
		sim.SetWorkload(simulator.Workload{}) // nothing changes any more
		clock.add(30 * time.Minute)           // the last tasks finish
		scrape()
		var idle int64
		for range 10 {
			clock.add(time.Minute)
			r, _ := scrape()
			idle += r
		}
		srv.Close()
		for _, m := range gather(b, e.Collector(context.Background()))["twelvelabs_exporter_resyncs_total"].GetMetric() {
			b.Logf("resyncs %v: %v", m.GetLabel()[1].GetValue(), m.GetCounter().GetValue())
		}
		b.ReportMetric(float64(startup), "startup-requests")
		b.ReportMetric(float64(total)/scrapes, "requests/scrape")
		b.ReportMetric(100*float64(total)/scrapes/float64(startup), "%-of-full")
		b.ReportMetric(float64(worst)*0.3, "s@300ms/scrape")
		b.ReportMetric(float64(idle)/10, "idle-requests/scrape")
	}
}
