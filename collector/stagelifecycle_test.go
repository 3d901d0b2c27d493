package collector

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/twelvelabs-community/twelvelabs_exporter/client"
	"github.com/twelvelabs-community/twelvelabs_exporter/simulator"
)

// TestStageLifecycleCountsWhatItemsDo: zero from the first listing; a task
// created after the start counts as created once; a task seen to finish
// counts once, with its creation to completed_at in the histogram; a task
// first seen finished counts only if created after the start.
func TestStageLifecycleCountsWhatItemsDo(t *testing.T) {
	clock := &simClock{t: now}
	sim := simulator.New(stagesKey)
	sim.SetClock(clock.now)
	old := simulator.Item{ID: "old", Status: "processing", Dim: "summary", Created: now.Add(-time.Hour), Seconds: 30}
	sim.SetItems(simulator.Analyze, []simulator.Item{old})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	c, err := client.New(client.Config{BaseURL: srv.URL + simulator.BasePath, Key: client.StaticKey(stagesKey), Concurrency: 1, MaxPages: 10,
		Now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	e := New(c, Options{APIs: []client.API{client.Analyze.API}, Now: clock.now})
	const (
		created = "twelvelabs_analyze_tasks_created_total{analysis_mode=summary}"
		ready   = "twelvelabs_analyze_tasks_finished_total{analysis_mode=summary,status=ready}"
		failed  = "twelvelabs_analyze_tasks_finished_total{analysis_mode=summary,status=failed}"
	)
	scrape := func() (map[string]float64, map[string][2]float64) {
		t.Helper()
		got, up := series(t, e, "twelvelabs_analyze_tasks_")
		if up["analyze"] != 1 {
			t.Fatalf("up %v", up)
		}
		hist := map[string][2]float64{}
		for _, m := range gather(t, e.Collector(t.Context()))["twelvelabs_analyze_tasks_processing_duration_seconds"].GetMetric() {
			var k string
			for _, lp := range m.GetLabel() {
				k += lp.GetName() + "=" + lp.GetValue() + ","
			}
			hist[k] = [2]float64{float64(m.GetHistogram().GetSampleCount()), m.GetHistogram().GetSampleSum()}
		}
		return got, hist
	}
	got, hist := scrape()
	if v, ok := got[created]; !ok || v != 0 || got[ready] != 0 || got[failed] != 0 || hist["analysis_mode=summary,status=ready,"][0] != 0 {
		t.Errorf("first listing: %v %v; want every series at 0", got, hist)
	}

	// A new task, and one created before the start already failed.
	clock.add(time.Minute)
	fresh := simulator.Item{ID: "new", Status: "processing", Dim: "summary", Created: clock.now().Add(-10 * time.Second), Seconds: 45}
	before := simulator.Item{ID: "gone-wrong", Status: "failed", Dim: "summary", Created: now.Add(-2 * time.Hour)}
	sim.SetItems(simulator.Analyze, []simulator.Item{old, fresh, before})
	got, _ = scrape()
	if got[created] != 1 || got[failed] != 0 || got[ready] != 0 {
		t.Errorf("after a new task: %v; want created 1, finished 0", got)
	}

	// Both processing tasks finish: completed_at is creation + Seconds.
	clock.add(time.Minute)
	old.Status, fresh.Status = "ready", "ready"
	sim.SetItems(simulator.Analyze, []simulator.Item{old, fresh, before})
	got, hist = scrape()
	if got[created] != 1 || got[ready] != 2 || got[failed] != 0 {
		t.Errorf("after two finished: %v; want created 1, ready 2", got)
	}
	if h := hist["analysis_mode=summary,status=ready,"]; h != [2]float64{2, 75} {
		t.Errorf("processing duration count and sum %v, want 2 and 30+45 s", h)
	}
	got, _ = scrape() // nothing new: nothing counted again
	if got[created] != 1 || got[ready] != 2 {
		t.Errorf("again: %v", got)
	}
}
