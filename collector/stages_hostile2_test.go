package collector

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/twelvelabs-community/twelvelabs_exporter/client"
	"github.com/twelvelabs-community/twelvelabs_exporter/simulator"
)

// A count past what a float64 holds exactly (1e300 bytes) is no count: it
// is counted as a malformed field and taken as missing, never exported
// clipped.
func TestStageCountPastFloatPrecisionIsMalformed(t *testing.T) {
	sim := simulator.New(stagesKey)
	sim.SetItems(simulator.Uploads, []simulator.Item{{ID: "u1", Status: "active", Created: now.Add(-time.Hour)}})
	h := rewrite{sim: sim, edit: func(r *http.Request, body map[string]any) {
		for _, d := range body["data"].([]any) {
			d.(map[string]any)["total_size"] = 1e300
		}
	}}
	srv := httptest.NewServer(h)
	defer srv.Close()
	e := huntExporter(t, srv.URL, client.Uploads.API)
	got, up := series(t, e, "twelvelabs_")
	if v := got["twelvelabs_uploads_sessions_bytes{status=active}"]; up["uploads"] != 1 || v != 0 ||
		got["twelvelabs_exporter_malformed_fields_total{api=uploads,field=total_size}"] != 1 {
		t.Errorf("up %v, bytes{status=active} = %v, malformed total_size %v; want 1, 0 and 1", up["uploads"], v,
			got["twelvelabs_exporter_malformed_fields_total{api=uploads,field=total_size}"])
	}
}

// An index whose _id is "unknown" absorbs every indexing task whose
// index_id is missing (null): the placeholder and the key share a space.
func TestStageTaskWithoutIndexIDJoinsNoIndex(t *testing.T) {
	sim := simulator.New(stagesKey)
	sim.SetItems(simulator.Indexes, []simulator.Item{{ID: "unknown", Dim: "movies", Created: now.Add(-time.Hour)}})
	sim.SetItems(simulator.Indexing, []simulator.Item{{ID: "t1", Status: "ready", Dim: "", Created: now.Add(-time.Hour)}})
	h := rewrite{sim: sim, edit: func(r *http.Request, body map[string]any) {
		if r.URL.Path == simulator.BasePath+"/tasks" {
			for _, d := range body["data"].([]any) {
				d.(map[string]any)["index_id"] = nil
			}
		}
	}}
	srv := httptest.NewServer(h)
	defer srv.Close()
	e := huntExporter(t, srv.URL, client.Indexing.API)
	got, up := series(t, e, "twelvelabs_indexing_tasks{")
	if up["indexing"] == 1 && got["twelvelabs_indexing_tasks{index_name=movies,status=ready}"] != 0 {
		t.Errorf("up=1 with a task without index_id counted in index movies: %v", got)
	}
}
