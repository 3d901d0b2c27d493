// Package helm holds the tests of the Helm chart in twelvelabs-exporter/
// and of the kustomize base in ../kubernetes. Run them with
// deploy/helm-check.sh, or here with go test ./... (the tools they need are
// then built from the Go module proxy).
package helm

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "copy alerts/twelvelabs.rules.yml and dashboards/twelvelabs.json into the chart's files/")

const (
	chartDir = "twelvelabs-exporter"
	repoRoot = "../.."
)

// copies maps each file of the chart's files/ to its one source in the
// repository. Helm cannot read files outside the chart, so the chart keeps
// copies, and this test keeps them equal.
var copies = map[string]string{
	"files/twelvelabs.rules.yml": "alerts/twelvelabs.rules.yml",
	"files/twelvelabs.json":      "dashboards/twelvelabs.json",
}

func TestChartFilesMatchTheirSources(t *testing.T) {
	for cp, src := range copies {
		want, err := os.ReadFile(filepath.Join(repoRoot, src))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(chartDir, cp)
		if *update {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%v: run go test ./... -update in deploy/helm", err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("deploy/helm/%s/%s differs from %s: run `go test ./... -update` in deploy/helm", chartDir, cp, src)
		}
	}
	entries, err := os.ReadDir(filepath.Join(chartDir, "files"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if _, ok := copies["files/"+e.Name()]; !ok {
			t.Errorf("%s/files/%s is no copy this test keeps up to date", chartDir, e.Name())
		}
	}
}

func TestChartAppVersionIsVERSION(t *testing.T) {
	version, err := os.ReadFile(filepath.Join(repoRoot, "VERSION"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(chartDir, "Chart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var chart struct {
		APIVersion  string            `json:"apiVersion"`
		Name        string            `json:"name"`
		Version     string            `json:"version"`
		AppVersion  string            `json:"appVersion"`
		Description string            `json:"description"`
		Type        string            `json:"type"`
		Home        string            `json:"home"`
		Sources     []string          `json:"sources"`
		Keywords    []string          `json:"keywords"`
		Annotations map[string]string `json:"annotations"`
	}
	if err := yaml.UnmarshalStrict(raw, &chart); err != nil {
		t.Fatalf("Chart.yaml: %v", err)
	}
	if v := strings.TrimSpace(string(version)); chart.AppVersion != v {
		t.Errorf("Chart.yaml appVersion %q, want VERSION's %q", chart.AppVersion, v)
	}
	if chart.APIVersion != "v2" || chart.Name != chartDir || chart.Version == "" {
		t.Errorf("Chart.yaml: apiVersion %q, name %q, version %q", chart.APIVersion, chart.Name, chart.Version)
	}
}

// TestValuesDocumentTheReleaseLabel keeps the hint kube-prometheus-stack
// users need next to the values they set it in.
func TestValuesDocumentTheReleaseLabel(t *testing.T) {
	for _, name := range []string{filepath.Join(chartDir, "values.yaml"), filepath.Join(chartDir, "README.md")} {
		raw, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"serviceMonitor", "prometheusRule", "dashboard", "additionalLabels", "release", "kube-prometheus-stack"} {
			if !bytes.Contains(raw, []byte(want)) {
				t.Errorf("%s does not mention %s", name, want)
			}
		}
	}
	// Every top-level value is in the README's table.
	raw, err := os.ReadFile(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var values map[string]any
	if err := yaml.Unmarshal(raw, &values); err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(chartDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	// The first cell of a row names one value or several: "| `a`, `b` |".
	var documented []string
	for _, line := range strings.Split(string(readme), "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cell, _, _ := strings.Cut(strings.TrimPrefix(line, "| "), " |")
		for _, m := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(cell, -1) {
			documented = append(documented, m[1])
		}
	}
	for key := range values {
		if !slices.ContainsFunc(documented, func(d string) bool { return d == key || strings.HasPrefix(d, key+".") }) {
			t.Errorf("value %s is not in the README's table of values", key)
		}
	}
}
