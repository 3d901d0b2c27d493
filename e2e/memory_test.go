package e2e

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/twelvelabs-community/twelvelabs_exporter/internal/testproc"
)

// podMemoryLimit is the memory limit of the Kubernetes manifests shipped in
// deploy/.
const podMemoryLimit = 128 << 20

// Hostile pages on both APIs at once: 16 MiB of tiny items (far more than
// page_limit), a 20 MiB model name, 16 MiB of padding, and an embedding of
// 15 MiB of numbers (which is read, and skipped as it streams). The
// exporter keeps serving and its peak RSS stays under the pod's limit.
func TestHostilePagesKeepMemoryBounded(t *testing.T) {
	parallel(t)
	if testing.Short() {
		t.Skip("hostile pages")
	}
	tiny := []byte(`{"data":[` + strings.Repeat(`{},`, 16<<20/3) + `{}],"page_info":{"total_page":1}}`)
	huge := []byte(`{"data":[{"_id":"a","model_name":"` + strings.Repeat("m", 20<<20) + `"}],"page_info":{}}`)
	padded := []byte(`{"data":[],"pad":"` + strings.Repeat("x", 16<<20) + `","page_info":{}}`)
	segments := []byte(`{"data":[{"_id":"a","video_embedding":{"segments":[` + strings.Repeat(`0.125,`, 15<<20/6) + `0]}}],"page_info":{}}`)
	pages := [][]byte{tiny, huge, padded, segments}
	var n atomic.Int64
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(pages[int(n.Add(1))%len(pages)])
	}))
	defer api.Close()
	p := startExporter(t, []string{"TWELVELABS_API_KEY=" + simKey}, "--twelvelabs.url="+api.URL+"/v1.3", "--twelvelabs.retries=0")
	for i := range 12 {
		code, body := get(t, "http://"+p.addr+"/metrics", map[string]string{"X-Prometheus-Scrape-Timeout-Seconds": "30"})
		mfs := testproc.ParseMetrics(t, body)
		for _, a := range []string{"v1", "v2"} {
			if _, ok := testproc.Value(mfs, "twelvelabs_up", map[string]string{"api": a}); code != 200 || !ok {
				t.Fatalf("scrape %d: HTTP %d, no twelvelabs_up{api=%q}", i, code, a)
			}
		}
	}
	peak := peakRSS(t, p.Cmd.Process.Pid)
	t.Logf("peak RSS after %d hostile pages: %.1f MiB", n.Load(), float64(peak)/(1<<20))
	if peak > podMemoryLimit {
		t.Errorf("peak RSS %d MiB, over the pod limit of %d MiB", peak>>20, podMemoryLimit>>20)
	}
	if !strings.Contains(p.Logs(), "reason=too_large") {
		t.Errorf("no too_large failure logged:\n%s", lastLines(p.Logs(), 10))
	}
}

// peakRSS reads VmHWM, the process's peak resident set, in bytes.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, line := range bytes.Split(status, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("VmHWM:")); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(string(v)), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/PID/status")
	return 0
}
