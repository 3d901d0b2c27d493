package collector

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
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

// apiMode is one way the API may behave, for the differential test: set
// on the simulator before the first scrape, with what a scrape does to it.
type apiMode struct {
	name      string
	behaviour simulator.Behaviour
	fault     simulator.Fault
	// ties adds, every 50 scrapes, a group of 120 tasks created in the
	// same millisecond (a batch submitted at once).
	ties bool
	// batches adds, every 50 scrapes, 400 tasks created over 20 seconds
	// that all finish together 20 minutes later.
	batches bool
	// noTotals: nothing to verify against, so incremental costs as much
	// as full.
	noTotals bool
	// contradicts: the API's answers contradict each other (one task in
	// two places), so that no listing of it is right: a scrape may fail,
	// as a malformed answer, and one that does not must equal the API's
	// tasks.
	contradicts bool
	// mayFail: a listing may fail as malformed (answers the exporter
	// cannot settle yet), need not; one that does not equals the API's
	// tasks.
	mayFail bool
}

var apiModes = []apiMode{
	{name: "baseline"},
	{name: "unstable-ties", behaviour: simulator.Behaviour{UnstableTies: true}, ties: true},
	{name: "retention-early", behaviour: simulator.Behaviour{RetentionEarly: 30 * time.Second}},
	{name: "retention-batches", behaviour: simulator.Behaviour{RetentionEvery: 10 * time.Minute}},
	{name: "backwards", behaviour: simulator.Behaviour{BackwardsPerMinute: 2}},
	{name: "deletions", behaviour: simulator.Behaviour{DeletesPerMinute: 0.2}},
	{name: "clock-ahead", behaviour: simulator.Behaviour{ClockOffset: 10 * time.Minute}},
	{name: "clock-behind", behaviour: simulator.Behaviour{ClockOffset: -5 * time.Minute}},
	{name: "batch-finish", batches: true},
	{name: "lagging-totals", behaviour: simulator.Behaviour{TotalLag: 30 * time.Second}},
	{name: "short-pages", behaviour: simulator.Behaviour{HiddenEvery: 25}},
	{name: "date-behind", behaviour: simulator.Behaviour{DateOffset: -time.Hour}},
	{name: "no-totals", fault: simulator.Fault{Kind: simulator.FaultNoTotalPage, Ratio: 1}, noTotals: true},
	{name: "inclusive-end", behaviour: simulator.Behaviour{EndInclusive: true, WholeSeconds: true}, ties: true},
	{name: "date-ahead", behaviour: simulator.Behaviour{DateOffset: 23 * time.Hour}},
	{name: "listed-twice", behaviour: simulator.Behaviour{TwiceEvery: 40}, contradicts: true},
	{name: "two-statuses", behaviour: simulator.Behaviour{TwoStatusesEvery: 4}, contradicts: true},
	{name: "all-together", behaviour: simulator.Behaviour{UnstableTies: true, RetentionEarly: 20 * time.Second,
		RetentionEvery: 5 * time.Minute, BackwardsPerMinute: 0.5, DeletesPerMinute: 0.2, ClockOffset: 3 * time.Minute,
		TotalLag: 10 * time.Second}, ties: true, batches: true},
}

// inAllTogether are the modes whose behaviours all-together combines: under
// -race (ten times slower) that one mode takes their paths concurrently.
var inAllTogether = map[string]bool{"unstable-ties": true, "retention-early": true, "retention-batches": true,
	"backwards": true, "deletions": true, "clock-ahead": true, "clock-behind": true, "batch-finish": true, "lagging-totals": true}

// The differential test: one simulated account on a simulated clock
// (arrivals, processing, failures, tasks stuck for days that finish at
// last, expiry, bursts), in each way the API may behave and in all of them
// at once, scraped every simulated minute by two exporters, one listing
// incrementally and one in full. After every scrape, each exporter's task
// metrics equal the simulator's own aggregate of the window it listed,
// series for series, with twelvelabs_up 1.
func TestListingsEqualTheAPI(t *testing.T) {
	// Under -race (ten times slower) a shorter run still takes every path
	// concurrently; make test runs the full length without it.
	scrapes := 200
	if testing.Short() || raceEnabled {
		scrapes = 30
	}
	for _, mode := range apiModes {
		if raceEnabled && inAllTogether[mode.name] {
			t.Run(mode.name, func(t *testing.T) {
				t.Skip("under -race, all-together runs its paths at once; make test runs every mode at full length without -race")
			})
			continue
		}
		n := scrapes
		if mode.contradicts {
			// Every listing of it fails, verifying as it goes: a few
			// scrapes show that, and that none serves a wrong number.
			n = max(scrapes/10, 10)
		}
		t.Run(mode.name, func(t *testing.T) { differential(t, mode, n) })
	}
}

