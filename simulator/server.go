package simulator

import (
	"encoding/json"
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
// GET /v1.3/embed-v2/tasks (v2).
type Server struct {
	// Latency is added to every request, to model the API's round trip.
	latency atomic.Int64

	mu    sync.RWMutex
	key   string
	tasks map[string][]Task // by API, newest first

	requests sync.Map // API -> *atomic.Int64
}

// New serves no tasks until SetTasks; key is the only x-api-key accepted.
func New(key string) *Server {
	return &Server{key: key, tasks: map[string][]Task{}}
}

// SetKey changes the accepted key, for example to revoke the one in use.
func (s *Server) SetKey(key string) {
	s.mu.Lock()
	s.key = key
	s.mu.Unlock()
}

// SetLatency sets the delay added to every request.
func (s *Server) SetLatency(d time.Duration) { s.latency.Store(int64(d)) }

// SetTasks replaces the task set of one API ("v1" or "v2").
func (s *Server) SetTasks(api string, tasks []Task) {
	sorted := slices.Clone(tasks)
	sortNewestFirst(sorted)
	s.mu.Lock()
	s.tasks[api] = sorted
	s.mu.Unlock()
}

// Tasks returns a copy of one API's task set, newest first.
func (s *Server) Tasks(api string) []Task {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.tasks[api])
}

// Requests counts the list requests an API has answered, errors included.
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

func sortNewestFirst(tasks []Task) {
	slices.SortStableFunc(tasks, func(a, b Task) int {
		if c := b.Created.Compare(a.Created); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
}

// ServeHTTP answers the list endpoints as the real API does.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var api string
	switch r.URL.Path {
	case BasePath + "/embed/tasks":
		api = "v1"
	case BasePath + "/embed-v2/tasks":
		api = "v2"
	default:
		writeError(w, http.StatusNotFound, "resource_not_exist", "The requested resource does not exist: "+r.URL.Path)
		return
	}
	s.count(api)
	if d := time.Duration(s.latency.Load()); d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
	}
	if r.Method != http.MethodGet {
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "Only GET is allowed on this endpoint.")
		return
	}
	s.mu.RLock()
	key, all := s.key, s.tasks[api]
	s.mu.RUnlock()
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
	writePage(w, api, all, q)
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
	for name, dst := range map[string]*time.Time{"started_at": &q.startedAt, "ended_at": &q.endedAt} {
		if s := v.Get(name); s != "" {
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return q, &paramError{"parameter_invalid", "The " + name + " parameter is invalid: must be an RFC 3339 date-time."}
			}
			*dst = t
		}
	}
	return q, nil
}

// matches applies the filters: created at or after started_at, strictly
// before ended_at, and the status.
func (q *listQuery) matches(t *Task) bool {
	return (q.startedAt.IsZero() || !t.Created.Before(q.startedAt)) &&
		(q.endedAt.IsZero() || t.Created.Before(q.endedAt)) &&
		(q.status == "" || t.Status == q.status)
}

func writePage(w http.ResponseWriter, api string, all []Task, q listQuery) {
	total := 0
	for i := range all {
		if q.matches(&all[i]) {
			total++
		}
	}
	skip := (q.page - 1) * q.limit
	data := make([]wireTask, 0, q.limit)
	for i := range all {
		if len(data) == q.limit {
			break
		}
		if !q.matches(&all[i]) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		data = append(data, toWire(api, &all[i]))
	}
	resp := wireResponse{Data: data}
	resp.PageInfo.LimitPerPage = q.limit
	resp.PageInfo.Page = q.page
	resp.PageInfo.TotalPage = (total + q.limit - 1) / q.limit
	resp.PageInfo.TotalResults = total
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
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

type wireResponse struct {
	Data     []wireTask `json:"data"`
	PageInfo struct {
		LimitPerPage int `json:"limit_per_page"`
		Page         int `json:"page"`
		TotalPage    int `json:"total_page"`
		TotalResults int `json:"total_results"`
	} `json:"page_info"`
}

type wireTask struct {
	ID        string         `json:"_id"`
	ModelName string         `json:"model_name,omitempty"`
	Status    string         `json:"status"`
	CreatedAt string         `json:"created_at"`
	UpdatedAt string         `json:"updated_at,omitempty"`
	Video     *wireEmbedding `json:"video_embedding,omitempty"`
	Audio     *wireEmbedding `json:"audio_embedding,omitempty"`
}

type wireEmbedding struct {
	Metadata map[string]any `json:"metadata"`
}

const isoMillis = "2006-01-02T15:04:05.000Z07:00"

func toWire(api string, t *Task) wireTask {
	wt := wireTask{ID: t.ID, ModelName: t.Model, Status: t.Status, CreatedAt: t.Created.UTC().Format(isoMillis)}
	if t.VideoSeconds >= 0 {
		wt.Video = &wireEmbedding{Metadata: map[string]any{
			"duration":              t.VideoSeconds,
			"input_filename":        t.Filename,
			"input_url":             "https://storage.example.com/media/" + t.ID + "/" + t.Filename,
			"video_clip_length":     6,
			"video_embedding_scope": []string{"clip", "video"},
		}}
	}
	if api == "v2" {
		wt.UpdatedAt = t.Updated.UTC().Format(isoMillis)
		if t.AudioSeconds >= 0 {
			wt.Audio = &wireEmbedding{Metadata: map[string]any{
				"duration":               t.AudioSeconds,
				"input_filename":         t.Filename,
				"audio_embedding_scopes": []string{"clip"},
				"start_offset_sec":       0,
				"end_offset_sec":         t.AudioSeconds,
			}}
		}
	}
	return wt
}
