package collector

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twelvelabs-community/twelvelabs_exporter/client"
	"github.com/twelvelabs-community/twelvelabs_exporter/simulator"
)

func gen(stage string, n int, f func(i int, it *simulator.Item)) []simulator.Item {
	var out []simulator.Item
	for i := range n {
		it := simulator.Item{ID: fmt.Sprintf("%s%05d", stage[:2], i), Created: now.Add(-time.Hour + time.Duration(i)*time.Second)}
		f(i, &it)
		out = append(out, it)
	}
	return out
}

func TestStageWithstandsHTML(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html><body>maintenance</body></html>"))
	}))
	defer srv.Close()
	e := huntExporter(t, srv.URL, stageAPIs...)
	got, up := series(t, e, "twelvelabs_")
	for _, a := range stageAPIs {
		t.Logf("%s up=%v failures=%v", a, up[string(a)], failures(e, a))
	}
	for k := range got {
		if strings.HasPrefix(k, "twelvelabs_analyze_tasks{") || strings.HasPrefix(k, "twelvelabs_indexing_tasks{") {
			t.Errorf("exported %s", k)
		}
	}
}

func TestStageWithstandsJoinFails(t *testing.T) {
	sim := simulator.New(stagesKey)
	for s, it := range simulator.GeneratePipeline(1, 30, now) {
		sim.SetItems(s, it)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/indexes") {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`{"code":"internal","message":"boom"}`))
			return
		}
		sim.ServeHTTP(w, r)
	}))
	defer srv.Close()
	e := huntExporter(t, srv.URL, client.Indexing.API)
	got, up := series(t, e, "twelvelabs_indexing")
	t.Logf("up=%v failures=%v series=%d", up, failures(e, client.Indexing.API), len(got))
	if up["indexing"] != 0 || len(got) != 0 {
		t.Errorf("join failed but up=%v, %d series", up, len(got))
	}
}

func TestStageWithstandsMissingIndexAndOddFields(t *testing.T) {
	sim := simulator.New(stagesKey)
	sim.SetItems(simulator.Indexes, []simulator.Item{{ID: "idx0", Dim: "movies", Created: now.Add(-time.Hour)}})
	sim.SetItems(simulator.Indexing, gen("indexing", 4, func(i int, it *simulator.Item) {
		it.Status = "ready"
		it.Dim = []string{"idx0", "gone", "idx0", stagesKey}[i]
	}))
	sim.SetItems(simulator.Indexes, []simulator.Item{{ID: "idx0", Dim: "movies", Created: now.Add(-time.Hour)},
		{ID: "idx-" + stagesKey, Dim: "name " + stagesKey, Created: now.Add(-time.Hour)}})
	sim.SetItems(simulator.Analyze, gen("analyze", 3, func(i int, it *simulator.Item) {
		it.Status = []string{"ready", "ready", "archived"}[i]
		it.Dim = "summary"
	}))
	h := rewrite{sim: sim, edit: func(r *http.Request, body map[string]any) {
		if !strings.HasSuffix(r.URL.Path, "/analyze/tasks") {
			return
		}
		for i, d := range body["data"].([]any) {
			m := d.(map[string]any)
			switch i {
			case 0:
				m["webhooks"] = []any{1, "x", nil, []any{}, map[string]any{"delivered": false}}
				m["result"] = map[string]any{"usage": map[string]any{"input_tokens": "12", "output_tokens": -5}, "finish_reason": "length"}
			case 1:
				m["webhooks"] = "nope"
				m["result"] = map[string]any{"usage": map[string]any{"input_tokens": 1e300, "output_tokens": "1.5"}}
			case 2:
				m["request_params"] = map[string]any{"analysis_mode": "key " + stagesKey}
			}
		}
	}}
	srv := httptest.NewServer(h)
	defer srv.Close()
	e := huntExporter(t, srv.URL, client.Indexing.API, client.Analyze.API, client.Indexes.API)
	got, up := series(t, e, "twelvelabs_")
	t.Logf("up=%v", up)
	for k, v := range got {
		if (strings.HasPrefix(k, "twelvelabs_indexing_tasks{") || strings.HasPrefix(k, "twelvelabs_indexes") || strings.HasPrefix(k, "twelvelabs_analyze_tasks")) && v != 0 || strings.Contains(k, "malformed") {
			t.Logf("  %s = %v", k, v)
		}
		if strings.Contains(k, stagesKey) {
			t.Errorf("key leaked in %s", k)
		}
	}
}