func differential(t *testing.T, mode apiMode, scrapes int) {
	clock := &simClock{t: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)}
	const key = "tlk_differential_0123456789"
	sim := simulator.New(key)
	sim.SetClock(clock.now)
	apiNow := func() time.Time { return clock.now().Add(mode.behaviour.ClockOffset) }
	for i, api := range simulator.APIs {
		tasks := simulator.SteadyWeek(simulator.GenerateOptions{Seed: uint64(i + 1), N: 2000, Now: apiNow(), API: api,
			FailedRatio: 0.05, ProcessingRatio: 0.02})
		// Stuck for days, finishing at last during the test.
		for j := range 6 {
			st := simulator.Generate(simulator.GenerateOptions{Seed: uint64(100 + j), N: 1, Now: apiNow().Add(-time.Duration(j+1) * 20 * time.Hour), API: api})[0]
			st.ReadyAt = apiNow().Add(time.Duration(j+1) * 40 * time.Minute)
			if j%2 == 1 {
				st.Status = "failed"
			}
			tasks = append(tasks, st)
		}
		sim.SetTasks(api, tasks)
	}
	if err := sim.SetBehaviour(mode.behaviour); err != nil {
		t.Fatal(err)
	}
	sim.SetFault(mode.fault)
	sim.SetWorkload(simulator.Workload{RatePerMinute: 3, FailedRatio: 0.1, StuckRatio: 0.01, ProcessingSeconds: 150})
	srv := httptest.NewServer(sim)
	defer srv.Close()

	newExp := func(mode string) *Exporter {
		c, err := client.New(client.Config{BaseURL: srv.URL + simulator.BasePath, Key: client.StaticKey(key),
			Concurrency: 2, MaxPages: 1000, Now: clock.now})
		if err != nil {
			t.Fatal(err)
		}
		return New(c, Options{APIs: client.APIs, Listing: mode, Now: clock.now, ResyncInterval: 6 * time.Hour})
	}
	inc, full := newExp(ListingIncremental), newExp(ListingFull)
	exporters := []*Exporter{inc, full}

	requests := make([]int64, len(exporters))
	steady := make([]int64, len(exporters)) // after the start-up listing
	diffs := make([]int, len(exporters))
	failed := make([]int, len(exporters))
	for s := range scrapes {
		switch s % 100 {
		case 40: // a burst: 150 tasks in a minute
			sim.SetWorkload(simulator.Workload{RatePerMinute: 150, FailedRatio: 0.1, ProcessingSeconds: 150})
		case 41:
			sim.SetWorkload(simulator.Workload{RatePerMinute: 3, FailedRatio: 0.1, StuckRatio: 0.01, ProcessingSeconds: 150})
		}
		if s%50 == 10 {
			for i, api := range simulator.APIs {
				if mode.ties {
					sim.AddTasks(api, simulator.Batch(api, uint64(1_000_000+s*10+i), 120, apiNow().Add(-30*time.Second), time.Time{}, 0, 7)...)
				}
				if mode.batches {
					sim.AddTasks(api, simulator.Batch(api, uint64(2_000_000+s*10+i), 400, apiNow().Add(-time.Minute), apiNow().Add(20*time.Minute), 20*time.Second, 10)...)
				}
			}
		}
		clock.add(time.Minute)
		for i, e := range exporters {
			before := sim.Requests(simulator.V1) + sim.Requests(simulator.V2)
			got := taskSeries(t, e.Collector(context.Background()))
			spent := sim.Requests(simulator.V1) + sim.Requests(simulator.V2) - before
			requests[i] += spent
			if s > 0 {
				steady[i] += spent
			}
			var down []client.API
			for _, api := range client.APIs {
				if got[`twelvelabs_up{api=`+string(api)+`}`] == 1 {
					continue
				}
				err := e.state.get(api).last.err
				if !mode.contradicts && !mode.mayFail {
					t.Fatalf("%s scrape %d: %s listing of %s failed: %v", mode.name, s, e.opts.Listing, api, err)
				}
				if r := client.ReasonOf(err); r != client.ReasonMalformed {
					t.Fatalf("%s scrape %d: %s listing of %s failed as %s, want %s: %v", mode.name, s, e.opts.Listing, api, r, client.ReasonMalformed, err)
				}
				failed[i]++
				down = append(down, api)
			}
			// The window ends where the API's clock is: else the newest
			// tasks are missing from truth and listing alike.
			for _, api := range client.APIs {
				if end := e.tasks[api].window.End; end.Before(apiNow().Add(-minSkew - time.Second)) {
					t.Fatalf("%s scrape %d: the %s listing's window of %s ends at %s, %s before the API's clock: its newest tasks are not counted",
						mode.name, s, e.opts.Listing, api, end.Format(time.RFC3339), apiNow().Sub(end))
				}
			}
			want := truth(sim, e, mode.behaviour)
			for _, api := range down {
				// What a failed listing serves is not compared: only that
				// no wrong number is served with up 1.
				for _, m := range []map[string]float64{got, want} {
					for k := range m {
						if strings.Contains(k, "{api="+string(api)+"}") || strings.Contains(k, "{api="+string(api)+",") {
							delete(m, k)
						}
					}
				}
			}
			if d := diff(got, want); d != "" {
				diffs[i]++
				if diffs[i] <= 2 {
					logTaskDifferences(t, sim, e)
					t.Errorf("scrape %d: the %s listing differs from the API:\n%s", s, e.opts.Listing, d)
				}
			}
		}
	}
	for i, e := range exporters {
		if diffs[i] > 0 {
			t.Errorf("%s listing: %d of %d scrapes differ from the API", e.opts.Listing, diffs[i], scrapes)
		}
		if mode.mayFail {
			t.Logf("%-18s %s listing: %d of %d API listings failed as malformed", mode.name, e.opts.Listing, failed[i], scrapes*len(client.APIs))
		}
		if mode.contradicts {
			// The contradiction is in the window from the start: a listing
			// that never fails did not see it.
			if failed[i] == 0 {
				t.Errorf("%s listing: no scrape failed, though the API contradicts itself in every window", e.opts.Listing)
			}
			t.Logf("%-18s %s listing: %d of %d API listings failed as malformed", mode.name, e.opts.Listing, failed[i], scrapes*len(client.APIs))
		}
	}
	perScrape := func(i int) float64 { return float64(requests[i]) / float64(scrapes) }
	t.Logf("%-18s %d scrapes, both APIs: incremental %.2f requests a scrape, full %.2f; %v resyncs on a mismatch",
		mode.name, scrapes, perScrape(0), perScrape(1), resyncs(t, inc, resyncMismatch))
	// After start-up (a full listing in both modes), over a run long
	// enough for the API's bursts to average out: a short run (-race) is
	// one burst of ties and a batch in 30 scrapes.
	if !mode.noTotals && !mode.contradicts && !mode.mayFail && scrapes >= 100 && steady[0]*4 > steady[1] {
		t.Errorf("after start-up, the incremental listing used %d requests, more than a quarter of the full listing's %d", steady[0], steady[1])
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
}

