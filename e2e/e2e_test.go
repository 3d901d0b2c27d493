// Package e2e runs the exporter with a real Prometheus and Alertmanager
// (Debian's prometheus and prometheus-alertmanager) against the simulator:
// the dashboard's queries return data, a scrape passes promtool check
// metrics, a healthy account fires no alert, and each failure fires its own.
package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/twelvelabs-community/twelvelabs_exporter/internal/testproc"
	"github.com/twelvelabs-community/twelvelabs_exporter/simulator"
)

const simKey = "tlk_e2e_0f1e2d3c4b5a69788796a5b4c3d2e1f0"

// healthyWorkload is the simulator's live workload on a healthy account.
var healthyWorkload = simulator.Workload{RatePerMinute: 120, FailedRatio: 0.03, ProcessingSeconds: 20}

// healthyPipeline is a pipeline no stage alert fires for, in which every
// dashboard panel of the Pipeline row has a series: finished items, a few
// unfinished ones created a minute ago, one failure per stage, an index
// that expires in 60 days, an unfinished batch and an active upload that
// expire in 20 hours.
func healthyPipeline(now time.Time) map[string][]simulator.Item {
	ago := func(d time.Duration) time.Time { return now.Add(-d).Truncate(time.Millisecond) }
	out := map[string][]simulator.Item{
		simulator.Indexes: {
			{ID: "ix1", Dim: "movies", Created: ago(30 * 24 * time.Hour), Expires: now.Add(60 * 24 * time.Hour), Numbers: [2]int64{40}, Seconds: 7200},
			{ID: "ix2", Dim: "ads", Created: ago(10 * 24 * time.Hour), Numbers: [2]int64{12}, Seconds: 600},
		},
		simulator.Batches: {
			{ID: "b1", Status: "completed", Dim: "summary", Created: ago(5 * time.Hour), Expires: now.Add(19 * time.Hour), Numbers: [2]int64{20, 1}},
			{ID: "b2", Status: "processing", Dim: "summary", Created: ago(4 * time.Hour), Expires: now.Add(20 * time.Hour), Numbers: [2]int64{50, 0}},
		},
		simulator.Uploads: {
			{ID: "u1", Status: "completed", Created: ago(3 * time.Hour), Expires: now.Add(21 * time.Hour), Numbers: [2]int64{1 << 30}},
			{ID: "u2", Status: "active", Created: ago(time.Hour), Expires: now.Add(23 * time.Hour), Numbers: [2]int64{2 << 30}},
		},
	}
	for i := range 40 {
		status, created := "ready", ago(time.Duration(i+2)*time.Hour)
		switch {
		case i == 0:
			status = "failed"
		case i < 3:
			status, created = "processing", ago(time.Minute)
		}
		indexing := status
		if status == "processing" {
			indexing = "indexing"
		}
		out[simulator.Indexing] = append(out[simulator.Indexing], simulator.Item{ID: fmt.Sprintf("it%d", i), Status: indexing, Created: created,
			Dim: []string{"ix1", "ix2"}[i%2], Seconds: 60})
		out[simulator.Analyze] = append(out[simulator.Analyze], simulator.Item{ID: fmt.Sprintf("an%d", i), Status: status, Created: created,
			Dim: "summary", Seconds: 60, Numbers: [2]int64{2000, 300}})
		out[simulator.Assets] = append(out[simulator.Assets], simulator.Item{ID: fmt.Sprintf("as%d", i), Status: status, Created: created})
	}
	return out
}

// stageFlags turn every stage's collector on; planFlags declare a plan far
// above the healthy pipeline's usage.
var (
	stageFlags = []string{"--collector.indexing", "--collector.analyze", "--collector.batches", "--collector.uploads",
		"--collector.indexes", "--collector.assets"}
	planFlags = []string{"--plan.media-minutes-per-hour=60000", "--plan.media-minutes-per-day=600000", "--plan.tokens-per-minute=1000000",
		"--plan.tokens-per-day=100000000"}
)

