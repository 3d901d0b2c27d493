package collector

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/twelvelabs-community/twelvelabs_exporter/client"
	"github.com/twelvelabs-community/twelvelabs_exporter/simulator"
)

// simClock is the simulated time both the simulator and the exporters read.
type simClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *simClock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *simClock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// taskSeries reads the task metrics of a scrape as "name{labels}" -> value.
func taskSeries(t *testing.T, c prometheus.Collector) map[string]float64 {
	t.Helper()
	mfs := gather(t, c)
	out := map[string]float64{}
	for _, name := range []string{"twelvelabs_embed_tasks", "twelvelabs_embed_tasks_video_duration_seconds",
		"twelvelabs_embed_tasks_audio_duration_seconds", "twelvelabs_embed_tasks_oldest_created_timestamp_seconds", "twelvelabs_up"} {
		for _, m := range mfs[name].GetMetric() {
			var labels []string
			for _, lp := range m.GetLabel() {
				labels = append(labels, lp.GetName()+"="+lp.GetValue())
			}
			sort.Strings(labels)
			out[name+"{"+strings.Join(labels, ",")+"}"] = m.GetGauge().GetValue()
		}
	}
	return out
}

// The differential test: one simulated account on a simulated clock
// (arrivals, processing, failures, tasks stuck for days that finish at
// last, expiry at the old edge, bursts), scraped every simulated minute by
// two exporters, one listing incrementally and one in full. After every
// scrape their task metrics are the same, series for series.
func TestIncrementalListingEqualsFullListing(t *testing.T) {
	scrapes := 1500
	if testing.Short() || raceEnabled {
		scrapes = 250
	}
	clock := &simClock{t: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)}
	const key = "tlk_differential_0123456789"
	sim := simulator.New(key)
	sim.SetClock(clock.now)
	for i, api := range simulator.APIs {
		tasks := simulator.SteadyWeek(simulator.GenerateOptions{Seed: uint64(i + 1), N: 400, Now: clock.now(), API: api,
			FailedRatio: 0.05, ProcessingRatio: 0.02})
		// Stuck for days, finishing at last during the test.
		for j := range 6 {
			st := simulator.Generate(simulator.GenerateOptions{Seed: uint64(100 + j), N: 1, Now: clock.now().Add(-time.Duration(j+1) * 20 * time.Hour), API: api})[0]
			st.ReadyAt = clock.now().Add(time.Duration(j+1) * 3 * time.Hour)
			if j%2 == 1 {
				st.Status = "failed"
			}
			tasks = append(tasks, st)
		}
		sim.SetTasks(api, tasks)
	}
	sim.SetWorkload(simulator.Workload{RatePerMinute: 3, FailedRatio: 0.1, StuckRatio: 0.01, ProcessingSeconds: 150})
	srv := httptest.NewServer(sim)
	defer srv.Close()

	newExp := func(mode string) (*Exporter, *client.Client) {
		c, err := client.New(client.Config{BaseURL: srv.URL + simulator.BasePath, Key: client.StaticKey(key),
			Concurrency: 2, MaxPages: 1000, Now: clock.now})
		if err != nil {
			t.Fatal(err)
		}
		return New(c, Options{APIs: client.APIs, Listing: mode, Now: clock.now, ResyncInterval: 6 * time.Hour}), c
	}
	inc, _ := newExp(ListingIncremental)
	full, _ := newExp(ListingFull)

	var incRequests, fullRequests int64
	diffs := 0
	for s := range scrapes {
		switch s % 250 {
		case 100: // a burst: 150 tasks in a minute
			sim.SetWorkload(simulator.Workload{RatePerMinute: 150, FailedRatio: 0.1, ProcessingSeconds: 150})
		case 101:
			sim.SetWorkload(simulator.Workload{RatePerMinute: 3, FailedRatio: 0.1, StuckRatio: 0.01, ProcessingSeconds: 150})
		}
		clock.add(time.Minute)
		before := sim.Requests(simulator.V1) + sim.Requests(simulator.V2)
		got := taskSeries(t, inc.Collector(context.Background()))
		mid := sim.Requests(simulator.V1) + sim.Requests(simulator.V2)
		want := taskSeries(t, full.Collector(context.Background()))
		after := sim.Requests(simulator.V1) + sim.Requests(simulator.V2)
		incRequests += mid - before
		fullRequests += after - mid
		if want[`twelvelabs_up{api=v1}`] != 1 || want[`twelvelabs_up{api=v2}`] != 1 {
			t.Fatalf("scrape %d: the full listing failed", s)
		}
		if d := diff(got, want); d != "" {
			diffs++
			if diffs <= 3 {
				t.Errorf("scrape %d: incremental and full differ:\n%s", s, d)
			}
		}
	}
	if diffs > 0 {
		t.Errorf("%d of %d scrapes differ", diffs, scrapes)
	}
	problems, err := testutil.CollectAndLint(inc.Collector(context.Background()))
	if err != nil || len(problems) != 0 {
		t.Errorf("lint: %v %v", err, problems)
	}
	mfs := gather(t, inc.Collector(context.Background()))
	for _, name := range []string{"twelvelabs_embed_tasks_created_total", "twelvelabs_embed_tasks_finished_total", "twelvelabs_embed_task_processing_duration_seconds"} {
		if len(mfs[name].GetMetric()) == 0 {
			t.Errorf("%s: no series after %d scrapes", name, scrapes)
		}
	}
	for _, m := range mfs["twelvelabs_embed_tasks_created_total"].GetMetric() {
		if m.GetCounter().GetCreatedTimestamp() == nil {
			t.Error("created_total without a created timestamp")
			break
		}
	}
	resyncs := mfs["twelvelabs_exporter_resyncs_total"]
	var mismatches float64
	for _, m := range resyncs.GetMetric() {
		for _, lp := range m.GetLabel() {
			if lp.GetName() == "reason" && lp.GetValue() == resyncMismatch {
				mismatches += m.GetCounter().GetValue()
			}
		}
	}
	t.Logf("%d scrapes: incremental %d requests (%.2f a scrape), full %d (%.2f a scrape); %v resyncs on a mismatch",
		scrapes, incRequests, float64(incRequests)/float64(scrapes), fullRequests, float64(fullRequests)/float64(scrapes), mismatches)
	// The verification keeps the answer exact whatever happens; what keeps
	// it cheap is that the state is right: no scrape had to fall back.
	if mismatches != 0 {
		t.Errorf("%v full listings on a mismatch, want none: the incremental steps lost track", mismatches)
	}
	if incRequests*5 > fullRequests {
		t.Errorf("incremental listing used %d requests, more than a fifth of the full listing's %d", incRequests, fullRequests)
	}
}

func diff(got, want map[string]float64) string {
	var b strings.Builder
	for k, w := range want {
		if g, ok := got[k]; !ok || g != w {
			fmt.Fprintf(&b, "  %s: incremental %v (present %v), full %v\n", k, g, ok, w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			fmt.Fprintf(&b, "  %s: incremental %v, absent from full\n", k, g)
		}
	}
	return b.String()
}
