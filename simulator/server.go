package simulator

import (
	"encoding/json"
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
	mu        sync.Mutex
	key       string
	tasks     map[string][]Task // by API, oldest first
	items     map[string][]Item // by stage, oldest first
	pipeline  PipelineWorkload
	piped     time.Time // when the pipeline's workload last ran
	pipeCarry float64
	pipeSeq   int
	latency   time.Duration
	workload  Workload
	fault     Fault
	rng       *rand.Rand
	advanced  time.Time // when the live workload last ran
	carry     float64   // fractional arrivals not yet created
	now       func() time.Time

	// The rate-limit headers of 200 answers: a limit per minute (0: none),
	// the current minute and the list requests counted in it.
	rlLimit  int
	rlMinute time.Time
	rlUsed   int

	requests sync.Map // API -> *atomic.Int64

	behaviour  Behaviour
	churned    time.Time  // when the churn of the behaviour last ran
	churnCarry [2]float64 // fractional moves and deletions not yet made
}

// Workload is the live part of the simulation: tasks keep arriving, move
// from processing to ready or failed, and expire after the retention.
type Workload struct {
	// RatePerMinute new tasks arrive per API; 0 stops arrivals. Tasks
	// expire after the Retention whatever the rate.
	RatePerMinute float64 `json:"rate_per_minute"`
	// FailedRatio of new tasks fail; StuckRatio stay processing for ever.
	FailedRatio float64 `json:"failed_ratio"`
	StuckRatio  float64 `json:"stuck_ratio"`
	// ProcessingSeconds is the mean time a task takes.
	ProcessingSeconds float64 `json:"processing_seconds"`
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
	now := s.clockLocked()
	s.advanceLocked(now)
	s.workload = w
	s.advanced = now
}

// SetClock replaces the server's clock (time.Now by default). The server
// reads it once per list request, control request and Tasks call, for
// statuses, arrivals, expiry, the default window end and the rate-limit
// minute, so a fake clock advancing at each call advances once per
// request. The live workload resumes from the new clock's present.
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
	s.advanced = s.clockLocked()
	s.churned = s.advanced
}

// SetRateLimitHeaders makes every 200 list page the API serves (normal or
// of a page-kind fault; not a gateway's) carry X-Ratelimit-Limit: limit,
// X-Ratelimit-Used: the list requests of both APIs counted in the current
// minute of the clock (every list request counts, errors included, as an
// organisation-wide limit would), X-Ratelimit-Remaining: limit minus used,
// at least 0, and X-Ratelimit-Reset: the whole seconds until the minute
// ends, rounded up (1 to 60). Nothing else changes: no request is refused
// when none remain. A limit of 0 (the default) sends no such headers.
func (s *Server) SetRateLimitHeaders(limit int) {
	s.mu.Lock()
	s.rlLimit = max(limit, 0)
	s.rlMinute, s.rlUsed = time.Time{}, 0
	s.mu.Unlock()
}

// rateHeaders are the rate-limit headers of one answer; zero: none.
type rateHeaders struct{ limit, used, reset int }

// rateLimitLocked counts a list request in the current minute.
func (s *Server) rateLimitLocked(now time.Time) rateHeaders {
	if s.rlLimit <= 0 {
		return rateHeaders{}
	}
	minute := now.Truncate(time.Minute)
	if !minute.Equal(s.rlMinute) {
		s.rlMinute, s.rlUsed = minute, 0
	}
	s.rlUsed++
	left := minute.Add(time.Minute).Sub(now)
	return rateHeaders{limit: s.rlLimit, used: s.rlUsed, reset: int((left + time.Second - 1) / time.Second)}
}

func (rh rateHeaders) set(h http.Header) {
	if rh.limit <= 0 {
		return
	}
	h.Set("X-Ratelimit-Limit", strconv.Itoa(rh.limit))
	h.Set("X-Ratelimit-Remaining", strconv.Itoa(max(rh.limit-rh.used, 0)))
	h.Set("X-Ratelimit-Used", strconv.Itoa(rh.used))
	h.Set("X-Ratelimit-Reset", strconv.Itoa(rh.reset))
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
	if s.behaviour.WholeSeconds {
		sorted = wholeSeconds(sorted)
	}
	s.tasks[api] = sorted
	s.mu.Unlock()
}

