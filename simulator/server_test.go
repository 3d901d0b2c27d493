package simulator

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
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

// get serves one request and returns the raw answer.
func get(t *testing.T, s *Server, target, apiKey string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	if apiKey != "" {
		req.Header.Set("x-api-key", apiKey)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}

// members decodes a JSON object into its raw members.
func members(t *testing.T, raw []byte) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("not a JSON object: %v: %.200q", err, raw)
	}
	return m
}

func TestEveryFaultKindParsesAndValidatesInTheControlAPI(t *testing.T) {
	s := newSim(5)
	for _, k := range FaultKinds {
		if got, err := ParseFaultKind(string(k)); err != nil || got != k {
			t.Errorf("ParseFaultKind(%q): %q %v", k, got, err)
		}
		req := httptest.NewRequest(http.MethodPost, "/_sim/config", strings.NewReader(`{"fault":{"kind":"`+string(k)+`","ratio":0}}`))
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Errorf("control API rejects %q: %d %s", k, rec.Code, rec.Body)
		}
		if !strings.Contains(FaultKindNames(), string(k)) {
			t.Errorf("FaultKindNames lacks %q", k)
		}
	}
}

func TestPageKindsCheckTheKeyFirst(t *testing.T) {
	s := newSim(5)
	for _, k := range FaultKinds {
		if !isPageKind(k) {
			continue
		}
		s.SetFault(Fault{Kind: k, Ratio: 1})
		if code, p, _ := do(t, s, http.MethodGet, "/v1.3/embed/tasks", "wrong"); code != http.StatusUnauthorized || p.Code != "api_key_invalid" {
			t.Errorf("%s with a wrong key: %d %q", k, code, p.Code)
		}
		if code, p, _ := do(t, s, http.MethodGet, "/v1.3/embed/tasks?page_limit=99", key); code != http.StatusBadRequest || p.Code != "parameter_invalid" {
			t.Errorf("%s with page_limit=99: %d %q", k, code, p.Code)
		}
	}
}

func TestPageInfoShapes(t *testing.T) {
	s := newSim(25)
	s.SetFault(Fault{Kind: FaultNullLists, Ratio: 1})
	rec := get(t, s, "/v1.3/embed-v2/tasks", key)
	if rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != `{"data":null,"page_info":null}` {
		t.Errorf("null-lists: %d %s", rec.Code, rec.Body)
	}

	s.SetFault(Fault{Kind: FaultNoPageInfo, Ratio: 1})
	m := members(t, get(t, s, "/v1.3/embed/tasks", key).Body.Bytes())
	if _, ok := m["page_info"]; ok {
		t.Errorf("no-page-info sent page_info %s", m["page_info"])
	}
	var data []json.RawMessage
	if json.Unmarshal(m["data"], &data) != nil || len(data) != 10 {
		t.Errorf("no-page-info: data %.100s", m["data"])
	}

	s.SetFault(Fault{Kind: FaultNoTotalPage, Ratio: 1})
	m = members(t, get(t, s, "/v1.3/embed/tasks?page=2", key).Body.Bytes())
	if got := string(m["page_info"]); got != `{"limit_per_page":10,"page":2}` {
		t.Errorf("no-total-page: page_info %s", got)
	}

	// An under-reporting server: every page claims to be the only one,
	// yet pages 2 and 3 still serve the rest.
	s.SetFault(Fault{Kind: FaultUnderstatedTotal, Ratio: 1})
	seen := map[string]bool{}
	for n, want := range []int{10, 10, 5, 0} {
		_, p, _ := do(t, s, http.MethodGet, "/v1.3/embed/tasks?page="+strconv.Itoa(n+1), key)
		if len(p.Data) != want || p.PageInfo.TotalPage != 1 || p.PageInfo.TotalResults != 0 || p.PageInfo.Page != n+1 {
			t.Errorf("understated-total page %d: %d tasks, page_info %+v", n+1, len(p.Data), p.PageInfo)
		}
		for _, tk := range p.Data {
			seen[tk.ID] = true
		}
	}
	if len(seen) != 25 {
		t.Errorf("understated-total: %d tasks over all pages, want 25", len(seen))
	}
}

