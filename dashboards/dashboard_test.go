// Package dashboards holds the Grafana dashboards, rendered from
// twelvelabs-mixin/ (make mixin); its test checks them. The mixin's own
// test checks that they are its output and decodes them strictly into
// Grafana's schema types.
package dashboards

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

type dashboard struct {
	UID           string  `json:"uid"`
	Title         string  `json:"title"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []variable `json:"list"`
	} `json:"templating"`
}

type datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type panel struct {
	Type        string      `json:"type"`
	Title       string      `json:"title"`
	Collapsed   bool        `json:"collapsed"`
	Description string      `json:"description"`
	Datasource  *datasource `json:"datasource"`
	FieldConfig struct {
		Defaults struct {
			Unit string `json:"unit"`
		} `json:"defaults"`
	} `json:"fieldConfig"`
	Targets []struct {
		Expr       string      `json:"expr"`
		Datasource *datasource `json:"datasource"`
	} `json:"targets"`
	Panels []panel `json:"panels"`
}

type variable struct {
	Type       string `json:"type"`
	Name       string `json:"name"`
	Query      any    `json:"query"`
	Definition string `json:"definition"`
	Multi      bool   `json:"multi"`
	IncludeAll bool   `json:"includeAll"`
	AllValue   string `json:"allValue"`
	Refresh    int    `json:"refresh"`
}

// rateInterval stands in for $__rate_interval when parsing, so that a
// rate() over any other range can be told apart.
const rateInterval = 61 * time.Second

// Substitute Grafana's variables with values the PromQL parser accepts.
var substitutions = strings.NewReplacer(
	"$__rate_interval", "61s",
	"$job", "VAR_job", "$instance", "VAR_instance", "$api", "VAR_api", "$model_name", "VAR_model_name",
)

// loadAll reads every dashboard file in this folder.
func loadAll(t *testing.T) map[string]dashboard {
	t.Helper()
	files, err := filepath.Glob("*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no dashboards: %v", err)
	}
	out := map[string]dashboard{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d dashboard
		if err := json.Unmarshal(raw, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[f] = d
	}
	return out
}

func TestDashboardsFollowTheRules(t *testing.T) {
	for file, d := range loadAll(t) {
		t.Run(file, func(t *testing.T) {
			if d.UID == "" || len(d.UID) > 40 || d.Title == "" {
				t.Errorf("uid %q title %q: want a stable uid of at most 40 characters and a title", d.UID, d.Title)
			}
			if d.SchemaVersion < 39 {
				t.Errorf("schemaVersion %d, want 39 or later", d.SchemaVersion)
			}
			checkVariables(t, d.Templating.List)
			var rows []string
			for _, p := range flatten(d.Panels) {
				if p.Type == "row" {
					rows = append(rows, p.Title)
					continue
				}
				checkPanel(t, p)
			}
			for _, want := range []string{"Health", "Queue", "Data quality", "Volume"} {
				if !slices.Contains(rows, want) {
					t.Errorf("no %q row (rows: %v)", want, rows)
				}
			}
		})
	}
}

func flatten(ps []panel) []panel {
	var out []panel
	for _, p := range ps {
		out = append(out, p)
		out = append(out, flatten(p.Panels)...)
	}
	return out
}

func checkVariables(t *testing.T, vars []variable) {
	byName := map[string]variable{}
	for _, v := range vars {
		byName[v.Name] = v
	}
	if ds, ok := byName["datasource"]; !ok || ds.Type != "datasource" || ds.Query != "prometheus" {
		t.Errorf("want a datasource variable of type datasource for prometheus, got %+v", ds)
	}
	for _, name := range []string{"job", "instance", "api", "model_name"} {
		v, ok := byName[name]
		if !ok {
			t.Errorf("no %s variable", name)
			continue
		}
		if v.Type != "query" || !v.Multi || !v.IncludeAll || v.AllValue != ".+" {
			t.Errorf("variable %s: want a multi-value query variable with allValue \".+\", got %+v", name, v)
		}
		if v.Refresh != 2 {
			t.Errorf("variable %s: refresh %d, want 2 (on time range change)", name, v.Refresh)
		}
	}
}

func checkPanel(t *testing.T, p panel) {
	t.Helper()
	if p.Title == "" || p.Description == "" || p.FieldConfig.Defaults.Unit == "" {
		t.Errorf("panel %q: want a title, a description and a unit", p.Title)
	}
	if p.Datasource == nil || p.Datasource.UID != "${datasource}" {
		t.Errorf("panel %q: datasource %+v, want ${datasource}", p.Title, p.Datasource)
	}
	if len(p.Targets) == 0 {
		t.Errorf("panel %q has no query", p.Title)
	}
	for _, tg := range p.Targets {
		if tg.Datasource == nil || tg.Datasource.UID != "${datasource}" {
			t.Errorf("panel %q: a query's datasource is %+v, want ${datasource}", p.Title, tg.Datasource)
		}
		for _, problem := range checkQuery(tg.Expr) {
			t.Errorf("panel %q: %s", p.Title, problem)
		}
	}
}

// checkQuery parses a query and walks it: every selector carries the job
// and instance variables, and every rate or increase runs over
// $__rate_interval. It returns what is wrong.
func checkQuery(expr string) (problems []string) {
	e, err := parser.NewParser(parser.Options{}).ParseExpr(substitutions.Replace(expr))
	if err != nil {
		return []string{fmt.Sprintf("%q does not parse: %v", expr, err)}
	}
	parser.Inspect(e, func(node parser.Node, _ []parser.Node) error {
		switch n := node.(type) {
		case *parser.VectorSelector:
			for _, l := range []string{"job", "instance"} {
				if !hasMatcher(n.LabelMatchers, l, "VAR_"+l) {
					problems = append(problems, fmt.Sprintf("selector %s lacks %s=~\"$%s\"", n, l, l))
				}
			}
		case *parser.Call:
			switch n.Func.Name {
			case "rate", "increase", "irate", "delta", "deriv":
				for _, arg := range n.Args {
					if ms, ok := arg.(*parser.MatrixSelector); ok && ms.Range != rateInterval {
						problems = append(problems, fmt.Sprintf("%s over %s, want $__rate_interval", n.Func.Name, ms.Range))
					}
				}
			}
		}
		return nil
	})
	return problems
}

func hasMatcher(ms []*labels.Matcher, name, value string) bool {
	for _, m := range ms {
		if m.Name == name && m.Type == labels.MatchRegexp && m.Value == value {
			return true
		}
	}
	return false
}

// TestCheckQueryCatchesMistakes keeps the checker honest.
func TestCheckQueryCatchesMistakes(t *testing.T) {
	for _, bad := range []string{
		`twelvelabs_up`,
		`twelvelabs_up{job=~"$job"}`,
		`rate(twelvelabs_exporter_api_requests_total{job=~"$job", instance=~"$instance"}[5m])`,
		`sum(twelvelabs_up{job=~"$job", instance=~"$instance"}`,
	} {
		if len(checkQuery(bad)) == 0 {
			t.Errorf("%q passed the checks", bad)
		}
	}
	good := `sum by (code) (rate(twelvelabs_exporter_api_requests_total{job=~"$job", instance=~"$instance"}[$__rate_interval]))`
	if p := checkQuery(good); len(p) != 0 {
		t.Errorf("a good query failed the checks: %v", p)
	}
}

// metricName matches the metric names a query can select.
var metricName = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)

// knownMetrics returns the exporter's metrics, from the README's tables
// (which the exporter's tests keep equal to what it exports), and the
// recording rules of alerts/twelvelabs.rules.yml.
func knownMetrics(t *testing.T) map[string]bool {
	t.Helper()
	known := map[string]bool{}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(readme), "\n") {
		if strings.HasPrefix(line, "| `twelvelabs_") {
			known[strings.Trim(strings.TrimSpace(strings.Split(line, "|")[1]), "`")] = true
		}
	}
	rules, err := os.ReadFile("../alerts/twelvelabs.rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`(?m)^\s+- record: (\S+)$`).FindAllStringSubmatch(string(rules), -1) {
		known[m[1]] = true
	}
	if len(known) < 20 {
		t.Fatalf("found %d metrics in README.md and the rules, want the exporter's tables and the recording rules", len(known))
	}
	return known
}

