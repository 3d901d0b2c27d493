package collector

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/twelvelabs-community/twelvelabs_exporter/client"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var now = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// fakeLister answers from a table; it counts calls and can block.
type fakeLister struct {
	mu       sync.Mutex
	listings map[client.API]*client.Listing
	errs     map[client.API]error
	calls    atomic.Int64
	gate     chan struct{} // when set, List waits for it or ctx
}

func (f *fakeLister) List(ctx context.Context, q client.Query) (*client.Listing, error) {
	api := q.API
	f.calls.Add(1)
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return &client.Listing{Pages: 1, Duration: time.Second}, ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.errs[api]; err != nil {
		return &client.Listing{Pages: 2, Duration: 1500 * time.Millisecond}, err
	}
	return f.listings[api], nil
}

func sampleListings() map[client.API]*client.Listing {
	ts := func(s string) time.Time { t, _ := time.Parse(time.RFC3339Nano, s); return t }
	return map[client.API]*client.Listing{
		client.V1: {Pages: 3, Duration: 250 * time.Millisecond, Groups: map[client.GroupKey]*client.Group{
			{Model: "marengo3.0", Status: "ready"}:             {Tasks: 100, VideoNanos: 1344000000100, OldestCreated: ts("2026-11-14T08:00:00.500Z")},
			{Model: "marengo3.0", Status: "processing"}:        {Tasks: 3, VideoNanos: 40320000300, OldestCreated: ts("2026-11-20T11:00:00Z")},
			{Model: "Marengo-retrieval-2.7", Status: "failed"}: {Tasks: 1, OldestCreated: ts("2026-11-19T00:00:00Z")},
		}},
		client.V2: {Pages: 1, Duration: 80 * time.Millisecond, Groups: map[client.GroupKey]*client.Group{
			{Model: "marengo3.5", Status: "ready"}:   {Tasks: 7, VideoNanos: 600e9, AudioNanos: 420500000000, OldestCreated: ts("2026-11-15T00:00:00Z")},
			{Model: "unknown", Status: "queued"}:     {Tasks: 2, AudioNanos: 30e9, OldestCreated: ts("2026-11-20T11:59:00Z")},
			{Model: "marengo3.5", Status: "unknown"}: {Tasks: 1},
		}},
	}
}

func newExporter(l Lister, ttl time.Duration) *Exporter {
	return New(l, Options{APIs: client.APIs, CacheTTL: ttl, Now: func() time.Time { return now }})
}

