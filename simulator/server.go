package simulator

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// BasePath is the API version prefix the simulator serves under.
const BasePath = "/v1.3"

// MaxPageLimit is the largest page_limit the API accepts.
const MaxPageLimit = 50

// Server is an http.Handler for GET /v1.3/embed/tasks (v1) and
// GET /v1.3/embed-v2/tasks (v2), plus a control API under /_sim/.
type Server struct {
	mu       sync.Mutex
	key      string
	tasks    map[string][]Task // by API, oldest first
	latency  time.Duration
	workload Workload
	fault    Fault
	rng      *rand.Rand
	advanced time.Time // when the live workload last ran
	carry    float64   // fractional arrivals not yet created
	now      func() time.Time

	requests sync.Map // API -> *atomic.Int64
}

// Workload is the live part of the simulation: tasks keep arriving, move
// from processing to ready or failed, and expire after the retention.
type Workload struct {
	// RatePerMinute new tasks arrive per API; 0 stops arrivals and expiry.
	RatePerMinute float64 `json:"rate_per_minute"`
	// FailedRatio of new tasks fail; StuckRatio stay processing for ever.
	FailedRatio float64 `json:"failed_ratio"`
	StuckRatio  float64 `json:"stuck_ratio"`
	// ProcessingSeconds is the mean time a task takes.
	ProcessingSeconds float64 `json:"processing_seconds"`
}

// FaultKind names a fault the simulator can inject.
type FaultKind string

// The faults, each as a gateway or a failing API would answer.
const (
	FaultNone      FaultKind = ""
	Fault429       FaultKind = "429" // rate-limited, with RetryAfter when set
	Fault500       FaultKind = "500" // the API's nested error shape
	Fault502       FaultKind = "502"
	Fault503       FaultKind = "503"
	FaultHTML      FaultKind = "html"      // a gateway's HTML 502 page
	FaultMalformed FaultKind = "malformed" // 200 with broken JSON
	FaultTruncated FaultKind = "truncated" // 200 with a body cut short
	FaultHang      FaultKind = "hang"      // no answer until the client gives up
	FaultStall     FaultKind = "stall"     // headers, then nothing
)

// FaultKinds lists every kind but FaultNone, for flags and validation.
var FaultKinds = []FaultKind{Fault429, Fault500, Fault502, Fault503, FaultHTML, FaultMalformed, FaultTruncated, FaultHang, FaultStall}

// ParseFaultKind checks a fault kind's name.
func ParseFaultKind(s string) (FaultKind, error) {
	k := FaultKind(s)
	if k == FaultNone || slices.Contains(FaultKinds, k) {
		return k, nil
	}
	return "", fmt.Errorf("fault kind %q: want one of %s", s, FaultKindNames())
}

// FaultKindNames lists the fault kinds for a message: "429, 500, …".
func FaultKindNames() string {
	names := make([]string, len(FaultKinds))
	for i, k := range FaultKinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

// Fault is injected into a share of list requests, before the key check,
// as a gateway in front of the API would.
type Fault struct {
	Kind FaultKind `json:"kind"`
	// Ratio of requests that get the fault, 0 to 1.
	Ratio float64 `json:"ratio"`
	// RetryAfter is sent with 429 when not empty.
	RetryAfter string `json:"retry_after"`
}

// New serves no tasks until SetTasks; key is the only x-api-key accepted.
func New(key string) *Server {
	return &Server{key: key, tasks: map[string][]Task{}, rng: rand.New(rand.NewPCG(1, 2)), now: time.Now}
}

// SetKey changes the accepted key, for example to revoke the one in use.
func (s *Server) SetKey(key string) {
	s.mu.Lock()
	s.key = key
	s.mu.Unlock()
}

// SetLatency sets the delay added to every list request.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	s.latency = d
	s.mu.Unlock()
}

// SetWorkload starts, changes or (with a zero rate) stops the live workload.
func (s *Server) SetWorkload(w Workload) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked()
	s.workload = w
	s.advanced = s.now()
}

// SetFault sets the fault injected into list requests.
func (s *Server) SetFault(f Fault) {
	s.mu.Lock()
	s.fault = f
	s.mu.Unlock()
}

// SetTasks replaces the task set of one API (V1 or V2).
func (s *Server) SetTasks(api string, tasks []Task) {
	sorted := slices.Clone(tasks)
	slices.SortStableFunc(sorted, compareOldestFirst)
	s.mu.Lock()
	s.tasks[api] = sorted
	s.mu.Unlock()
}

// AddTasks adds tasks to one API's set.
func (s *Server) AddTasks(api string, tasks ...Task) {
	s.mu.Lock()
	defer s.mu.Unlock()
	all := append(s.tasks[api], tasks...)
	slices.SortStableFunc(all, compareOldestFirst)
	s.tasks[api] = all
}

