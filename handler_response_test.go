package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twelvelabs-community/twelvelabs_exporter/simulator"
)

func smallAccount(t *testing.T) *simulator.Server {
	t.Helper()
	sim := simulator.New(simKey)
	sim.SetTasks("v1", simulator.Generate(simulator.GenerateOptions{Seed: 1, N: 40, Now: time.Now(), API: "v1"}))
	return sim
}

// answer is what the tests read of a response, its body read and closed.
type answer struct {
	StatusCode       int
	Header           http.Header
	ContentLength    int64
	TransferEncoding []string
}

func get(t *testing.T, c *http.Client, url string, header map[string]string) (answer, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{StatusCode: resp.StatusCode, Header: resp.Header, ContentLength: resp.ContentLength, TransferEncoding: resp.TransferEncoding}, body
}

// TestMetricsHandlerAnswersInOneWrite: a small answer has its
// Content-Length, is not chunked, and keeps promhttp's negotiation of the
// format and of gzip.
func TestMetricsHandlerAnswersInOneWrite(t *testing.T) {
	srv := httptest.NewServer(testHandler(t, smallAccount(t), "--twelvelabs.embed-api=v1", "--twelvelabs.cache-ttl=1h"))
	defer srv.Close()
	c := &http.Client{Transport: &http.Transport{DisableCompression: true}}

	plainResp, plain := get(t, c, srv.URL+"/metrics", nil)
	if plainResp.StatusCode != http.StatusOK {
		t.Fatalf("HTTP %d", plainResp.StatusCode)
	}
	if len(plainResp.TransferEncoding) != 0 || plainResp.ContentLength != int64(len(plain)) {
		t.Errorf("Transfer-Encoding %v, Content-Length %d for a body of %d bytes", plainResp.TransferEncoding, plainResp.ContentLength, len(plain))
	}
	if ct := plainResp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type %q", ct)
	}
	if v := plainResp.Header.Values("Vary"); strings.Join(v, ",") != "Accept,Accept-Encoding" {
		t.Errorf("Vary %v", v)
	}
	if !strings.Contains(string(plain), "\ntwelvelabs_up{api=\"v1\"} 1\n") || !strings.Contains(string(plain), "\nprocess_cpu_seconds_total ") {
		t.Errorf("missing series:\n%s", plain)
	}

	gzResp, gz := get(t, c, srv.URL+"/metrics", map[string]string{"Accept-Encoding": "gzip"})
	if gzResp.Header.Get("Content-Encoding") != "gzip" || gzResp.ContentLength != int64(len(gz)) || len(gzResp.TransferEncoding) != 0 {
		t.Fatalf("Content-Encoding %q, Content-Length %d for %d bytes, Transfer-Encoding %v",
			gzResp.Header.Get("Content-Encoding"), gzResp.ContentLength, len(gz), gzResp.TransferEncoding)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	// The same series as the plain answer (values move between scrapes).
	if a, b := seriesNames(string(plain)), seriesNames(string(unzipped)); a != b {
		t.Errorf("gzip answer's series differ:\n%s\nagainst\n%s", b, a)
	}

	omResp, om := get(t, c, srv.URL+"/metrics", map[string]string{"Accept": "application/openmetrics-text;version=1.0.0"})
	if ct := omResp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/openmetrics-text; version=1.0.0") ||
		!strings.HasSuffix(string(om), "# EOF\n") || omResp.ContentLength != int64(len(om)) {
		t.Errorf("OpenMetrics: Content-Type %q, Content-Length %d for %d bytes, ends %q", ct, omResp.ContentLength, len(om), om[max(0, len(om)-20):])
	}

	headResp, err := c.Head(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	headResp.Body.Close()
	if headResp.StatusCode != http.StatusOK || headResp.ContentLength <= 0 {
		t.Errorf("HEAD: HTTP %d, Content-Length %d", headResp.StatusCode, headResp.ContentLength)
	}
}

func seriesNames(exposition string) string {
	var names []string
	for line := range strings.SplitSeq(exposition, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		name, _, _ := strings.Cut(line, " ")
		names = append(names, name)
	}
	return strings.Join(names, "\n")
}

// TestMetricsHandlerConcurrentScrapes: scrapes at once, of /metrics and of
// probes, each get a whole answer of their own (the encoders are reused).
func TestMetricsHandlerConcurrentScrapes(t *testing.T) {
	srv := httptest.NewServer(testHandler(t, smallAccount(t), "--twelvelabs.embed-api=v1"))
	defer srv.Close()
	var wg sync.WaitGroup
	for range 3 * freeEncoders {
		wg.Go(func() {
			for range 3 {
				resp, body := get(t, srv.Client(), srv.URL+"/metrics", nil)
				if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "\ntwelvelabs_up{api=\"v1\"} 1\n") ||
					strings.Count(string(body), "# TYPE twelvelabs_up ") != 1 {
					t.Errorf("HTTP %d:\n%s", resp.StatusCode, body)
				}
			}
		})
	}
	wg.Wait()
}

// TestMetricsHandlerBufferedResponse: the status and the body of a small
// answer go out together with its length; a large one streams.
func TestMetricsHandlerBufferedResponse(t *testing.T) {
	for _, size := range []int{0, 100, maxBuffered, maxBuffered + 1, 3 * maxBuffered} {
		for _, status := range []int{0, http.StatusInternalServerError} {
			body := bytes.Repeat([]byte("x"), size)
			rec := httptest.NewRecorder()
			bw := newBufferedResponse(rec)
			if status != 0 {
				bw.WriteHeader(status)
			}
			for chunk := range slices.Chunk(body, 1000) {
				if _, err := bw.Write(chunk); err != nil {
					t.Fatal(err)
				}
			}
			bw.finish()
			want := status
			if want == 0 {
				want = http.StatusOK
			}
			if rec.Code != want || !bytes.Equal(rec.Body.Bytes(), body) {
				t.Errorf("%d bytes, status %d: got HTTP %d and %d bytes", size, status, rec.Code, rec.Body.Len())
			}
			cl := rec.Header().Get("Content-Length")
			if size <= maxBuffered && cl != strconv.Itoa(size) {
				t.Errorf("%d bytes: Content-Length %q", size, cl)
			}
			if size > maxBuffered && cl != "" {
				t.Errorf("%d bytes, streamed: Content-Length %q", size, cl)
			}
		}
	}
}
