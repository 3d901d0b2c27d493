// Package alerts holds the Prometheus rules, rendered from twelvelabs-mixin/
// (make mixin), and their runbook; its tests check the rules' conventions
// and run promtool on them.
package alerts

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"

	"github.com/twelvelabs-community/twelvelabs_exporter/client"
	"github.com/twelvelabs-community/twelvelabs_exporter/collector"
)

const (
	rulesFile = "twelvelabs.rules.yml"
	testsFile = "twelvelabs.rules.test.yml"
	runbook   = "runbook.md"
	repoURL   = "https://github.com/twelvelabs-community/twelvelabs_exporter/blob/main/alerts/runbook.md#"
)

var (
	alertName  = regexp.MustCompile(`^TwelveLabs[A-Z][A-Za-z0-9]*$`)
	recordName = regexp.MustCompile(`^[a-z][a-z0-9_]*:[a-z][a-z0-9_]*:[a-z][a-z0-9_]*$`)
)

func loadRules(t *testing.T) []rulefmt.Rule {
	t.Helper()
	groups, errs := rulefmt.ParseFile(rulesFile, false, model.UTF8Validation, parser.NewParser(parser.Options{}), slog.New(slog.DiscardHandler))
	for _, err := range errs {
		t.Error(err)
	}
	if groups == nil {
		t.FailNow()
	}
	var rules []rulefmt.Rule
	for _, g := range groups.Groups {
		rules = append(rules, g.Rules...)
	}
	return rules
}

func TestRulesFollowTheConventions(t *testing.T) {
	book, err := os.ReadFile(runbook)
	if err != nil {
		t.Fatal(err)
	}
	alerts := 0
	for _, r := range loadRules(t) {
		if r.Record != "" {
			if !recordName.MatchString(r.Record) {
				t.Errorf("recording rule %q: want level:metric:operations", r.Record)
			}
			continue
		}
		alerts++
		name := r.Alert
		if !alertName.MatchString(name) {
			t.Errorf("alert %q: want CamelCase with the TwelveLabs prefix", name)
		}
		switch r.Labels["severity"] {
		case "critical", "warning", "info":
		default:
			t.Errorf("%s: severity %q, want critical, warning or info", name, r.Labels["severity"])
		}
		if s := r.Annotations["summary"]; s == "" || strings.Contains(s, "{{") {
			t.Errorf("%s: summary %q, want a static text", name, s)
		}
		if d := r.Annotations["description"]; !strings.Contains(d, "{{") {
			t.Errorf("%s: description %q, want a templated text", name, d)
		}
		anchor := strings.ToLower(name)
		if u := r.Annotations["runbook_url"]; u != repoURL+anchor {
			t.Errorf("%s: runbook_url %q, want %s", name, u, repoURL+anchor)
		}
		if !strings.Contains(string(book), "\n## "+name+"\n") {
			t.Errorf("%s: %s has no section headed %q", name, runbook, "## "+name)
		}
	}
	if alerts < 7 {
		t.Errorf("%d alerts, want at least 7", alerts)
	}
}

// TestEveryAlertIsTestedBothWays reads the promtool tests: each alert must
// be expected to fire at some time and to stay silent at another.
func TestEveryAlertIsTestedBothWays(t *testing.T) {
	raw, err := os.ReadFile(testsFile)
	if err != nil {
		t.Fatal(err)
	}
	var tf struct {
		Tests []struct {
			AlertRuleTest []struct {
				Alertname string `yaml:"alertname"`
				ExpAlerts []any  `yaml:"exp_alerts"`
			} `yaml:"alert_rule_test"`
		} `yaml:"tests"`
	}
	if err := yaml.Unmarshal(raw, &tf); err != nil {
		t.Fatal(err)
	}
	fires, silent := map[string]bool{}, map[string]bool{}
	for _, tc := range tf.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				fires[a.Alertname] = true
			} else {
				silent[a.Alertname] = true
			}
		}
	}
	for _, r := range loadRules(t) {
		if r.Alert != "" && (!fires[r.Alert] || !silent[r.Alert]) {
			t.Errorf("%s: tested firing %v, not firing %v; want both", r.Alert, fires[r.Alert], silent[r.Alert])
		}
	}
}

