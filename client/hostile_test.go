package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// pagedAPI serves n tasks created an hour before testNow, newest first, in
// pages of the page_limit asked for; info writes each page's page_info
// (nil: none at all).
type pagedAPI struct {
	n        int
	info     func(page, limit, total int) string
	requests atomic.Int64
}

func (a *pagedAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.requests.Add(1)
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	limit, _ := strconv.Atoi(r.URL.Query().Get("page_limit"))
	var items []string
	for i := (page - 1) * limit; i < min(page*limit, a.n); i++ {
		created := testNow.Add(-time.Hour - time.Duration(i)*time.Second).Format(time.RFC3339)
		items = append(items, fmt.Sprintf(`{"_id":"t%d","model_name":"m","status":"ready","created_at":%q}`, i, created))
	}
	body := `{"data":[` + strings.Join(items, ",") + `]`
	if a.info != nil {
		body += `,"page_info":` + a.info(page, limit, a.n)
	}
	_, _ = w.Write([]byte(body + "}"))
}

func listFrom(t *testing.T, h http.Handler, mutate func(*Config)) (*Listing, error) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	cfg := Config{BaseURL: srv.URL + "/v1.3", Key: StaticKey(testKey), Concurrency: DefaultConcurrency, MaxPages: 100,
		Now: func() time.Time { return testNow }, BackoffBase: time.Millisecond, BackoffMax: time.Millisecond}
	if mutate != nil {
		mutate(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c.List(context.Background(), week(V1))
}

func TestAccountWithoutTasksAnswersNull(t *testing.T) {
	for _, body := range []string{`{"data":null,"page_info":null}`, `{"data":null}`, `{}`, `{"data":[],"page_info":{"total_page":0}}`} {
		s := &script{steps: []func(http.ResponseWriter, *http.Request){status(200, nil, body)}}
		l, err := listFrom(t, s, nil)
		if err != nil || l.Tasks != 0 || s.n.Load() != 1 || l.Groups == nil {
			t.Errorf("%s: err %v, %d tasks, %d requests; want an empty listing after one request", body, err, l.Tasks, s.n.Load())
		}
	}
}

// Without totals to trust, paging goes on while pages come back full.
func TestPagesWithoutTotalsAreReadWhileFull(t *testing.T) {
	for name, info := range map[string]func(page, limit, total int) string{
		"no page_info":           nil,
		"page_info null":         func(int, int, int) string { return "null" },
		"no totals":              func(p, l, _ int) string { return fmt.Sprintf(`{"page":%d,"limit_per_page":%d}`, p, l) },
		"total_page 0":           func(p, l, _ int) string { return fmt.Sprintf(`{"page":%d,"total_page":0}`, p) },
		"total_page 1, no total": func(p, l, _ int) string { return fmt.Sprintf(`{"page":%d,"total_page":1}`, p) },
	} {
		for _, n := range []int{120, 100} {
			api := &pagedAPI{n: n, info: info}
			l, err := listFrom(t, api, nil)
			wantRequests := int64(n/50 + 1) // the last page not full, or empty
			if err != nil || l.Tasks != n || api.requests.Load() != wantRequests {
				t.Errorf("%s, %d tasks: err %v, %d tasks in %d requests; want all in %d", name, n, err, l.Tasks, api.requests.Load(), wantRequests)
			}
		}
	}
	// Bounded by the page cap.
	api := &pagedAPI{n: 1000}
	if _, err := listFrom(t, api, func(c *Config) { c.MaxPages = 5 }); !errors.Is(err, errTooManyPages) || api.requests.Load() != 5 {
		t.Errorf("err %v after %d requests; want the cap after 5", err, api.requests.Load())
	}
}

// A week-old account: tasks expire at the old end while the listing reads
// it, and later pages announce fewer tasks. That shifts no page read, so it
// costs no second listing: ceil(N/50) requests.
func TestExpiryAtTheOldEndCostsNoRelisting(t *testing.T) {
	api := &pagedAPI{n: 230, info: func(p, l, total int) string {
		total -= 3 * (p - 1) // three tasks expire before each later page
		return fmt.Sprintf(`{"page":%d,"limit_per_page":%d,"total_page":%d,"total_results":%d}`, p, l, (total+l-1)/l, total)
	}}
	l, err := listFrom(t, api, func(c *Config) { c.Concurrency = 1 })
	if err != nil || api.requests.Load() != 5 || l.Total != 230 {
		t.Errorf("err %v, %d requests, total %d; want 5 requests and page 1's total, 230", err, api.requests.Load(), l.Total)
	}
}

func TestEmptyPageWithUnchangedTotalIsNotAComplete(t *testing.T) {
	s := &script{steps: []func(http.ResponseWriter, *http.Request){
		status(200, nil, `{"data":[{"_id":"a","created_at":"2026-11-20T10:00:00Z"}],"page_info":{"limit_per_page":1,"total_page":3,"total_results":3}}`),
		status(200, nil, `{"data":[],"page_info":{"limit_per_page":1,"total_page":3,"total_results":3}}`),
	}}
	_, err := listFrom(t, s, func(c *Config) { c.Concurrency = 1 })
	if !errors.Is(err, errMalformed) || ReasonOf(err) != ReasonMalformed {
		t.Errorf("err %v, want inconsistent paging, reason malformed", err)
	}
}

func TestTasksOutsideTheWindowAreNotCounted(t *testing.T) {
	body := `{"data":[{"_id":"in","created_at":"2026-11-20T10:00:00Z"},{"_id":"old","created_at":"2026-11-12T10:00:00Z"},
	{"_id":"future","created_at":"2026-11-20T12:00:01Z"},{"_id":"unreadable","created_at":"soon"}],"page_info":{"total_page":1,"total_results":4}}`
	s := &script{steps: []func(http.ResponseWriter, *http.Request){status(200, nil, body)}}
	l, err := listFrom(t, s, nil)
	if err != nil || l.Tasks != 2 || l.OutsideWindow != 2 || l.Malformed[FieldCreated] != 1 {
		t.Errorf("err %v, %d tasks, %d outside, %d unreadable; want 2 counted (one unreadable), 2 outside", err, l.Tasks, l.OutsideWindow, l.Malformed[FieldCreated])
	}
}

// The key goes only to the configured host: a redirect elsewhere is an
// error, counted by its status code, and the other host never sees a request.
func TestRedirectToAnotherHostIsRefused(t *testing.T) {
	var stolen atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { stolen.Add(1) }))
	defer other.Close()
	var codes sync.Map
	for _, target := range []string{other.URL + "/v1.3/embed/tasks", strings.Replace(other.URL, "127.0.0.1", "localhost", 1)} {
		s := &script{steps: []func(http.ResponseWriter, *http.Request){status(302, map[string]string{"Location": target}, "")}}
		_, err := listFrom(t, s, func(c *Config) {
			c.OnResponse = func(_ API, code string) { codes.Store(code, true) }
		})
		if !errors.Is(err, errRedirectRefused) || ReasonOf(err) != ReasonTransport || s.n.Load() != 1 {
			t.Errorf("%s: err %v after %d requests; want the redirect refused, not retried", target, err, s.n.Load())
		}
	}
	if _, ok := codes.Load("302"); !ok || stolen.Load() != 0 {
		t.Errorf("302 counted %v; other host saw %d requests, want none", ok, stolen.Load())
	}
	// A redirect on the same host is followed.
	s := &script{steps: []func(http.ResponseWriter, *http.Request){
		status(307, map[string]string{"Location": "/v1.3/embed/tasks?page=1&page_limit=50"}, ""), status(200, nil, onePage)}}
	if l, err := listFrom(t, s, nil); err != nil || l.Tasks != 1 {
		t.Errorf("same-host redirect: err %v", err)
	}
}