// truth is the simulator's own aggregate of the windows e last listed, as
// the task metrics export it.
func truth(sim *simulator.Server, e *Exporter, b simulator.Behaviour) map[string]float64 {
	out := map[string]float64{}
	for _, api := range e.opts.APIs {
		a := string(api)
		out[`twelvelabs_up{api=`+a+`}`] = 1
		w := e.tasks[api].window
		start, end := w.Start, w.End
		if b.EndInclusive {
			end = end.Add(time.Nanosecond) // the API counts ended_at in
		}
		if b.StartExclusive {
			start = start.Add(time.Nanosecond) // and started_at out
		}
		groups := simulator.Aggregate(sim.Tasks(a), a, start, end, sim.Now())
		models := map[string]bool{}
		for k := range groups {
			models[k.Model] = true
		}
		for k, g := range groups {
			labels := `{api=` + a + `,model_name=` + k.Model + `,status=` + k.Status + `}`
			out[`twelvelabs_embed_tasks`+labels] = float64(g.Tasks)
			out[`twelvelabs_embed_tasks_video_duration_seconds`+labels] = float64(g.VideoNanos) / 1e9
			out[`twelvelabs_embed_tasks_audio_duration_seconds`+labels] = float64(g.AudioNanos) / 1e9
			out[`twelvelabs_embed_tasks_oldest_created_timestamp_seconds`+labels] = unixSeconds(g.Oldest)
		}
		for m := range models {
			for _, st := range knownStatuses {
				labels := `{api=` + a + `,model_name=` + m + `,status=` + st + `}`
				if _, ok := out[`twelvelabs_embed_tasks`+labels]; !ok {
					out[`twelvelabs_embed_tasks`+labels] = 0
					out[`twelvelabs_embed_tasks_video_duration_seconds`+labels] = 0
					out[`twelvelabs_embed_tasks_audio_duration_seconds`+labels] = 0
				}
			}
		}
	}
	return out
}

