// Package kubernetes holds the Kubernetes manifests; its test checks them
// against the exporter, the rules and the dashboard.
package kubernetes

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "regenerate prometheusrule.yaml and grafana-dashboard.yaml")

const (
	rulesFile     = "../../alerts/twelvelabs.rules.yml"
	dashboardFile = "../../dashboards/twelvelabs.json"
	generatedNote = "# Generated from %s by `go test ./deploy/kubernetes -update` (make mixin runs it); edit twelvelabs-mixin/, not this file.\n"
)

type object = map[string]any

func load(t *testing.T, name string) object {
	t.Helper()
	raw, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var o object
	if err := yaml.Unmarshal(raw, &o); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return o
}

// get walks a path of keys and indices ("spec", "template", 0, …).
func get(o any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := o.(map[string]any)
			if !ok {
				return nil
			}
			o = m[k]
		case int:
			l, ok := o.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			o = l[k]
		}
	}
	return o
}

func TestGeneratedManifestsMatchTheirSources(t *testing.T) {
	rules, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	dashboard, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		var spec yaml.Node
		if err := yaml.Unmarshal(rules, &spec); err != nil {
			t.Fatal(err)
		}
		writeYAML(t, "prometheusrule.yaml", strings.Replace(generatedNote, "%s", "alerts/twelvelabs.rules.yml", 1), map[string]any{
			"apiVersion": "monitoring.coreos.com/v1",
			"kind":       "PrometheusRule",
			"metadata":   map[string]any{"name": "twelvelabs-exporter", "labels": map[string]any{"app.kubernetes.io/name": "twelvelabs-exporter"}},
			"spec":       spec.Content[0],
		})
		writeYAML(t, "grafana-dashboard.yaml", strings.Replace(generatedNote, "%s", "dashboards/twelvelabs.json", 1), map[string]any{
			"apiVersion": "v1",
			"kind":       "ConfigMap",
			"metadata": map[string]any{"name": "twelvelabs-exporter-dashboard", "labels": map[string]any{
				"app.kubernetes.io/name": "twelvelabs-exporter", "grafana_dashboard": "1"}},
			"data": map[string]any{"twelvelabs.json": string(dashboard)},
		})
	}
	var wantSpec any
	if err := yaml.Unmarshal(rules, &wantSpec); err != nil {
		t.Fatal(err)
	}
	pr := load(t, "prometheusrule.yaml")
	if !reflect.DeepEqual(pr["spec"], wantSpec) {
		t.Error("prometheusrule.yaml differs from alerts/twelvelabs.rules.yml: run go test ./deploy/kubernetes -update")
	}
	cm := load(t, "grafana-dashboard.yaml")
	if get(cm, "data", "twelvelabs.json") != string(dashboard) {
		t.Error("grafana-dashboard.yaml differs from dashboards/twelvelabs.json: run go test ./deploy/kubernetes -update")
	}
	if get(cm, "metadata", "labels", "grafana_dashboard") != "1" {
		t.Error("the dashboard ConfigMap lacks the grafana_dashboard label Grafana's sidecar looks for")
	}
}

func writeYAML(t *testing.T, name, header string, v any) {
	t.Helper()
	var buf bytes.Buffer
	buf.WriteString(header)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestPrometheusRulePassesPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("promtool is not installed: apt-get install prometheus")
		}
		t.Skip("promtool is not installed (apt-get install prometheus); CI runs this test")
	}
	spec, err := yaml.Marshal(load(t, "prometheusrule.yaml")["spec"])
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "rules.yml")
	if err := os.WriteFile(path, spec, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "rules", path).CombinedOutput(); err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
}

// readmeFlags reads the flag table of the README, which a test of the
// exporter keeps equal to its flags.
func readmeFlags(t *testing.T) map[string]string {
	t.Helper()
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	flags := map[string]string{}
	for _, line := range strings.Split(string(raw), "\n") {
		if !strings.HasPrefix(line, "| `--") {
			continue
		}
		cells := strings.Split(line, "|")
		flags[strings.Trim(strings.TrimSpace(cells[1]), "`")] = strings.Trim(strings.TrimSpace(cells[2]), "`")
	}
	return flags
}

