package client

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twelvelabs-community/twelvelabs_exporter/internal/testproc"
	"github.com/twelvelabs-community/twelvelabs_exporter/simulator"
)

var benchLatency = flag.Duration("bench.latency", 0, "latency the simulator adds to each request in BenchmarkListing")

// BenchmarkListing lists N tasks from the simulator over loopback HTTP at
// several concurrencies; with -bench.latency=50ms it shows a listing limited
// only by the round trips its concurrency allows.
func BenchmarkListing(b *testing.B) {
	for _, n := range []int{1_000, 10_000} {
		sim := simulator.New(testKey)
		sim.SetLatency(*benchLatency)
		sim.SetTasks("v2", simulator.Generate(simulator.GenerateOptions{Seed: 1, N: n, Now: time.Now().Add(-2 * time.Second), API: "v2"}))
		srv := httptest.NewServer(sim)
		for _, c := range []int{1, 4, 8, 16} {
			b.Run(fmt.Sprintf("N=%d/c=%d", n, c), func(b *testing.B) {
				cl := benchClient(b, srv.URL, c)
				before := sim.Requests("v2")
				b.ReportAllocs()
				for b.Loop() {
					l, err := cl.List(context.Background(), LastWindow(V2, time.Now(), DefaultLookback))
					if err != nil || l.Tasks != n {
						b.Fatalf("listing: %v, %d tasks", err, l.Tasks)
					}
				}
				b.ReportMetric(float64(sim.Requests("v2")-before)/float64(b.N), "requests/op")
			})
		}
		srv.Close()
	}
}

func benchClient(b *testing.B, url string, concurrency int) *Client {
	b.Helper()
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 2 * concurrency
	cl, err := New(Config{BaseURL: url + simulator.BasePath, Key: StaticKey(testKey), Concurrency: concurrency, MaxPages: DefaultMaxPages,
		HTTPClient: &http.Client{Transport: transport}})
	if err != nil {
		b.Fatal(err)
	}
	return cl
}

// BenchmarkListingPeakHeap reports how much the live heap grows during a
// listing of N tasks (peak-heap-bytes) over what it held before: streaming
// keeps it flat but for an 8-byte hash per task _id. The simulator runs as
// its own process, so that only the client's memory is measured.
func BenchmarkListingPeakHeap(b *testing.B) {
	simBin, err := testproc.Build(b.TempDir(), "github.com/twelvelabs-community/twelvelabs_exporter/cmd/twelvelabs-simulator", "twelvelabs-simulator")
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{1_000, 100_000} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			addr := testproc.FreeAddr(b)
			testproc.Start(b, simBin, nil, "--listen-address="+addr, "--api-key="+testKey,
				"--v1-tasks=0", fmt.Sprintf("--v2-tasks=%d", n), "--rate=0")
			testproc.WaitHTTP(b, "http://"+addr+"/_sim/config", 10*time.Second)
			// The listing's window ends at the last whole second: let the
			// newest generated tasks fall inside it.
			time.Sleep(1100 * time.Millisecond)
			cl := benchClient(b, "http://"+addr, DefaultConcurrency)
			// A low GOGC keeps the heap close to what is live, so that
			// the peak measures what a listing holds, not its garbage.
			defer debug.SetGCPercent(debug.SetGCPercent(5))
			var peak uint64
			for b.Loop() {
				runtime.GC()
				base := heapBytes()
				var max atomic.Uint64
				stop := make(chan struct{})
				done := make(chan struct{})
				go func() {
					defer close(done)
					for {
						if h := heapBytes(); h > max.Load() {
							max.Store(h)
						}
						select {
						case <-stop:
							return
						case <-time.After(100 * time.Microsecond):
						}
					}
				}()
				l, err := cl.List(context.Background(), LastWindow(V2, time.Now(), DefaultLookback))
				close(stop)
				<-done
				if err != nil || l.Tasks != n {
					b.Fatalf("listing: %v, %d tasks", err, l.Tasks)
				}
				if m := max.Load(); m > base && m-base > peak {
					peak = m - base
				}
			}
			b.ReportMetric(float64(peak), "peak-heap-bytes")
		})
	}
}

func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