// AddTasks adds tasks to one API's set.
func (s *Server) AddTasks(api string, tasks ...Task) {
	s.mu.Lock()
	defer s.mu.Unlock()
	all := append(s.tasks[api], tasks...)
	if s.behaviour.WholeSeconds {
		all = wholeSeconds(all)
	}
	slices.SortStableFunc(all, compareOldestFirst)
	s.tasks[api] = all
}

// Tasks returns a copy of one API's task set, newest first, with each
// status as of now.
func (s *Server) Tasks(api string) []Task {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clockLocked()
	s.advanceLocked(now)
	out := slices.Clone(s.tasks[api])
	out = slices.DeleteFunc(out, func(t Task) bool { return s.behaviour.hidden(&t) })
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

// advanceLocked runs the live workload up to now, arrivals since the last
// run, then expires the tasks past the retention, whatever the rate: the
// API keeps a task seven days, so on a week-old account tasks leave the old
// end continuously, during every listing.
func (s *Server) advanceLocked(now time.Time) {
	s.arriveLocked(now)
	s.churnLocked(now)
	cut := s.behaviour.expiryCut(now)
	for api, tasks := range s.tasks {
		if len(tasks) == 0 || !tasks[0].Created.Before(cut) {
			continue
		}
		i, _ := slices.BinarySearchFunc(tasks, cut, func(t Task, c time.Time) int { return t.Created.Compare(c) })
		s.tasks[api] = tasks[i:]
	}
}

// arriveLocked creates the live workload's arrivals since its last run.
func (s *Server) arriveLocked(now time.Time) {
	w := s.workload
	if w.RatePerMinute <= 0 {
		return
	}
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
			if s.behaviour.WholeSeconds {
				created = created.Truncate(time.Second)
			}
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
		api = stageOf(r.URL.Path)
	}
	if api == "" {
		writeError(w, http.StatusNotFound, "resource_not_exist", "The requested resource does not exist: "+r.URL.Path)
		return
	}
	s.count(api)
	s.mu.Lock()
	latency := s.latency
	s.mu.Unlock()
	if latency > 0 && !sleep(r, latency) {
		return
	}
	// One reading of the clock serves the whole request.
	s.mu.Lock()
	now := s.clockLocked()
	behaviour, seed := s.behaviour, s.rng.Uint64()
	fault, key := s.fault, s.key
	injected := fault.Kind != FaultNone && s.rng.Float64() < fault.Ratio
	rate := s.rateLimitLocked(now)
	s.advanceLocked(now)
	s.mu.Unlock()
	if !injected {
		fault = Fault{}
	}
	// The API's clock, as every HTTP server sends it.
	w.Header().Set("Date", now.Add(behaviour.DateOffset).UTC().Format(http.TimeFormat))
	if injectFault(w, r, fault) {
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
	if StagePaths[api] != "" {
		// A stage's list: the faults of the HTTP exchange apply (above),
		// and the page kinds that apply to any list (shapeItems).
		rate.set(w.Header())
		s.serveItems(w, api, r.URL.Query(), now, fault.Kind)
		return
	}
	q, perr := parseQuery(r.URL.Query())
	if perr != nil {
		writeError(w, http.StatusBadRequest, perr.code, perr.message)
		return
	}
	rate.set(w.Header())
	switch fault.Kind {
	case FaultOversizedPage:
		writeOversized(w, q)
		return
	case FaultHugeString:
		writeHugeString(w, q, now)
		return
	}
	var extra []Task
	if fault.Kind == FaultOutsideWindow {
		leaks := outsideWindow(q, now)
		extra = leaks[:]
	}
	s.mu.Lock()
	s.advanceLocked(now)
	tasks, info := selectPage(behaviour.withCopies(s.tasks[api], now), q, now, extra, behaviour, seed)
	var ranks []int
	if isPageKind(fault.Kind) {
		ranks = rankOf(s.tasks[api], tasks)
	}
	s.mu.Unlock()
	if isPageKind(fault.Kind) && fault.Kind != FaultOutsideWindow {
		writeShapedPage(w, fault.Kind, api, tasks, ranks, info, now)
		return
	}
	resp := &wireResponse{Data: make([]wireTask, len(tasks)), PageInfo: info}
	for i := range tasks {
		resp.Data[i] = toWire(api, &tasks[i], now)
	}
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

type listQuery struct {
	page, limit        int
	status             string
	startedAt, endedAt time.Time
}

type paramError struct{ code, message string }

// paging reads page and page_limit, as every list endpoint takes them.
func paging(v url.Values, q *listQuery) *paramError {
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
		return e
	}
	return num("page_limit", 1, MaxPageLimit, &q.limit)
}

func parseQuery(v url.Values) (listQuery, *paramError) {
	q := listQuery{page: 1, limit: 10}
	for name := range v {
		switch name {
		case "page", "page_limit", "status", "started_at", "ended_at", RedirectParam:
		default:
			return q, &paramError{"parameter_unknown", "The parameter " + name + " is not supported."}
		}
	}
	if e := paging(v, &q); e != nil {
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

// selectPage applies the filters (created at or after started_at, strictly
// before ended_at, the status as of now) and cuts one page, newest first,
// copying its tasks. The window is found by binary search, so a page costs
// O(log N + limit) unless a status filter makes it scan. extra, when not
// nil, is an outside-window fault's two leaked tasks: the oldest goes
// before the window, the newest after it. The behaviour's UnstableTies
// orders each group of equal created_at on the page by seed; its TotalLag
// leaves the newest tasks out of total_results.
func selectPage(all []Task, q listQuery, now time.Time, extra []Task, b Behaviour, seed uint64) ([]Task, wirePageInfo) {
	lo, hi := 0, len(all)
	byCreated := func(t Task, c time.Time) int { return t.Created.Compare(c) }
	if !q.startedAt.IsZero() {
		lo, _ = slices.BinarySearchFunc(all, q.startedAt, byCreated)
		for b.StartExclusive && lo < len(all) && all[lo].Created.Equal(q.startedAt) {
			lo++
		}
	}
	if !q.endedAt.IsZero() {
		hi, _ = slices.BinarySearchFunc(all, q.endedAt, byCreated)
		for b.EndInclusive && hi < len(all) && all[hi].Created.Equal(q.endedAt) {
			hi++
		}
	}
	window := all[lo:max(lo, hi)]
	if len(extra) == 2 {
		window = slices.Concat(extra[:1], window, extra[1:])
	}
	if q.status != "" && !b.IgnoresStatusFilter {
		var matching []Task
		for i := range window {
			switch {
			case window[i].StatusAt(now) == q.status:
				matching = append(matching, window[i])
			case q.status == "ready" && b.alsoReady(&window[i], now):
				c := window[i]
				c.Status, c.ReadyAt = "ready", time.Time{}
				matching = append(matching, c)
			}
		}
		window = matching
	}

	// Page p holds the tasks at newest-first positions [skip, skip+limit):
	// oldest-first indices (from, to].
	total := len(window)
	skip := (q.page - 1) * q.limit
	to := total - 1 - skip
	from := max(to-q.limit, -1)
	out := make([]Task, 0, q.limit)
	if to >= 0 {
		part := window[from+1 : to+1]
		if b.UnstableTies {
			// Widen to whole groups of equal created_at, order them for
			// this request, and cut the same positions again.
			gl, gh := from+1, to+1
			for gl > 0 && window[gl-1].Created.Equal(window[gl].Created) {
				gl--
			}
			for gh < len(window) && window[gh].Created.Equal(window[gh-1].Created) {
				gh++
			}
			group := slices.Clone(window[gl:gh])
			for i := 0; i < len(group); {
				j := i + 1
				for j < len(group) && group[j].Created.Equal(group[i].Created) {
					j++
				}
				tieOrder(group[i:j], seed)
				i = j
			}
			part = group[from+1-gl : to+1-gl]
		}
		for i := len(part) - 1; i >= 0; i-- {
			if !b.hidden(&part[i]) {
				out = append(out, part[i])
			}
		}
	}
	counted := total
	if b.HiddenEvery > 1 {
		for i := range window {
			if b.hidden(&window[i]) {
				counted--
			}
		}
	}
	if b.TotalLag > 0 {
		counted = 0
		for i := range window {
			if !window[i].Created.After(now.Add(-b.TotalLag)) && !b.hidden(&window[i]) {
				counted++
			}
		}
	}
	return out, wirePageInfo{LimitPerPage: q.limit, Page: q.page, TotalPage: (counted + q.limit - 1) / q.limit, TotalResults: counted}
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
