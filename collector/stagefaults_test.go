package collector

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/twelvelabs-community/twelvelabs_exporter/client"
	"github.com/twelvelabs-community/twelvelabs_exporter/simulator"
)

// TestStagesUnderEveryFault serves every fault kind of the simulator on
// every request to three stages (with a status filter, without, and
// without statuses): each stage is either up with the simulator's counts
// by status, or down with a failure counted, never up with other counts;
// and the scrape always answers.
func TestStagesUnderEveryFault(t *testing.T) {
	apis := []client.API{client.Analyze.API, client.Uploads.API, client.Indexes.API}
	for _, kind := range simulator.FaultKinds {
		t.Run(string(kind), func(t *testing.T) {
			sim := simulator.New(stagesKey)
			for stage, items := range simulator.GeneratePipeline(7, 120, now) {
				sim.SetItems(stage, items)
			}
			want := byStatus(stageTruth(sim))
			if kind == simulator.FaultNullLists {
				// How an account without items answers: the simulator
				// holds none, as far as anyone can tell.
				for k := range want {
					want[k] = 0
				}
			}
			sim.SetFault(simulator.Fault{Kind: kind, Ratio: 1, RetryAfter: "0"})
			srv := httptest.NewServer(sim)
			defer srv.Close()
			c, err := client.New(client.Config{BaseURL: srv.URL + simulator.BasePath, Key: client.StaticKey(stagesKey), Concurrency: 2,
				MaxPages: 100, Retries: 1, RequestTimeout: 300 * time.Millisecond, Now: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			e := New(c, Options{APIs: apis, Now: func() time.Time { return now }, ListingTimeout: 5 * time.Second})
			counts, up := stageSeries(t, e.Collector(t.Context()))
			got := byStatus(counts)
			if kind == simulator.FaultOddLabels {
				// Statuses as the API wrote them (" Active\xff " is
				// exported as "active\ufffd", as it came): each stage's
				// items are compared in all.
				want, got = byStage(want), byStage(got)
			}
			for _, api := range apis {
				st := client.StageOf(api)
				switch up[string(api)] {
				case 1:
					for k, v := range want {
						if strings.HasPrefix(k, stageMetric(st)+"{") && got[k] != v {
							t.Errorf("%s up with %s = %v, the simulator holds %v", api, k, got[k], v)
						}
					}
				default:
					if len(failures(e, api)) == 0 {
						t.Errorf("%s down with no failure counted", api)
					}
				}
			}
		})
	}
}

// byStatus sums stage counts over the dimension: "metric{status=s}".
func byStatus(series map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for k, v := range series {
		name, labels, _ := strings.Cut(strings.TrimSuffix(k, "}"), "{")
		status := ""
		for _, l := range strings.Split(labels, ",") {
			if s, ok := strings.CutPrefix(l, "status="); ok {
				status = s
			}
		}
		out[name+"{status="+status+"}"] += v
	}
	return out
}

// byStage sums counts by status over the statuses: "metric{}".
func byStage(series map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for k, v := range series {
		name, _, _ := strings.Cut(k, "{")
		out[name+"{}"] += v
	}
	return out
}