// selectedMetrics returns the metric names a query selects. A selector
// by a __name__ pattern selects the known metrics the pattern matches, and
// each alternative of the pattern must match one: a pattern that matches
// none is returned as it is, to be reported.
func selectedMetrics(t *testing.T, expr string, known map[string]bool) []string {
	t.Helper()
	e, err := parser.NewParser(parser.Options{}).ParseExpr(substitutions.Replace(expr))
	if err != nil {
		t.Fatalf("%q: %v", expr, err)
	}
	var out []string
	parser.Inspect(e, func(node parser.Node, _ []parser.Node) error {
		vs, ok := node.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		if vs.Name != "" {
			out = append(out, vs.Name)
			return nil
		}
		for _, m := range vs.LabelMatchers {
			if m.Name != "__name__" || m.Type != labels.MatchRegexp {
				continue
			}
			for _, alt := range topAlternatives(m.Value) {
				re := regexp.MustCompile("^(?:" + alt + ")$")
				matched := false
				for name := range known {
					if re.MatchString(name) {
						out = append(out, name)
						matched = true
					}
				}
				if !matched {
					out = append(out, alt)
				}
			}
		}
		return nil
	})
	return out
}

// topAlternatives splits a pattern at the | outside any group.
func topAlternatives(pattern string) []string {
	var out []string
	depth, start := 0, 0
	for i, c := range pattern {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
		case '|':
			if depth == 0 {
				out = append(out, pattern[start:i])
				start = i + 1
			}
		}
	}
	return append(out, pattern[start:])
}

