package simulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"
)

// ControlConfig is the body of POST /_sim/config; fields left out keep
// their value. It lets tests and demos change the simulation while it runs:
// revoke the key, raise the failure ratio, inject faults.
type ControlConfig struct {
	Key      *string   `json:"key,omitempty"`
	Latency  *string   `json:"latency,omitempty"` // a Go duration, such as "50ms"
	Workload *Workload `json:"workload,omitempty"`
	Fault    *Fault    `json:"fault,omitempty"`
	// RateLimitHeaders is SetRateLimitHeaders' limit; 0 sends none.
	RateLimitHeaders *int `json:"rate_limit_headers,omitempty"`
	// Behaviour replaces the API's behaviour modes (SetBehaviour).
	Behaviour *Behaviour `json:"behaviour,omitempty"`
	// Pipeline replaces the live workload of the pipeline's stages
	// (SetPipelineWorkload): {"backlog":"indexing"} backs indexing up.
	Pipeline *PipelineWorkload `json:"pipeline,omitempty"`
}

// AddRequest is the body of POST /_sim/tasks: N tasks of one API, in one
// status, created Age ago. A processing task added this way is stuck.
type AddRequest struct {
	API    string `json:"api"`
	N      int    `json:"n"`
	Status string `json:"status"`
	Age    string `json:"age"` // a Go duration
	Model  string `json:"model"`
}

type controlState struct {
	Latency  string   `json:"latency"`
	Workload Workload `json:"workload"`
	Fault    Fault    `json:"fault"`
	// RateLimitHeaders is the limit the 200 pages' X-Ratelimit-* headers
	// announce; 0: none sent.
	RateLimitHeaders int              `json:"rate_limit_headers"`
	Behaviour        Behaviour        `json:"behaviour"`
	Pipeline         PipelineWorkload `json:"pipeline"`
	Items            map[string]int   `json:"items"`
	Tasks            map[string]int   `json:"tasks"`
	Requests         map[string]int64 `json:"requests"`
}

func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/_sim/config" && r.Method == http.MethodPost:
		if !decodeAndDo(w, r, s.apply) {
			return
		}
	case r.URL.Path == "/_sim/tasks" && r.Method == http.MethodPost:
		if !decodeAndDo(w, r, s.add) {
			return
		}
	case r.URL.Path == "/_sim/config" && r.Method == http.MethodGet:
	default:
		http.Error(w, "control API: GET or POST /_sim/config, POST /_sim/tasks", http.StatusNotFound)
		return
	}
	s.mu.Lock()
	s.advanceLocked(s.clockLocked())
	s.pipelineLocked(s.clockLocked())
	st := controlState{Latency: s.latency.String(), Workload: s.workload, Fault: s.fault, RateLimitHeaders: s.rlLimit, Behaviour: s.behaviour,
		Pipeline: s.pipeline, Tasks: map[string]int{}, Items: map[string]int{}, Requests: map[string]int64{}}
	for api, ts := range s.tasks {
		st.Tasks[api] = len(ts)
	}
	for stage, items := range s.items {
		st.Items[stage] = len(items)
	}
	s.mu.Unlock()
	for _, api := range APIs {
		st.Requests[api] = s.Requests(api)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(st)
}

// decodeAndDo reads a control request's JSON body into a T and acts on it;
// it answers 400 and returns false when either fails.
func decodeAndDo[T any](w http.ResponseWriter, r *http.Request, do func(T) error) bool {
	var v T
	err := decodeStrict(r, &v)
	if err == nil {
		err = do(v)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return false
	}
	return true
}

func decodeStrict(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func (s *Server) apply(c ControlConfig) error {
	if c.RateLimitHeaders != nil && *c.RateLimitHeaders < 0 {
		return fmt.Errorf("rate_limit_headers %d: want 0 (none) or a limit per minute", *c.RateLimitHeaders)
	}
	if c.Latency != nil {
		d, err := time.ParseDuration(*c.Latency)
		if err != nil || d < 0 {
			return fmt.Errorf("latency %q: want a duration such as 50ms", *c.Latency)
		}
		s.SetLatency(d)
	}
	if c.Fault != nil {
		if _, err := ParseFaultKind(string(c.Fault.Kind)); err != nil {
			return err
		}
		s.SetFault(*c.Fault)
	}
	if c.Workload != nil {
		s.SetWorkload(*c.Workload)
	}
	if c.RateLimitHeaders != nil {
		s.SetRateLimitHeaders(*c.RateLimitHeaders)
	}
	if c.Key != nil {
		s.SetKey(*c.Key)
	}
	if c.Pipeline != nil {
		if err := s.SetPipelineWorkload(*c.Pipeline); err != nil {
			return err
		}
	}
	if c.Behaviour != nil {
		return s.SetBehaviour(*c.Behaviour)
	}
	return nil
}

func (s *Server) add(a AddRequest) error {
	if !slices.Contains(APIs, a.API) {
		return fmt.Errorf("api %q: want v1 or v2", a.API)
	}
	if a.N < 1 || a.N > 1_000_000 {
		return fmt.Errorf("n %d: want 1 to 1000000", a.N)
	}
	var age time.Duration
	if a.Age != "" {
		var err error
		if age, err = time.ParseDuration(a.Age); err != nil || age < 0 {
			return fmt.Errorf("age %q: want a duration such as 2h", a.Age)
		}
	}
	status := a.Status
	if status == "" {
		status = "ready"
	}
	s.mu.Lock()
	created := s.clockLocked().Add(-age).Truncate(time.Millisecond)
	tasks := make([]Task, a.N)
	for i := range tasks {
		tasks[i] = newTask(s.rng, a.API, 0, created, status, 0)
		if a.Model != "" {
			tasks[i].Model = a.Model
		}
	}
	s.mu.Unlock()
	s.AddTasks(a.API, tasks...)
	return nil
}
