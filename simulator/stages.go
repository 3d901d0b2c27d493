package simulator

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"time"
)

// The simulator's stages beyond embedding, by the names the tests use,
// with their list paths (under BasePath) and the statuses the API
// documents for each. The shapes of their items are the OpenAPI
// document's and the SDKs' (item.wire).
const (
	Indexing = "indexing" // GET /tasks
	Analyze  = "analyze"  // GET /analyze/tasks
	Batches  = "batches"  // GET /analyze/batches
	Uploads  = "uploads"  // GET /assets/multipart-uploads
	Indexes  = "indexes"  // GET /indexes
	Assets   = "assets"   // GET /assets
)

// StagePaths maps each stage to its list path.
var StagePaths = map[string]string{
	Indexing: "/tasks", Analyze: "/analyze/tasks", Batches: "/analyze/batches",
	Uploads: "/assets/multipart-uploads", Indexes: "/indexes", Assets: "/assets",
}

// StageStatuses are the documented statuses of each stage; indexes have
// none.
var StageStatuses = map[string][]string{
	Indexing: {"uploading", "validating", "pending", "queued", "indexing", "ready", "failed"},
	Analyze:  {"queued", "pending", "processing", "ready", "failed"},
	Batches:  {"pending", "processing", "canceling", "canceled", "completed", "expired"},
	Uploads:  {"active", "completed", "failed", "expired"},
	Assets:   {"processing", "ready", "failed"},
}

// statusFilters are the stages whose list filters by status.
var statusFilters = map[string]bool{Indexing: true, Analyze: true, Batches: true}

// Item is one item of a stage's list as the simulator stores it.
type Item struct {
	ID      string
	Status  string // "" for indexes
	Created time.Time
	// Dim is the item's bounded dimension: the index_id of an indexing
	// task, the analysis mode of an analysis task or batch, the name of an
	// index.
	Dim string
	// Seconds is the media duration (an index's total_duration).
	Seconds float64
	// Expires is expires_at (batches, uploads, Free-plan indexes).
	Expires time.Time
	// Numbers are the stage's counts: input and output tokens (analyze),
	// total and failed items (batches), total_size (uploads), video_count
	// (indexes).
	Numbers [2]int64
	// Truncated (analyze): finish_reason is length; Undelivered: a
	// webhook was not delivered.
	Truncated, Undelivered bool

	live *live // an item of the live pipeline workload, which moves it
}

// SetItems replaces the items of a stage.
func (s *Server) SetItems(stage string, items []Item) {
	sorted := slices.Clone(items)
	slices.SortStableFunc(sorted, func(a, b Item) int { return a.Created.Compare(b.Created) })
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.items == nil {
		s.items = map[string][]Item{}
	}
	s.items[stage] = sorted
}

// Items returns a copy of a stage's items, oldest first, as of the
// server's clock.
func (s *Server) Items(stage string) []Item {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pipelineLocked(s.clockLocked())
	return slices.Clone(s.items[stage])
}

// stageOf returns the stage whose list path is path, or "".
func stageOf(path string) string {
	for stage, p := range StagePaths {
		if path == BasePath+p {
			return stage
		}
	}
	return ""
}

// parseStageQuery reads page, page_limit and status; the stages take
// other filters the simulator does not apply, and refuses none of them.
func parseStageQuery(stage string, v url.Values) (listQuery, *paramError) {
	q := listQuery{page: 1, limit: 10}
	if e := paging(v, &q); e != nil {
		return q, e
	}
	if q.status = v.Get("status"); q.status != "" {
		if !statusFilters[stage] {
			return q, &paramError{"parameter_unknown", "The parameter status is not supported."}
		}
		if !slices.Contains(StageStatuses[stage], q.status) {
			return q, &paramError{"parameter_invalid", "The status parameter is invalid."}
		}
	}
	return q, nil
}

