package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twelvelabs-community/twelvelabs_exporter/internal/testproc"
	"github.com/twelvelabs-community/twelvelabs_exporter/simulator"
)

// prometheus3 returns the Prometheus 3 binary named by $PROMETHEUS3. Unset,
// the test is skipped, except under CI, which builds it.
func prometheus3(t *testing.T) string {
	t.Helper()
	path := os.Getenv("PROMETHEUS3")
	if path == "" {
		msg := "PROMETHEUS3 is not set: export PROMETHEUS3=$(bash deploy/prometheus3.sh /tmp/prom3)"
		if os.Getenv("CI") != "" {
			t.Fatal("set PROMETHEUS3; .ci/run builds it with deploy/prometheus3.sh (" + msg + ")")
		}
		t.Skip(msg + " (CI runs this test)")
	}
	if fi, err := os.Stat(path); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		t.Fatalf("PROMETHEUS3=%s is not an executable file (%v)", path, err)
	}
	return path
}

// Prometheus 3 scrapes the exporter as a Prometheus 3 user would: with its
// strict Content-Type check (no fallback_scrape_protocol, so an answer whose
// Content-Type is missing or unknown fails the scrape), the UTF-8 name
// validation and escaping negotiation it defaults to, in OpenMetrics, and in
// protobuf with native histograms. Three jobs scrape the same exporter:
//
//   - twelvelabs-default: Prometheus 3's defaults (OpenMetrics first);
//   - twelvelabs-openmetrics: OpenMetricsText1.0.0 only; the counters'
//     _created samples, which only OpenMetrics carries as series, arrive;
//   - twelvelabs-proto: PrometheusProto only, scrape_native_histograms:
//     the processing duration histogram arrives as a native histogram.
func TestPrometheus3(t *testing.T) {
	parallel(t)
	if testing.Short() {
		t.Skip("starts Prometheus 3")
	}
	prometheus := prometheus3(t)
	if out, err := exec.Command(prometheus, "--version").CombinedOutput(); err != nil {
		t.Fatalf("%s --version: %v\n%s", prometheus, err, out)
	} else {
		t.Logf("%s", strings.SplitN(string(out), "\n", 2)[0])
	}
	tmp := t.TempDir()

	// The simulator: tasks from before the exporter starts, and a live
	// workload whose tasks, created after it, finish within seconds, so that
	// the lifecycle counters and the processing duration histogram fill.
	sim := simulator.New(simKey)
	now := time.Now()
	for i, api := range []string{simulator.V1, simulator.V2} {
		sim.SetTasks(api, simulator.Generate(simulator.GenerateOptions{Seed: uint64(i + 1), N: 50, Now: now, API: api,
			FailedRatio: 0.05, ProcessingRatio: 0.05}))
	}
	sim.SetWorkload(simulator.Workload{RatePerMinute: 120, FailedRatio: 0.1, ProcessingSeconds: 2})
	simSrv := httptest.NewServer(sim)
	t.Cleanup(simSrv.Close)

	started := time.Now()
	exporter := startExporter(t, []string{"TWELVELABS_API_KEY=" + simKey}, "--twelvelabs.url="+simSrv.URL+simulator.BasePath)

	// No fallback_scrape_protocol, no metric_name_validation_scheme, no
	// metric_name_escaping_scheme: Prometheus 3's strict defaults. (The
	// --enable-feature=native-histograms flag is a no-op in 3.x;
	// scrape_native_histograms is the setting.)
	jobs := []string{"twelvelabs-default", "twelvelabs-openmetrics", "twelvelabs-proto"}
	promConfig := filepath.Join(tmp, "prometheus.yml")
	write(t, promConfig, fmt.Sprintf(`
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: %[2]s
    static_configs:
      - targets: [%[1]q]
  - job_name: %[3]s
    scrape_protocols: [OpenMetricsText1.0.0]
    static_configs:
      - targets: [%[1]q]
  - job_name: %[4]s
    scrape_protocols: [PrometheusProto]
    scrape_native_histograms: true
    static_configs:
      - targets: [%[1]q]
`, exporter.addr, jobs[0], jobs[1], jobs[2]))
	promAddr := testproc.FreeAddr(t)
	testproc.Start(t, prometheus, nil,
		"--config.file="+promConfig,
		"--storage.tsdb.path="+filepath.Join(tmp, "prom-data"),
		"--web.listen-address="+promAddr)
	testproc.WaitHTTP(t, "http://"+promAddr+"/-/ready", 60*time.Second)

	var build struct {
		Data struct {
			Version string `json:"version"`
		} `json:"data"`
	}
	prom3Get(t, promAddr, "/api/v1/status/buildinfo", &build)
	if v := build.Data.Version; v != "" && !strings.HasPrefix(v, "3.") {
		t.Fatalf("PROMETHEUS3=%s is Prometheus %s, not 3.x", prometheus, v)
	}

	t.Run("every job's target is up, with no scrape error", func(t *testing.T) {
		testproc.Eventually(t, 60*time.Second, time.Second, func() string {
			var r struct {
				Data struct {
					ActiveTargets []struct {
						ScrapePool string `json:"scrapePool"`
						Health     string `json:"health"`
						LastError  string `json:"lastError"`
					} `json:"activeTargets"`
				} `json:"data"`
			}
			prom3Get(t, promAddr, "/api/v1/targets?state=active", &r)
			health := map[string]string{}
			for _, tg := range r.Data.ActiveTargets {
				health[tg.ScrapePool] = tg.Health
				if tg.LastError != "" {
					health[tg.ScrapePool] += ": " + tg.LastError
				}
			}
			for _, job := range jobs {
				if health[job] != "up" {
					return fmt.Sprintf("targets: %v", health)
				}
			}
			return ""
		})
	})

	t.Run("both APIs are up in every job", func(t *testing.T) {
		for _, job := range jobs {
			testproc.Eventually(t, 60*time.Second, time.Second, func() string {
				if r := prom3Query(t, promAddr, fmt.Sprintf(`twelvelabs_up{job=%q} == 1`, job)); len(r) != 2 {
					return fmt.Sprintf("job %s: twelvelabs_up == 1 has %d series, want 2: %v", job, len(r), r)
				}
				return ""
			})
		}
	})

	t.Run("OpenMetrics: the counters' _created samples arrive", func(t *testing.T) {
		// Only OpenMetrics text carries a counter's created timestamp as a
		// sample (<name>_created); Prometheus 3 stores it as a series unless
		// created-timestamp-zero-ingestion is on.
		for _, job := range jobs[:2] {
			testproc.Eventually(t, 60*time.Second, time.Second, func() string {
				r := prom3Query(t, promAddr, fmt.Sprintf(`twelvelabs_exporter_resyncs_created{job=%q}`, job))
				if len(r) == 0 {
					return fmt.Sprintf("job %s: no twelvelabs_exporter_resyncs_created series", job)
				}
				for _, s := range r {
					created, err := s.float()
					if err != nil || created < float64(started.Add(-time.Minute).Unix()) || created > float64(time.Now().Add(time.Minute).Unix()) {
						return fmt.Sprintf("job %s: %v = %v (%v), want about the exporter's start %d", job, s.Metric, s.Value, err, started.Unix())
					}
				}
				return ""
			})
		}
		if r := prom3Query(t, promAddr, `twelvelabs_exporter_resyncs_created{job="twelvelabs-proto"}`); len(r) != 0 {
			t.Errorf("the protobuf job has _created series: %v", r)
		}
		// The workload's tasks, created after the exporter started, counted.
		testproc.Eventually(t, 90*time.Second, time.Second, func() string {
			r := prom3Query(t, promAddr, `sum by (api) (twelvelabs_embed_tasks_created_total{job="twelvelabs-openmetrics"}) > 0`)
			if len(r) != 2 {
				return fmt.Sprintf("twelvelabs_embed_tasks_created_total > 0 for %d APIs, want 2: %v", len(r), r)
			}
			return ""
		})
	})

	t.Run("protobuf: the processing duration arrives as a native histogram", func(t *testing.T) {
		testproc.Eventually(t, 90*time.Second, time.Second, func() string {
			r := prom3Query(t, promAddr, `twelvelabs_embed_task_processing_duration_seconds{job="twelvelabs-proto"}`)
			apis := map[string]bool{}
			for _, s := range r {
				if s.Value != nil || s.Histogram == nil {
					return fmt.Sprintf("%v is not a native histogram sample: value %v, histogram %v", s.Metric, s.Value, s.Histogram)
				}
				if n, err := strconv.ParseFloat(s.Histogram.Count, 64); err == nil && n > 0 && len(s.Histogram.Buckets) > 0 {
					apis[s.Metric["api"]] = true
				}
			}
			if !apis[simulator.V1] || !apis[simulator.V2] {
				return fmt.Sprintf("native histograms with observations for %v of v1, v2 (%d series)", apis, len(r))
			}
			return ""
		})
		// PromQL's native histogram functions work on it.
		testproc.Eventually(t, 30*time.Second, time.Second, func() string {
			r := prom3Query(t, promAddr, `sum by (api) (histogram_count(rate(twelvelabs_embed_task_processing_duration_seconds{job="twelvelabs-proto"}[30s]))) > 0`)
			if len(r) != 2 {
				return fmt.Sprintf("histogram_count(rate(...)) > 0 for %d APIs, want 2: %v", len(r), r)
			}
			return ""
		})
		// The OpenMetrics job, which cannot carry native histograms, has
		// the classic buckets instead.
		if r := prom3Query(t, promAddr, `twelvelabs_embed_task_processing_duration_seconds_bucket{job="twelvelabs-openmetrics"}`); len(r) == 0 {
			t.Error("the OpenMetrics job has no classic histogram buckets")
		}
	})
}