// Tasks returns a copy of one API's task set, newest first, with each
// status as of now.
func (s *Server) Tasks(api string) []Task {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked()
	now := s.now()
	out := slices.Clone(s.tasks[api])
	slices.Reverse(out)
	for i := range out {
		out[i].Status = out[i].StatusAt(now)
		out[i].ReadyAt = time.Time{}
	}
	return out
}

// Requests counts the list requests an API has received, errors included.
func (s *Server) Requests(api string) int64 {
	if c, ok := s.requests.Load(api); ok {
		return c.(*atomic.Int64).Load()
	}
	return 0
}

func (s *Server) count(api string) {
	c, _ := s.requests.LoadOrStore(api, new(atomic.Int64))
	c.(*atomic.Int64).Add(1)
}

func compareOldestFirst(a, b Task) int {
	if c := a.Created.Compare(b.Created); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// advanceLocked runs the live workload up to now: arrivals since the last
// run, then expiry of tasks past the retention.
func (s *Server) advanceLocked() {
	w := s.workload
	if w.RatePerMinute <= 0 {
		return
	}
	now := s.now()
	elapsed := now.Sub(s.advanced)
	if elapsed <= 0 {
		return
	}
	s.carry += w.RatePerMinute * elapsed.Minutes()
	arrivals := min(int(s.carry), 100_000) // a long pause must not stall a request
	s.carry -= float64(int(s.carry))
	for api := range s.tasks {
		for i := 0; i < arrivals; i++ {
			created := s.advanced.Add(time.Duration(s.rng.Int64N(int64(elapsed)))).Truncate(time.Millisecond)
			status := "ready"
			switch r := s.rng.Float64(); {
			case r < w.StuckRatio:
				status = "processing"
			case r < w.StuckRatio+w.FailedRatio:
				status = "failed"
			}
			t := newTask(s.rng, api, 0, created, status, 0)
			if status != "processing" {
				mean := max(w.ProcessingSeconds, 1)
				t.ReadyAt = created.Add(time.Duration((0.5 + s.rng.Float64()) * mean * float64(time.Second)))
			}
			s.tasks[api] = append(s.tasks[api], t)
		}
		if arrivals > 0 {
			slices.SortStableFunc(s.tasks[api], compareOldestFirst)
		}
		cut := now.Add(-Retention)
		i, _ := slices.BinarySearchFunc(s.tasks[api], cut, func(t Task, c time.Time) int { return t.Created.Compare(c) })
		s.tasks[api] = s.tasks[api][i:]
	}
	s.advanced = now
}

// ServeHTTP answers the list endpoints as the real API does, and the
// control API under /_sim/.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_sim/") {
		s.serveControl(w, r)
		return
	}
	var api string
	switch r.URL.Path {
	case BasePath + "/embed/tasks":
		api = V1
	case BasePath + "/embed-v2/tasks":
		api = V2
	default:
		writeError(w, http.StatusNotFound, "resource_not_exist", "The requested resource does not exist: "+r.URL.Path)
		return
	}
	s.count(api)
	s.mu.Lock()
	latency, fault, key := s.latency, s.fault, s.key
	injected := fault.Kind != "" && s.rng.Float64() < fault.Ratio
	s.mu.Unlock()
	if latency > 0 && !sleep(r, latency) {
		return
	}
	if injected && injectFault(w, r, fault) {
		return
	}
	if r.Method != http.MethodGet {
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "Only GET is allowed on this endpoint.")
		return
	}
	if got := r.Header.Get("x-api-key"); got == "" || got != key {
		writeError(w, http.StatusUnauthorized, "api_key_invalid",
			"API Key is either invalid or expired. Please check your API key and try again.")
		return
	}
	q, perr := parseQuery(r.URL.Query())
	if perr != nil {
		writeError(w, http.StatusBadRequest, perr.code, perr.message)
		return
	}
	s.mu.Lock()
	s.advanceLocked()
	resp := buildPage(api, s.tasks[api], q, s.now())
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