// stack is everything the test runs.
type stack struct {
	sim                     *simulator.Server
	simURL                  string
	exporter                *testproc.Process
	exporterAddr            string
	promAddr, amAddr        string
	promtoolPath, tmp, root string
}

// compressFor turns the rules' "for: Nm" into "for: Ns", so that alerts
// that wait minutes in production fire within seconds here. Thresholds and
// ranges stay as they are.
var forMinutes = regexp.MustCompile(`(?m)^([ \t]+for:[ \t]+)(\d+)m[ \t]*$`)

func compressFor(rules []byte) []byte {
	return forMinutes.ReplaceAll(rules, []byte("${1}${2}s"))
}

func startStack(t *testing.T) *stack {
	t.Helper()
	prometheus := testproc.Require(t, "prometheus", "prometheus")
	alertmanager := testproc.Require(t, "prometheus-alertmanager", "prometheus-alertmanager")
	s := &stack{promtoolPath: testproc.Require(t, "promtool", "prometheus"), tmp: t.TempDir()}
	var err error
	if s.root, err = filepath.Abs(".."); err != nil {
		t.Fatal(err)
	}

	// The simulator: a week of tasks and a live workload, healthy.
	s.sim = simulator.New(simKey)
	now := time.Now()
	for i, api := range []string{"v1", "v2"} {
		s.sim.SetTasks(api, simulator.Generate(simulator.GenerateOptions{Seed: uint64(i + 1), N: 400, Now: now, API: api,
			FailedRatio: 0.03, ProcessingRatio: 0.02}))
	}
	// Tasks arrive (2 a second per API) and finish 10 to 30 s later: the
	// lifecycle counters and the processing duration histogram fill within
	// the first scrapes, from tasks created after the exporter started.
	s.sim.SetWorkload(healthyWorkload)
	for stage, items := range healthyPipeline(now) {
		s.sim.SetItems(stage, items)
	}
	simSrv := httptest.NewServer(s.sim)
	t.Cleanup(simSrv.Close)
	s.simURL = simSrv.URL

	s.exporterAddr = testproc.FreeAddr(t)
	s.exporter = testproc.Start(t, binary, []string{"TWELVELABS_API_KEY=" + simKey},
		append(append([]string{"--web.listen-address=" + s.exporterAddr, "--twelvelabs.url=" + s.simURL + simulator.BasePath}, stageFlags...), planFlags...)...)
	testproc.WaitHTTP(t, "http://"+s.exporterAddr+"/", 10*time.Second)

	s.amAddr = testproc.FreeAddr(t)
	write(t, filepath.Join(s.tmp, "alertmanager.yml"), `
route:
  receiver: blackhole
  group_wait: 1s
  group_interval: 1s
receivers:
  - name: blackhole
`)
	testproc.Start(t, alertmanager, nil,
		"--config.file="+filepath.Join(s.tmp, "alertmanager.yml"),
		"--storage.path="+filepath.Join(s.tmp, "am-data"),
		"--web.listen-address="+s.amAddr,
		"--cluster.listen-address=")
	testproc.WaitHTTP(t, "http://"+s.amAddr+"/-/ready", 30*time.Second)

	rules, err := os.ReadFile(filepath.Join(s.root, "alerts", "twelvelabs.rules.yml"))
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(s.tmp, "rules.yml"), string(compressFor(rules)))
	s.promAddr = testproc.FreeAddr(t)
	write(t, filepath.Join(s.tmp, "prometheus.yml"), fmt.Sprintf(`
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files: [%q]
alerting:
  alertmanagers:
    - static_configs:
        - targets: [%q]
scrape_configs:
  - job_name: twelvelabs
    static_configs:
      - targets: [%q]
`, filepath.Join(s.tmp, "rules.yml"), s.amAddr, s.exporterAddr))
	testproc.Start(t, prometheus, nil,
		"--config.file="+filepath.Join(s.tmp, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(s.tmp, "prom-data"),
		"--web.listen-address="+s.promAddr)
	testproc.WaitHTTP(t, "http://"+s.promAddr+"/-/ready", 30*time.Second)
	return s
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// query runs an instant query and returns the number of series in the result.
func (s *stack) query(t *testing.T, q string) (int, error) {
	t.Helper()
	resp, err := http.Get("http://" + s.promAddr + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		return 0, err
	}
	defer func() { _ = resp.Body.Close() }()
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return 0, err
	}
	if r.Status != "success" {
		return 0, fmt.Errorf("%s: %s", q, r.Error)
	}
	return len(r.Data.Result), nil
}

