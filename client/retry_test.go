package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// script answers each request with the next response, then with the last
// one for ever; it counts what it answered.
type script struct {
	mu    sync.Mutex
	steps []func(w http.ResponseWriter, r *http.Request)
	n     atomic.Int64
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	i := int(s.n.Add(1)) - 1
	s.mu.Lock()
	step := s.steps[min(i, len(s.steps)-1)]
	s.mu.Unlock()
	step(w, r)
}

func status(code int, header map[string]string, body string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(code)
		_, _ = w.Write([]byte(body))
	}
}

const onePage = `{"data":[{"_id":"a1","model_name":"marengo3.0","status":"ready","created_at":"2026-11-19T10:00:00.250Z",
"video_embedding":{"metadata":{"duration":13.4400001,"input_filename":"01.mp4","video_clip_length":6,"video_embedding_scope":["clip"]}}}],
"page_info":{"limit_per_page":50,"page":1,"total_page":1,"total_results":1}}`

// scripted makes a client against a script and records the delays it waits.
func scripted(t *testing.T, s *script, mutate func(*Config)) (*Client, *[]time.Duration) {
	t.Helper()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	cfg := Config{BaseURL: srv.URL + "/v1.3", Key: StaticKey(testKey), Retries: 2, Concurrency: DefaultConcurrency, MaxPages: DefaultMaxPages, Now: func() time.Time { return testNow }}
	if mutate != nil {
		mutate(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var slept []time.Duration
	c.sleep = func(ctx context.Context, d time.Duration) error {
		slept = append(slept, d)
		return ctx.Err()
	}
	return c, &slept
}

func TestRetriesTransientErrors(t *testing.T) {
	for _, code := range []int{408, 429, 500, 502, 503, 504} {
		s := &script{steps: []func(http.ResponseWriter, *http.Request){
			status(code, nil, `{"code":"x","message":"try later"}`),
			status(code, nil, `<html><body>busy</body></html>`),
			status(200, nil, onePage),
		}}
		c, slept := scripted(t, s, nil)
		l, err := c.List(context.Background(), week(V1))
		if err != nil {
			t.Fatalf("%d: %v", code, err)
		}
		if s.n.Load() != 3 || l.Requests != 3 || l.Tasks != 1 || len(*slept) != 2 {
			t.Errorf("%d: %d requests (listing says %d), %d tasks, %d waits; want 3, 3, 1, 2", code, s.n.Load(), l.Requests, l.Tasks, len(*slept))
		}
		d := *slept
		switch {
		case len(d) != 2:
		case code == http.StatusTooManyRequests:
			// The organisation's limit: never two quick retries into it.
			if d[0] < minRateLimitWait || d[1] < minRateLimitWait {
				t.Errorf("429 without Retry-After: waits %v, want at least %v each", d, minRateLimitWait)
			}
		case d[0] < 100*time.Millisecond || d[0] > 200*time.Millisecond || d[1] < 200*time.Millisecond || d[1] > 400*time.Millisecond:
			// Backoff grows: full jitter over the upper half of base·2^attempt.
			t.Errorf("%d: backoff %v, want within [100ms,200ms] then [200ms,400ms]", code, d)
		}
	}
}

func TestGivesUpAfterRetries(t *testing.T) {
	s := &script{steps: []func(http.ResponseWriter, *http.Request){status(503, nil, "")}}
	c, _ := scripted(t, s, nil)
	_, err := c.List(context.Background(), week(V1))
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusServiceUnavailable || s.n.Load() != 3 {
		t.Fatalf("err %v after %d requests; want an APIError 503 after 3", err, s.n.Load())
	}
	if !strings.Contains(err.Error(), "empty body (Service Unavailable)") {
		t.Errorf("error %q should say the body was empty", err)
	}
}

func TestNeverRetriesClientErrors(t *testing.T) {
	for _, code := range []int{400, 401, 403, 404} {
		s := &script{steps: []func(http.ResponseWriter, *http.Request){status(code, nil, `{"code":"parameter_invalid","message":"no"}`)}}
		c, slept := scripted(t, s, nil)
		_, err := c.List(context.Background(), week(V1))
		var ae *APIError
		if !errors.As(err, &ae) || ae.StatusCode != code || s.n.Load() != 1 || len(*slept) != 0 {
			t.Errorf("%d: err %v after %d requests; want one request and no retry", code, err, s.n.Load())
		}
	}
}

func TestHonoursRetryAfter(t *testing.T) {
	// An HTTP date has whole seconds, so the wait it asks for is known to
	// within one second.
	date := time.Now().Add(4 * time.Second).UTC().Format(http.TimeFormat)
	for _, tc := range []struct {
		header   string
		min, max time.Duration
	}{{"2", 2 * time.Second, 2 * time.Second}, {date, 3 * time.Second, 4 * time.Second}} {
		s := &script{steps: []func(http.ResponseWriter, *http.Request){
			status(429, map[string]string{"Retry-After": tc.header}, `{"code":"too_many_requests","message":"You have exceeded the rate limit."}`),
			status(200, nil, onePage),
		}}
		c, slept := scripted(t, s, func(c *Config) { c.Now = time.Now })
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := c.List(ctx, week(V1))
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if len(*slept) != 1 || (*slept)[0] < tc.min || (*slept)[0] > tc.max {
			t.Errorf("Retry-After %q: waited %v, want one wait in [%v, %v]", tc.header, *slept, tc.min, tc.max)
		}
	}
}

func TestRetryAfterPastTheDeadlineFailsAtOnce(t *testing.T) {
	s := &script{steps: []func(http.ResponseWriter, *http.Request){
		status(429, map[string]string{"Retry-After": "60"}, `{"error":{"code":"too_many_requests","message":"slow down"}}`),
	}}
	c, slept := scripted(t, s, func(c *Config) { c.Now = time.Now })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := c.List(ctx, week(V1))
	if err == nil || s.n.Load() != 1 || len(*slept) != 0 {
		t.Fatalf("err %v after %d requests and waits %v; want a failure after one request, no wait", err, s.n.Load(), *slept)
	}
	if !strings.Contains(err.Error(), "too_many_requests: slow down") || !strings.Contains(err.Error(), "deadline") {
		t.Errorf("error %q should carry the API's code and message and say why it did not retry", err)
	}
}

func TestRetriesTruncatedBodyButNotMalformedOne(t *testing.T) {
	truncated := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", "4000")
		_, _ = w.Write([]byte(onePage[:100]))
	}
	s := &script{steps: []func(http.ResponseWriter, *http.Request){truncated, status(200, nil, onePage)}}
	c, _ := scripted(t, s, nil)
	if l, err := c.List(context.Background(), week(V1)); err != nil || l.Tasks != 1 || s.n.Load() != 2 {
		t.Errorf("truncated then whole: err %v, %d requests; want success after 2", err, s.n.Load())
	}

	for name, body := range map[string]string{
		"data not a list":        `{"data":{"_id":"a"},"page_info":{"total_page":1}}`,
		"page_info not a object": `{"data":[],"page_info":"1 of 1"}`,
		"not JSON":               `<html>ok</html>`,
		"a task not an object":   `{"data":[5],"page_info":{}}`,
		"the response null":      `null`,
	} {
		s := &script{steps: []func(http.ResponseWriter, *http.Request){status(200, nil, body)}}
		c, _ := scripted(t, s, nil)
		l, err := c.List(context.Background(), week(V1))
		if err == nil || s.n.Load() != 1 || l.Groups != nil {
			t.Errorf("%s: err %v after %d requests, groups %v; want a failure after one request and no groups", name, err, s.n.Load(), l.Groups)
		}
	}
}

func TestBodyLimit(t *testing.T) {
	s := &script{steps: []func(http.ResponseWriter, *http.Request){status(200, nil, onePage)}}
	c, _ := scripted(t, s, func(c *Config) { c.MaxBodyBytes = 100 })
	_, err := c.List(context.Background(), week(V1))
	if !errors.Is(err, errBodyTooLarge) || s.n.Load() != 1 {
		t.Errorf("err %v after %d requests; want the size limit after one", err, s.n.Load())
	}
}

func TestPageCapIsAnErrorBeforeFetching(t *testing.T) {
	body := strings.Replace(onePage, `"total_page":1,"total_results":1`, `"total_page":1000000000,"total_results":50000000000`, 1)
	s := &script{steps: []func(http.ResponseWriter, *http.Request){status(200, nil, body)}}
	c, _ := scripted(t, s, func(c *Config) { c.MaxPages = 100 })
	_, err := c.List(context.Background(), week(V1))
	if err == nil || !strings.Contains(err.Error(), "more than the cap of 100 pages") || s.n.Load() != 1 {
		t.Errorf("err %v after %d requests; want the cap named after one request", err, s.n.Load())
	}
}

func TestStopsAtFirstEmptyPage(t *testing.T) {
	page := func(n int, empty bool) func(http.ResponseWriter, *http.Request) {
		data := `{"_id":"p` + string(rune('0'+n)) + `","status":"ready","created_at":"2026-11-19T10:00:00Z"}`
		if empty {
			data = ""
		}
		// Page 3 is empty because tasks expired at the old end: its total
		// says the list shrank.
		total := 10
		if empty {
			total = 2
		}
		return status(200, nil, fmt.Sprintf(`{"data":[%s],"page_info":{"limit_per_page":1,"page":1,"total_page":10,"total_results":%d}}`, data, total))
	}
	s := &script{steps: []func(http.ResponseWriter, *http.Request){page(1, false), page(2, false), page(3, true), page(4, false)}}
	c, _ := scripted(t, s, func(c *Config) { c.Concurrency = 1 })
	l, err := c.List(context.Background(), week(V1))
	if err != nil || s.n.Load() != 3 || l.Tasks != 2 {
		t.Fatalf("err %v, %d requests, %d tasks; want 3 requests and 2 tasks", err, s.n.Load(), l.Tasks)
	}
	if g := l.Groups[GroupKey{Model: Unknown, Status: "ready"}]; g == nil || g.Tasks != 2 {
		t.Errorf("tasks without model_name should count under %q: %v", Unknown, l.Groups)
	}
}

func TestConcurrencyIsBounded(t *testing.T) {
	var inFlight, peak atomic.Int64
	f := newFixture(t, func(c *Config) { c.Concurrency = 3 }, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// Count only the wait before answering: a client may finish
			// reading a large body before the handler itself returns.
			n := inFlight.Add(1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			time.Sleep(10 * time.Millisecond)
			inFlight.Add(-1)
			h.ServeHTTP(w, r)
		})
	})
	f.sim.SetTasks("v1", generate(V1, 1000))
	if _, err := f.client.List(context.Background(), week(V1)); err != nil {
		t.Fatal(err)
	}
	if peak.Load() != 3 {
		t.Errorf("peak in-flight requests %d, want exactly the concurrency 3", peak.Load())
	}
}

