package collector

import (
	"context"
	"net/http/httptest"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/twelvelabs-community/twelvelabs_exporter/client"
	"github.com/twelvelabs-community/twelvelabs_exporter/simulator"
)

// The task state of a large account costs its 40 bytes a task and no
// more: the start-up listing sizes the table from the API's total once,
// not by appending (which left up to twice the table allocated, and as
// much garbage). Peak RSS at 1,000 to 1,000,000 tasks is in docs/performance.md
// (bench/memory.sh, in make bench).
func TestStartupListingSizesTheTableOnce(t *testing.T) {
	clock := &simClock{t: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)}
	const key, n = "tlk_memory_0123456789", 7000 // appended one by one: a capacity of 9,011
	sim := simulator.New(key)
	sim.SetClock(clock.now)
	sim.SetTasks(simulator.V2, simulator.SteadyWeek(simulator.GenerateOptions{Seed: 7, N: n, Now: clock.now(), API: simulator.V2,
		FailedRatio: 0.03, ProcessingRatio: 0.001}))
	sim.SetWorkload(simulator.Workload{RatePerMinute: 2, FailedRatio: 0.03, ProcessingSeconds: 60})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	c, err := client.New(client.Config{BaseURL: srv.URL + simulator.BasePath, Key: client.StaticKey(key), Concurrency: 4, MaxPages: 1000, Now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	e := New(c, Options{APIs: []client.API{client.V2}, Now: clock.now})
	gather(t, e.Collector(context.Background()))
	tt := e.tasks[client.V2].table
	if tt == nil {
		t.Fatal("no task state after the start-up listing")
	}
	// The API's total, plus the tasks the verification read past it.
	if held, c := len(tt.recs), cap(tt.recs); c > held+held/20+client.MaxPageLimit { // the allocator rounds up a little
		t.Errorf("start-up listing: %d tasks held in a table of capacity %d; want it sized from the API's total", held, c)
	}
}

// Settling a range at the old end of a large table (expiry, on every
// scrape of a busy account) allocates what the range holds, not a copy of
// the rest of the table.
func TestSettlingARangeDoesNotCopyTheTable(t *testing.T) {
	tt := newTaskTable()
	const n = 20000
	for i := range n {
		tt.recs = append(tt.recs, taskRec{created: int64(i) * 1e6, hash: uint64(i) + 1, status: tt.name("ready")})
	}
	batch := []taskRec{{created: 5e6, hash: 6, status: tt.name("failed")}, {created: 7e6, hash: 8, status: tt.name("ready")}}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	tt.replace(0, 10e6, "", batch)
	runtime.ReadMemStats(&after)
	if len(tt.recs) != n-10+2 {
		t.Fatalf("%d tasks held, want %d", len(tt.recs), n-8)
	}
	// The table is 800 KB; the range and its bookkeeping a few hundred bytes.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<10 {
		t.Errorf("settling 10 tasks of a %d-task table allocated %d bytes", n, alloc)
	}
}

// Reading one status of the whole window (the processing tasks, on every
// scrape while some are held) allocates what it read, not a copy of the
// table's other tasks; and the table stays sorted, each task once.
func TestReadingAStatusDoesNotCopyTheTable(t *testing.T) {
	tt := newTaskTable()
	const n = 20000
	ready, processing := tt.name("ready"), tt.name("processing")
	for i := range n {
		st := ready
		if i%1000 == 0 {
			st = processing
		}
		tt.recs = append(tt.recs, taskRec{created: int64(i) * 1e6, hash: uint64(i) + 1, status: st})
	}
	// Two processing tasks now: one held as ready (it moved back), one new.
	batch := []taskRec{{created: 5e6, hash: 6, status: processing}, {created: 5e6 + 1, hash: 1 << 40, status: processing}}
	tt.recs = slices.Grow(tt.recs, len(batch)) // room for what was read, as a grown table has
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	left := tt.replace(0, n*1e6, "processing", batch)
	runtime.ReadMemStats(&after)
	if len(left) != n/1000 {
		t.Errorf("%d tasks left processing, want %d", len(left), n/1000)
	}
	if want := n - n/1000 + 1; len(tt.recs) != want {
		t.Fatalf("%d tasks held, want %d", len(tt.recs), want)
	}
	if !slices.IsSortedFunc(tt.recs, compareRecs) {
		t.Error("the table is no longer sorted")
	}
	if got := tt.count(0, n*1e6, "processing"); got != 2 {
		t.Errorf("%d processing tasks held, want 2", got)
	}
	// The table is 800 KB; what was read and its bookkeeping a few KB.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<10 {
		t.Errorf("reading the processing tasks of a %d-task table allocated %d bytes", n, alloc)
	}
}