// alerts returns the names of the alerts Alertmanager holds, active ones only.
func (s *stack) alerts(t *testing.T) map[string][]map[string]string {
	t.Helper()
	resp, err := http.Get("http://" + s.amAddr + "/api/v2/alerts?active=true&silenced=false&inhibited=false")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var list []struct {
		Labels map[string]string `json:"labels"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	out := map[string][]map[string]string{}
	for _, a := range list {
		out[a.Labels["alertname"]] = append(out[a.Labels["alertname"]], a.Labels)
	}
	return out
}

// promAlerts returns the alerts Prometheus has pending or firing.
func (s *stack) promAlerts(t *testing.T) []string {
	t.Helper()
	resp, err := http.Get("http://" + s.promAddr + "/api/v1/alerts")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var r struct {
		Data struct {
			Alerts []struct {
				Labels map[string]string `json:"labels"`
				State  string            `json:"state"`
			} `json:"alerts"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range r.Data.Alerts {
		out = append(out, a.Labels["alertname"]+"("+a.State+")")
	}
	sort.Strings(out)
	return out
}

func (s *stack) control(t *testing.T, path, body string) {
	t.Helper()
	resp, err := http.Post(s.simURL+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("simulator control %s %s: %s %s", path, body, resp.Status, b)
	}
}

// dashboardQueries returns every query of the dashboard, with Grafana's
// variables set as "All" would set them.
func dashboardQueries(t *testing.T, root string) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root, "dashboards", "twelvelabs.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	all := strings.NewReplacer("$__rate_interval", "30s", "$job", ".+", "$instance", ".+", "$api", ".+", "$model_name", ".+")
	out := map[string]string{}
	for _, p := range d.Panels {
		for i, tg := range p.Targets {
			out[fmt.Sprintf("%s #%d", p.Title, i+1)] = all.Replace(tg.Expr)
		}
	}
	return out
}

var recordName = regexp.MustCompile(`(?m)^[ \t]+- record:[ \t]+(\S+)[ \t]*$`)

// recordingRules returns the names of the recording rules in the rules file.
func recordingRules(t *testing.T, root string) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root, "alerts", "twelvelabs.rules.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range recordName.FindAllStringSubmatch(string(raw), -1) {
		if !slices.Contains(names, m[1]) {
			names = append(names, m[1])
		}
	}
	if len(names) == 0 {
		t.Fatal("no recording rule in alerts/twelvelabs.rules.yml")
	}
	return names
}