// sleep waits d unless the client goes away first.
func sleep(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// injectFault answers with the fault; false when the kind is unknown.
func injectFault(w http.ResponseWriter, r *http.Request, f Fault) bool {
	switch f.Kind {
	case Fault429:
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		writeError(w, http.StatusTooManyRequests, "too_many_requests",
			"You have exceeded the rate limit (60 requests per minute). Please try again later after "+f.RetryAfter+".")
	case Fault500, Fault502, Fault503:
		code, _ := strconv.Atoi(string(f.Kind))
		writeNestedError(w, code, "internal_error", http.StatusText(code))
	case FaultHTML:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte("<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>\n"))
	case FaultMalformed:
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"data":[{"_id":"x","status":}],"page_info":`))
	case FaultTruncated:
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "100000")
		_, _ = w.Write([]byte(`{"data":[{"_id":"66f537778d9641fe5a0d101f","model_name":"marengo3.0","status":"ready"`))
	case FaultHang:
		<-r.Context().Done()
	case FaultStall:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"data":[`))
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		<-r.Context().Done()
	default:
		return false
	}
	return true
}

type listQuery struct {
	page, limit        int
	status             string
	startedAt, endedAt time.Time
}

type paramError struct{ code, message string }

func parseQuery(v url.Values) (listQuery, *paramError) {
	q := listQuery{page: 1, limit: 10}
	for name := range v {
		switch name {
		case "page", "page_limit", "status", "started_at", "ended_at":
		default:
			return q, &paramError{"parameter_unknown", "The parameter " + name + " is not supported."}
		}
	}
	num := func(name string, lo, hi int, dst *int) *paramError {
		s := v.Get(name)
		if s == "" {
			return nil
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < lo || n > hi {
			return &paramError{"parameter_invalid", "The " + name + " parameter is invalid: must be an integer from " +
				strconv.Itoa(lo) + " to " + strconv.Itoa(hi) + "."}
		}
		*dst = n
		return nil
	}
	if e := num("page", 1, 1<<30, &q.page); e != nil {
		return q, e
	}
	if e := num("page_limit", 1, MaxPageLimit, &q.limit); e != nil {
		return q, e
	}
	switch q.status = v.Get("status"); q.status {
	case "", "processing", "ready", "failed":
	default:
		return q, &paramError{"parameter_invalid", "The status parameter is invalid: must be one of processing, ready, failed."}
	}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"started_at", &q.startedAt}, {"ended_at", &q.endedAt}} {
		if s := v.Get(p.name); s != "" {
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return q, &paramError{"parameter_invalid", "The " + p.name + " parameter is invalid: must be an RFC 3339 date-time."}
			}
			*p.dst = t
		}
	}
	return q, nil
}

// buildPage applies the filters (created at or after started_at, strictly
// before ended_at, the status as of now) and cuts one page, newest first.
// The window is found by binary search, so a page costs O(log N + limit)
// unless a status filter makes it scan.
func buildPage(api string, all []Task, q listQuery, now time.Time) *wireResponse {
	lo, hi := 0, len(all)
	byCreated := func(t Task, c time.Time) int { return t.Created.Compare(c) }
	if !q.startedAt.IsZero() {
		lo, _ = slices.BinarySearchFunc(all, q.startedAt, byCreated)
	}
	if !q.endedAt.IsZero() {
		hi, _ = slices.BinarySearchFunc(all, q.endedAt, byCreated)
	}
	window := all[lo:max(lo, hi)]

	resp := &wireResponse{Data: make([]wireTask, 0, q.limit)}
	total := len(window)
	skip := (q.page - 1) * q.limit
	if q.status == "" {
		for i := len(window) - 1 - skip; i >= 0 && len(resp.Data) < q.limit; i-- {
			resp.Data = append(resp.Data, toWire(api, &window[i], now))
		}
	} else {
		total = 0
		for i := len(window) - 1; i >= 0; i-- {
			if window[i].StatusAt(now) != q.status {
				continue
			}
			if total >= skip && len(resp.Data) < q.limit {
				resp.Data = append(resp.Data, toWire(api, &window[i], now))
			}
			total++
		}
	}
	resp.PageInfo = wirePageInfo{LimitPerPage: q.limit, Page: q.page, TotalPage: (total + q.limit - 1) / q.limit, TotalResults: total}
	return resp
}

// MarshalPage encodes tasks (newest first) as one list response page, as
// the API would send it; benchmarks decode it.
func MarshalPage(api string, tasks []Task, page, limit, totalResults int, now time.Time) ([]byte, error) {
	resp := &wireResponse{Data: make([]wireTask, len(tasks))}
	for i := range tasks {
		resp.Data[i] = toWire(api, &tasks[i], now)
	}
	resp.PageInfo = wirePageInfo{LimitPerPage: limit, Page: page, TotalPage: (totalResults + limit - 1) / limit, TotalResults: totalResults}
	return json.Marshal(resp)
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{
		"code":     code,
		"message":  message,
		"docs_url": "https://docs.twelvelabs.io/v1.3/api-reference/error-codes",
	})
}

// writeNestedError uses the API's other error shape, {"error":{...}}.
func writeNestedError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": message}})
}