func TestOddLabels(t *testing.T) {
	s := newSim(40)
	want := s.Tasks(V1)
	s.SetFault(Fault{Kind: FaultOddLabels, Ratio: 1})
	body := get(t, s, "/v1.3/embed/tasks?page_limit=40", key).Body.Bytes()
	if utf8.Valid(body) || !bytes.Contains(body, []byte("marengo3.0\xff \"")) {
		t.Fatalf("odd-labels: want a raw 0xff byte in model_name: %.300q", body)
	}
	var p page
	if err := json.Unmarshal(body, &p); err != nil || len(p.Data) != 40 {
		t.Fatalf("odd-labels: %v, %d tasks", err, len(p.Data))
	}
	statuses := map[string]bool{}
	for i, tk := range p.Data {
		if want[i].Model != "" && tk.ModelName != " "+want[i].Model+"\uFFFD " {
			t.Errorf("task %d: model_name %q, want %q + 0xff + space", i, tk.ModelName, " "+want[i].Model)
		}
		if tk.Status != capitalised[want[i].Status] {
			t.Errorf("task %d: status %q for %q", i, tk.Status, want[i].Status)
		}
		statuses[tk.Status] = true
	}
	if !statuses["Ready"] || !statuses["PROCESSING"] || !statuses["Failed"] {
		t.Errorf("statuses sent: %v, want Ready, PROCESSING and Failed", statuses)
	}
}

func TestManyModels(t *testing.T) {
	s := newSim(3000)
	s.SetFault(Fault{Kind: FaultManyModels, Ratio: 1})
	models := map[string]bool{}
	for n := 1; n <= 60; n++ {
		_, p, _ := do(t, s, http.MethodGet, "/v1.3/embed/tasks?page_limit=50&page="+strconv.Itoa(n), key)
		for _, tk := range p.Data {
			if tk.ModelName != "model-"+tk.ID {
				t.Fatalf("model_name %q for task %s", tk.ModelName, tk.ID)
			}
			models[tk.ModelName] = true
		}
	}
	if len(models) != 3000 {
		t.Errorf("%d distinct models, want 3000", len(models))
	}
}

func TestOddFields(t *testing.T) {
	for _, api := range APIs {
		s := newSim(30)
		want := s.Tasks(api)
		s.SetFault(Fault{Kind: FaultOddFields, Ratio: 1})
		path := "/v1.3/embed/tasks?page_limit=20"
		if api == V2 {
			path = "/v1.3/embed-v2/tasks?page_limit=20"
		}
		var data []map[string]json.RawMessage
		if err := json.Unmarshal(members(t, get(t, s, path, key).Body.Bytes())["data"], &data); err != nil || len(data) != 20 {
			t.Fatalf("%s odd-fields: %v, %d tasks", api, err, len(data))
		}
		for i, m := range data {
			tk := want[i]
			emb := "video_embedding"
			d := tk.VideoSeconds
			if _, ok := m[emb]; !ok {
				emb, d = "audio_embedding", tk.AudioSeconds
			}
			var e struct {
				Metadata map[string]json.RawMessage `json:"metadata"`
			}
			_ = json.Unmarshal(m[emb], &e)
			dur := string(e.Metadata["duration"])
			var err error
			switch i % 10 {
			case 0:
				if dur != `"`+strconv.FormatFloat(d, 'f', -1, 64)+`"` {
					err = fmt.Errorf("duration %s, want %v as a string", dur, d)
				}
			case 1:
				if dur != `"n/a"` {
					err = fmt.Errorf("duration %s", dur)
				}
			case 2:
				if dur != "1e400" {
					err = fmt.Errorf("duration %s", dur)
				}
			case 3:
				var o struct {
					Value float64 `json:"value"`
					Unit  string  `json:"unit"`
				}
				if json.Unmarshal([]byte(dur), &o) != nil || o.Value != d || o.Unit != "s" {
					err = fmt.Errorf("duration %s", dur)
				}
			case 4:
				sec, frac, _ := strings.Cut(string(m["created_at"]), ".")
				ss, _ := strconv.ParseInt(sec, 10, 64)
				ns, _ := strconv.ParseInt((frac + "000000000")[:9], 10, 64)
				if got := time.Unix(ss, ns); !got.Equal(tk.Created) {
					err = fmt.Errorf("created_at %s is %v, want %v", m["created_at"], got, tk.Created)
				}
			case 5:
				if string(m["created_at"]) != `"yesterday"` {
					err = fmt.Errorf("created_at %s", m["created_at"])
				}
			case 6:
				if string(m["model_name"]) != "3.5" {
					err = fmt.Errorf("model_name %s", m["model_name"])
				}
			case 7:
				if string(m["status"]) != "null" {
					err = fmt.Errorf("status %s", m["status"])
				}
			case 8:
				if string(m["_id"]) != strconv.FormatUint(idNumber(tk.ID), 10) {
					err = fmt.Errorf("_id %s", m["_id"])
				}
			case 9:
				var seg []float64
				if json.Unmarshal(m["segments"], &seg) != nil || len(seg) != 2000 {
					err = fmt.Errorf("segments: %d floats", len(seg))
				}
			}
			if i%10 != 8 && string(m["_id"]) != `"`+tk.ID+`"` {
				err = fmt.Errorf("_id %s, want %q", m["_id"], tk.ID)
			}
			if err != nil {
				t.Errorf("%s task %d: %v", api, i, err)
			}
		}
	}
}

