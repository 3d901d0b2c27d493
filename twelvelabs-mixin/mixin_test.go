package mixin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"
)

const repoRoot = ".."

// TestCheckedInFilesAreRendered: the rules file, the dashboard and the Helm
// chart's copies of them are what the mixin renders, byte for byte.
func TestCheckedInFilesAreRendered(t *testing.T) {
	files, err := Render(Dir(), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{RulesFile, DashboardFile} {
		if _, ok := files[name]; !ok {
			t.Errorf("the mixin renders no %s", name)
		}
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(repoRoot, name))
		if err != nil {
			t.Errorf("%v: run make mixin", err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is not what twelvelabs-mixin renders: edit the mixin, then run make mixin", name)
		}
	}
}

type rule struct {
	Record      string            `yaml:"record"`
	Alert       string            `yaml:"alert"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

type ruleGroups struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []rule `yaml:"rules"`
	} `yaml:"groups"`
}

func render(t *testing.T, override string) (ruleGroups, []byte) {
	t.Helper()
	files, err := Render(Dir(), override)
	if err != nil {
		t.Fatal(err)
	}
	var g ruleGroups
	dec := yaml.NewDecoder(bytes.NewReader(files[RulesFile]))
	dec.KnownFields(true)
	if err := dec.Decode(&g); err != nil {
		t.Fatal(err)
	}
	return g, files[DashboardFile]
}

func rulesOf(g ruleGroups) []rule {
	var out []rule
	for _, gr := range g.Groups {
		out = append(out, gr.Rules...)
	}
	return out
}

// selectors returns the vector selectors of a PromQL expression.
func selectors(t *testing.T, expr string) []*parser.VectorSelector {
	t.Helper()
	e, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
	if err != nil {
		t.Fatalf("%q: %v", expr, err)
	}
	var out []*parser.VectorSelector
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			out = append(out, vs)
		}
		return nil
	})
	return out
}

func hasMatcher(vs *parser.VectorSelector, typ labels.MatchType, name, value string) bool {
	return slices.ContainsFunc(vs.LabelMatchers, func(m *labels.Matcher) bool {
		return m.Type == typ && m.Name == name && m.Value == value
	})
}

// onlyExporterNames tells whether a selector without a metric name selects
// by a __name__ pattern that every alternative of starts with twelvelabs_:
// the exporter's series, never another's.
func onlyExporterNames(vs *parser.VectorSelector) bool {
	return slices.ContainsFunc(vs.LabelMatchers, func(m *labels.Matcher) bool {
		if m.Type != labels.MatchRegexp || m.Name != "__name__" {
			return false
		}
		depth, start := 0, 0
		for i := 0; i <= len(m.Value); i++ {
			if i < len(m.Value) {
				switch m.Value[i] {
				case '(':
					depth++
					continue
				case ')':
					depth--
					continue
				case '|':
					if depth > 0 {
						continue
					}
				default:
					continue
				}
			}
			if !strings.HasPrefix(m.Value[start:i], "twelvelabs_") {
				return false
			}
			start = i + 1
		}
		return true
	})
}

// TestNoRuleNamesAJob: by default no rule selects by job; the exporter's
// series are told apart by their names.
func TestNoRuleNamesAJob(t *testing.T) {
	g, _ := render(t, "")
	if len(g.Groups) != 1 || g.Groups[0].Name != "twelvelabs" {
		t.Errorf("want one group named twelvelabs, got %+v", g.Groups)
	}
	for _, r := range rulesOf(g) {
		for _, vs := range selectors(t, r.Expr) {
			for _, m := range vs.LabelMatchers {
				if m.Name == "job" {
					t.Errorf("%s%s: %s selects by job", r.Alert, r.Record, vs)
				}
			}
		}
	}
}

// TestUserOverrides builds the mixin as a user would configure it: a
// selector, a cluster label, a severity, a threshold, a disabled alert and
// a runbook of their own.
func TestUserOverrides(t *testing.T) {
	g, dash := render(t, `{ _config+:: {
		selector: 'job="tl-prod", namespace="monitoring"',
		clusterLabel: 'k8s_cluster',
		runbookURLPattern: 'https://runbooks.example.com/twelvelabs/%s',
		alerts+: {
			TwelveLabsExporterDown+: { severity: 'page', 'for': '2m' },
			TwelveLabsDataStale+: { thresholdSeconds: 3600 },
			TwelveLabsBacklogGrowing+: { enabled: false },
		},
	} }`)
	rules := rulesOf(g)
	for _, r := range rules {
		name := r.Alert + r.Record
		for _, vs := range selectors(t, r.Expr) {
			if vs.Name == "" && !onlyExporterNames(vs) {
				t.Errorf("%s: %s selects no metric of the exporter", name, vs)
			}
			if strings.Contains(vs.Name, ":") {
				continue // a recorded series carries the labels of its sources
			}
			if !hasMatcher(vs, labels.MatchEqual, "job", "tl-prod") || !hasMatcher(vs, labels.MatchEqual, "namespace", "monitoring") {
				t.Errorf("%s: %s lacks the selector", name, vs)
			}
		}
		if strings.Contains(r.Expr, " on (") && !strings.Contains(r.Expr, " on (k8s_cluster, job, instance") {
			t.Errorf("%s: joins without the cluster label: %s", name, r.Expr)
		}
		if strings.Contains(r.Expr, " by (") && !strings.Contains(r.Expr, " by (k8s_cluster, job, instance") {
			t.Errorf("%s: aggregates without the cluster label: %s", name, r.Expr)
		}
		if r.Alert != "" && r.Annotations["runbook_url"] != "https://runbooks.example.com/twelvelabs/"+strings.ToLower(r.Alert) {
			t.Errorf("%s: runbook_url %q", name, r.Annotations["runbook_url"])
		}
		switch r.Alert {
		case "TwelveLabsExporterDown":
			if r.Labels["severity"] != "page" || r.For != "2m" || !strings.Contains(r.Annotations["description"], "for 2 minutes") {
				t.Errorf("%s: severity %q, for %q, description %q; want page, 2m", name, r.Labels["severity"], r.For, r.Annotations["description"])
			}
		case "TwelveLabsDataStale":
			if !strings.HasSuffix(strings.TrimSpace(r.Expr), "> 3600") || r.Annotations["summary"] != "TwelveLabs task metrics are more than an hour old." {
				t.Errorf("%s: %q, %q", name, r.Expr, r.Annotations["summary"])
			}
		case "TwelveLabsListingFailing":
			if !strings.Contains(r.Annotations["description"], "{k8s_cluster=%q,") || !strings.Contains(r.Annotations["description"], "$labels.k8s_cluster") {
				t.Errorf("%s: the description's query ignores the cluster label: %s", name, r.Annotations["description"])
			}
		case "TwelveLabsBacklogGrowing":
			t.Errorf("%s is disabled but rendered", name)
		}
	}
	if n := len(rules); n != 32 {
		t.Errorf("%d rules, want 13 recording rules and 19 alerts", n)
	}
	_, panels := decodeStrict(t, dash)
	for title, q := range queries(t, panels) {
		for _, vs := range selectors(t, grafanaVars.Replace(q)) {
			if !hasMatcher(vs, labels.MatchEqual, "namespace", "monitoring") {
				t.Errorf("panel %s: %s lacks the selector", title, vs)
			}
		}
	}
}

var grafanaVars = strings.NewReplacer("$__rate_interval", "1m", "$", "VAR_")

// grafanaDashboard is the classic dashboard JSON model (schemaVersion 39),
// the one Grafana's file provisioning, its sidecar and dashboard import
// read; the SDK's dashboardv2 is the newer resource format.
type grafanaDashboard = dashboard.Dashboard //nolint:staticcheck // the JSON model this dashboard is written in; see above

// decodeStrict decodes a dashboard into Grafana's own schema types,
// refusing any field they do not know, in the panels' options and queries
// too, and returns it with its panels, those of collapsed rows too.
func decodeStrict(t *testing.T, raw []byte) (*grafanaDashboard, []panel) {
	t.Helper()
	plugins.RegisterDefaultPlugins()
	var d grafanaDashboard
	if err := strictErr(d.UnmarshalJSONStrict(raw)); err != nil {
		t.Fatalf("the dashboard does not decode strictly into Grafana's schema:\n%v", err)
	}
	// The SDK's PanelOrRowPanel, and Panel's targets, drop what they
	// decoded (the empty error below): decode each panel and each of its
	// queries here, as they would.
	var doc struct {
		Panels []json.RawMessage `json:"panels"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var flat []json.RawMessage
	for i, p := range doc.Panels {
		var row struct {
			Type   string            `json:"type"`
			Panels []json.RawMessage `json:"panels"`
		}
		if err := json.Unmarshal(p, &row); err != nil {
			t.Fatal(err)
		}
		if row.Type != "row" {
			flat = append(flat, p)
			continue
		}
		var rp dashboard.RowPanel
		if err := strictErr(rp.UnmarshalJSONStrict(p)); err != nil {
			t.Fatalf("panels[%d]: %v", i, err)
		}
		flat = append(flat, row.Panels...)
	}
	var panels []panel
	for _, p := range flat {
		var dp dashboard.Panel
		if err := strictErr(dp.UnmarshalJSONStrict(p)); err != nil {
			t.Fatalf("panel %s: %v", p, err)
		}
		var targets struct {
			Targets []json.RawMessage `json:"targets"`
		}
		if err := json.Unmarshal(p, &targets); err != nil {
			t.Fatal(err)
		}
		out := panel{Panel: dp}
		for i, tg := range targets.Targets {
			var q prometheus.Dataquery
			if err := strictErr(q.UnmarshalJSONStrict(tg)); err != nil {
				t.Fatalf("panel %v: targets[%d]: %v", dp.Title, i, err)
			}
			out.Queries = append(out.Queries, q)
		}
		panels = append(panels, out)
	}
	return &d, panels
}

// panel is a panel with its Prometheus queries.
type panel struct {
	dashboard.Panel
	Queries []prometheus.Dataquery
}

// strictErr: the SDK returns its BuildErrors, nil or not, as an error, so
// that an empty list is a non-nil error.
func strictErr(err error) error {
	var be cog.BuildErrors
	if errors.As(err, &be) && len(be) == 0 {
		return nil
	}
	return err
}

// queries returns every panel's queries by "title #n".
func queries(t *testing.T, panels []panel) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, p := range panels {
		title := ""
		if p.Title != nil {
			title = *p.Title
		}
		if len(p.Queries) == 0 {
			t.Errorf("panel %s has no query", title)
		}
		for i, q := range p.Queries {
			if q.Expr == "" {
				t.Errorf("panel %s: query %d has no expr", title, i+1)
			}
			out[fmt.Sprintf("%s #%d", title, i+1)] = q.Expr
		}
	}
	return out
}

