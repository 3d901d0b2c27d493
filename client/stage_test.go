package client

import (
	"hash/maphash"
	"strings"
	"testing"
	"time"
)

func decodeStage(t *testing.T, s *Stage, raw string) *page {
	t.Helper()
	dec := newPageDecoder(maphash.MakeSeed())
	dec.stage = s
	p, err := dec.decode(strings.NewReader(raw), 1<<20, 50)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	p.tasks = append([]task(nil), p.tasks...)
	return p
}

// TestAnAnalysisTaskIsReadByItsStagesPaths reads the shapes the SDKs
// accept: nested paths, arrays of objects, both id names, nulls where
// objects are, and fields of the wrong kind (counted, marked malformed).
func TestAnAnalysisTaskIsReadByItsStagesPaths(t *testing.T) {
	raw := `{"data":[
	 {"task_id":"t1","status":"Ready","created_at":"2026-12-01T10:00:00Z","completed_at":"2026-12-01T10:02:00Z",
	  "request_params":{"analysis_mode":"summary","prompt":"x"},
	  "video_source":{"system_metadata":{"duration":61.5,"fps":30}},
	  "result":{"usage":{"input_tokens":1200,"output_tokens":"300"},"finish_reason":"length","data":"…"},
	  "webhooks":[{"delivered":true,"attempts":1},{"delivered":false,"attempts":5,"last_error":"503"}]},
	 {"_id":"t2","status":"processing","request_params":null,"result":null,"webhooks":null,"video_source":"odd"},
	 {"task_id":7,"status":3,"created_at":"yesterday","request_params":{"analysis_mode":["x"]},
	  "result":{"usage":{"input_tokens":-1},"finish_reason":null},"webhooks":{"delivered":false}},
	 null
	],"page_info":{"total_results":3}}`
	p := decodeStage(t, Analyze, raw)
	if len(p.tasks) != 3 || p.info.TotalResults != 3 {
		t.Fatalf("%d items, total %d; want 3, 3", len(p.tasks), p.info.TotalResults)
	}
	a, b, c := p.tasks[0], p.tasks[1], p.tasks[2]
	if !a.HasID || a.Model != "summary" || a.Status != "ready" || a.VideoNanos != 61_500_000_000 ||
		a.Sums != [MaxSums]int64{1200, 300, 0} || a.Flags != 0b11 || a.Malformed != 0 ||
		!a.Created.Equal(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)) || !a.Finished.Equal(time.Date(2026, 12, 1, 10, 2, 0, 0, time.UTC)) {
		t.Errorf("first item %+v", a)
	}
	if !b.HasID || b.Model != Unknown || b.Status != "processing" || b.Flags != 0 || b.Malformed != 1<<fieldIndex(Analyze, "video_source.system_metadata.duration") {
		t.Errorf("second item %+v", b)
	}
	wantBad := []string{"status", "created_at", "request_params.analysis_mode", "result.usage.input_tokens", "webhooks[].delivered"}
	var bad uint16
	for _, f := range wantBad {
		bad |= 1 << fieldIndex(Analyze, f)
	}
	if !c.HasID || c.Status != Unknown || c.Model != Unknown || c.Malformed != bad {
		t.Errorf("third item %+v, malformed %b want %b", c, c.Malformed, bad)
	}
}

func fieldIndex(s *Stage, path string) int {
	for i, f := range s.Fields {
		if f.Path == path {
			return i
		}
	}
	panic(path)
}

// TestAnIndexIsCountedWithItsKeyAndExpiry lists an index's _id for the
// join, its name as the dimension, and no status: the stage has none.
func TestAnIndexIsCountedWithItsKeyAndExpiry(t *testing.T) {
	raw := `{"data":[{"_id":"6298d673f1090f1100476d4c","index_name":"movies","video_count":12,"total_duration":3600.5,
	  "expires_at":"2027-03-01T00:00:00Z","models":[{"model_name":"marengo3.0","model_options":["visual","audio"]}]},
	  {"_id":"b","index_name":"ads","video_count":null,"expires_at":null}],"page_info":{"total_results":2}}`
	p := decodeStage(t, Indexes, raw)
	l := newListing()
	for i := range p.tasks {
		l.add(&p.tasks[i], &Query{API: Indexes.API})
	}
	g := l.Groups[GroupKey{Model: "movies"}]
	if g == nil || g.Tasks != 1 || g.Sums[0] != 12 || g.VideoNanos != 3_600_500_000_000 ||
		!g.EarliestExpiry.Equal(time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("movies: %+v", g)
	}
	if l.Keys["6298d673f1090f1100476d4c"] != "movies" || l.Keys["b"] != "ads" || len(l.Groups) != 2 {
		t.Errorf("keys %v, groups %v", l.Keys, l.Groups)
	}
}

// TestEveryStageDescriptionBuilds checks the descriptions: paths that
// parse, slots in range, and a status vocabulary the finals belong to.
func TestEveryStageDescriptionBuilds(t *testing.T) {
	names := map[API]bool{}
	for _, s := range Stages {
		if s.tree == nil {
			t.Errorf("%s: no path tree", s.API)
		}
		if names[s.API] || s.API == V1 || s.API == V2 {
			t.Errorf("%s: name used twice", s.API)
		}
		names[s.API] = true
		for _, f := range s.Final {
			if !s.IsFinal(f) || !s.API.Documented(f) {
				t.Errorf("%s: final status %q not documented", s.API, f)
			}
		}
		if !s.HasSlot(SlotID) {
			t.Errorf("%s: no _id: items cannot be counted once", s.API)
		}
		if s.JoinNames != "" && StageOf(s.JoinNames) == nil {
			t.Errorf("%s: joins on unknown stage %s", s.API, s.JoinNames)
		}
		if StageOf(s.API).Path != s.API.Path() {
			t.Errorf("%s: Path %q", s.API, s.API.Path())
		}
	}
	bad := &Stage{API: "x", Fields: []StageField{{Path: "a.b", Slot: SlotID}, {Path: "a", Slot: SlotStatus}}}
	if bad.build() == nil {
		t.Error("a path both a value and an object was accepted")
	}
	if (&Stage{API: "x", Fields: []StageField{{Path: "a", Slot: SlotSum, Index: MaxSums}}}).build() == nil {
		t.Error("a sum index out of range was accepted")
	}
}