// promtool runs Debian's promtool; in CI its absence is a failure, not a skip.
func promtool(t *testing.T, args ...string) {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("promtool is not installed: apt-get install prometheus")
		}
		t.Skip("promtool is not installed (apt-get install prometheus); CI runs this test")
	}
	out, err := exec.Command(path, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func TestPromtoolCheckRules(t *testing.T) { promtool(t, "check", "rules", rulesFile) }

func TestPromtoolTestRules(t *testing.T) { promtool(t, "test", "rules", testsFile) }

// TestReasonsAreTheExportersOwn checks the rules' reason="…" and
// reason=~"a|b" matchers against the set of the metric they select (the
// listing failures' client.Reasons, the resyncs' own), so that a typo does
// not silently select nothing, and the runbook's table of reasons against
// client.Reasons, so that a new reason gets a row.
func TestReasonsAreTheExportersOwn(t *testing.T) {
	failures := map[string]bool{}
	for _, r := range client.Reasons {
		failures[string(r)] = true
	}
	resyncs := resyncReasons(t)
	// The metrics with a reason label, raw or recorded, and their reasons.
	reasonsOf := func(metric string) map[string]bool {
		switch {
		case strings.Contains(metric, "twelvelabs_exporter_listing_failures"):
			return failures
		case strings.Contains(metric, "twelvelabs_exporter_resyncs"):
			return resyncs
		}
		return nil
	}
	p := parser.NewParser(parser.Options{})
	for _, r := range loadRules(t) {
		name := r.Alert + r.Record
		e, err := p.ParseExpr(r.Expr)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		parser.Inspect(e, func(node parser.Node, _ []parser.Node) error {
			vs, ok := node.(*parser.VectorSelector)
			if !ok {
				return nil
			}
			for _, m := range vs.LabelMatchers {
				if m.Name != "reason" {
					continue
				}
				known := reasonsOf(vs.Name)
				if known == nil {
					t.Errorf("%s: %s: %s has no reasons this test knows of", name, m, vs.Name)
					continue
				}
				if m.Type != labels.MatchEqual && m.Type != labels.MatchRegexp {
					t.Errorf("%s: %s: select reasons with = or =~ of a list, so that they can be checked", name, m)
					continue
				}
				for _, v := range strings.Split(m.Value, "|") {
					if !known[v] {
						t.Errorf("%s: %s: %q is not a reason the exporter counts in %s (%v)", name, m, v, vs.Name, slices.Sorted(maps.Keys(known)))
					}
				}
			}
			return nil
		})
	}
	book, err := os.ReadFile(runbook)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range client.Reasons {
		if !strings.Contains(string(book), "\n| `"+string(r)+"` |") {
			t.Errorf("%s has no row for reason %s in its table of reasons", runbook, r)
		}
	}
}

// failingLister answers every listing with an error.
type failingLister struct{}

func (failingLister) List(context.Context, client.Query) (*client.Listing, error) {
	return nil, errors.New("no listing in this test")
}

// resyncReasons returns the reasons the exporter zero-fills in
// twelvelabs_exporter_resyncs_total, read from a scrape of the collector
// itself rather than copied here.
func resyncReasons(t *testing.T) map[string]bool {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collector.New(failingLister{}, collector.Options{}).Collector(context.Background()))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, mf := range mfs {
		if mf.GetName() != "twelvelabs_exporter_resyncs_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "reason" {
					out[l.GetValue()] = true
				}
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("a scrape of the collector has no twelvelabs_exporter_resyncs_total{reason}")
	}
	return out
}

// TestOnlyTheKeyAlertSaysRotate: a refused plan or region, or any other
// failure, is not mended by a new key, and an alert that says so sends
// on-call the wrong way.
func TestOnlyTheKeyAlertSaysRotate(t *testing.T) {
	for _, r := range loadRules(t) {
		if r.Alert == "" || r.Alert == "TwelveLabsAPIKeyRejected" {
			continue
		}
		for k, v := range r.Annotations {
			if strings.Contains(strings.ToLower(v), "rotat") {
				t.Errorf("%s: annotation %s says to rotate the key: %q", r.Alert, k, v)
			}
		}
	}
}

// TestNoRuleNamesAJob: the rules tell the exporter's series apart by their
// names, not by a job name a user may not have chosen (twelvelabs-mixin's
// _config.selector adds one where wanted).
func TestNoRuleNamesAJob(t *testing.T) {
	p := parser.NewParser(parser.Options{})
	for _, r := range loadRules(t) {
		e, err := p.ParseExpr(r.Expr)
		if err != nil {
			t.Errorf("%s%s: %v", r.Alert, r.Record, err)
			continue
		}
		parser.Inspect(e, func(node parser.Node, _ []parser.Node) error {
			if vs, ok := node.(*parser.VectorSelector); ok {
				for _, m := range vs.LabelMatchers {
					if m.Name == "job" {
						t.Errorf("%s%s: %s selects by job", r.Alert, r.Record, vs)
					}
				}
			}
			return nil
		})
	}
}
