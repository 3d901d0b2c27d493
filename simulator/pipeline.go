package simulator

import (
	"fmt"
	"hash/maphash"
	"time"
)

// PipelineWorkload is the live part of the pipeline's stages: media
// arrive, each as an upload session, an asset, an indexing task and an
// analysis task (and now and then a batch), and move along each stage's
// usual path one status every StepSeconds, until the last.
type PipelineWorkload struct {
	// RatePerMinute new media arrive; 0 stops arrivals (what has arrived
	// still moves on).
	RatePerMinute float64 `json:"rate_per_minute"`
	// StepSeconds is the time an item spends in each status on its path.
	StepSeconds float64 `json:"step_seconds"`
	// FailedRatio of new items end failed rather than in their usual final
	// status.
	FailedRatio float64 `json:"failed_ratio"`
	// Backlog names a stage whose new items stay in their first status,
	// as when that part of the API backs up.
	Backlog string `json:"backlog,omitempty"`
}

// paths are the statuses an item of each stage goes through when all is
// well; the last is final. failed is each stage's failed status.
var (
	paths = map[string][]string{
		Uploads:  {"active", "completed"},
		Assets:   {"processing", "ready"},
		Indexing: {"pending", "queued", "indexing", "ready"},
		Analyze:  {"queued", "processing", "ready"},
		Batches:  {"pending", "processing", "completed"},
	}
	failedStatus = map[string]string{Uploads: "failed", Assets: "failed", Indexing: "failed", Analyze: "failed", Batches: "expired"}
)

// maxLiveItems bounds a stage's items under a live workload: the oldest go
// first, as the API's lists would age out.
const maxLiveItems = 5000

// SetPipelineWorkload starts, changes or (with a zero rate) stops the
// pipeline's live workload.
func (s *Server) SetPipelineWorkload(w PipelineWorkload) error {
	if w.Backlog != "" && paths[w.Backlog] == nil {
		return fmt.Errorf("backlog %q: want one of uploads, assets, indexing, analyze, batches", w.Backlog)
	}
	if w.RatePerMinute < 0 || w.StepSeconds < 0 || w.FailedRatio < 0 || w.FailedRatio > 1 {
		return fmt.Errorf("pipeline workload %+v: want a rate and step of zero or more, a failed ratio from 0 to 1", w)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clockLocked()
	s.pipelineLocked(now)
	s.pipeline = w
	s.piped = now
	return nil
}

// live is what moves an item along its path: when it arrived, where it
// ends, and whether its stage was backed up when it arrived.
type live struct {
	arrived time.Time
	fails   bool
	stuck   bool
}

// pipelineLocked brings the stages up to now: arrivals since the last
// call, and every live item's status.
func (s *Server) pipelineLocked(now time.Time) {
	w := s.pipeline
	if s.items == nil {
		s.items = map[string][]Item{}
	}
	if w.RatePerMinute > 0 && now.After(s.piped) {
		s.pipeCarry += now.Sub(s.piped).Minutes() * w.RatePerMinute
		for ; s.pipeCarry >= 1; s.pipeCarry-- {
			s.arriveItemLocked(now, w)
		}
	}
	s.piped = now
	step := time.Duration(max(w.StepSeconds, 0.001) * float64(time.Second))
	for stage, items := range s.items {
		path := paths[stage]
		for i := range items {
			it := &items[i]
			if it.live == nil || path == nil {
				continue
			}
			k := int(now.Sub(it.live.arrived) / step)
			switch {
			case it.live.stuck:
				it.Status = path[0]
			case k >= len(path)-1 && it.live.fails:
				it.Status = failedStatus[stage]
			default:
				it.Status = path[min(k, len(path)-1)]
			}
		}
		if len(items) > maxLiveItems {
			s.items[stage] = items[len(items)-maxLiveItems:]
		}
	}
}

var pipelineSeed = maphash.MakeSeed()

// arriveItemLocked adds one medium to every stage.
func (s *Server) arriveItemLocked(now time.Time, w PipelineWorkload) {
	s.pipeSeq++
	n := s.pipeSeq
	created := now.Truncate(time.Millisecond)
	seconds := float64(10 + s.rng.IntN(600))
	add := func(stage string, it Item) {
		it.Created = created
		it.live = &live{arrived: now, fails: s.rng.Float64() < w.FailedRatio, stuck: w.Backlog == stage}
		it.Status = paths[stage][0]
		s.items[stage] = append(s.items[stage], it)
	}
	add(Uploads, Item{ID: fmt.Sprintf("live-u%d", n), Expires: created.Add(24 * time.Hour), Numbers: [2]int64{int64(1+s.rng.IntN(2000)) << 20}})
	add(Assets, Item{ID: fmt.Sprintf("live-as%d", n)})
	index := "idx00"
	if ix := s.items[Indexes]; len(ix) > 0 {
		index = ix[int(maphash.String(pipelineSeed, fmt.Sprint(n))%uint64(len(ix)))].ID
	}
	add(Indexing, Item{ID: fmt.Sprintf("live-it%d", n), Dim: index, Seconds: seconds})
	add(Analyze, Item{ID: fmt.Sprintf("live-an%d", n), Dim: []string{"summary", "chapters", "highlights", "open_ended"}[s.rng.IntN(4)],
		Seconds: seconds, Numbers: [2]int64{int64(1000 + s.rng.IntN(5000)), int64(50 + s.rng.IntN(500))}, Truncated: s.rng.IntN(10) == 0})
	if n%10 == 0 {
		add(Batches, Item{ID: fmt.Sprintf("live-b%d", n), Dim: "summary", Expires: created.Add(24 * time.Hour), Numbers: [2]int64{10, 0}})
	}
}
