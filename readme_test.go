package main

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twelvelabs-community/twelvelabs_exporter/internal/testproc"
	"github.com/twelvelabs-community/twelvelabs_exporter/simulator"
)

// readmeTable returns the rows of the first table under the heading, each
// row's cells with backticks and spaces trimmed.
func readmeTable(t *testing.T, heading string) [][]string {
	t.Helper()
	raw, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(raw), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README.md has no %q section", heading)
	}
	var rows [][]string
	inTable := false
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "|") {
			if inTable {
				break
			}
			continue
		}
		inTable = true
		if strings.HasPrefix(line, "|---") {
			continue
		}
		var cells []string
		for _, c := range strings.Split(strings.Trim(line, "|"), "|") {
			cells = append(cells, strings.Trim(strings.TrimSpace(c), "`"))
		}
		rows = append(rows, cells)
	}
	if len(rows) < 2 {
		t.Fatalf("README.md %q: no table", heading)
	}
	return rows[1:] // without the header row
}

func TestReadmeFlagsTableMatchesTheFlags(t *testing.T) {
	app, _ := newApp()
	code := map[string]string{}
	for _, f := range app.Model().Flags {
		if !f.Hidden {
			code["--"+f.Name] = strings.Join(f.Default, ",")
		}
	}
	doc := map[string]string{}
	for _, row := range readmeTable(t, "## Flags") {
		doc[row[0]] = row[1]
	}
	for name, def := range code {
		d, ok := doc[name]
		switch {
		case !ok:
			t.Errorf("flag %s (default %q) is missing from the README", name, def)
		case d != def && (def != "false" || d != ""):
			t.Errorf("flag %s: README says default %q, the code %q", name, d, def)
		}
	}
	for name := range doc {
		if _, ok := code[name]; !ok {
			t.Errorf("README lists %s, which the exporter does not have", name)
		}
	}
}

func TestReadmeMetricsTableMatchesTheExposition(t *testing.T) {
	checkMetricsTable(t, "## Metrics", func() string {
		sim := simulator.New(simKey)
		for _, api := range []string{"v1", "v2"} {
			sim.SetTasks(api, simulator.Generate(simulator.GenerateOptions{Seed: 3, N: 80, Now: time.Now(), API: api, FailedRatio: 0.2, ProcessingRatio: 0.2}))
		}
		sim.SetRateLimitHeaders(600) // so that the rate-limit gauges are exported
		h := testHandler(t, sim)
		serve(h, nil)
		// Tasks created after the exporter started, one finished: the
		// lifecycle metrics have series.
		now := time.Now()
		for _, api := range []string{"v1", "v2"} {
			sim.AddTasks(api, simulator.Task{ID: "new-" + api, Model: "marengo3.0", Status: "ready", Created: now, Updated: now, VideoSeconds: 5, AudioSeconds: -1})
		}
		time.Sleep(1100 * time.Millisecond) // into the next window, which ends at a whole second
		code, body, _ := serve(h, nil)
		if code != 200 {
			t.Fatalf("HTTP %d", code)
		}
		return withoutFamilies(body, "twelvelabs_usage_", "twelvelabs_plan_") // in "Usage against the plan"
	})
}

// withoutFamilies drops the lines of an exposition that name a family
// starting with one of prefixes.
func withoutFamilies(body string, prefixes ...string) string {
	var keep []string
	for _, line := range strings.Split(body, "\n") {
		name := strings.TrimPrefix(strings.TrimPrefix(line, "# HELP "), "# TYPE ")
		if !slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(name, p) }) {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}

// The usage and plan metrics, with the media and token stages on and a
// plan declared.
func TestReadmeUsageMetricsTableMatchesTheExposition(t *testing.T) {
	checkMetricsTable(t, "### Usage against the plan", func() string {
		sim := simulator.New(simKey)
		sim.SetTasks("v2", simulator.Generate(simulator.GenerateOptions{Seed: 3, N: 20, Now: time.Now(), API: "v2"}))
		for stage, items := range simulator.GeneratePipeline(3, 20, time.Now()) {
			sim.SetItems(stage, items)
		}
		args := []string{"--twelvelabs.embed-api=v2", "--collector.indexing", "--collector.analyze"}
		for _, f := range []string{"media-minutes-per-hour", "media-minutes-per-day", "tokens-per-minute", "tokens-per-day",
			"requests-per-minute", "requests-per-day"} {
			args = append(args, "--plan."+f+"=100")
		}
		code, body, _ := serve(testHandler(t, sim, args...), nil)
		if code != 200 {
			t.Fatalf("HTTP %d", code)
		}
		var usage []string
		for _, line := range strings.Split(body, "\n") {
			if strings.Contains(line, "twelvelabs_usage_") || strings.Contains(line, "twelvelabs_plan_") {
				usage = append(usage, line)
			}
		}
		return strings.Join(usage, "\n") + "\n"
	})
}

