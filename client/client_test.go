package client

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twelvelabs-community/twelvelabs_exporter/simulator"
)

const testKey = "tlk_test_0123456789abcdef"

var testNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// expected is the simulator's own aggregate of the tasks a listing of the
// week before windowEnd should find, in the client's types.
func expected(tasks []simulator.Task, api API, windowEnd time.Time) map[GroupKey]Group {
	out := map[GroupKey]Group{}
	for k, g := range simulator.Aggregate(tasks, string(api), windowEnd.Add(-DefaultLookback), windowEnd, time.Now()) {
		out[GroupKey{Model: k.Model, Status: k.Status}] = Group{Tasks: g.Tasks, VideoNanos: g.VideoNanos, AudioNanos: g.AudioNanos, OldestCreated: g.Oldest}
	}
	return out
}

func compareGroups(t *testing.T, got map[GroupKey]*Group, want map[GroupKey]Group) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d groups, want %d", len(got), len(want))
	}
	for k, w := range want {
		g := got[k]
		if g == nil {
			t.Errorf("group %v missing", k)
			continue
		}
		if g.Tasks != w.Tasks || g.VideoNanos != w.VideoNanos || g.AudioNanos != w.AudioNanos || !g.OldestCreated.Equal(w.OldestCreated) {
			t.Errorf("group %v = %+v, want %+v", k, *g, w)
		}
	}
}

type fixture struct {
	sim    *simulator.Server
	srv    *httptest.Server
	client *Client
	codes  sync.Map // "api code" -> *atomic.Int64
}

func newFixture(t *testing.T, mutate func(*Config), wrap func(http.Handler) http.Handler) *fixture {
	t.Helper()
	f := &fixture{sim: simulator.New(testKey)}
	f.sim.SetClock(func() time.Time { return testNow })
	var h http.Handler = f.sim
	if wrap != nil {
		h = wrap(h)
	}
	f.srv = httptest.NewServer(h)
	t.Cleanup(f.srv.Close)
	cfg := Config{
		BaseURL:     f.srv.URL + simulator.BasePath,
		Key:         StaticKey(testKey),
		UserAgent:   "twelvelabs_exporter/test",
		Concurrency: DefaultConcurrency,
		MaxPages:    DefaultMaxPages,
		Now:         func() time.Time { return testNow },
		BackoffBase: time.Millisecond,
		BackoffMax:  5 * time.Millisecond,
		OnResponse: func(api API, code string) {
			c, _ := f.codes.LoadOrStore(string(api)+" "+code, new(atomic.Int64))
			c.(*atomic.Int64).Add(1)
		},
	}
	if mutate != nil {
		mutate(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.client = c
	return f
}

func (f *fixture) code(api API, code string) int64 {
	if c, ok := f.codes.Load(string(api) + " " + code); ok {
		return c.(*atomic.Int64).Load()
	}
	return 0
}

func generate(api API, n int) []simulator.Task {
	return simulator.Generate(simulator.GenerateOptions{
		Seed: 7, N: n, Now: testNow, API: string(api),
		FailedRatio: 0.1, ProcessingRatio: 0.15, UnknownModelRatio: 0.02,
	})
}

func TestListCountsEveryTaskWithMinimalRequests(t *testing.T) {
	for _, tc := range []struct {
		api API
		n   int
	}{{V1, 0}, {V1, 1}, {V1, 50}, {V1, 51}, {V1, 1237}, {V2, 1237}, {V2, 2500}} {
		t.Run(fmt.Sprintf("%s/%d", tc.api, tc.n), func(t *testing.T) {
			f := newFixture(t, nil, nil)
			tasks := generate(tc.api, tc.n)
			f.sim.SetTasks(string(tc.api), tasks)
			l, err := f.client.List(context.Background(), week(tc.api))
			if err != nil {
				t.Fatal(err)
			}
			wantReq := max(1, (tc.n+49)/50)
			if got := f.sim.Requests(string(tc.api)); got != int64(wantReq) || l.Requests != wantReq || l.Pages != wantReq {
				t.Errorf("requests: server saw %d, listing says %d requests and %d pages; want %d", got, l.Requests, l.Pages, wantReq)
			}
			if l.Tasks != tc.n || l.Duplicates != 0 {
				t.Errorf("tasks %d duplicates %d, want %d and 0", l.Tasks, l.Duplicates, tc.n)
			}
			compareGroups(t, l.Groups, expected(tasks, tc.api, week(tc.api).End))
			if f.code(tc.api, "200") != int64(wantReq) {
				t.Errorf("OnResponse saw %d 200s, want %d", f.code(tc.api, "200"), wantReq)
			}
		})
	}
}

func TestListSendsPinnedWindowKeyAndUserAgent(t *testing.T) {
	var mu sync.Mutex
	var seen []*http.Request
	f := newFixture(t, nil, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen = append(seen, r.Clone(context.Background()))
			mu.Unlock()
			h.ServeHTTP(w, r)
		})
	})
	f.sim.SetTasks("v2", generate(V2, 120))
	if _, err := f.client.List(context.Background(), week(V2)); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 3 {
		t.Fatalf("%d requests, want 3", len(seen))
	}
	pages := map[string]bool{}
	for _, r := range seen {
		q := r.URL.Query()
		pages[q.Get("page")] = true
		if q.Get("page_limit") != "50" || q.Get("ended_at") != "2026-11-20T12:00:00Z" || q.Get("started_at") != "2026-11-13T12:00:00Z" {
			t.Errorf("query %s: want page_limit=50 and the window pinned to the listing's start", r.URL.RawQuery)
		}
		if r.URL.Path != "/v1.3/embed-v2/tasks" {
			t.Errorf("path %s", r.URL.Path)
		}
		if r.Header.Get("x-api-key") != testKey || r.Header.Get("User-Agent") != "twelvelabs_exporter/test" {
			t.Errorf("headers %v", r.Header)
		}
		if strings.Contains(r.URL.String(), testKey) {
			t.Errorf("the key is in the URL %s", r.URL)
		}
	}
	if !pages["1"] || !pages["2"] || !pages["3"] {
		t.Errorf("pages requested %v, want 1, 2 and 3", pages)
	}
}