func TestHonoursContextDeadline(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL, Key: StaticKey(testKey), Retries: 5, Concurrency: DefaultConcurrency, MaxPages: DefaultMaxPages})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	l, err := c.List(ctx, week(V2))
	if !errors.Is(err, context.DeadlineExceeded) || l.Requests != 1 {
		t.Errorf("err %v after %d requests; want the deadline after one", err, l.Requests)
	}
	if waited := time.Since(start); waited > 2*time.Second {
		t.Errorf("List returned %v after its deadline", waited)
	}
}

// A server that answers one request with headers and then stalls: the
// attempt ends at the request timeout and the retry succeeds.
func TestRequestTimeoutRetriesAStalledAttempt(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	s := &script{steps: []func(http.ResponseWriter, *http.Request){
		func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte(`{"data":[`))
			w.(http.Flusher).Flush()
			select {
			case <-release:
			case <-r.Context().Done():
			}
		},
		status(200, nil, onePage),
	}}
	c, _ := scripted(t, s, func(c *Config) { c.RequestTimeout = 100 * time.Millisecond })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l, err := c.List(ctx, week(V1))
	if err != nil || l.Tasks != 1 || s.n.Load() != 2 {
		t.Fatalf("err %v, %d tasks after %d requests; want success on the retry", err, l.Tasks, s.n.Load())
	}
}