func TestEndToEnd(t *testing.T) {
	t.Parallel() // beside the soak too: it starts three processes, then waits on Prometheus
	if testing.Short() {
		t.Skip("starts Prometheus and Alertmanager")
	}
	s := startStack(t)

	// Prometheus scrapes the exporter and both APIs and every stage are up.
	testproc.Eventually(t, 60*time.Second, 500*time.Millisecond, func() string {
		n, err := s.query(t, `twelvelabs_up == 1`)
		if err != nil || n != 2+len(stageFlags) {
			return fmt.Sprintf("twelvelabs_up == 1 has %d series (%v), want %d", n, err, 2+len(stageFlags))
		}
		return ""
	})

	t.Run("every dashboard query returns data", func(t *testing.T) {
		for name, q := range dashboardQueries(t, s.root) {
			testproc.Eventually(t, 60*time.Second, time.Second, func() string {
				n, err := s.query(t, q)
				if err != nil || n == 0 {
					return fmt.Sprintf("panel %s: %q returned %d series (%v)", name, q, n, err)
				}
				return ""
			})
		}
	})

	t.Run("every recording rule returns data", func(t *testing.T) {
		for _, name := range recordingRules(t, s.root) {
			testproc.Eventually(t, 60*time.Second, time.Second, func() string {
				if n, err := s.query(t, name); err != nil || n == 0 {
					return fmt.Sprintf("recording rule %s returned %d series (%v)", name, n, err)
				}
				return ""
			})
		}
	})

	t.Run("the lifecycle rules see the workload", func(t *testing.T) {
		// Each query must give one series per API: tasks created and
		// finished after the exporter started, their time to ready (10 to
		// 30 s in the simulator; v1's is up to a scrape later), and the
		// share that failed over 30 minutes (3%, far below the alert's 20%
		// on either API as a whole).
		for _, q := range []string{
			`sum by (api) (api_model_name:twelvelabs_embed_tasks_created:rate5m{job="twelvelabs"}) * 60 > 10`,
			`sum by (api) (api_model_name_status:twelvelabs_embed_tasks_finished:rate5m{job="twelvelabs",status="ready"}) * 60 > 10`,
			`sum by (api) (api_model_name_status:twelvelabs_embed_tasks_finished:increase30m{job="twelvelabs"}) > 0`,
			`count by (api) (api_model_name_quantile:twelvelabs_embed_task_processing_duration_seconds_ready:histogram_quantile_rate30m{job="twelvelabs",quantile="0.5"} >= 5 <= 60)`,
			`count by (api) (api_model_name_quantile:twelvelabs_embed_task_processing_duration_seconds_ready:histogram_quantile_rate30m{job="twelvelabs",quantile="0.95"} >= 5 <= 60)`,
			`sum by (api) (api_model_name_status:twelvelabs_embed_tasks_finished:increase30m{job="twelvelabs",status="failed"})
			   / sum by (api) (api_model_name_status:twelvelabs_embed_tasks_finished:increase30m{job="twelvelabs"}) < 0.2`,
			`count by (api) (api_model_name:twelvelabs_embed_tasks_finished_failed:ratio_increase30m{job="twelvelabs"} >= 0)`,
			// Every reason, zero-filled. (The startup resync is done before
			// Prometheus first sees the counter, so increase() misses it.)
			`count by (api) (api_reason:twelvelabs_exporter_resyncs:increase1h{job="twelvelabs",reason=~"startup|interval|mismatch|error"}) == 4`,
		} {
			testproc.Eventually(t, 60*time.Second, time.Second, func() string {
				if n, err := s.query(t, q); err != nil || n != 2 {
					return fmt.Sprintf("%s returned %d series (%v), want one per API", q, n, err)
				}
				return ""
			})
		}
	})

	t.Run("a scrape passes promtool check metrics", func(t *testing.T) {
		resp, err := http.Get("http://" + s.exporterAddr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		cmd := exec.Command(s.promtoolPath, "check", "metrics")
		cmd.Stdin = bytes.NewReader(body)
		out, err := cmd.CombinedOutput()
		if err != nil || len(bytes.TrimSpace(out)) != 0 {
			t.Errorf("promtool check metrics: %v\n%s", err, out)
		}
	})

	t.Run("a healthy account fires no alert", func(t *testing.T) {
		// Longer than the longest compressed "for" (30s), so that any
		// alert that would fire has had the time to.
		deadline := time.Now().Add(35 * time.Second)
		for time.Now().Before(deadline) {
			if a := s.promAlerts(t); len(a) != 0 {
				t.Fatalf("alerts on a healthy account: %v", a)
			}
			time.Sleep(time.Second)
		}
		if a := s.alerts(t); len(a) != 0 {
			t.Fatalf("Alertmanager holds alerts on a healthy account: %v", a)
		}
	})

	t.Run("an index about to expire and a batch about to expire unfinished fire their alerts", func(t *testing.T) {
		now := time.Now()
		healthy := healthyPipeline(now)
		s.sim.SetItems(simulator.Indexes, append(slices.Clone(healthy[simulator.Indexes]),
			simulator.Item{ID: "ix3", Dim: "trial", Created: now.Add(-88 * 24 * time.Hour), Expires: now.Add(2 * 24 * time.Hour)}))
		s.sim.SetItems(simulator.Batches, append(slices.Clone(healthy[simulator.Batches]),
			simulator.Item{ID: "b3", Status: "pending", Dim: "open_ended", Created: now.Add(-23 * time.Hour), Expires: now.Add(time.Hour)}))
		testproc.Eventually(t, 90*time.Second, time.Second, func() string {
			a := s.alerts(t)
			if !hasAlert(a["TwelveLabsIndexExpiringSoon"], map[string]string{"index_name": "trial", "severity": "warning", "job": "twelvelabs"}) ||
				!hasAlert(a["TwelveLabsBatchExpiringUnfinished"], map[string]string{"analysis_mode": "open_ended", "status": "pending", "severity": "warning"}) {
				return fmt.Sprintf("Alertmanager holds %v; Prometheus has %v", a, s.promAlerts(t))
			}
			if len(a["TwelveLabsIndexExpiringSoon"]) != 1 {
				return fmt.Sprintf("TwelveLabsIndexExpiringSoon for %v, want the trial index only", a["TwelveLabsIndexExpiringSoon"])
			}
			return ""
		})
		s.sim.SetItems(simulator.Indexes, healthy[simulator.Indexes])
		s.sim.SetItems(simulator.Batches, healthy[simulator.Batches])
	})

	t.Run("failures and a stuck task fire their alerts", func(t *testing.T) {
		// Old failures, created before the exporter started: the week's
		// ratio sees them, the last 30 minutes' does not.
		s.control(t, "/_sim/tasks", `{"api":"v1","n":200,"status":"failed","age":"1h","model":"marengo3.0"}`)
		s.control(t, "/_sim/tasks", `{"api":"v2","n":1,"status":"processing","age":"2h","model":"marengo3.5"}`)
		testproc.Eventually(t, 90*time.Second, time.Second, func() string {
			a := s.alerts(t)
			if !hasAlert(a["TwelveLabsHighFailureRatio"], map[string]string{"api": "v1", "model_name": "marengo3.0", "severity": "warning", "job": "twelvelabs"}) ||
				!hasAlert(a["TwelveLabsTasksStuckProcessing"], map[string]string{"api": "v2", "model_name": "marengo3.5", "severity": "warning"}) {
				return fmt.Sprintf("Alertmanager holds %v; Prometheus has %v", a, s.promAlerts(t))
			}
			if r := a["TwelveLabsRecentFailureRatioHigh"]; len(r) != 0 {
				t.Fatalf("TwelveLabsRecentFailureRatioHigh fired for tasks that failed before the exporter started: %v", r)
			}
			return ""
		})

		// Now every new task fails within seconds: the last 30 minutes'
		// ratio rises past 20% in well under a minute.
		s.control(t, "/_sim/config", `{"workload":{"rate_per_minute":120,"failed_ratio":1,"processing_seconds":2}}`)
		testproc.Eventually(t, 120*time.Second, time.Second, func() string {
			a := s.alerts(t)
			if !hasAlert(a["TwelveLabsRecentFailureRatioHigh"], map[string]string{"api": "v1", "severity": "warning", "job": "twelvelabs"}) ||
				!hasAlert(a["TwelveLabsRecentFailureRatioHigh"], map[string]string{"api": "v2", "severity": "warning", "job": "twelvelabs"}) {
				n, _ := s.query(t, `api_model_name:twelvelabs_embed_tasks_finished_failed:ratio_increase30m > 0.2`)
				return fmt.Sprintf("Alertmanager holds %v; Prometheus has %v; %d series of the 30-minute ratio above 0.2", a, s.promAlerts(t), n)
			}
			return ""
		})
		w, err := json.Marshal(map[string]any{"workload": healthyWorkload})
		if err != nil {
			t.Fatal(err)
		}
		s.control(t, "/_sim/config", string(w))
	})

	t.Run("a plan refusal fires TwelveLabsAPINotAllowed, not TwelveLabsAPIKeyRejected", func(t *testing.T) {
		// 403 api_allowed_for_paid_plan on every request: the key is fine.
		s.control(t, "/_sim/config", `{"fault":{"kind":"not-allowed","ratio":1}}`)
		testproc.Eventually(t, 60*time.Second, time.Second, func() string {
			a := s.alerts(t)
			if !hasAlert(a["TwelveLabsAPINotAllowed"], map[string]string{"api": "v1", "severity": "warning"}) ||
				!hasAlert(a["TwelveLabsAPINotAllowed"], map[string]string{"api": "v2", "severity": "warning"}) {
				return fmt.Sprintf("Alertmanager holds %v", a)
			}
			return ""
		})
		// ListingFailing waits 10s (compressed); give it 15s to misfire.
		for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(time.Second) {
			a := s.alerts(t)
			for _, name := range []string{"TwelveLabsAPIKeyRejected", "TwelveLabsListingFailing"} {
				if len(a[name]) != 0 {
					t.Fatalf("%s fired for a plan refusal: %v", name, a[name])
				}
			}
		}
		s.control(t, "/_sim/config", `{"fault":{"kind":"","ratio":0}}`)
	})

	t.Run("a revoked key fires TwelveLabsAPIKeyRejected, not TwelveLabsListingFailing", func(t *testing.T) {
		s.control(t, "/_sim/config", `{"key":"revoked"}`)
		// The plan refusal before it resolves: a rejected key hides the plan.
		testproc.Eventually(t, 60*time.Second, time.Second, func() string {
			a := s.alerts(t)
			if !hasAlert(a["TwelveLabsAPIKeyRejected"], map[string]string{"api": "v1", "severity": "critical"}) ||
				!hasAlert(a["TwelveLabsAPIKeyRejected"], map[string]string{"api": "v2", "severity": "critical"}) ||
				len(a["TwelveLabsAPINotAllowed"]) != 0 {
				return fmt.Sprintf("Alertmanager holds %v", a)
			}
			return ""
		})
		// ListingFailing waits 10s (compressed); give it 15s to misfire.
		for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(time.Second) {
			a := s.alerts(t)
			for _, name := range []string{"TwelveLabsListingFailing", "TwelveLabsAPINotAllowed"} {
				if len(a[name]) != 0 {
					t.Fatalf("%s fired for a rejected key: %v", name, a[name])
				}
			}
		}
		if strings.Contains(s.exporter.Logs(), simKey) {
			t.Error("the exporter logged the API key")
		}
	})

	t.Run("a stopped exporter fires TwelveLabsExporterDown", func(t *testing.T) {
		if err := s.exporter.Stop(5 * time.Second); err != nil {
			t.Errorf("exporter exit: %v", err)
		}
		testproc.Eventually(t, 60*time.Second, time.Second, func() string {
			if a := s.alerts(t); !hasAlert(a["TwelveLabsExporterDown"], map[string]string{"job": "twelvelabs", "severity": "critical"}) {
				return fmt.Sprintf("Alertmanager holds %v", a)
			}
			return ""
		})
	})
}

func hasAlert(alerts []map[string]string, want map[string]string) bool {
next:
	for _, a := range alerts {
		for k, v := range want {
			if a[k] != v {
				continue next
			}
		}
		return true
	}
	return false
}

func TestCompressFor(t *testing.T) {
	parallel(t)
	in := "        for: 15m\n        expr: x[5m]\n    for: 2m  \n"
	want := "        for: 15s\n        expr: x[5m]\n    for: 2s\n"
	if got := string(compressFor([]byte(in))); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