// serveItems answers a list request of a stage: oldest first, filtered by
// status, one page with its page_info.
func (s *Server) serveItems(w http.ResponseWriter, stage string, v url.Values, now time.Time, fault FaultKind) {
	q, perr := parseStageQuery(stage, v)
	if perr != nil {
		writeError(w, http.StatusBadRequest, perr.code, perr.message)
		return
	}
	s.mu.Lock()
	s.pipelineLocked(now)
	var match []Item
	for _, it := range s.items[stage] {
		if q.status == "" || it.Status == q.status {
			match = append(match, it)
		}
	}
	s.mu.Unlock()
	from := min((q.page-1)*q.limit, len(match))
	to := min(from+q.limit, len(match))
	data := make([]map[string]any, 0, to-from)
	for i := from; i < to; i++ {
		data = append(data, match[i].wire(stage, now))
	}
	resp := map[string]any{"data": data, "page_info": wirePageInfo{
		LimitPerPage: q.limit, Page: q.page, TotalPage: (len(match) + q.limit - 1) / q.limit, TotalResults: len(match),
	}}
	if isPageKind(fault) {
		shapeItems(resp, fault, q.limit)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

// wire is the item as the API sends it.
func (it *Item) wire(stage string, now time.Time) map[string]any {
	ts := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t.UTC().Format("2006-01-02T15:04:05.000Z")
	}
	finished := any(nil)
	if it.Status == "ready" || it.Status == "completed" {
		finished = ts(it.Created.Add(time.Duration(it.Seconds) * time.Second))
	}
	switch stage {
	case Indexing:
		return map[string]any{"_id": it.ID, "index_id": it.Dim, "video_id": "v" + it.ID, "status": it.Status,
			"created_at": ts(it.Created), "updated_at": ts(now),
			"system_metadata": map[string]any{"filename": it.ID + ".mp4", "duration": it.Seconds, "width": 1280, "height": 720}}
	case Analyze:
		m := map[string]any{"task_id": it.ID, "status": it.Status, "created_at": ts(it.Created), "completed_at": finished,
			"request_params": map[string]any{"analysis_mode": it.Dim, "prompt": "Summarize the video."},
			"video_source":   map[string]any{"asset_id": "a" + it.ID, "system_metadata": map[string]any{"duration": it.Seconds}},
			"webhooks":       []any{map[string]any{"url": "https://example.com/hook", "delivered": !it.Undelivered, "attempts": 1}},
		}
		if it.Status != "ready" {
			m["result"] = nil
		} else {
			reason := "stop"
			if it.Truncated {
				reason = "length"
			}
			m["result"] = map[string]any{"data": "A summary.", "finish_reason": reason,
				"usage": map[string]any{"input_tokens": it.Numbers[0], "output_tokens": it.Numbers[1]}}
		}
		return m
	case Batches:
		return map[string]any{"batch_id": it.ID, "status": it.Status, "analysis_mode": it.Dim, "model_name": "pegasus1.5",
			"total_items": it.Numbers[0], "failed_items": it.Numbers[1], "created_at": ts(it.Created),
			"expires_at": ts(it.Expires), "completed_at": finished}
	case Uploads:
		return map[string]any{"upload_id": it.ID, "status": it.Status, "total_size": it.Numbers[0], "chunk_size": 10 << 20,
			"total_chunks": (it.Numbers[0] + 10<<20 - 1) / (10 << 20), "created_at": ts(it.Created), "expires_at": ts(it.Expires)}
	case Indexes:
		return map[string]any{"_id": it.ID, "index_name": it.Dim, "video_count": it.Numbers[0], "total_duration": it.Seconds,
			"created_at": ts(it.Created), "updated_at": ts(it.Created), "expires_at": ts(it.Expires),
			"models": []any{map[string]any{"model_name": "marengo3.0", "model_options": []string{"visual", "audio"}}}}
	}
	return map[string]any{"_id": it.ID, "status": it.Status, "created_at": ts(it.Created), "asset_type": "video"}
}

// GeneratePipeline makes a pipeline's items for every stage: indexes, the
// indexing tasks in them, analysis tasks and batches, uploads and assets,
// created over the day before now, with every documented status.
func GeneratePipeline(seed uint64, n int, now time.Time) map[string][]Item {
	rng := rand.New(rand.NewPCG(seed, seed^0x7e1f))
	ago := func() time.Time {
		return now.Add(-time.Duration(rng.Int64N(int64(24 * time.Hour)))).Truncate(time.Millisecond)
	}
	// Every status of every stage is held at least once (the first items
	// take them in turn), the rest at random.
	held := map[string]int{}
	pick := func(stage string) string {
		st := StageStatuses[stage]
		if i := held[stage]; i < len(st) {
			held[stage]++
			return st[i]
		}
		return st[rng.IntN(len(st))]
	}
	out := map[string][]Item{}
	names := []string{"movies", "ads", "lectures"}
	for i, name := range names {
		var exp time.Time
		if i == 0 {
			exp = now.Add(5 * 24 * time.Hour).Truncate(time.Second) // a Free-plan index about to go
		}
		out[Indexes] = append(out[Indexes], Item{ID: fmt.Sprintf("idx%02d", i), Dim: name, Created: now.Add(-time.Duration(30+i) * 24 * time.Hour),
			Expires: exp, Numbers: [2]int64{int64(n/len(names) + i), 0}, Seconds: float64(3600 * (i + 1))})
	}
	for i := range n {
		out[Indexing] = append(out[Indexing], Item{ID: fmt.Sprintf("it%06d", i), Status: pick(Indexing), Created: ago(),
			Dim: fmt.Sprintf("idx%02d", rng.IntN(len(names)+1)), Seconds: float64(10 + rng.IntN(600))})
		a := Item{ID: fmt.Sprintf("an%06d", i), Status: pick(Analyze), Created: ago(),
			Dim: []string{"summary", "chapters", "highlights", "open_ended"}[rng.IntN(4)], Seconds: float64(10 + rng.IntN(600)),
			Undelivered: rng.IntN(20) == 0}
		if a.Status == "ready" {
			a.Numbers = [2]int64{int64(1000 + rng.IntN(5000)), int64(50 + rng.IntN(500))}
			a.Truncated = rng.IntN(10) == 0
		}
		out[Analyze] = append(out[Analyze], a)
		out[Assets] = append(out[Assets], Item{ID: fmt.Sprintf("as%06d", i), Status: pick(Assets), Created: ago()})
	}
	for i := range max(n/20, len(StageStatuses[Batches])) {
		c := ago()
		out[Batches] = append(out[Batches], Item{ID: fmt.Sprintf("b%04d", i), Status: pick(Batches), Created: c,
			Dim: []string{"summary", "open_ended"}[rng.IntN(2)], Expires: c.Add(24 * time.Hour), Numbers: [2]int64{int64(10 + rng.IntN(90)), int64(rng.IntN(5))}})
		c = ago()
		out[Uploads] = append(out[Uploads], Item{ID: fmt.Sprintf("u%04d", i), Status: pick(Uploads), Created: c,
			Expires: c.Add(24 * time.Hour), Numbers: [2]int64{int64(1+rng.IntN(4000)) << 20, 0}})
	}
	for _, items := range out {
		slices.SortStableFunc(items, func(a, b Item) int { return cmp.Compare(a.Created.UnixNano(), b.Created.UnixNano()) })
	}
	return out
}