func TestDashboardDecodesStrictlyIntoGrafanaSchema(t *testing.T) {
	_, raw := render(t, "")
	d, panels := decodeStrict(t, raw)
	if d.Uid == nil || *d.Uid != "twelvelabs-embed-tasks" || d.Title == nil || *d.Title != "TwelveLabs embedding tasks" {
		t.Errorf("uid %v, title %v", d.Uid, d.Title)
	}
	titles := map[string]bool{}
	for _, p := range panels {
		if p.Title != nil {
			titles[*p.Title] = true
		}
	}
	// The panels issue 20 asked for, beside the ones before it.
	for _, want := range []string{
		"Rate limit: remaining of the limit", "Rate limit: window resets in",
		"Budget remaining", "Budget refusals per minute",
		"Config reload", "Config reloads",
		"Folded label values", "Malformed fields per minute",
	} {
		if !titles[want] {
			t.Errorf("no panel %q", want)
		}
	}
	if n := len(queries(t, panels)); n < 25 {
		t.Errorf("%d queries, want every panel's", n)
	}
	for _, v := range d.Templating.List {
		if v.Name == "cluster" {
			t.Error("a cluster variable without showMultiCluster")
		}
	}
	// Strictness: an unknown field is refused.
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	m["notAField"] = true
	bad, _ := json.Marshal(m)
	var d2 grafanaDashboard
	if err := strictErr(d2.UnmarshalJSONStrict(bad)); err == nil || !strings.Contains(err.Error(), "notAField") {
		t.Error("strict decoding accepted an unknown field")
	}
	var q prometheus.Dataquery
	if err := strictErr(q.UnmarshalJSONStrict([]byte(`{"refId": "A", "expr": "up", "notAField": 1}`))); err == nil || !strings.Contains(err.Error(), "notAField") {
		t.Error("strict decoding accepted an unknown field in a query")
	}
	var p dashboard.Panel
	if err := strictErr(p.UnmarshalJSONStrict([]byte(`{"type": "timeseries", "options": {"legend": {"notAField": 1}}}`))); err == nil || !strings.Contains(err.Error(), "notAField") {
		t.Errorf("strict decoding accepted an unknown field in a panel's options: %v", err)
	}
}

// TestMultiCluster: with showMultiCluster the dashboard gets a cluster
// variable and every query selects by it.
func TestMultiCluster(t *testing.T) {
	_, raw := render(t, `{ _config+:: { showMultiCluster: true } }`)
	d, panels := decodeStrict(t, raw)
	var names []string
	for _, v := range d.Templating.List {
		names = append(names, v.Name)
	}
	if !slices.Equal(names, []string{"datasource", "cluster", "job", "instance", "api", "model_name"}) {
		t.Errorf("variables %v, want cluster after datasource", names)
	}
	for title, q := range queries(t, panels) {
		for _, vs := range selectors(t, grafanaVars.Replace(q)) {
			if !hasMatcher(vs, labels.MatchRegexp, "cluster", "VAR_cluster") {
				t.Errorf("panel %s: %s lacks cluster=~\"$cluster\"", title, vs)
			}
		}
	}
}