// golden compares a scrape with testdata/NAME.prom, or rewrites it with -update.
func golden(t *testing.T, c prometheus.Collector, name string) {
	t.Helper()
	path := filepath.Join("testdata", name+".prom")
	if *update {
		reg := prometheus.NewPedanticRegistry()
		reg.MustRegister(c)
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		for _, mf := range mfs {
			if _, err := expfmt.MetricFamilyToText(&buf, mf); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer want.Close()
	if err := testutil.CollectAndCompare(c, want); err != nil {
		t.Error(err)
	}
	problems, err := testutil.CollectAndLint(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

func TestExpositionBothAPIsUp(t *testing.T) {
	traffic := NewTraffic()
	listings := sampleListings()
	listings[client.V1].Malformed[client.FieldVideoDuration] = 2
	listings[client.V1].Malformed[client.FieldCreated] = 1
	e := New(&fakeLister{listings: listings}, Options{APIs: client.APIs, Traffic: traffic, Now: func() time.Time { return now }})
	traffic.Observe(client.V1, "200")
	traffic.Observe(client.V1, "200")
	traffic.Observe(client.V1, "503")
	traffic.Observe(client.V2, "error")
	traffic.ObserveRateLimit(client.V2, client.RateLimit{Limit: 600, Remaining: 598, Reset: now.Add(30 * time.Second)})
	traffic.ObserveRateLimit(client.V1, client.RateLimit{Limit: -1, Remaining: 0})
	golden(t, e.Collector(context.Background()), "both_up")
}

func TestExpositionOneAPIFailing(t *testing.T) {
	f := &fakeLister{listings: sampleListings(), errs: map[client.API]error{
		client.V1: &client.APIError{API: client.V1, Page: 1, StatusCode: 401, Code: "api_key_invalid", Message: "API Key is either invalid or expired."},
	}}
	golden(t, newExporter(f, 0).Collector(context.Background()), "v1_failing")
}

func TestFailureAfterSuccessDropsTaskMetricsButKeepsLastSuccess(t *testing.T) {
	f := &fakeLister{listings: sampleListings()}
	e := newExporter(f, 0)
	if n := testutil.CollectAndCount(e.Collector(context.Background()), "twelvelabs_embed_tasks"); n != 14 {
		t.Fatalf("%d task series on success, want 14: 2 models x 3 statuses for v1, 2 x 3 plus 2 unknown statuses for v2", n)
	}
	f.mu.Lock()
	f.errs = map[client.API]error{client.V2: errors.New("boom")}
	f.mu.Unlock()
	c := e.Collector(context.Background())
	if err := testutil.CollectAndCompare(c, strings.NewReader(`
# HELP twelvelabs_up 1 if the last listing of the API read every page, else 0 (and no task metrics of that API are exported).
# TYPE twelvelabs_up gauge
twelvelabs_up{api="v1"} 1
twelvelabs_up{api="v2"} 0
# HELP twelvelabs_exporter_last_success_timestamp_seconds Unix time at which the last successful listing of the API finished, absent until one has.
# TYPE twelvelabs_exporter_last_success_timestamp_seconds gauge
twelvelabs_exporter_last_success_timestamp_seconds{api="v1"} 1.795176e+09
twelvelabs_exporter_last_success_timestamp_seconds{api="v2"} 1.795176e+09
`), "twelvelabs_up", "twelvelabs_exporter_last_success_timestamp_seconds"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(c, "twelvelabs_embed_tasks"); n != 6 {
		t.Errorf("%d task series with v2 failing, want v1's 6 only", n)
	}
}

func TestConcurrentScrapesShareOneListing(t *testing.T) {
	f := &fakeLister{listings: sampleListings(), gate: make(chan struct{})}
	e := newExporter(f, 0)
	var wg sync.WaitGroup
	counts := make([]int, 3)
	for i := range counts {
		wg.Go(func() {
			counts[i] = testutil.CollectAndCount(e.Collector(context.Background()), "twelvelabs_embed_tasks")
		})
	}
	// Let every scrape reach the listing before it finishes.
	for deadline := time.Now().Add(5 * time.Second); f.calls.Load() < 2 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	close(f.gate)
	wg.Wait()
	if got := f.calls.Load(); got != 2 {
		t.Errorf("%d listings for 3 concurrent scrapes of 2 APIs, want 2", got)
	}
	for i, n := range counts {
		if n != 14 {
			t.Errorf("scrape %d saw %d task series, want 14", i, n)
		}
	}
}

func TestCacheServesLastSuccessForTTL(t *testing.T) {
	f := &fakeLister{listings: sampleListings()}
	clock := now
	e := New(f, Options{APIs: []client.API{client.V1}, CacheTTL: time.Minute, Now: func() time.Time { return clock }})
	scrape := func() float64 {
		return testutil.ToFloat64(upOnly{e.Collector(context.Background())})
	}
	if up := scrape(); up != 1 || f.calls.Load() != 1 {
		t.Fatalf("first scrape: up %v after %d listings", up, f.calls.Load())
	}
	clock = clock.Add(59 * time.Second)
	f.errs = map[client.API]error{client.V1: errors.New("down")}
	if up := scrape(); up != 1 || f.calls.Load() != 1 {
		t.Errorf("within the TTL: up %v after %d listings, want the cached listing and no new one", up, f.calls.Load())
	}
	clock = clock.Add(2 * time.Second)
	if up := scrape(); up != 0 || f.calls.Load() != 2 {
		t.Errorf("after the TTL: up %v after %d listings, want a new, failing listing", up, f.calls.Load())
	}
}

// upOnly narrows a scrape to twelvelabs_up, for testutil.ToFloat64.
type upOnly struct{ prometheus.Collector }

func (u upOnly) Collect(ch chan<- prometheus.Metric) {
	all := make(chan prometheus.Metric)
	go func() { u.Collector.Collect(all); close(all) }()
	for m := range all {
		if m.Desc() == upDesc {
			ch <- m
		}
	}
}

func TestScrapeEndsByItsDeadline(t *testing.T) {
	f := &fakeLister{listings: sampleListings(), gate: make(chan struct{})}
	defer close(f.gate)
	e := newExporter(f, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	n := testutil.CollectAndCount(e.Collector(ctx), "twelvelabs_up", "twelvelabs_embed_tasks")
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("scrape took %v with a 100ms deadline", took)
	}
	if n != 2 {
		t.Errorf("%d series, want twelvelabs_up for each API and no task metrics", n)
	}
}

// slowLister answers each List call only when the test releases it.
type slowLister struct {
	release  chan struct{}
	listings map[client.API]*client.Listing
	calls    atomic.Int64
	done     atomic.Int64
}

func (s *slowLister) List(ctx context.Context, q client.Query) (*client.Listing, error) {
	api := q.API
	s.calls.Add(1)
	defer s.done.Add(1)
	select {
	case <-s.release:
		return s.listings[api], nil
	case <-ctx.Done():
		return &client.Listing{}, ctx.Err()
	}
}

// An account too large to list within a scrape timeout: the listing goes on
// after the scrape that started it, and later scrapes serve the newest
// complete listing on time, never a partial one.
func TestListingOutlivesTheScrapeAndLaterScrapesServeIt(t *testing.T) {
	s := &slowLister{release: make(chan struct{}), listings: sampleListings()}
	clock := now
	var clockMu sync.Mutex
	e := New(s, Options{APIs: []client.API{client.V1}, ListingTimeout: time.Minute, Now: func() time.Time {
		clockMu.Lock()
		defer clockMu.Unlock()
		return clock
	}})
	scrape := func() (up float64, tasks int) {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		c := e.Collector(ctx)
		return testutil.ToFloat64(upOnly{c}), testutil.CollectAndCount(e.Collector(ctx), "twelvelabs_embed_tasks")
	}

	// Nothing complete yet: up 0, no task metrics, and the listing goes on.
	if up, n := scrape(); up != 0 || n != 0 {
		t.Fatalf("first scrape: up %v and %d task series, want 0 and none", up, n)
	}
	clockMu.Lock()
	clock = clock.Add(30 * time.Second)
	clockMu.Unlock()
	s.release <- struct{}{} // the first listing completes, after its scrape
	for deadline := time.Now().Add(5 * time.Second); s.done.Load() < 1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the listing did not finish")
		}
	}
	clockMu.Lock()
	clock = clock.Add(30 * time.Second)
	clockMu.Unlock()

	// A new listing starts and does not finish in time: the scrape serves
	// the complete one, and says how old it is.
	up, n := scrape()
	// The new listing starts in the background; the scrape may answer
	// before its goroutine has called List.
	for deadline := time.Now().Add(5 * time.Second); s.calls.Load() < 2 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if up != 1 || n != 6 || s.calls.Load() < 2 {
		t.Fatalf("second scrape: up %v, %d task series, %d listings; want 1, 6 and a new listing", up, n, s.calls.Load())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := testutil.CollectAndCompare(e.Collector(ctx), strings.NewReader(`
# HELP twelvelabs_exporter_last_success_timestamp_seconds Unix time at which the last successful listing of the API finished, absent until one has.
# TYPE twelvelabs_exporter_last_success_timestamp_seconds gauge
twelvelabs_exporter_last_success_timestamp_seconds{api="v1"} 1.79517603e+09
`), "twelvelabs_exporter_last_success_timestamp_seconds"); err != nil {
		t.Error(err)
	}
	close(s.release)
}

// When the last listing took longer than a scrape allows, a scrape does not
// wait for the one in flight: it answers at once with the last complete one.
func TestScrapeDoesNotWaitForAListingThatCannotFinish(t *testing.T) {
	listings := sampleListings()
	listings[client.V1].Duration = 10 * time.Minute
	s := &slowLister{release: make(chan struct{}), listings: listings}
	e := New(s, Options{APIs: []client.API{client.V1}, ListingTimeout: time.Hour, Now: func() time.Time { return now }})
	go func() { s.release <- struct{}{} }() // the first listing completes
	if up := testutil.ToFloat64(upOnly{e.Collector(context.Background())}); up != 1 {
		t.Fatalf("first scrape: up %v", up)
	}
	defer close(s.release)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	up := testutil.ToFloat64(upOnly{e.Collector(ctx)})
	if took := time.Since(start); up != 1 || took > 2*time.Second {
		t.Errorf("second scrape: up %v after %v; want the complete listing at once, not at the 5s deadline", up, took)
	}
	for deadline := time.Now().Add(5 * time.Second); s.calls.Load() < 2 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if s.calls.Load() != 2 {
		t.Errorf("%d listings, want the second one started in the background", s.calls.Load())
	}
}

// A flood of distinct model names costs a bounded number of series: the
// first MaxModels (busiest first) keep their name, the rest are "other";
// unknown statuses are bounded the same way.
func TestLabelValuesAreBounded(t *testing.T) {
	groups := map[client.GroupKey]*client.Group{}
	for i := range 2000 {
		groups[client.GroupKey{Model: fmt.Sprintf("model-%04d", i), Status: "ready"}] = &client.Group{Tasks: 2000 - i, OldestCreated: now}
	}
	for i := range 30 {
		groups[client.GroupKey{Model: "model-0000", Status: fmt.Sprintf("state-%02d", i)}] = &client.Group{Tasks: 1}
	}
	f := &fakeLister{listings: map[client.API]*client.Listing{client.V1: {Groups: groups}}}
	e := New(f, Options{APIs: []client.API{client.V1}, MaxModels: 50, Now: func() time.Time { return now }})
	c := e.Collector(context.Background())
	if n := testutil.CollectAndCount(c, "twelvelabs_embed_tasks"); n != 51*3+10+1 {
		t.Errorf("%d task series, want 51 models x 3 statuses + 10 unknown statuses + other", n)
	}
	if err := testutil.CollectAndCompare(c, strings.NewReader(`
# HELP twelvelabs_exporter_folded_label_values Distinct values of the label that the last successful listing of the API exported as "other", past the bound on distinct values.
# TYPE twelvelabs_exporter_folded_label_values gauge
twelvelabs_exporter_folded_label_values{api="v1",label="model_name"} 1950
twelvelabs_exporter_folded_label_values{api="v1",label="status"} 20
`), "twelvelabs_exporter_folded_label_values"); err != nil {
		t.Error(err)
	}
	var total float64
	for _, m := range gather(t, c)["twelvelabs_embed_tasks"].GetMetric() {
		total += m.GetGauge().GetValue()
	}
	if want := float64(2000*2001/2 + 30); total != want {
		t.Errorf("%v tasks exported, want every one of %v, folded or not", total, want)
	}
	problems, err := testutil.CollectAndLint(c)
	if err != nil || len(problems) != 0 {
		t.Errorf("lint: %v %v", err, problems)
	}
}

// A label value that cannot be exported costs its own series only:
// twelvelabs_up and the rest still reach Prometheus.
func TestInvalidLabelValueLeavesTheRestOfTheScrape(t *testing.T) {
	f := &fakeLister{listings: map[client.API]*client.Listing{client.V1: {Groups: map[client.GroupKey]*client.Group{
		{Model: "bad\xff", Status: "ready"}: {Tasks: 1},
		{Model: "good", Status: "ready"}:    {Tasks: 2},
	}}}}
	e := New(f, Options{APIs: []client.API{client.V1}, Now: func() time.Time { return now }})
	mfs := gather(t, e.Collector(context.Background()))
	if up := mfs["twelvelabs_up"].GetMetric(); len(up) != 1 || up[0].GetGauge().GetValue() != 1 {
		t.Errorf("twelvelabs_up %v, want 1", up)
	}
	if n := len(mfs["twelvelabs_embed_tasks"].GetMetric()); n != 3 {
		t.Errorf("%d task series, want the good model's 3", n)
	}
}

// gather collects c the way a scrape does, keeping what could be made.
func gather(t testing.TB, c prometheus.Collector) map[string]*dto.MetricFamily {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	mfs, _ := reg.Gather() // the errors are the series left out
	out := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		out[mf.GetName()] = mf
	}
	return out
}

// A static account (every task created before the exporter started) has
// its lifecycle series at 0 from the first listing, for every model it
// lists, so that rates and alerts on them read 0, not "no data".
func TestLifecycleSeriesAreZeroFromTheFirstListing(t *testing.T) {
	e := newExporter(&fakeLister{listings: sampleListings()}, 0)
	c := e.Collector(context.Background())
	models := 4 // marengo3.0 and Marengo-retrieval-2.7 on v1, marengo3.5 and unknown on v2
	for name, want := range map[string]int{
		"twelvelabs_embed_tasks_created_total":              models,
		"twelvelabs_embed_tasks_finished_total":             models * 2,
		"twelvelabs_embed_task_processing_duration_seconds": models * 2,
	} {
		if got := testutil.CollectAndCount(c, name); got != want {
			t.Errorf("%s: %d series, want %d (api × model, × ready/failed)", name, got, want)
		}
	}
	want := `
# HELP twelvelabs_embed_tasks_created_total Tasks first seen in a listing since the exporter started, created after it started.
# TYPE twelvelabs_embed_tasks_created_total counter
twelvelabs_embed_tasks_created_total{api="v1",model_name="Marengo-retrieval-2.7"} 0
twelvelabs_embed_tasks_created_total{api="v1",model_name="marengo3.0"} 0
twelvelabs_embed_tasks_created_total{api="v2",model_name="marengo3.5"} 0
twelvelabs_embed_tasks_created_total{api="v2",model_name="unknown"} 0
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), "twelvelabs_embed_tasks_created_total"); err != nil {
		t.Error(err)
	}
}