func TestKeyFragmentsAreRedactedBeforeCutting(t *testing.T) {
	for name, body := range map[string]string{
		"cut by the read limit": strings.Repeat("x", maxErrorBody-10) + testKey,
		"cut by the excerpt":    strings.Repeat("y ", maxErrorExcerpt/2-3) + testKey + " tail",
		"echoed in JSON":        `{"code":"api_key_invalid","message":"key ` + testKey + ` invalid"}`,
		"a fragment":            "bad key " + testKey[3:15],
	} {
		s := &script{steps: []func(http.ResponseWriter, *http.Request){status(401, nil, body)}}
		_, err := listFrom(t, s, nil)
		if err == nil {
			t.Fatalf("%s: no error", name)
		}
		for i := 0; i+minSecretFragment <= len(testKey); i++ {
			if strings.Contains(err.Error(), testKey[i:i+minSecretFragment]) {
				t.Errorf("%s: error %q holds the key's fragment %q", name, err, testKey[i:i+minSecretFragment])
				break
			}
		}
	}
}

// A 429 without Retry-After waits for X-Ratelimit-Reset when the listing's
// deadline allows it, and fails at once when it does not.
func TestRateLimitResetHeader(t *testing.T) {
	limited := status(429, map[string]string{"X-Ratelimit-Limit": "600", "X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": "20"},
		`{"code":"too_many_requests","message":"slow down"}`)
	s := &script{steps: []func(http.ResponseWriter, *http.Request){limited, status(200, nil, onePage)}}
	c, slept := scripted(t, s, nil)
	var seen RateLimit
	c.cfg.OnRateLimit = func(_ API, rl RateLimit) { seen = rl }
	if _, err := c.List(context.Background(), week(V1)); err != nil || len(*slept) != 1 || (*slept)[0] != 20*time.Second {
		t.Errorf("err %v, waits %v; want one wait of 20s", err, *slept)
	}
	if seen.Limit != 600 || seen.Remaining != 0 || !seen.Reset.Equal(testNow.Add(20*time.Second)) {
		t.Errorf("rate limit seen %+v", seen)
	}
	s = &script{steps: []func(http.ResponseWriter, *http.Request){limited}}
	c, slept = scripted(t, s, nil)
	c.cfg.Now = time.Now
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.List(ctx, week(V1)); ReasonOf(err) != ReasonRateLimited || len(*slept) != 0 || s.n.Load() != 1 {
		t.Errorf("err %v, waits %v, %d requests; want a rate-limit failure at once", err, *slept, s.n.Load())
	}
}

