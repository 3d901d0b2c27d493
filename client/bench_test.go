package client

import (
	"bytes"
	"hash/maphash"
	"testing"
	"time"

	"github.com/twelvelabs-community/twelvelabs_exporter/simulator"
)

// benchPages encodes a realistic listing of v2 tasks (long signed
// input_urls, audio and video metadata) as the API pages it.
func benchPages(b *testing.B, n int) [][]byte {
	b.Helper()
	tasks := simulator.Generate(simulator.GenerateOptions{Seed: 1, N: n, Now: testNow, API: "v2", FailedRatio: 0.05, ProcessingRatio: 0.05})
	var pages [][]byte
	for i := 0; i < n; i += MaxPageLimit {
		p, err := simulator.MarshalPage("v2", tasks[i:min(i+MaxPageLimit, n)], i/MaxPageLimit+1, MaxPageLimit, n, testNow)
		if err != nil {
			b.Fatal(err)
		}
		pages = append(pages, p)
	}
	return pages
}

// BenchmarkDecodeAggregate measures the exporter's CPU per task: decoding
// pages and folding them into a listing, as a listing does. "stream" is the
// exporter's decoder; "encoding-json" is the reference decoder it replaced,
// for the before/after figure.
func BenchmarkDecodeAggregate(b *testing.B) {
	const n = 10_000
	pages := benchPages(b, n)
	seed := maphash.MakeSeed()
	dec := newPageDecoder(seed)
	for _, tc := range []struct {
		name   string
		decode func([]byte) (*page, error)
	}{
		{"stream", func(raw []byte) (*page, error) { return dec.decode(bytes.NewReader(raw), DefaultMaxBodyBytes) }},
		{"encoding-json", func(raw []byte) (*page, error) {
			return referenceDecodePage(bytes.NewReader(raw), DefaultMaxBodyBytes, seed)
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			size := 0
			for _, p := range pages {
				size += len(p)
			}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			start := time.Now()
			for b.Loop() {
				l := newListing(V2, testNow)
				seen := newIDSet(n)
				for _, raw := range pages {
					p, err := tc.decode(raw)
					if err != nil {
						b.Fatal(err)
					}
					seen.addPage(l, p.tasks)
				}
				if l.Tasks != n {
					b.Fatalf("%d tasks, want %d", l.Tasks, n)
				}
			}
			elapsed := time.Since(start)
			b.ReportMetric(float64(b.N*n)/elapsed.Seconds(), "tasks/s")
			b.ReportMetric(float64(elapsed.Nanoseconds())/float64(b.N*n), "ns/task")
		})
	}
}
