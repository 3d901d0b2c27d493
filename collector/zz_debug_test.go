package collector

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/twelvelabs-community/twelvelabs_exporter/client"
	"github.com/twelvelabs-community/twelvelabs_exporter/simulator"
)

func TestZZDebugOdd(t *testing.T) {
	const key = "tlk_differential_0123456789"
	sim := simulator.New(key)
	now := time.Now().Add(-2 * time.Second)
	sim.SetTasks("v1", simulator.Generate(simulator.GenerateOptions{Seed: 1, N: 120, Now: now, API: "v1"}))
	sim.SetFault(simulator.Fault{Kind: simulator.FaultOddFields, Ratio: 1})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	c, _ := client.New(client.Config{BaseURL: srv.URL + simulator.BasePath, Key: client.StaticKey(key), Concurrency: 2, MaxPages: 1000})
	e := New(c, Options{APIs: []client.API{"v1"}, Listing: ListingFull})
	got := taskSeries(t, e.Collector(context.Background()))
	n := 0.0
	for k, v := range got {
		t.Log(k, v)
		_ = k
		n += v
	}
	tt := e.tasks["v1"].table
	for _, r := range tt.recs {
		t.Logf("rec %v flags %d status %s", time.UnixMicro(r.created).UTC().Format(time.RFC3339Nano), r.flags, tt.names[r.status])
	}
	for i, tk := range sim.Tasks("v1") {
		t.Logf("sim rank %d %v %s", 119-i, tk.Created.UTC().Format(time.RFC3339Nano), tk.StatusAt(time.Now()))
	}
	t.Log(len(tt.recs), tt.placed, n)
}