func TestListIgnoresTasksCreatedDuringTheListing(t *testing.T) {
	var once sync.Once
	var f *fixture
	f = newFixture(t, func(c *Config) { c.Concurrency = 1 }, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.ServeHTTP(w, r)
			// After page 1, 75 new tasks arrive at the head of the list.
			once.Do(func() {
				fresh := simulator.Generate(simulator.GenerateOptions{Seed: 99, N: 75, Now: testNow.Add(time.Minute), Spread: time.Second, API: "v1"})
				f.sim.SetTasks("v1", append(f.sim.Tasks("v1"), fresh...))
			})
		})
	})
	tasks := generate(V1, 300)
	f.sim.SetTasks("v1", tasks)
	l, err := f.client.List(context.Background(), week(V1))
	if err != nil {
		t.Fatal(err)
	}
	if l.Tasks != 300 || l.Requests != 6 {
		t.Errorf("tasks %d requests %d, want 300 and 6", l.Tasks, l.Requests)
	}
	compareGroups(t, l.Groups, expected(tasks, V1, week(V1).End))
}

// When a task enters the window at the head of the list after page 1 (a
// clock ahead of the API's), every later page starts one place earlier:
// page 2 repeats the last task of page 1. A listing is one pass: it counts
// each _id once and reports page 1's total, and the pass's own count is
// what a caller compares with the API's fresh counts (the collector's
// reconciliation finds the newcomer).
func TestListIsOnePassWhenPagesShift(t *testing.T) {
	tasks := generate(V1, 140)
	fresh := simulator.Task{ID: "fresh", Model: "marengo3.0", Status: "processing",
		Created: testNow.Add(-time.Second), VideoSeconds: 1, AudioSeconds: -1}
	sim := simulator.New(testKey)
	sim.SetClock(func() time.Time { return testNow })
	sim.SetTasks("v1", tasks)
	var once sync.Once
	f := newFixture(t, nil, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("page") != "1" {
				once.Do(func() { sim.AddTasks("v1", fresh) })
			}
			sim.ServeHTTP(w, r)
		})
	})
	l, err := f.client.List(context.Background(), Query{API: V1, Start: week(V1).Start, End: week(V1).End})
	if err != nil {
		t.Fatal(err)
	}
	if l.Tasks != 140 || l.Duplicates != 1 || l.Requests != 3 || l.Total != 140 {
		t.Errorf("tasks %d duplicates %d requests %d total %d, want 140, 1, 3 and 140", l.Tasks, l.Duplicates, l.Requests, l.Total)
	}
	compareGroups(t, l.Groups, expected(tasks, V1, week(V1).End))
}

// A page that repeats tasks of another without the total changing (an API
// quirk): each _id still counts once, and no new listing is made.
func TestListCountsEachIDOnce(t *testing.T) {
	tasks := generate(V1, 140)
	sim := simulator.New(testKey)
	sim.SetClock(func() time.Time { return testNow })
	sim.SetTasks("v1", tasks)
	f := newFixture(t, nil, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("page") == "2" { // page 2 answers as page 1
				q := r.URL.Query()
				q.Set("page", "1")
				r.URL.RawQuery = q.Encode()
			}
			sim.ServeHTTP(w, r)
		})
	})
	l, err := f.client.List(context.Background(), week(V1))
	if err != nil {
		t.Fatal(err)
	}
	if l.Tasks != 90 || l.Duplicates != 50 || l.Requests != 3 || l.Total != 140 {
		t.Errorf("tasks %d duplicates %d requests %d total %d, want 90, 50, 3 and 140", l.Tasks, l.Duplicates, l.Requests, l.Total)
	}
}

// week asks for the tasks of the week before testNow, the clients' clock.
func week(api API) Query { return LastWindow(api, testNow, DefaultLookback) }