// The rest of a page's body is read before it is closed, so that the
// connection serves the next page: a listing opens no more connections
// than it has requests in flight.
func TestListingReusesConnections(t *testing.T) {
	api := &pagedAPI{n: 1000, info: func(p, l, total int) string {
		return fmt.Sprintf(`{"page":%d,"total_page":%d,"total_results":%d},"padding":"%s"`, p, (total+l-1)/l, total, strings.Repeat(" ", 8000))
	}}
	srv := httptest.NewUnstartedServer(api)
	var conns atomic.Int64
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 2 * DefaultConcurrency
	c, err := New(Config{BaseURL: srv.URL + "/v1.3", Key: StaticKey(testKey), Concurrency: DefaultConcurrency, MaxPages: 100,
		Now: func() time.Time { return testNow }, HTTPClient: &http.Client{Transport: tr}})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if l, err := c.List(context.Background(), week(V1)); err != nil || l.Tasks != 1000 {
			t.Fatalf("err %v", err)
		}
	}
	// Undrained, each page costs a new connection (53 of 60 seen); drained,
	// connections are kept across pages and listings. A connection goes
	// back to the pool a moment after its body ends, so a request may
	// still race it: allow twice the bound over three listings.
	if n := conns.Load(); n > 2*(DefaultConcurrency+1) {
		t.Errorf("%d connections for 3 listings of 20 pages, want at most %d", n, 2*(DefaultConcurrency+1))
	}
}

// A task created exactly at ended_at is outside the window the API was
// asked for, unless the caller has learned that the API counts ended_at
// inclusively: then it is one of the window's.
func TestATaskAtEndedAtIsInsideOnlyWhenTheEndIsInclusive(t *testing.T) {
	body := `{"data":[{"_id":"at-end","created_at":"2026-11-20T12:00:00Z"},{"_id":"in","created_at":"2026-11-20T11:59:59Z"}],
	"page_info":{"total_page":1,"total_results":2}}`
	for _, inclusive := range []bool{false, true} {
		srv := httptest.NewServer(http.HandlerFunc(status(200, nil, body)))
		c, err := New(Config{BaseURL: srv.URL + "/v1.3", Key: StaticKey(testKey), Concurrency: 1, MaxPages: 10, Now: func() time.Time { return testNow }})
		if err != nil {
			t.Fatal(err)
		}
		q := week(V1)
		q.End, q.EndInclusive = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC), inclusive
		l, err := c.List(context.Background(), q)
		srv.Close()
		want := map[bool]int{false: 1, true: 2}[inclusive]
		if err != nil || l.Tasks != want || l.Tasks+l.OutsideWindow != 2 {
			t.Errorf("inclusive %v: err %v, %d tasks counted, %d outside; want %d counted", inclusive, err, l.Tasks, l.OutsideWindow, want)
		}
	}
}