// The API ignores the status filter entirely.
func TestStageWithstandsStatusFilterIgnored(t *testing.T) {
	sim := simulator.New(stagesKey)
	sim.SetItems(simulator.Analyze, gen("analyze", 120, func(i int, it *simulator.Item) {
		it.Status = []string{"ready", "failed", "processing"}[i%3]
		it.Dim = "summary"
	}))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		q.Del("status")
		r.URL.RawQuery = q.Encode()
		sim.ServeHTTP(w, r)
	}))
	defer srv.Close()
	e := huntExporter(t, srv.URL, client.Analyze.API)
	got, up := series(t, e, "twelvelabs_analyze_tasks{")
	t.Logf("up=%v failures=%v series=%d", up, failures(e, client.Analyze.API), len(got))
	if up["analyze"] != 0 {
		t.Errorf("up=1")
	}
}

// Same id on two pages, in different statuses; static API.
func TestStageWithstandsSameIDTwoStatuses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		var data []map[string]any
		add := func(id, st string) {
			if s := q.Get("status"); s == "" || s == st {
				data = append(data, map[string]any{"task_id": id, "status": st, "request_params": map[string]any{"analysis_mode": "summary"}})
			}
		}
		page := q.Get("page")
		switch {
		case q.Get("status") == "" && page == "1":
			add("X", "processing")
			add("A", "ready")
		case q.Get("status") == "" && page == "2":
			add("X", "ready")
			add("B", "ready")
		case q.Get("status") != "" && page == "1":
			add("X", "processing")
			add("X", "ready")
			add("A", "ready")
			add("B", "ready")
		}
		total := len(data)
		if q.Get("status") == "" {
			total = 3
		}
		if q.Get("page_limit") == "1" && len(data) > 1 {
			data = data[:1]
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"data": data, "page_info": map[string]any{"limit_per_page": 2, "total_page": 2, "total_results": total}})
	}))
	defer srv.Close()
	e := huntExporter(t, srv.URL, client.Analyze.API)
	got, up := series(t, e, "twelvelabs_analyze_tasks{")
	t.Logf("up=%v failures=%v got=%v", up, failures(e, client.Analyze.API), got)
}

// The API ignores page: every page is page 1.
func TestStageWithstandsPagesRepeat(t *testing.T) {
	sim := simulator.New(stagesKey)
	sim.SetItems(simulator.Uploads, gen("uploads", 120, func(i int, it *simulator.Item) { it.Status = "completed" }))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		q.Set("page", "1")
		r.URL.RawQuery = q.Encode()
		sim.ServeHTTP(w, r)
	}))
	defer srv.Close()
	e := huntExporter(t, srv.URL, client.Uploads.API)
	got, up := series(t, e, "twelvelabs_uploads_sessions{")
	t.Logf("up=%v failures=%v got=%v", up, failures(e, client.Uploads.API), got)
	if up["uploads"] != 0 {
		t.Error("up=1")
	}
}

// total_results edits: understated, overstated, null, string.
func TestStageWithstandsTotals(t *testing.T) {
	for name, edit := range map[string]func(pi map[string]any){
		"understated": func(pi map[string]any) { pi["total_results"] = 60 },
		"overstated":  func(pi map[string]any) { pi["total_results"] = 150; pi["total_page"] = 3 },
		"null":        func(pi map[string]any) { pi["total_results"] = nil },
		"string":      func(pi map[string]any) { pi["total_results"] = "120" },
		"negative":    func(pi map[string]any) { pi["total_results"] = -1 },
		"huge":        func(pi map[string]any) { pi["total_results"] = 1e12 },
	} {
		t.Run(name, func(t *testing.T) {
			sim := simulator.New(stagesKey)
			sim.SetItems(simulator.Batches, gen("batches", 120, func(i int, it *simulator.Item) { it.Status = "completed"; it.Dim = "summary" }))
			srv := httptest.NewServer(rewrite{sim: sim, edit: func(r *http.Request, body map[string]any) {
				if r.URL.Query().Get("status") == "" {
					edit(body["page_info"].(map[string]any))
				}
			}})
			defer srv.Close()
			e := huntExporter(t, srv.URL, client.Batches.API)
			got, up := series(t, e, "twelvelabs_batches{")
			t.Logf("up=%v failures=%v got=%v", up, failures(e, client.Batches.API), got)
			if up["batches"] == 1 && got["twelvelabs_batches{analysis_mode=summary,status=completed}"] != 120 {
				t.Error("wrong with up=1")
			}
		})
	}
}