func resyncs(t testing.TB, e *Exporter, reason string) float64 {
	var n float64
	for _, m := range gather(t, e.Collector(context.Background()))["twelvelabs_exporter_resyncs_total"].GetMetric() {
		for _, lp := range m.GetLabel() {
			if lp.GetName() == "reason" && lp.GetValue() == reason {
				n += m.GetCounter().GetValue()
			}
		}
	}
	return n
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

// logTaskDifferences names the tasks of the listed window whose status the
// exporter's table does not hold as the API has it: where a difference in
// the metrics comes from.
func logTaskDifferences(t *testing.T, sim *simulator.Server, e *Exporter) {
	t.Helper()
	for _, api := range e.opts.APIs {
		w := e.tasks[api].window
		tt := e.tasks[api].table
		held := map[int64][]taskRec{}
		for _, r := range tt.recs {
			held[r.created] = append(held[r.created], r)
		}
		for _, tk := range sim.Tasks(string(api)) {
			if tk.Created.Before(w.Start) || !tk.Created.Before(w.End) {
				continue
			}
			st := tk.StatusAt(sim.Now())
			rs := held[tk.Created.UnixMicro()]
			ok := false
			for _, r := range rs {
				if tt.names[r.status] == st {
					ok = true
				}
			}
			if !ok {
				held := make([]string, 0, len(rs))
				for _, r := range rs {
					held = append(held, tt.names[r.status])
				}
				t.Logf("%s task %s created %v is %s; the table holds it as %v", api, tk.ID, tk.Created, st, held)
			}
		}
	}
}

// A listing that fails because the API's answers never agree fails as a
// malformed answer, with that hint, not as a network fault.
func TestUnsettledCountsAreAMalformedAnswer(t *testing.T) {
	for _, err := range []error{errUnsettled, errOverBudget} {
		if r := client.ReasonOf(fmt.Errorf("listing: %w", err)); r != client.ReasonMalformed {
			t.Errorf("%v: reason %s, want %s", err, r, client.ReasonMalformed)
		}
	}
}

// A one-page account costs one request a scrape in incremental mode (page
// 1 is the whole window and its count), and a malformed field is counted
// once per task, however many listings read it again, in both modes: a
// task without a readable created_at is not new again each time the
// window's old end passes the place it was read at.
func TestOnePageAccountAndMalformedFieldsCountedOnce(t *testing.T) {
	for _, mode := range []string{ListingIncremental, ListingFull} {
		t.Run(mode, func(t *testing.T) {
			clock := &simClock{t: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)}
			const key = "tlk_onepage_0123456789"
			sim := simulator.New(key)
			sim.SetClock(clock.now)
			sim.SetTasks(simulator.V2, simulator.Generate(simulator.GenerateOptions{Seed: 3, N: 40, Now: clock.now(), API: simulator.V2}))
			sim.SetFault(simulator.Fault{Kind: simulator.FaultOddFields, Ratio: 1})
			srv := httptest.NewServer(sim)
			defer srv.Close()
			c, err := client.New(client.Config{BaseURL: srv.URL + simulator.BasePath, Key: client.StaticKey(key), Concurrency: 2, MaxPages: 100, Now: clock.now})
			if err != nil {
				t.Fatal(err)
			}
			e := New(c, Options{APIs: []client.API{client.V2}, Listing: mode, Now: clock.now})
			var created float64
			malformed := func() float64 {
				var n float64
				mfs := gather(t, e.Collector(context.Background()))
				for _, m := range mfs["twelvelabs_exporter_malformed_fields_total"].GetMetric() {
					n += m.GetCounter().GetValue()
				}
				created = 0
				for _, m := range mfs["twelvelabs_embed_tasks_created_total"].GetMetric() {
					created += m.GetCounter().GetValue()
				}
				return n
			}
			first := malformed()
			firstCreated := created
			if first == 0 {
				t.Fatal("no malformed field counted: the fault did not apply")
			}
			for s := range 3 {
				clock.add(time.Minute)
				before := sim.Requests(simulator.V2)
				got := malformed()
				if mode == ListingIncremental {
					if r := sim.Requests(simulator.V2) - before; r != 1 {
						t.Errorf("scrape %d: %d requests, want 1", s+1, r)
					}
				}
				if got != first {
					t.Errorf("scrape %d: malformed_fields_total %v, want %v (each task once)", s+1, got, first)
				}
				if created != firstCreated {
					t.Errorf("scrape %d: created_total %v, want %v (no task is new)", s+1, created, firstCreated)
				}
			}
		})
	}
}

