package simulator

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const key = "sim-test-key"

var t0 = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

type page struct {
	Data []struct {
		ID        string `json:"_id"`
		ModelName string `json:"model_name"`
		Status    string `json:"status"`
		CreatedAt string `json:"created_at"`
		Video     *struct {
			Metadata struct {
				Duration float64 `json:"duration"`
			} `json:"metadata"`
		} `json:"video_embedding"`
		Audio *struct {
			Metadata struct {
				Duration float64 `json:"duration"`
			} `json:"metadata"`
		} `json:"audio_embedding"`
	} `json:"data"`
	PageInfo struct {
		LimitPerPage int `json:"limit_per_page"`
		Page         int `json:"page"`
		TotalPage    int `json:"total_page"`
		TotalResults int `json:"total_results"`
	} `json:"page_info"`
	Code    string `json:"code"`
	Message string `json:"message"`
	DocsURL string `json:"docs_url"`
}

func do(t *testing.T, s *Server, method, target, apiKey string) (int, page, http.Header) {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	if apiKey != "" {
		req.Header.Set("x-api-key", apiKey)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	var p page
	_ = json.Unmarshal(rec.Body.Bytes(), &p)
	return rec.Code, p, rec.Header()
}

func newSim(n int) *Server {
	s := New(key)
	s.now = func() time.Time { return t0 }
	s.SetTasks("v1", Generate(GenerateOptions{Seed: 1, N: n, Now: t0, API: "v1", FailedRatio: 0.1, ProcessingRatio: 0.1}))
	s.SetTasks("v2", Generate(GenerateOptions{Seed: 2, N: n, Now: t0, API: "v2"}))
	return s
}

func TestRejectsBadRequestsAsTheAPIDoes(t *testing.T) {
	s := newSim(10)
	for _, tc := range []struct {
		target, key string
		status      int
		code        string
	}{
		{"/v1.3/embed/tasks", "", 401, "api_key_invalid"},
		{"/v1.3/embed/tasks", "wrong", 401, "api_key_invalid"},
		{"/v1.3/embed/tasks?page_limit=51", key, 400, "parameter_invalid"},
		{"/v1.3/embed/tasks?page_limit=0", key, 400, "parameter_invalid"},
		{"/v1.3/embed/tasks?page=0", key, 400, "parameter_invalid"},
		{"/v1.3/embed/tasks?page=x", key, 400, "parameter_invalid"},
		{"/v1.3/embed/tasks?status=queued", key, 400, "parameter_invalid"},
		{"/v1.3/embed/tasks?started_at=yesterday", key, 400, "parameter_invalid"},
		{"/v1.3/embed/tasks?limit=5", key, 400, "parameter_unknown"},
		{"/v1.2/embed/tasks", key, 404, "resource_not_exist"},
	} {
		code, p, _ := do(t, s, http.MethodGet, tc.target, tc.key)
		if code != tc.status || p.Code != tc.code || p.Message == "" || p.DocsURL == "" {
			t.Errorf("%s key %q: %d %q %q, want %d %q with a message and docs_url", tc.target, tc.key, code, p.Code, p.Message, tc.status, tc.code)
		}
	}
	if code, _, _ := do(t, s, http.MethodPost, "/v1.3/embed/tasks", key); code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", code)
	}
}