// The table of the exporter's own metrics with --config.file.
func TestReadmeAccountsMetricsTableMatchesTheExposition(t *testing.T) {
	checkMetricsTable(t, "## Several accounts", func() string {
		o := newOrgs(t, map[string]int{"a": 10})
		cfg := filepath.Join(t.TempDir(), "accounts.yml")
		writeConfig(t, cfg, "organizations:\n  - {name: acme, requests_per_minute: 60}\naccounts:\n  - {name: a, organization: acme, key_env: KEY_A}\n")
		svc, err := wire([]string{"--config.file=" + cfg, "--twelvelabs.url=" + o.url}, o.lookupEnv, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		_, body, _ := serve(svc.handler, nil)
		var own []string // the families of the go, process and build collectors are documented elsewhere
		for _, line := range strings.Split(body, "\n") {
			if strings.Contains(line, "twelvelabs_exporter_config") || strings.Contains(line, "twelvelabs_exporter_account") ||
				strings.Contains(line, "twelvelabs_exporter_budget") {
				own = append(own, line)
			}
		}
		return strings.Join(own, "\n") + "\n"
	})
}

func checkMetricsTable(t *testing.T, heading string, exposition func() string) {
	t.Helper()
	body := exposition()
	type shape struct{ typ, labels string }
	exported := map[string]shape{}
	for name, mf := range testproc.ParseMetrics(t, body) {
		if !strings.HasPrefix(name, "twelvelabs_") {
			continue
		}
		var labels []string
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if !slices.Contains(labels, lp.GetName()) {
					labels = append(labels, lp.GetName())
				}
			}
		}
		slices.Sort(labels)
		exported[name] = shape{strings.ToLower(mf.GetType().String()), strings.Join(labels, ",")}
	}
	documented := map[string]shape{}
	for _, row := range readmeTable(t, heading) {
		var labels []string
		for _, l := range strings.Split(row[2], ",") {
			labels = append(labels, strings.Trim(strings.TrimSpace(l), "`"))
		}
		slices.Sort(labels)
		documented[row[0]] = shape{row[1], strings.Join(labels, ",")}
	}
	for name, s := range exported {
		if d, ok := documented[name]; !ok {
			t.Errorf("metric %s (%s, labels %s) is missing from the README", name, s.typ, s.labels)
		} else if d != s {
			t.Errorf("metric %s: README says %+v, the exporter %+v", name, d, s)
		}
	}
	for name := range documented {
		if _, ok := exported[name]; !ok {
			t.Errorf("README lists %s, which the exporter does not export", name)
		}
	}
}

// The stage metrics, with every collector on against a pipeline of every
// stage in the simulator.
func TestReadmeStageMetricsTableMatchesTheExposition(t *testing.T) {
	checkMetricsTable(t, "### Stage metrics", func() string {
		sim := simulator.New(simKey)
		for stage, items := range simulator.GeneratePipeline(3, 40, time.Now()) {
			sim.SetItems(stage, items)
		}
		args := []string{"--no-collector.embed"}
		for _, name := range collectorNames()[1:] {
			args = append(args, "--collector."+name)
		}
		code, body, _ := serve(testHandler(t, sim, args...), nil)
		if code != 200 {
			t.Fatalf("HTTP %d", code)
		}
		var stage []string // the families of every stage, not the exporter's own
		for _, line := range strings.Split(body, "\n") {
			name := strings.TrimPrefix(strings.TrimPrefix(line, "# HELP "), "# TYPE ")
			name, _, _ = strings.Cut(name, " ")
			name, _, _ = strings.Cut(name, "{")
			if strings.HasPrefix(name, "twelvelabs_exporter") || name == "twelvelabs_up" || strings.HasPrefix(name, "twelvelabs_usage_") ||
				strings.HasPrefix(name, "twelvelabs_api_") || !strings.HasPrefix(name, "twelvelabs_") {
				continue
			}
			stage = append(stage, line)
		}
		return strings.Join(stage, "\n") + "\n"
	})
}