// sometimesAbsent are the metrics an exporter does not always export: the
// rate-limit headers until the API sends them, the configuration and the
// budgets without --config.file.
var sometimesAbsent = regexp.MustCompile(`^twelvelabs_exporter_(rate_limit_|config_|accounts$|budget_)`)

// TestPanelsSelectTheExportersMetrics: every query selects a metric the
// exporter exports or a recording rule of the rules file, so that a
// renamed metric does not leave a panel empty. The end-to-end test runs the
// queries of the panels outside collapsed rows on a real Prometheus and
// wants data from each; the panels of metrics that are not always there
// live in collapsed rows, and only those.
func TestPanelsSelectTheExportersMetrics(t *testing.T) {
	known := knownMetrics(t)
	for file, d := range loadAll(t) {
		t.Run(file, func(t *testing.T) {
			check := func(p panel, collapsed bool) {
				optional := false
				for _, tg := range p.Targets {
					for _, name := range selectedMetrics(t, tg.Expr, known) {
						if !metricName.MatchString(name) || !known[name] {
							t.Errorf("panel %q selects %q, neither a metric of the README's tables nor a recording rule", p.Title, name)
						}
						optional = optional || sometimesAbsent.MatchString(name)
					}
				}
				if optional != collapsed {
					t.Errorf("panel %q: in a collapsed row %v, selects metrics that are not always exported %v; want both or neither", p.Title, collapsed, optional)
				}
			}
			for _, p := range d.Panels {
				if p.Type != "row" {
					check(p, false)
					continue
				}
				if !p.Collapsed && len(p.Panels) > 0 {
					t.Errorf("row %q is open but holds panels", p.Title)
				}
				for _, inner := range p.Panels {
					check(inner, true)
				}
			}
		})
	}
}