func TestPagesNewestFirstCoverEveryTaskOnce(t *testing.T) {
	s := newSim(123)
	code, p, _ := do(t, s, http.MethodGet, "/v1.3/embed/tasks", key)
	if code != 200 || len(p.Data) != 10 || p.PageInfo.LimitPerPage != 10 || p.PageInfo.TotalPage != 13 || p.PageInfo.TotalResults != 123 {
		t.Fatalf("defaults: %d, %d tasks, page_info %+v; want page_limit 10 and 13 pages of 123", code, len(p.Data), p.PageInfo)
	}
	seen := map[string]bool{}
	last := "9999"
	for n := 1; n <= 3; n++ {
		_, p := func() (int, page) {
			c, p, _ := do(t, s, http.MethodGet, "/v1.3/embed/tasks?page_limit=50&page="+string(rune('0'+n)), key)
			return c, p
		}()
		if p.PageInfo.TotalPage != 3 || p.PageInfo.Page != n {
			t.Errorf("page %d: page_info %+v", n, p.PageInfo)
		}
		for _, tk := range p.Data {
			if seen[tk.ID] {
				t.Errorf("task %s on two pages", tk.ID)
			}
			seen[tk.ID] = true
			if tk.CreatedAt > last {
				t.Errorf("page %d: %s after %s: not newest first", n, tk.CreatedAt, last)
			}
			last = tk.CreatedAt
		}
	}
	if len(seen) != 123 {
		t.Errorf("%d distinct tasks over 3 pages, want 123", len(seen))
	}
	if _, p, _ := do(t, s, http.MethodGet, "/v1.3/embed/tasks?page_limit=50&page=4", key); len(p.Data) != 0 || p.PageInfo.TotalResults != 123 {
		t.Errorf("page past the end: %d tasks, page_info %+v", len(p.Data), p.PageInfo)
	}
}

func TestFilters(t *testing.T) {
	s := newSim(500)
	all := s.Tasks("v1")
	from, to := t0.Add(-48*time.Hour), t0.Add(-24*time.Hour)
	want, processing := 0, 0
	for _, tk := range all {
		if !tk.Created.Before(from) && tk.Created.Before(to) {
			want++
		}
		if tk.Status == "processing" {
			processing++
		}
	}
	target := "/v1.3/embed/tasks?page_limit=50&started_at=" + from.Format(time.RFC3339) + "&ended_at=" + to.Format(time.RFC3339)
	if _, p, _ := do(t, s, http.MethodGet, target, key); p.PageInfo.TotalResults != want || want == 0 {
		t.Errorf("window: %d tasks, want %d", p.PageInfo.TotalResults, want)
	}
	if _, p, _ := do(t, s, http.MethodGet, "/v1.3/embed/tasks?status=processing&page_limit=50", key); p.PageInfo.TotalResults != processing || processing == 0 {
		t.Errorf("status filter: %d tasks, want %d", p.PageInfo.TotalResults, processing)
	} else {
		for _, tk := range p.Data {
			if tk.Status != "processing" {
				t.Errorf("status filter let through %q", tk.Status)
			}
		}
	}
}

func TestV2CarriesAudioAndV1DoesNot(t *testing.T) {
	s := newSim(200)
	_, p1, _ := do(t, s, http.MethodGet, "/v1.3/embed/tasks?page_limit=50", key)
	_, p2, _ := do(t, s, http.MethodGet, "/v1.3/embed-v2/tasks?page_limit=50", key)
	audio := 0
	for _, tk := range p1.Data {
		if tk.Audio != nil {
			t.Fatal("a v1 task carries audio_embedding")
		}
	}
	for _, tk := range p2.Data {
		if tk.Audio != nil {
			audio++
		}
	}
	if audio == 0 {
		t.Error("no v2 task carries audio_embedding")
	}
}

