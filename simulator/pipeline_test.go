package simulator

import (
	"testing"
	"time"
)

func countStatus(items []Item, status string) int {
	n := 0
	for _, it := range items {
		if it.Status == status {
			n++
		}
	}
	return n
}

// TestThePipelineMovesAndABackedUpStageStays: media arrive at the rate,
// each stage's items walk its path a status a step, and a stage backed up
// keeps its new items in their first status while the others move on.
func TestThePipelineMovesAndABackedUpStageStays(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	s := New("k")
	s.SetClock(func() time.Time { return now })
	if err := s.SetPipelineWorkload(PipelineWorkload{RatePerMinute: 60, StepSeconds: 10, Backlog: Indexing}); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Minute)
	if n := len(s.Items(Analyze)); n != 60 {
		t.Fatalf("%d analysis tasks after a minute at 60 a minute, want 60", n)
	}
	now = now.Add(time.Minute) // every item of the first minute is 60 s or more along: past its path
	an, ix, up := s.Items(Analyze), s.Items(Indexing), s.Items(Uploads)
	if got := countStatus(an[:60], "ready"); got != 60 {
		t.Errorf("%d of the first minute's analysis tasks ready, want 60", got)
	}
	if got := countStatus(ix, "pending"); got != len(ix) {
		t.Errorf("%d of %d indexing tasks pending in a backed-up stage, want all", got, len(ix))
	}
	if got := countStatus(up[:60], "completed"); got != 60 {
		t.Errorf("%d of the first minute's uploads completed, want 60", got)
	}
	if err := s.SetPipelineWorkload(PipelineWorkload{Backlog: "nowhere"}); err == nil {
		t.Error("an unknown backlog stage was accepted")
	}
}
