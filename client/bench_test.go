package client

import (
	"bytes"
	"fmt"
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

// withSegments adds to every video embedding one segment with a
// 1,024-float vector, as embedding results carry: the list endpoints do not
// send them today, but a decoder must skip them cheaply if they come.
func withSegments(pages [][]byte) [][]byte {
	var vec bytes.Buffer
	for i := 0; i < 1024; i++ {
		if i > 0 {
			vec.WriteByte(',')
		}
		fmt.Fprintf(&vec, "%.7f", float64(i%97)/97-0.5)
	}
	seg := []byte(`"video_embedding":{"segments":[{"start_offset_sec":0,"end_offset_sec":6,"embedding_scope":"clip","float":[` + vec.String() + `]}],`)
	out := make([][]byte, len(pages))
	for i, p := range pages {
		out[i] = bytes.ReplaceAll(p, []byte(`"video_embedding":{`), seg)
	}
	return out
}

// BenchmarkDecodeAggregate measures the exporter's CPU per task: decoding
// pages and folding them into a listing, as a listing does. "stream" is the
// exporter's decoder; "encoding-json" is the reference decoder it replaced,
// for the before/after figure; "stream-with-segments" adds a 1,024-float
// embedding segment to every video task.
func BenchmarkDecodeAggregate(b *testing.B) {
	const n = 10_000
	pages := benchPages(b, n)
	segPages := withSegments(pages)
	seed := maphash.MakeSeed()
	dec := newPageDecoder(seed)
	for _, tc := range []struct {
		name   string
		pages  [][]byte
		decode func([]byte) (*page, error)
	}{
		{"stream", pages, func(raw []byte) (*page, error) {
			return dec.decode(bytes.NewReader(raw), DefaultMaxBodyBytes, MaxPageLimit)
		}},
		{"encoding-json", pages, func(raw []byte) (*page, error) {
			return referenceDecodePage(bytes.NewReader(raw), DefaultMaxBodyBytes, seed)
		}},
		{"stream-with-segments", segPages, func(raw []byte) (*page, error) {
			return dec.decode(bytes.NewReader(raw), DefaultMaxBodyBytes, MaxPageLimit)
		}},
	} {
		pages := tc.pages
		b.Run(tc.name, func(b *testing.B) {
			size := 0
			for _, p := range pages {
				size += len(p)
			}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			start := time.Now()
			for b.Loop() {
				l := newListing()
				seen := newIDSet(n)
				for _, raw := range pages {
					p, err := tc.decode(raw)
					if err != nil {
						b.Fatal(err)
					}
					seen.addPage(l, p.tasks, Query{})
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
