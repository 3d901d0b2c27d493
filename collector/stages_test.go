package collector

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/twelvelabs-community/twelvelabs_exporter/client"
	"github.com/twelvelabs-community/twelvelabs_exporter/simulator"
)

const stagesKey = "tlk_stages_0123456789"

var stageAPIs = func() []client.API {
	var apis []client.API
	for _, s := range client.Stages {
		apis = append(apis, s.API)
	}
	return apis
}()

// stageTruth is what the simulator holds, as the exporter exports it:
// "metric{labels}" -> value for the item counts of every stage.
func stageTruth(sim *simulator.Server) map[string]float64 {
	names := map[string]string{}
	for _, ix := range sim.Items(simulator.Indexes) {
		names[ix.ID] = ix.Dim
	}
	out := map[string]float64{}
	for _, st := range client.Stages {
		items := sim.Items(string(st.API))
		dims := map[string]bool{}
		for _, it := range items {
			dim := it.Dim
			if st.JoinNames != "" {
				if dim = names[it.Dim]; dim == "" {
					dim = client.Unknown
				}
			}
			dims[dim] = true
			out[stageKey(st, dim, it.Status)]++
		}
		for dim := range dims { // zero-filled
			for _, status := range st.Statuses {
				out[stageKey(st, dim, status)] += 0
			}
		}
		if st.Dimension == "" && len(items) == 0 {
			for _, status := range st.Statuses {
				out[stageKey(st, "", status)] += 0
			}
		}
	}
	return out
}

func stageKey(st *client.Stage, dim, status string) string {
	var labels []string
	if st.Dimension != "" {
		labels = append(labels, st.Dimension+"="+dim)
	}
	if len(st.Statuses) > 0 {
		labels = append(labels, "status="+status)
	}
	return fmt.Sprintf("%s{%s}", stageMetric(st), strings.Join(labels, ","))
}

// stageSeries reads the item counts and twelvelabs_up of a scrape.
func stageSeries(t *testing.T, c prometheus.Collector) (counts map[string]float64, up map[string]float64) {
	t.Helper()
	mfs := gather(t, c)
	counts, up = map[string]float64{}, map[string]float64{}
	for _, st := range client.Stages {
		for _, m := range mfs[stageMetric(st)].GetMetric() {
			var dim, status string
			for _, lp := range m.GetLabel() {
				switch lp.GetName() {
				case "status":
					status = lp.GetValue()
				default:
					dim = lp.GetValue()
				}
			}
			counts[stageKey(st, dim, status)] = m.GetGauge().GetValue()
		}
	}
	for _, m := range mfs["twelvelabs_up"].GetMetric() {
		up[m.GetLabel()[0].GetValue()] = m.GetGauge().GetValue()
	}
	return counts, up
}

func newStageExporter(t *testing.T, url string) (*Exporter, *client.Client) {
	t.Helper()
	c, err := client.New(client.Config{BaseURL: url + simulator.BasePath, Key: client.StaticKey(stagesKey), Concurrency: 2, MaxPages: 1000,
		Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return New(c, Options{APIs: stageAPIs, Now: func() time.Time { return now }}), c
}

// TestEveryStageEqualsTheSimulator lists every stage of a generated
// pipeline and compares each count by dimension and status with the
// simulator's own items: exact, with twelvelabs_up 1, for a pipeline of
// a few pages and one of many.
func TestEveryStageEqualsTheSimulator(t *testing.T) {
	for _, n := range []int{7, 260} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			sim := simulator.New(stagesKey)
			for stage, items := range simulator.GeneratePipeline(uint64(n), n, now) {
				sim.SetItems(stage, items)
			}
			srv := httptest.NewServer(sim)
			defer srv.Close()
			e, _ := newStageExporter(t, srv.URL)
			got, up := stageSeries(t, e.Collector(t.Context()))
			for _, api := range stageAPIs {
				if up[string(api)] != 1 {
					t.Errorf("twelvelabs_up{api=%q} = %v, want 1", api, up[string(api)])
				}
			}
			if d := diff(got, stageTruth(sim)); d != "" {
				t.Errorf("exported counts differ from the simulator's items:\n%s", d)
			}
			// The cost of a listing: its pages, and one count for each
			// documented status where the endpoint filters by status; the
			// indexing stage lists the indexes too, to name them.
			want := map[client.API]int{}
			for _, st := range client.Stages {
				items := sim.Items(string(st.API))
				want[st.API] += max(1, (len(items)+49)/50)
				if st.StatusFilter {
					want[st.API] += len(st.Statuses)
				}
				if st.JoinNames != "" {
					want[st.JoinNames] += max(1, (len(sim.Items(string(st.JoinNames)))+49)/50)
				}
			}
			for api, n := range want {
				if got := sim.Requests(string(api)); got != int64(n) {
					t.Errorf("%s: %d requests, want %d", api, got, n)
				}
			}
		})
	}
}

// moving serves the simulator, and after a stage's first page calls to,
// a fixed number of times: it moves items the listing has already read.
type moving struct {
	sim   *simulator.Server
	stage string
	left  atomic.Int32
	mu    sync.Mutex
	hits  atomic.Int64
	to    func(items []simulator.Item)
}

func (m *moving) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.sim.ServeHTTP(w, r)
	if r.URL.Path != simulator.BasePath+simulator.StagePaths[m.stage] {
		return
	}
	m.hits.Add(1)
	if r.URL.Query().Get("page") != "1" || r.URL.Query().Get("page_limit") == "1" || m.left.Add(-1) < 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	items := m.sim.Items(m.stage)
	m.to(items)
	m.sim.SetItems(m.stage, items)
}

