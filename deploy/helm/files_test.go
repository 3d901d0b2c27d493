// Package helm holds the tests of the Helm chart in twelvelabs-exporter/
// and of the kustomize base in ../kubernetes. Run them with
// deploy/helm-check.sh, or here with go test ./... (the tools they need are
// then built from the Go module proxy).
package helm

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
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
// copies, and this test keeps them equal. The sources are rendered from
// twelvelabs-mixin/, and `make mixin` writes these copies too.
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
			t.Errorf("deploy/helm/%s/%s differs from %s: run make mixin (or `go test ./... -update` in deploy/helm)", chartDir, cp, src)
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
		for _, want := range []string{"serviceMonitor", "prometheusRule", "probe", "dashboard", "additionalLabels", "releaseLabel", "release", "kube-prometheus-stack"} {
			if !bytes.Contains(raw, []byte(want)) {
				t.Errorf("%s does not mention %s", name, want)
			}
		}
	}
}

// TestReadmeTableHasEveryValue: helm-docs leaves out a value without a
// "# --" comment; every value is in the README's table, itself or under a
// documented parent. deploy/helm-check.sh checks the table is up to date.
func TestReadmeTableHasEveryValue(t *testing.T) {
	var values map[string]any
	if err := yaml.Unmarshal(readFile(t, chartDir, "values.yaml"), &values); err != nil {
		t.Fatal(err)
	}
	// helm-docs' rows: "| key | type | default | description |".
	documented := map[string]bool{}
	row := regexp.MustCompile(`^\| ([A-Za-z0-9_.]+) \| [a-z]+ \| `)
	for _, line := range strings.Split(string(readFile(t, chartDir, "README.md")), "\n") {
		if m := row.FindStringSubmatch(line); m != nil {
			documented[m[1]] = true
		}
	}
	if len(documented) == 0 {
		t.Fatal("README.md has no helm-docs values table: run helm-docs (see deploy/helm-check.sh)")
	}
	var walk func(prefix string, v map[string]any)
	walk = func(prefix string, v map[string]any) {
		for k, val := range v {
			key := prefix + k
			if documented[key] {
				continue
			}
			if m, ok := val.(map[string]any); ok && len(m) > 0 {
				walk(key+".", m)
				continue
			}
			t.Errorf("value %s is not in the README's table: give it a \"# --\" comment in values.yaml", key)
		}
	}
	walk("", values)
}

// TestChartArtifactHubImages keeps the images Artifact Hub lists equal to
// those the chart runs.
func TestChartArtifactHubImages(t *testing.T) {
	var chart struct {
		AppVersion  string            `json:"appVersion"`
		Annotations map[string]string `json:"annotations"`
	}
	if err := yaml.Unmarshal(readFile(t, chartDir, "Chart.yaml"), &chart); err != nil {
		t.Fatal(err)
	}
	var values struct {
		Image struct {
			Repository string `json:"repository"`
		} `json:"image"`
		Tests struct {
			Image struct {
				Repository string `json:"repository"`
				Tag        string `json:"tag"`
			} `json:"image"`
		} `json:"tests"`
	}
	if err := yaml.Unmarshal(readFile(t, chartDir, "values.yaml"), &values); err != nil {
		t.Fatal(err)
	}
	var images []struct {
		Name  string `json:"name"`
		Image string `json:"image"`
	}
	if err := yaml.UnmarshalStrict([]byte(chart.Annotations["artifacthub.io/images"]), &images); err != nil {
		t.Fatalf("artifacthub.io/images: %v", err)
	}
	var got []string
	for _, im := range images {
		got = append(got, im.Image)
	}
	want := []string{values.Image.Repository + ":" + chart.AppVersion, values.Tests.Image.Repository + ":" + values.Tests.Image.Tag}
	if !slices.Equal(got, want) {
		t.Errorf("artifacthub.io/images %q, want %q", got, want)
	}
	for _, key := range []string{"artifacthub.io/license", "artifacthub.io/links", "artifacthub.io/changes"} {
		if chart.Annotations[key] == "" {
			t.Errorf("Chart.yaml has no %s annotation", key)
		}
	}
	var changes []struct {
		Kind        string `json:"kind"`
		Description string `json:"description"`
	}
	if err := yaml.UnmarshalStrict([]byte(chart.Annotations["artifacthub.io/changes"]), &changes); err != nil || len(changes) == 0 {
		t.Errorf("artifacthub.io/changes: %v", err)
	}
}

// TestReadmeIsHelmDocsOutput: README.md is what helm-docs makes of
// README.md.gotmpl and values.yaml, run on a copy of the chart.
func TestReadmeIsHelmDocsOutput(t *testing.T) {
	dir := filepath.Join(t.TempDir(), chartDir)
	if err := os.CopyFS(dir, os.DirFS(chartDir)); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(helmDocs(t), append([]string{"--chart-search-root=" + dir}, helmDocsArgs...)...)
	if out, err := cmd.CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("helm-docs: %v\n%s", err, out)
	}
	if got := readFile(t, dir, "README.md"); !bytes.Equal(got, readFile(t, chartDir, "README.md")) {
		t.Errorf("deploy/helm/%s/README.md is not helm-docs' output: edit README.md.gotmpl or values.yaml, then run in deploy/helm: helm-docs --chart-search-root=%s %s",
			chartDir, chartDir, strings.Join(helmDocsArgs, " "))
	}
}