func TestOddTimestampsDenoteTheTrueInstant(t *testing.T) {
	s := New(key)
	s.SetClock(func() time.Time { return t0 })
	var tasks []Task
	for i := range 14 {
		created := t0.Add(-time.Duration(i+1) * time.Hour)
		if i >= 7 {
			created = created.Add(time.Duration(i) * 37 * time.Millisecond)
		}
		tasks = append(tasks, Task{ID: fmt.Sprintf("t%02d", i), Model: "marengo3.5", Status: "ready",
			Created: created, Updated: created.Add(90500 * time.Millisecond), VideoSeconds: 5, AudioSeconds: -1})
	}
	s.SetTasks(V2, tasks)
	s.SetFault(Fault{Kind: FaultOddTimestamps, Ratio: 1})
	var p struct {
		Data []struct {
			ID        string `json:"_id"`
			CreatedAt string `json:"created_at"`
			UpdatedAt string `json:"updated_at"`
		} `json:"data"`
	}
	if err := json.Unmarshal(get(t, s, "/v1.3/embed-v2/tasks?page_limit=14", key).Body.Bytes(), &p); err != nil || len(p.Data) != 14 {
		t.Fatalf("odd-timestamps: %v, %d tasks", err, len(p.Data))
	}
	forms := []struct {
		shape  *regexp.Regexp
		layout string
	}{
		{regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$`), time.RFC3339Nano},
		{regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?z$`), "2006-01-02T15:04:05.999999999z"},
		{regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+02:00$`), time.RFC3339Nano},
		{regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+0200$`), "2006-01-02T15:04:05.999999999-0700"},
		{regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?Z$`), "2006-01-02 15:04:05.999999999Z07:00"},
		{regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?$`), "2006-01-02T15:04:05.999999999"},
		{regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`), time.RFC3339Nano},
	}
	for i, tk := range p.Data {
		want := tasks[i]
		f := forms[i%7]
		for _, c := range []struct {
			s    string
			want time.Time
		}{{tk.CreatedAt, want.Created}, {tk.UpdatedAt, want.Updated}} {
			got, err := time.Parse(f.layout, c.s)
			if !f.shape.MatchString(c.s) || err != nil || !got.Equal(c.want) {
				t.Errorf("task %d form %d: %q is %v (%v), want %v", i, i%7, c.s, got, err, c.want)
			}
		}
	}
	if p.Data[0].CreatedAt != "2026-11-20T11:00:00Z" {
		t.Errorf("form 0 of a whole second: %q, want no fraction", p.Data[0].CreatedAt)
	}
}

func TestOutsideWindowLeaksTwoTasksIntoTheList(t *testing.T) {
	s := newSim(123)
	want := s.Tasks(V1)
	s.SetFault(Fault{Kind: FaultOutsideWindow, Ratio: 1})
	var ids []string
	var created []string
	for n := 1; n <= 3; n++ {
		_, p, _ := do(t, s, http.MethodGet, "/v1.3/embed/tasks?page_limit=50&page="+strconv.Itoa(n), key)
		if p.PageInfo.TotalResults != 125 || p.PageInfo.TotalPage != 3 || len(p.Data) > 50 {
			t.Errorf("page %d: %d tasks, page_info %+v", n, len(p.Data), p.PageInfo)
		}
		for _, tk := range p.Data {
			ids = append(ids, tk.ID)
			created = append(created, tk.CreatedAt)
		}
	}
	if len(ids) != 125 || ids[0] != "outside-window-future" || ids[124] != "outside-window-old" {
		t.Fatalf("%d tasks, first %q, last %q", len(ids), ids[0], ids[len(ids)-1])
	}
	for i, tk := range want {
		if ids[i+1] != tk.ID {
			t.Fatalf("position %d: %s, want %s: a task of the window was lost", i+1, ids[i+1], tk.ID)
		}
	}
	if created[0] != t0.Add(time.Hour).Format(isoMillis) || created[124] != t0.Add(-8*24*time.Hour).Format(isoMillis) {
		t.Errorf("leaked tasks created at %s and %s", created[0], created[124])
	}

	// Relative to the request's ended_at; a status filter still applies.
	end := t0.Add(-24 * time.Hour)
	_, p, _ := do(t, s, http.MethodGet, "/v1.3/embed/tasks?page_limit=50&ended_at="+end.Format(time.RFC3339), key)
	if p.Data[0].ID != "outside-window-future" || p.Data[0].CreatedAt != end.Add(time.Hour).Format(isoMillis) {
		t.Errorf("with ended_at: first task %s created %s", p.Data[0].ID, p.Data[0].CreatedAt)
	}
	processing := 0
	for _, tk := range want {
		if tk.Status == "processing" {
			processing++
		}
	}
	if _, p, _ := do(t, s, http.MethodGet, "/v1.3/embed/tasks?page_limit=50&status=processing", key); p.PageInfo.TotalResults != processing {
		t.Errorf("status=processing: %d tasks, want %d", p.PageInfo.TotalResults, processing)
	}
}

func TestOversizedAnswers(t *testing.T) {
	s := newSim(5)
	s.SetFault(Fault{Kind: FaultOversizedPage, Ratio: 1})
	rec := get(t, s, "/v1.3/embed/tasks?page_limit=50", key)
	body := rec.Body.Bytes()
	if rec.Code != http.StatusOK || len(body) <= 16<<20 || rec.Header().Get("Content-Length") != "" {
		t.Fatalf("oversized-page: %d, %d bytes, Content-Length %q", rec.Code, len(body), rec.Header().Get("Content-Length"))
	}
	if n := bytes.Count(body, []byte("{}")); n != OversizedItems || !json.Valid(body) {
		t.Errorf("oversized-page: %d items (valid JSON: %v)", n, json.Valid(body))
	}
	if !bytes.HasSuffix(body, []byte(`,"page_info":{"limit_per_page":50,"page":1,"total_page":1,"total_results":5592406}}`+"\n")) {
		t.Errorf("oversized-page ends %q", body[len(body)-100:])
	}
	// The cache is shared: a second answer is the same.
	if again := get(t, s, "/v1.3/embed/tasks?page_limit=50", key).Body.Bytes(); !bytes.Equal(again, body) {
		t.Error("oversized-page differs between requests")
	}

	s.SetFault(Fault{Kind: FaultHugeString, Ratio: 1})
	_, p, _ := do(t, s, http.MethodGet, "/v1.3/embed/tasks", key)
	if len(p.Data) != 1 || len(p.Data[0].ModelName) != HugeStringBytes || p.Data[0].Status != "ready" ||
		p.PageInfo.TotalResults != 1 || p.Data[0].Video == nil || p.Data[0].Video.Metadata.Duration != 10 {
		t.Errorf("huge-string: %d tasks, page_info %+v", len(p.Data), p.PageInfo)
	}
}

func TestRedirects(t *testing.T) {
	s := newSim(5)
	srv := httptest.NewServer(s)
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	// answer is what a request got; send closes the body it read.
	type answer struct {
		StatusCode int
		Header     http.Header
	}
	send := func(c *http.Client, path string) (answer, []byte) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header.Set("x-api-key", key)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return answer{resp.StatusCode, resp.Header}, b
	}

	s.SetFault(Fault{Kind: FaultRedirectOffHost, Ratio: 1})
	resp, _ := send(noFollow, "/v1.3/embed/tasks?page=1&page_limit=5")
	if want := "http://127.0.0.2:" + port + "/v1.3/embed/tasks?_r=1&page=1&page_limit=5"; resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != want {
		t.Errorf("redirect-offhost: %d Location %q, want 302 %q", resp.StatusCode, resp.Header.Get("Location"), want)
	}
	// The host the Location names would be this simulator on a wildcard
	// listener: it serves the redirected request rather than loop.
	if code, p, _ := do(t, s, http.MethodGet, "/v1.3/embed/tasks?_r=1&page=1&page_limit=5", key); code != http.StatusOK || len(p.Data) != 5 {
		t.Errorf("redirected request: %d, %d tasks", code, len(p.Data))
	}

	s.SetFault(Fault{Kind: FaultRedirectSameHost, Ratio: 1})
	resp, _ = send(noFollow, "/v1.3/embed/tasks?page_limit=2")
	if resp.StatusCode != http.StatusTemporaryRedirect || resp.Header.Get("Location") != "/v1.3/embed/tasks?_r=1&page_limit=2" {
		t.Errorf("redirect-samehost: %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	before := s.Requests(V1)
	resp, body := send(http.DefaultClient, "/v1.3/embed/tasks?page_limit=2")
	var p page
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &p) != nil || len(p.Data) != 2 || s.Requests(V1)-before != 2 {
		t.Errorf("following redirect-samehost: %d, %d tasks, %d requests", resp.StatusCode, len(p.Data), s.Requests(V1)-before)
	}
}

func TestKeyEchoes(t *testing.T) {
	s := newSim(5)
	const secret = "tlk_0123456789ABCDEFGHIJKLMNOPQRSTUV"
	s.SetFault(Fault{Kind: FaultEchoKey, Ratio: 1})
	code, p, _ := do(t, s, http.MethodGet, "/v1.3/embed/tasks", secret)
	if code != http.StatusUnauthorized || p.Code != "api_key_invalid" || !strings.Contains(p.Message, "API Key "+secret+" is") {
		t.Errorf("echo-key: %d %q %q", code, p.Code, p.Message)
	}

	s.SetFault(Fault{Kind: FaultEchoKeyLong, Ratio: 1})
	rec := get(t, s, "/v1.3/embed/tasks", secret)
	body := rec.Body.Bytes()
	at := bytes.Index(body, []byte(secret))
	if rec.Code != http.StatusBadRequest || len(body) != 200<<10 || json.Valid(body) ||
		!strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain") {
		t.Fatalf("echo-key-long: %d, %d bytes, %q", rec.Code, len(body), rec.Header().Get("Content-Type"))
	}
	if at != 64<<10-len(secret)/2 || bytes.Contains(body[:64<<10], []byte(secret)) ||
		!bytes.HasSuffix(body[:64<<10], []byte("x-api-key: "+secret[:len(secret)/2])) {
		t.Errorf("echo-key-long: the key at %d, want across byte %d", at, 64<<10)
	}
}

func TestRateLimitHeaders(t *testing.T) {
	s := newSim(5)
	s.SetFault(Fault{Kind: FaultRateLimitReset, Ratio: 1})
	code, p, h := do(t, s, http.MethodGet, "/v1.3/embed/tasks", key)
	if code != http.StatusTooManyRequests || p.Code != "too_many_requests" || h.Get("Retry-After") != "" ||
		h.Get("X-Ratelimit-Limit") != "600" || h.Get("X-Ratelimit-Remaining") != "0" || h.Get("X-Ratelimit-Reset") != "1" {
		t.Errorf("ratelimit-reset: %d %q, headers %v", code, p.Code, h)
	}
	s.SetFault(Fault{Kind: FaultRateLimitReset, Ratio: 1, RetryAfter: "7"})
	if _, _, h := do(t, s, http.MethodGet, "/v1.3/embed/tasks", key); h.Get("X-Ratelimit-Reset") != "7" || h.Get("Retry-After") != "" {
		t.Errorf("ratelimit-reset with RetryAfter 7: headers %v", h)
	}
	s.SetFault(Fault{})

	// Off by default.
	if _, _, h := do(t, s, http.MethodGet, "/v1.3/embed/tasks", key); h.Get("X-Ratelimit-Limit") != "" {
		t.Errorf("rate-limit headers without SetRateLimitHeaders: %v", h)
	}
	clock := t0.Add(10*time.Second + 500*time.Millisecond)
	s.SetClock(func() time.Time { return clock })
	s.SetRateLimitHeaders(3)
	for i, want := range []string{"2", "1", "0", "err", "0"} {
		target, k := "/v1.3/embed/tasks", key
		if i%2 == 1 {
			target = "/v1.3/embed-v2/tasks"
		}
		if want == "err" {
			k = "wrong" // counted, but a 401 carries no headers
		}
		_, _, h := do(t, s, http.MethodGet, target, k)
		if want == "err" {
			if h.Get("X-Ratelimit-Limit") != "" {
				t.Errorf("a 401 carries %v", h)
			}
			continue
		}
		if h.Get("X-Ratelimit-Limit") != "3" || h.Get("X-Ratelimit-Remaining") != want || h.Get("X-Ratelimit-Reset") != "50" {
			t.Errorf("request %d: headers %v, want remaining %s, reset 50", i+1, h, want)
		}
	}
	if h := get(t, s, "/v1.3/embed/tasks", key).Header(); h.Get("X-Ratelimit-Used") != "6" {
		t.Errorf("used %q, want 6", h.Get("X-Ratelimit-Used"))
	}
	clock = t0.Add(time.Minute + 59*time.Second + time.Millisecond)
	if _, _, h := do(t, s, http.MethodGet, "/v1.3/embed/tasks", key); h.Get("X-Ratelimit-Remaining") != "2" || h.Get("X-Ratelimit-Reset") != "1" {
		t.Errorf("next minute: headers %v, want remaining 2, reset 1", h)
	}
	// Page kinds are the API's pages: they carry the headers too.
	s.SetFault(Fault{Kind: FaultNoPageInfo, Ratio: 1})
	if _, _, h := do(t, s, http.MethodGet, "/v1.3/embed/tasks", key); h.Get("X-Ratelimit-Remaining") != "1" {
		t.Errorf("no-page-info page: headers %v", h)
	}
}

func TestForbiddenAndGatewayPages(t *testing.T) {
	s := newSim(5)
	s.SetFault(Fault{Kind: FaultNotAllowed, Ratio: 1})
	if code, p, _ := do(t, s, http.MethodGet, "/v1.3/embed/tasks", key); code != http.StatusForbidden ||
		p.Code != "api_allowed_for_paid_plan" || p.Message != "This API is only available on paid plans." || p.DocsURL == "" {
		t.Errorf("not-allowed: %d %+v", code, p)
	}
	s.SetFault(Fault{Kind: FaultRegionNotAllowed, Ratio: 1})
	rec := get(t, s, "/v1.3/embed/tasks", key)
	var nested struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if rec.Code != http.StatusForbidden || json.Unmarshal(rec.Body.Bytes(), &nested) != nil || nested.Error.Code != "region_not_allowed" || nested.Error.Message == "" {
		t.Errorf("region-not-allowed: %d %s", rec.Code, rec.Body)
	}
	s.SetFault(Fault{Kind: FaultHTML200, Ratio: 1})
	rec = get(t, s, "/v1.3/embed/tasks", "")
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") ||
		!strings.HasPrefix(rec.Body.String(), "<!DOCTYPE html>") || json.Valid(rec.Body.Bytes()) {
		t.Errorf("html-200: %d %q %.80q", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
}

func TestExpiryWithoutAWorkload(t *testing.T) {
	s := New(key)
	clock := t0
	s.SetClock(func() time.Time { return clock })
	s.SetTasks(V1, []Task{
		{ID: "old", Status: "ready", Created: t0.Add(-Retention + time.Second)},
		{ID: "new", Status: "ready", Created: t0},
	})
	clock = clock.Add(2 * time.Second)
	if _, p, _ := do(t, s, http.MethodGet, "/v1.3/embed/tasks", key); p.PageInfo.TotalResults != 1 || p.Data[0].ID != "new" {
		t.Errorf("after the retention at rate 0: %+v", p)
	}
}

func TestSteadyWeekExpiresDuringAListing(t *testing.T) {
	const n, limit = 1000, 50
	seeded := SteadyWeek(GenerateOptions{Seed: 7, N: n, Now: t0, API: V1, FailedRatio: 0.05, ProcessingRatio: 0.02})
	edge, oldest, newest := 0, t0, t0.Add(-Retention)
	for _, tk := range seeded {
		if tk.Created.Before(t0.Add(-Retention + SteadyWeekEdge)) {
			edge++
		}
		if !tk.Created.After(t0.Add(-Retention)) || tk.Created.After(t0) {
			t.Fatalf("task %s created %v: outside the retention", tk.ID, tk.Created)
		}
		oldest, newest = minTime(oldest, tk.Created), maxTime(newest, tk.Created)
	}
	if edge < n/25 || t0.Sub(newest) > time.Hour || oldest.Sub(t0.Add(-Retention)) > SteadyWeekEdge {
		t.Fatalf("%d tasks at the edge, newest %v ago: not a steady week", edge, t0.Sub(newest))
	}
	// Uniform: besides the edge, each day holds about a seventh.
	for d := range 7 {
		c := 0
		for _, tk := range seeded {
			if age := t0.Sub(tk.Created); age >= time.Duration(d)*24*time.Hour && age < min(time.Duration(d+1)*24*time.Hour, Retention-SteadyWeekEdge) {
				c++
			}
		}
		if c < n/7*2/3 || c > n/7*4/3 {
			t.Errorf("day %d holds %d tasks of %d", d, c, n)
		}
	}

	s := New(key)
	clock := t0
	s.SetClock(func() time.Time { clock = clock.Add(time.Second); return clock }) // one second a request
	s.SetTasks(V1, seeded)
	byAge := slices.Clone(seeded)
	slices.SortFunc(byAge, func(a, b Task) int { return -compareOldestFirst(a, b) })
	var totals []int
	listed := map[string]bool{}
	for pg := 1; ; pg++ {
		_, p, _ := do(t, s, http.MethodGet, "/v1.3/embed/tasks?page_limit=50&page="+strconv.Itoa(pg), key)
		if len(p.Data) == 0 {
			break
		}
		totals = append(totals, p.PageInfo.TotalResults)
		for i, tk := range p.Data {
			if listed[tk.ID] {
				t.Errorf("task %s listed twice", tk.ID)
			}
			listed[tk.ID] = true
			// The new end is unaffected: page k holds the same tasks as
			// at the start.
			if want := byAge[(pg-1)*limit+i].ID; tk.ID != want {
				t.Fatalf("page %d item %d: %s, want %s", pg, i, tk.ID, want)
			}
		}
	}
	decreases := 0
	for i := 1; i < len(totals); i++ {
		if totals[i] > totals[i-1] {
			t.Errorf("total_results rose from %d to %d", totals[i-1], totals[i])
		}
		if totals[i] < totals[i-1] {
			decreases++
		}
	}
	if decreases < 3 || totals[0] >= n || totals[len(totals)-1] > n-edge {
		t.Errorf("total_results across pages %v: want it to fall as the %d edge tasks expire", totals, edge)
	}
	end := clock
	for _, tk := range seeded {
		alive := !tk.Created.Before(end.Add(-Retention))
		if alive && !listed[tk.ID] {
			t.Errorf("task %s, alive at the end, was not listed", tk.ID)
		}
	}
	if len(listed) < n-edge {
		t.Errorf("%d tasks listed of %d", len(listed), n)
	}
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