// TestAnItemMovingStatusDuringTheListingIsSeenWhereItEnds moves an
// analysis task from processing to ready after the first page of each
// listing, twice: the counts by status disagree with the API's, the
// status that disagrees is read again on its own, and what is exported is
// the simulator's state after the moves, with up 1.
func TestAnItemMovingStatusDuringTheListingIsSeenWhereItEnds(t *testing.T) {
	sim := simulator.New(stagesKey)
	items := simulator.GeneratePipeline(3, 200, now)[simulator.Analyze]
	for i := range items {
		items[i].Status = "processing"
	}
	sim.SetItems(simulator.Analyze, items)
	m := &moving{sim: sim, stage: simulator.Analyze, to: func(items []simulator.Item) {
		for i := range items[:10] { // on page 1, read before the move
			if items[i].Status == "processing" {
				items[i].Status = "ready"
				return
			}
		}
	}}
	m.left.Store(2)
	srv := httptest.NewServer(m)
	defer srv.Close()
	c, err := client.New(client.Config{BaseURL: srv.URL + simulator.BasePath, Key: client.StaticKey(stagesKey), Concurrency: 1, MaxPages: 100,
		Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	e := New(c, Options{APIs: []client.API{client.Analyze.API}, Now: func() time.Time { return now }})
	got, up := stageSeries(t, e.Collector(t.Context()))
	if up["analyze"] != 1 {
		t.Fatalf("up %v, want 1", up)
	}
	want := stageTruth(sim)
	for k, v := range got {
		if want[k] != v {
			t.Errorf("%s = %v, want %v", k, v, want[k])
		}
	}
	if got[stageKey(client.Analyze, "summary", "ready")]+got[stageKey(client.Analyze, "chapters", "ready")]+
		got[stageKey(client.Analyze, "highlights", "ready")]+got[stageKey(client.Analyze, "open_ended", "ready")] != 2 {
		t.Errorf("want the two tasks that moved as ready: %v", got)
	}
	// 4 pages and the 5 statuses' counts, then for each move a re-read
	// of the two statuses whose counts changed (processing, 4 pages;
	// ready, 1) and the counts again: 4 + 5 + 2 × (4 + 1 + 5) = 29, where
	// relisting all would cost 2 × (4 + 5) more.
	if h := m.hits.Load(); h > 29 {
		t.Errorf("%d requests for a 4-page list that moved twice, want at most 29", h)
	}
}

// contradicting answers every status-filtered count with one more than
// it holds: a listing never settles and fails as malformed, every time,
// and no count of the stage is exported.
type contradicting struct{ sim *simulator.Server }

func (c contradicting) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("status") == "" {
		c.sim.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	c.sim.ServeHTTP(rec, r)
	body := rec.Body.String()
	i := strings.Index(body, `"total_results":`)
	if i < 0 {
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		return
	}
	var n int
	_, _ = fmt.Sscanf(body[i+len(`"total_results":`):], "%d", &n)
	body = body[:i] + fmt.Sprintf(`"total_results":%d`, n+1) + body[i+len(`"total_results":`)+len(fmt.Sprint(n)):]
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(body))
}

func TestAStageWhoseCountsNeverSettleIsDown(t *testing.T) {
	sim := simulator.New(stagesKey)
	sim.SetItems(simulator.Batches, simulator.GeneratePipeline(5, 100, now)[simulator.Batches])
	srv := httptest.NewServer(contradicting{sim})
	defer srv.Close()
	c, err := client.New(client.Config{BaseURL: srv.URL + simulator.BasePath, Key: client.StaticKey(stagesKey), Concurrency: 1, MaxPages: 100,
		Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	e := New(c, Options{APIs: []client.API{client.Batches.API}, Now: func() time.Time { return now }})
	for range 2 {
		got, up := stageSeries(t, e.Collector(t.Context()))
		if up["batches"] != 0 || len(got) != 0 {
			t.Fatalf("up %v, %d counts exported; want up 0 and none", up, len(got))
		}
	}
	failures := testutil.ToFloat64(e.counters.failures.WithLabelValues("batches", string(client.ReasonMalformed)))
	if failures != 2 {
		t.Errorf("%v malformed failures, want 2", failures)
	}
}

// TestStageExposition is the golden exposition of every stage, linted:
// names, help, units and zero-filled statuses.
func TestStageExposition(t *testing.T) {
	sim := simulator.New(stagesKey)
	for stage, items := range simulator.GeneratePipeline(11, 12, now) {
		sim.SetItems(stage, items)
	}
	srv := httptest.NewServer(sim)
	defer srv.Close()
	e, _ := newStageExporter(t, srv.URL)
	golden(t, onlyStages{e.Collector(t.Context())}, "stages")
}

// onlyStages keeps the stage families and twelvelabs_up of a scrape, not
// the traffic and timing series whose values vary from run to run.
type onlyStages struct{ c prometheus.Collector }

func (o onlyStages) Describe(ch chan<- *prometheus.Desc) { o.c.Describe(ch) }
func (o onlyStages) Collect(ch chan<- prometheus.Metric) {
	all := make(chan prometheus.Metric)
	go func() { o.c.Collect(all); close(all) }()
	for m := range all {
		d := m.Desc().String()
		keep := strings.Contains(d, `"twelvelabs_up"`) || strings.Contains(d, "malformed_fields") ||
			slices.ContainsFunc(client.Stages, func(s *client.Stage) bool {
				return strings.Contains(d, `"twelvelabs_`+string(s.API)+`_`) || strings.Contains(d, `"twelvelabs_`+string(s.API)+`"`)
			})
		if keep {
			ch <- m
		}
	}
}