// A count that lags its pages (new tasks listed, not yet counted) ends a
// full listing's pass a page early when it is a multiple of the page: the
// two newest tasks take the places of the two oldest, and every count
// agrees with what was read. The oldest second held, counted, finds them.
func TestALaggingCountOnAPageBoundaryHidesNoOldTask(t *testing.T) {
	clock := &simClock{t: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)}
	const key = "tlk_lagging_0123456789"
	sim := simulator.New(key)
	sim.SetClock(clock.now)
	var tasks []simulator.Task
	for i := range 100 {
		created := clock.now().Add(-time.Duration(100-i) * time.Minute)
		tasks = append(tasks, simulator.Task{ID: fmt.Sprintf("t%03d", i), Model: "marengo3.0", Status: "ready", Created: created, VideoSeconds: 1, AudioSeconds: -1})
	}
	for i := range 2 {
		created := clock.now().Add(-time.Duration(5+i) * time.Second)
		tasks = append(tasks, simulator.Task{ID: fmt.Sprintf("new%d", i), Model: "marengo3.0", Status: "ready", Created: created, VideoSeconds: 1, AudioSeconds: -1})
	}
	sim.SetTasks(simulator.V1, tasks)
	if err := sim.SetBehaviour(simulator.Behaviour{TotalLag: 20 * time.Second}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	defer srv.Close()
	c, err := client.New(client.Config{BaseURL: srv.URL + simulator.BasePath, Key: client.StaticKey(key), Concurrency: 2, MaxPages: 100, Now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	e := New(c, Options{APIs: []client.API{client.V1}, Listing: ListingFull, Now: clock.now})
	got := taskSeries(t, e.Collector(context.Background()))
	if n := got[`twelvelabs_embed_tasks{api=v1,model_name=marengo3.0,status=ready}`]; n != 102 {
		t.Errorf("%v ready tasks exported, want the 102 the pages list (up %v)", n, got[`twelvelabs_up{api=v1}`])
	}
}

// A total_results of 10^12 that appears after start-up (a broken cache in
// front of the API) is no reason to page on: the reconciliation's
// requests stay bounded by the table it holds, not by the count.
func TestAHugeCountAfterStartUpCostsBoundedRequests(t *testing.T) {
	clock := &simClock{t: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)}
	const key = "tlk_hugecount_0123456789"
	sim := simulator.New(key)
	sim.SetClock(clock.now)
	sim.SetTasks(simulator.V1, simulator.Generate(simulator.GenerateOptions{Seed: 5, N: 600, Now: clock.now(), API: simulator.V1}))
	var huge atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !huge.Load() {
			sim.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		sim.ServeHTTP(rec, r)
		body := regexp.MustCompile(`"total_results":\d+`).ReplaceAll(rec.Body.Bytes(), []byte(`"total_results":1000000000000`))
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	c, err := client.New(client.Config{BaseURL: srv.URL + simulator.BasePath, Key: client.StaticKey(key), Concurrency: 2, MaxPages: 1000, Now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	e := New(c, Options{APIs: []client.API{client.V1}, Listing: ListingIncremental, Now: clock.now})
	if got := taskSeries(t, e.Collector(context.Background())); got[`twelvelabs_up{api=v1}`] != 1 {
		t.Fatalf("start-up listing failed: %v", e.state.get(client.V1).last.err)
	}
	huge.Store(true)
	for s := range 3 {
		clock.add(time.Minute)
		before := sim.Requests(simulator.V1)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		taskSeries(t, e.Collector(ctx))
		cancel()
		// A full listing of 600 tasks is 12 pages; the bound is the
		// reconciliation's cap of twice the table, and its slack.
		if spent := sim.Requests(simulator.V1) - before; spent > 3*(2*600/50+budgetSlack+verifySlack) {
			t.Errorf("scrape %d: %d requests for a table of 600 tasks", s+1, spent)
		}
	}
}
