package collector

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/twelvelabs-community/twelvelabs_exporter/client"
	"github.com/twelvelabs-community/twelvelabs_exporter/simulator"
)

// steadyAccount is a week-old account in its steady state, scraped every
// simulated minute.
type steadyAccount struct {
	name string
	// tasks in the window, and arrivals a minute that keep it so (a week
	// of them).
	tasks       int
	perMinute   float64
	scrapes     int
	concurrency int
}

var steadyAccounts = []steadyAccount{
	{name: "100k", tasks: 100_000, perMinute: 10, scrapes: 120, concurrency: 4},
	{name: "1M", tasks: 1_000_000, perMinute: 100, scrapes: 60, concurrency: 8},
}

// BenchmarkIncrementalSteadyState: a week-old account whose tasks expire
// continuously on the API's own schedule (30 s before the exporter's
// window edge), with arrivals, failures, tasks stuck for a while, and a
// batch of 400 tasks that finish together. Reported per scrape at steady
// state (the start-up listing apart): requests, their share of a full
// listing's, the worst scrape, the batch's scrape, and the cost with
// nothing changing.
func BenchmarkIncrementalSteadyState(b *testing.B) {
	for _, acct := range steadyAccounts {
		b.Run(acct.name, func(b *testing.B) {
			for b.Loop() {
				steadyState(b, acct)
			}
		})
	}
}

func steadyState(b *testing.B, acct steadyAccount) {
	clock := &simClock{t: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)}
	const key = "tlk_bench_0123456789"
	sim := simulator.New(key)
	sim.SetClock(clock.now)
	sim.SetTasks(simulator.V2, simulator.SteadyWeek(simulator.GenerateOptions{Seed: 1, N: acct.tasks, Now: clock.now(), API: simulator.V2,
		FailedRatio: 0.03, ProcessingRatio: 0.0002}))
	if err := sim.SetBehaviour(simulator.Behaviour{RetentionEarly: 30 * time.Second}); err != nil {
		b.Fatal(err)
	}
	workload := simulator.Workload{RatePerMinute: acct.perMinute, FailedRatio: 0.03, StuckRatio: 0.005, ProcessingSeconds: 60}
	sim.SetWorkload(workload)
	srv := httptest.NewServer(sim)
	defer srv.Close()
	c, err := client.New(client.Config{BaseURL: srv.URL + simulator.BasePath, Key: client.StaticKey(key),
		Concurrency: acct.concurrency, MaxPages: acct.tasks/client.MaxPageLimit + 1000, Now: clock.now})
	if err != nil {
		b.Fatal(err)
	}
	e := New(c, Options{APIs: []client.API{client.V2}, Now: clock.now})
	scrape := func() int64 {
		before := sim.Requests(simulator.V2)
		mfs := gather(b, e.Collector(context.Background()))
		if up := mfs["twelvelabs_up"].GetMetric()[0].GetGauge().GetValue(); up != 1 {
			b.Fatalf("a scrape failed: %v", e.state.get(client.V2).last.err)
		}
		return sim.Requests(simulator.V2) - before
	}
	startup := scrape()
	batchAt := acct.scrapes / 2
	var total, worst, batch int64
	for s := range acct.scrapes {
		if s == batchAt-20 { // 400 tasks submitted together, finishing 20 minutes later
			sim.AddTasks(simulator.V2, simulator.Batch(simulator.V2, 2_000_000, 400, clock.now().Add(-time.Minute), clock.now().Add(20*time.Minute), 20*time.Second, 10)...)
		}
		clock.add(time.Minute)
		r := scrape()
		if s == batchAt {
			batch = r
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
		idle += scrape()
	}
	resync := resyncs(b, e, resyncMismatch)
	if resync > 0 {
		b.Logf("%s: %v full listings on a mismatch", acct.name, resync)
	}
	b.ReportMetric(float64(startup), "startup-requests")
	b.ReportMetric(float64(total)/float64(acct.scrapes), "requests/scrape")
	b.ReportMetric(100*float64(total)/float64(acct.scrapes)/float64(startup), "%-of-full")
	b.ReportMetric(float64(worst), "worst-requests")
	b.ReportMetric(float64(batch), "batch-requests")
	b.ReportMetric(float64(idle)/10, "idle-requests/scrape")
}

// BenchmarkBatchFinish: a small account (800 tasks, 16 pages) in which a
// batch of 400 finishes between two scrapes costs that scrape no more
// than one full listing.
func BenchmarkBatchFinish(b *testing.B) {
	for b.Loop() {
		clock := &simClock{t: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)}
		const key = "tlk_bench_0123456789"
		sim := simulator.New(key)
		sim.SetClock(clock.now)
		sim.SetTasks(simulator.V2, simulator.SteadyWeek(simulator.GenerateOptions{Seed: 1, N: 400, Now: clock.now(), API: simulator.V2, FailedRatio: 0.03}))
		sim.AddTasks(simulator.V2, simulator.Batch(simulator.V2, 2_000_000, 400, clock.now().Add(-time.Minute), clock.now().Add(90*time.Second), 20*time.Second, 10)...)
		srv := httptest.NewServer(sim)
		c, err := client.New(client.Config{BaseURL: srv.URL + simulator.BasePath, Key: client.StaticKey(key), Concurrency: 4, MaxPages: 100, Now: clock.now})
		if err != nil {
			b.Fatal(err)
		}
		e := New(c, Options{APIs: []client.API{client.V2}, Now: clock.now})
		gather(b, e.Collector(context.Background()))
		full := sim.Requests(simulator.V2)
		clock.add(2 * time.Minute) // every task of the batch finished
		gather(b, e.Collector(context.Background()))
		finish := sim.Requests(simulator.V2) - full
		if finish > full {
			b.Errorf("the batch's finish cost %d requests, more than a full listing's %d", finish, full)
		}
		srv.Close()
		b.ReportMetric(float64(full), "full-requests")
		b.ReportMetric(float64(finish), "finish-requests")
	}
}