func TestManifestsAgreeWithTheExporter(t *testing.T) {
	kust := load(t, "kustomization.yaml")
	files, _ := filepath.Glob("*.yaml")
	var listed []string
	for _, r := range get(kust, "resources").([]any) {
		listed = append(listed, r.(string))
	}
	for _, f := range files {
		if f != "kustomization.yaml" && !slices.Contains(listed, f) {
			t.Errorf("%s is not in kustomization.yaml's resources", f)
		}
	}
	kinds := map[string]object{}
	for _, f := range listed {
		o := load(t, f)
		kinds[o["kind"].(string)] = o
	}
	for _, k := range []string{"Deployment", "Service", "ServiceMonitor", "PrometheusRule", "ConfigMap"} {
		if kinds[k] == nil {
			t.Errorf("no %s among the manifests", k)
		}
	}
	dep, svc, sm := kinds["Deployment"], kinds["Service"], kinds["ServiceMonitor"]
	if dep == nil || svc == nil || sm == nil {
		t.FailNow()
	}

	version, err := os.ReadFile("../../VERSION")
	if err != nil {
		t.Fatal(err)
	}
	c := get(dep, "spec", "template", "spec", "containers", 0)
	if img := get(c, "image"); img != "ghcr.io/twelvelabs-community/twelvelabs_exporter:"+strings.TrimSpace(string(version)) {
		t.Errorf("image %v: want the version in VERSION", img)
	}
	flags := readmeFlags(t)
	port := strings.TrimPrefix(flags["--web.listen-address"], ":")
	args := map[string]string{}
	for _, a := range get(c, "args").([]any) {
		name, val, _ := strings.Cut(a.(string), "=")
		if _, ok := flags[name]; !ok {
			t.Errorf("argument %s is not a flag of the exporter", name)
		}
		args[name] = val
	}
	if args["--web.listen-address"] != ":"+port {
		t.Errorf("--web.listen-address %q, want the default :%s", args["--web.listen-address"], port)
	}
	if cp := get(c, "ports", 0, "containerPort"); cp == nil || strings.TrimSpace(yamlString(cp)) != port || get(c, "ports", 0, "name") != "http-metrics" {
		t.Errorf("container port %v, want %s named http-metrics", cp, port)
	}
	for probe, path := range map[string]string{"livenessProbe": "/-/healthy", "readinessProbe": "/-/ready"} {
		if get(c, probe, "httpGet", "path") != path || get(c, probe, "httpGet", "port") != "http-metrics" {
			t.Errorf("%s: want GET %s on http-metrics", probe, path)
		}
	}
	if get(dep, "spec", "template", "spec", "securityContext", "runAsNonRoot") != true ||
		get(c, "securityContext", "readOnlyRootFilesystem") != true || get(c, "securityContext", "allowPrivilegeEscalation") != false {
		t.Error("want runAsNonRoot, a read-only root filesystem and no privilege escalation")
	}
	if get(c, "resources", "requests", "memory") == nil || get(c, "resources", "limits", "memory") == nil {
		t.Error("want memory requests and limits")
	}
	// The key file lies on a read-only mount of the secret.
	keyFile := args["--twelvelabs.api-key-file"]
	mount := get(c, "volumeMounts", 0)
	if keyFile == "" || !strings.HasPrefix(keyFile, yamlString(get(mount, "mountPath"))+"/") || get(mount, "readOnly") != true {
		t.Errorf("key file %q is not on the read-only mount %v", keyFile, mount)
	}
	vol := get(dep, "spec", "template", "spec", "volumes", 0)
	if get(vol, "name") != get(mount, "name") || get(vol, "secret", "secretName") == nil ||
		get(vol, "secret", "items", 0, "path") != filepath.Base(keyFile) {
		t.Errorf("volume %v does not put the secret's key at %s", vol, keyFile)
	}

	podLabels := get(dep, "spec", "template", "metadata", "labels").(map[string]any)
	if !subset(get(dep, "spec", "selector", "matchLabels"), podLabels) || !subset(get(svc, "spec", "selector"), podLabels) {
		t.Error("the Deployment's and Service's selectors must match the pod's labels")
	}
	if get(svc, "spec", "ports", 0, "targetPort") != "http-metrics" || yamlString(get(svc, "spec", "ports", 0, "port")) != port {
		t.Errorf("Service port %v", get(svc, "spec", "ports", 0))
	}
	if !subset(get(sm, "spec", "selector", "matchLabels"), get(svc, "metadata", "labels").(map[string]any)) ||
		get(sm, "spec", "endpoints", 0, "port") != get(svc, "spec", "ports", 0, "name") {
		t.Error("the ServiceMonitor must select the Service and scrape its named port")
	}
}

func yamlString(v any) string {
	b, _ := yaml.Marshal(v)
	return strings.TrimSpace(string(b))
}

func subset(sel any, labels map[string]any) bool {
	m, ok := sel.(map[string]any)
	if !ok || len(m) == 0 {
		return false
	}
	for k, v := range m {
		if labels[k] != v {
			return false
		}
	}
	return true
}
