package collector

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/twelvelabs-community/twelvelabs_exporter/client"
	"github.com/twelvelabs-community/twelvelabs_exporter/simulator"
)

// TestUsageIsWhatTheListingsShowInEachWindow: media submitted counts the
// tasks created in the last hour and day (embedding, indexing, analysis;
// not an index's holdings), tokens the analysis tasks finished in the last
// minute and day; declared limits are exported beside them.
func TestUsageIsWhatTheListingsShowInEachWindow(t *testing.T) {
	sim := simulator.New(stagesKey)
	sim.SetClock(func() time.Time { return now })
	sim.SetTasks(simulator.V2, []simulator.Task{
		{ID: "a", Model: "marengo3.0", Status: "ready", Created: now.Add(-30 * time.Minute), Updated: now, VideoSeconds: 10, AudioSeconds: 5},
		{ID: "b", Model: "marengo3.0", Status: "ready", Created: now.Add(-3 * time.Hour), Updated: now, VideoSeconds: 20, AudioSeconds: -1},
		{ID: "c", Model: "marengo3.0", Status: "ready", Created: now.Add(-30 * time.Hour), Updated: now, VideoSeconds: 40, AudioSeconds: -1},
	})
	// Analysis tasks finish Seconds after their creation (the simulator's
	// completed_at): one 30 s ago, one two hours ago.
	sim.SetItems(simulator.Analyze, []simulator.Item{
		{ID: "x", Status: "ready", Dim: "summary", Created: now.Add(-90 * time.Second), Seconds: 60, Numbers: [2]int64{1000, 100}},
		{ID: "y", Status: "ready", Dim: "summary", Created: now.Add(-2*time.Hour - time.Minute), Seconds: 60, Numbers: [2]int64{2000, 200}},
		{ID: "z", Status: "processing", Dim: "summary", Created: now.Add(-10 * time.Minute), Seconds: 120},
	})
	sim.SetItems(simulator.Indexes, []simulator.Item{{ID: "ix", Dim: "movies", Created: now.Add(-time.Minute), Seconds: 3600}})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	c, err := client.New(client.Config{BaseURL: srv.URL + simulator.BasePath, Key: client.StaticKey(stagesKey), Concurrency: 1, MaxPages: 10,
		Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	e := New(c, Options{APIs: []client.API{client.V2, client.Analyze.API, client.Indexes.API}, Now: func() time.Time { return now },
		Plan: Plan{MediaSecondsPerHour: 36000, TokensPerDay: 1e6}})
	got, up := series(t, e, "twelvelabs_")
	if up["v2"] != 1 || up["analyze"] != 1 || up["indexes"] != 1 {
		t.Fatalf("up %v", up)
	}
	for k, want := range map[string]float64{
		"twelvelabs_usage_media_seconds{api=v2,window=1h}":       15,
		"twelvelabs_usage_media_seconds{api=v2,window=24h}":      35,
		"twelvelabs_usage_media_seconds{api=analyze,window=1h}":  180,
		"twelvelabs_usage_media_seconds{api=analyze,window=24h}": 240,
		"twelvelabs_usage_tokens{api=analyze,window=1m}":         1100,
		"twelvelabs_usage_tokens{api=analyze,window=24h}":        3300,
		"twelvelabs_plan_media_seconds_limit{window=1h}":         36000,
		"twelvelabs_plan_tokens_limit{window=24h}":               1e6,
	} {
		if v, ok := got[k]; !ok || v != want {
			t.Errorf("%s = %v (exported %v), want %v", k, v, ok, want)
		}
	}
	for _, absent := range []string{"twelvelabs_usage_media_seconds{api=indexes,window=1h}", "twelvelabs_usage_tokens{api=v2,window=1m}",
		"twelvelabs_plan_media_seconds_limit{window=24h}"} {
		if _, ok := got[absent]; ok {
			t.Errorf("%s exported", absent)
		}
	}
	if problems, err := testutil.CollectAndLint(e.Collector(t.Context())); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}