func TestLiveWorkloadCreatesFinishesAndExpiresTasks(t *testing.T) {
	s := New(key)
	clock := t0
	s.now = func() time.Time { return clock }
	s.SetTasks("v1", []Task{{ID: "old", Status: "ready", Created: t0.Add(-Retention + 5*time.Minute)}})
	s.SetWorkload(Workload{RatePerMinute: 60, FailedRatio: 0.2, StuckRatio: 0.1, ProcessingSeconds: 30})
	clock = clock.Add(2 * time.Minute)
	tasks := s.Tasks("v1")
	if len(tasks) != 1+120 {
		t.Fatalf("%d tasks after 2 minutes at 60/min, want 121", len(tasks))
	}
	count := func(tasks []Task) map[string]int {
		m := map[string]int{}
		for _, tk := range tasks {
			m[tk.Status]++
		}
		return m
	}
	// Arrivals stop; ten minutes on, every task has finished but the stuck.
	s.SetWorkload(Workload{})
	clock = clock.Add(10 * time.Minute)
	c := count(s.Tasks("v1"))
	if c["processing"] == 0 || c["failed"] == 0 || c["ready"] == 0 || c["processing"] > 30 {
		t.Errorf("statuses %v: want about 12 stuck of 120, and failed and ready tasks", c)
	}
	s.SetWorkload(Workload{RatePerMinute: 1})
	clock = clock.Add(time.Minute)
	for _, tk := range s.Tasks("v1") {
		if tk.ID == "old" {
			t.Error("a task past the retention was not expired")
		}
	}
}

func TestFaults(t *testing.T) {
	s := newSim(5)
	s.SetFault(Fault{Kind: "429", Ratio: 1, RetryAfter: "7"})
	code, p, h := do(t, s, http.MethodGet, "/v1.3/embed/tasks", key)
	if code != 429 || h.Get("Retry-After") != "7" || p.Code != "too_many_requests" {
		t.Errorf("429: %d Retry-After %q code %q", code, h.Get("Retry-After"), p.Code)
	}
	for kind, wantCode := range map[FaultKind]int{Fault503: 503, FaultHTML: 502, FaultMalformed: 200, FaultTruncated: 200} {
		s.SetFault(Fault{Kind: kind, Ratio: 1})
		req := httptest.NewRequest(http.MethodGet, "/v1.3/embed/tasks", nil)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		var v any
		if rec.Code != wantCode || (kind != Fault503 && json.Unmarshal(rec.Body.Bytes(), &v) == nil) {
			t.Errorf("%s: %d %q", kind, rec.Code, rec.Body.String())
		}
	}
	s.SetFault(Fault{Kind: "hang", Ratio: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req := httptest.NewRequest(http.MethodGet, "/v1.3/embed/tasks", nil).WithContext(ctx)
	start := time.Now()
	s.ServeHTTP(httptest.NewRecorder(), req)
	if time.Since(start) > 2*time.Second {
		t.Error("a hang outlived the client")
	}
	s.SetFault(Fault{Kind: "503", Ratio: 0})
	if code, _, _ := do(t, s, http.MethodGet, "/v1.3/embed/tasks", key); code != 200 {
		t.Errorf("ratio 0: %d", code)
	}
}

func TestControlAPI(t *testing.T) {
	s := newSim(5)
	post := func(path, body string) int {
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec.Code
	}
	if c := post("/_sim/config", `{"key":"new-key"}`); c != 200 {
		t.Fatalf("config: %d", c)
	}
	if code, _, _ := do(t, s, http.MethodGet, "/v1.3/embed/tasks", key); code != 401 {
		t.Errorf("revoked key: %d", code)
	}
	if c := post("/_sim/tasks", `{"api":"v1","n":3,"status":"processing","age":"2h","model":"marengo3.0"}`); c != 200 {
		t.Fatalf("tasks: %d", c)
	}
	stuck := 0
	for _, tk := range s.Tasks("v1") {
		if tk.Status == "processing" && tk.Created.Equal(t0.Add(-2*time.Hour)) && tk.Model == "marengo3.0" {
			stuck++
		}
	}
	if stuck != 3 {
		t.Errorf("%d stuck tasks added, want 3", stuck)
	}
	for _, bad := range []string{`{"fault":{"kind":"teapot"}}`, `{"latency":"soon"}`, `{"nope":1}`} {
		if c := post("/_sim/config", bad); c != 400 {
			t.Errorf("%s: %d, want 400", bad, c)
		}
	}
	if c := post("/_sim/tasks", `{"api":"v3","n":1}`); c != 400 {
		t.Errorf("bad api: %d", c)
	}
}