// Cost of 100k items, and a busy pipeline: one new queued item (at the
// end of an oldest-first list) every `every` requests.
type bigAPI struct {
	mu     sync.Mutex
	status []string
	reqs   int
	every  int
	desc   bool // newest first: item k of the answer is status[len-1-k]
}

func (b *bigAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page, _ := strconv.Atoi(q.Get("page"))
	limit, _ := strconv.Atoi(q.Get("page_limit"))
	b.mu.Lock()
	b.reqs++
	if b.every > 0 && b.reqs%b.every == 0 {
		b.status = append(b.status, "queued")
	}
	var idx []int
	st := q.Get("status")
	if st == "" {
		for i := (page - 1) * limit; i < len(b.status) && i < page*limit; i++ {
			if b.desc {
				idx = append(idx, len(b.status)-1-i)
			} else {
				idx = append(idx, i)
			}
		}
	}
	total := len(b.status)
	if st != "" {
		total = 0
		for k := range b.status {
			i := k
			if b.desc {
				i = len(b.status) - 1 - k
			}
			if s := b.status[i]; s == st {
				if total >= (page-1)*limit && total < page*limit {
					idx = append(idx, i)
				}
				total++
			}
		}
	}
	data := make([]map[string]any, 0, len(idx))
	for _, i := range idx {
		data = append(data, map[string]any{"task_id": fmt.Sprintf("t%07d", i), "status": b.status[i],
			"request_params": map[string]any{"analysis_mode": "summary"}})
	}
	b.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"data": data, "page_info": map[string]any{"limit_per_page": limit, "page": page,
		"total_page": (total + limit - 1) / limit, "total_results": total}})
}

// TestStageCostOfALargeList lists a large analysis stage (100,000 tasks;
// 20,000 under -race), quiet and busy (a new task every 500 or 100
// requests), in the API's oldest-first order and newest-first: quiet, it
// costs its pages and one count per status; busy, oldest first, the
// statuses that moved are read again, never the whole list; newest first,
// every page shifts under the new tasks and the re-read statuses may not
// settle, and then the stage is down (malformed), never wrong.
func TestStageCostOfALargeList(t *testing.T) {
	n := 100000
	if raceEnabled {
		n = 20000
	}
	pages := n / 50
	for _, tc := range []struct {
		every    int
		desc     bool
		maxCost  int
		mustBeUp bool
	}{
		{0, false, pages + 5, true},
		{500, false, pages + pages/4 + 15, true},
		{100, false, pages + pages/4 + 15, true},
		{500, true, 3 * pages, false},
		{100, true, 3 * pages, false},
	} {
		t.Run(fmt.Sprint("every=", tc.every, ",newest-first=", tc.desc), func(t *testing.T) {
			b := &bigAPI{every: tc.every, desc: tc.desc}
			for i := range n {
				b.status = append(b.status, []string{"ready", "failed", "processing", "queued"}[i%4])
			}
			srv := httptest.NewServer(b)
			defer srv.Close()
			c, _ := client.New(client.Config{BaseURL: srv.URL + simulator.BasePath, Key: client.StaticKey(stagesKey),
				Concurrency: 4, MaxPages: 5000, Now: func() time.Time { return now }})
			e := New(c, Options{APIs: []client.API{client.Analyze.API}, Now: func() time.Time { return now }})
			got, up := series(t, e, "twelvelabs_analyze_tasks{")
			queued := 0
			for _, s := range b.status {
				if s == "queued" {
					queued++
				}
			}
			switch {
			case b.reqs > tc.maxCost:
				t.Errorf("%d requests for %d pages, want at most %d", b.reqs, pages, tc.maxCost)
			case up["analyze"] == 1 && got["twelvelabs_analyze_tasks{analysis_mode=summary,status=queued}"] > float64(queued):
				t.Errorf("up=1 with %v queued; the API holds %d at the end", got["twelvelabs_analyze_tasks{analysis_mode=summary,status=queued}"], queued)
			case up["analyze"] != 1 && (tc.mustBeUp || failures(e, client.Analyze.API)["malformed"] != 1):
				t.Errorf("up=%v, failures %v", up["analyze"], failures(e, client.Analyze.API))
			}
			t.Logf("up=%v requests=%d pages=%d", up["analyze"], b.reqs, pages)
		})
	}
}