// prom3Sample is one series of an instant vector: a float sample (value)
// or a native histogram sample (histogram).
type prom3Sample struct {
	Metric    map[string]string `json:"metric"`
	Value     []any             `json:"value"`
	Histogram *struct {
		Count   string  `json:"count"`
		Sum     string  `json:"sum"`
		Buckets [][]any `json:"buckets"`
	} `json:"-"`
	RawHistogram []json.RawMessage `json:"histogram"`
}

func (s prom3Sample) float() (float64, error) {
	if len(s.Value) != 2 {
		return 0, fmt.Errorf("no float sample")
	}
	v, _ := s.Value[1].(string)
	return strconv.ParseFloat(v, 64)
}

func prom3Query(t *testing.T, addr, q string) []prom3Sample {
	t.Helper()
	var r struct {
		Data struct {
			ResultType string        `json:"resultType"`
			Result     []prom3Sample `json:"result"`
		} `json:"data"`
	}
	prom3Get(t, addr, "/api/v1/query?query="+url.QueryEscape(q), &r)
	for i, s := range r.Data.Result {
		// "histogram": [<time>, {"count": ..., "sum": ..., "buckets": ...}]
		if len(s.RawHistogram) == 2 {
			if err := json.Unmarshal(s.RawHistogram[1], &r.Data.Result[i].Histogram); err != nil {
				t.Fatalf("query %s: histogram %s: %v", q, s.RawHistogram[1], err)
			}
		}
	}
	return r.Data.Result
}

// prom3Get decodes a successful Prometheus API answer into v.
func prom3Get(t *testing.T, addr, path string, v any) {
	t.Helper()
	resp, err := http.Get("http://" + addr + path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var raw json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil {
		t.Fatalf("GET %s: %s: %v", path, resp.Status, err)
	}
	var status struct {
		Status string `json:"status"`
		Error  string `json:"error"`
	}
	if err := json.Unmarshal(raw, &status); err != nil || status.Status != "success" {
		t.Fatalf("GET %s: %s: %s %s (%v)", path, resp.Status, status.Status, status.Error, err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}
