package helm

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"sigs.k8s.io/yaml"
)

// renderedConfig is the part of the exporter's --config.file the tests
// read; the exporter's own --config.check reads all of it, strictly.
type renderedConfig struct {
	Organizations []map[string]any `json:"organizations"`
	Accounts      []map[string]any `json:"accounts"`
}

// configWorkload is what checkConfig found of a Deployment run with
// --config.file.
type configWorkload struct {
	text     string   // the config file as rendered
	names    []string // its accounts, in order
	keyFiles []string // their key_file paths in the container
	dir      string   // where the test writes its copy and the keys
}

// checkConfig checks the config file of a Deployment run with --config.file:
// it comes from a rendered ConfigMap mounted read-only, every key_file is on
// a Secret mount, the pod carries its checksum, an init container runs
// --config.check with the same arguments, mounts and environment, and the
// exporter's --config.check reads exactly the accounts rendered.
func checkConfig(t *testing.T, objs objects, dep *appsv1.Deployment, c *corev1.Container, configFile string) *configWorkload {
	t.Helper()
	pod := &dep.Spec.Template.Spec
	cw := &configWorkload{dir: t.TempDir()}

	// The file: a key of a ConfigMap, on a read-only directory mount.
	var cmName string
	for _, m := range c.VolumeMounts {
		if m.MountPath != path.Dir(configFile) {
			continue
		}
		if !m.ReadOnly || m.SubPath != "" {
			t.Errorf("config mount %+v: want read-only, no subPath", m)
		}
		for _, v := range pod.Volumes {
			if v.Name == m.Name && v.ConfigMap != nil {
				cmName = v.ConfigMap.Name
			}
		}
	}
	for _, o := range objs["ConfigMap"] {
		if cm := o.(*corev1.ConfigMap); cm.Name == cmName {
			cw.text = cm.Data[path.Base(configFile)]
		}
	}
	if cw.text == "" {
		t.Fatalf("--config.file=%s: no rendered ConfigMap mounted there holds %s", configFile, path.Base(configFile))
	}
	var fc renderedConfig
	if err := yaml.UnmarshalStrict([]byte(cw.text), &fc); err != nil {
		t.Fatalf("the rendered config file: %v\n%s", err, cw.text)
	}

	// Its accounts: each key in a file of a Secret, or in the environment.
	for _, a := range fc.Accounts {
		name, _ := a["name"].(string)
		cw.names = append(cw.names, name)
		keyFile, _ := a["key_file"].(string)
		keyEnv, _ := a["key_env"].(string)
		switch {
		case keyFile != "":
			checkSecretKeyMount(t, pod, c, keyFile)
			cw.keyFiles = append(cw.keyFiles, keyFile)
		case keyEnv != "":
			if !slices.ContainsFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == keyEnv }) && len(c.EnvFrom) == 0 {
				t.Errorf("account %s: key_env %s is not in the container's environment", name, keyEnv)
			}
		default:
			t.Errorf("account %s: neither key_file nor key_env", name)
		}
	}

	// A change of the file rolls the pod out.
	sum := sha256.Sum256([]byte(strings.TrimSpace(cw.text)))
	if got := dep.Spec.Template.Annotations["checksum/config"]; got != hex.EncodeToString(sum[:]) {
		t.Errorf("pod annotation checksum/config %q is not the config file's sha256 %x", got, sum)
	}

	// The init container checks the file as the exporter will read it.
	if len(pod.InitContainers) != 1 {
		t.Fatalf("want one init container running --config.check, got %d", len(pod.InitContainers))
	}
	ic := pod.InitContainers[0]
	if ic.Image != c.Image || !slices.Equal(ic.Args, append([]string{"--config.check"}, c.Args...)) || len(ic.Command) != 0 {
		t.Errorf("init container %s: image %s, args %q; want %s, --config.check and the exporter's arguments %q", ic.Name, ic.Image, ic.Args, c.Image, c.Args)
	}
	if !equality.Semantic.DeepEqual(ic.VolumeMounts, c.VolumeMounts) || !equality.Semantic.DeepEqual(ic.Env, c.Env) ||
		!equality.Semantic.DeepEqual(ic.EnvFrom, c.EnvFrom) || !equality.Semantic.DeepEqual(ic.SecurityContext, c.SecurityContext) ||
		!equality.Semantic.DeepEqual(ic.Resources, c.Resources) {
		t.Errorf("init container %s: its mounts, environment, security context or resources differ from the exporter's", ic.Name)
	}

	cw.checkExporterReadsAccounts(t, ic.Args, c)
	return cw
}

// problemAccount finds the account a line of --config.check names.
var problemAccount = regexp.MustCompile(`account "([^"]+)"`)

// checkExporterReadsAccounts runs the exporter's --config.check on a copy
// of the rendered file whose key files are moved into the test's directory:
// without the keys it must name every rendered account, and no other; with
// dummy keys (and the environment of the container) it must pass.
func (cw *configWorkload) checkExporterReadsAccounts(t *testing.T, checkArgs []string, c *corev1.Container) {
	t.Helper()
	file := cw.write(t, "check.yml", "")
	var args []string
	for _, a := range checkArgs {
		if strings.HasPrefix(a, "--config.file=") {
			a = "--config.file=" + file
		}
		args = append(args, a)
	}
	var unset []string
	for _, e := range c.Env {
		unset = append(unset, e.Name+"=")
	}
	check := func(env []string) (string, error) {
		cmd := exec.Command(exporter(t), args...)
		cmd.Env = append(slices.DeleteFunc(os.Environ(), func(kv string) bool {
			return slices.ContainsFunc(unset, func(u string) bool { return strings.HasPrefix(kv, u) })
		}), env...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	out, err := check(nil)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("--config.check without the keys: %v, want exit status 1 naming every account:\n%s", err, out)
	}
	var read []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		m := problemAccount.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("--config.check without the keys: %q names no account", line)
			continue
		}
		if !slices.Contains(read, m[1]) {
			read = append(read, m[1])
		}
	}
	if !slices.Equal(read, cw.names) {
		t.Errorf("the exporter's --config.check reads the accounts %q, the rendered config has %q", read, cw.names)
	}

	for _, k := range cw.keyFiles {
		local := filepath.Join(cw.dir, k)
		if err := os.MkdirAll(filepath.Dir(local), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(local, []byte("helm-test-key\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := check(containerEnv(c)); err != nil || !strings.Contains(out, "OK") {
		t.Errorf("--config.check with the keys: %v\n%s", err, out)
	}
}

// write puts a copy of the config file into the test's directory, its key
// files moved there too, and every account's url replaced by apiURL if set.
func (cw *configWorkload) write(t *testing.T, name, apiURL string) string {
	t.Helper()
	text := cw.text
	for _, k := range cw.keyFiles {
		text = strings.ReplaceAll(text, " "+k+"\n", " "+filepath.Join(cw.dir, k)+"\n")
	}
	if apiURL != "" {
		text = regexp.MustCompile(`(?m)^(\s+url:) .*$`).ReplaceAllString(text, "$1 "+apiURL)
	}
	file := filepath.Join(cw.dir, name)
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// local is the config file the exporter runs with here: no request leaves
// for the real API.
func (cw *configWorkload) local(t *testing.T, apiURL string) string {
	return cw.write(t, "run.yml", apiURL)
}

// checkServed GETs /probe for every account (each answers, its listing
// failing on the closed API port) and for an unknown one (404).
func (cw *configWorkload) checkServed(t *testing.T, base string) {
	t.Helper()
	var wg sync.WaitGroup
	for _, name := range cw.names {
		wg.Go(func() {
			if status := get(t, base+"/probe?target="+url.QueryEscape(name)); status != http.StatusOK {
				t.Errorf("GET /probe?target=%s: HTTP %d, want 200", name, status)
			}
		})
	}
	wg.Wait()
	if status := get(t, base+"/probe?target=not-an-account"); status != http.StatusNotFound {
		t.Errorf("GET /probe?target=not-an-account: HTTP %d, want 404", status)
	}
}

// checkChart checks what the chart adds to the kustomize base: a
// ServiceAccount and the Recreate strategy.
func checkChart(t *testing.T, objs objects, w workload) {
	t.Helper()
	if w.dep.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
		t.Errorf("strategy %q: want Recreate, so that two replicas never hold state at once", w.dep.Spec.Strategy.Type)
	}
	if sa := only[*corev1.ServiceAccount](t, objs, "ServiceAccount"); sa.Name != w.dep.Spec.Template.Spec.ServiceAccountName {
		t.Errorf("the pod runs as %q, not the chart's ServiceAccount %s", w.dep.Spec.Template.Spec.ServiceAccountName, sa.Name)
	}
}

// ciValues lists the chart's example values (chart-testing's ci/) and
// testdata/every-toggle.yaml.
func ciValues(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(chartDir, "ci", "*-values.yaml"))
	if err != nil || len(files) < 3 {
		t.Fatalf("ci/*-values.yaml: %v %q", err, files)
	}
	return append(files, "testdata/every-toggle.yaml")
}

func TestChartCIValues(t *testing.T) {
	for _, file := range ciValues(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			if out, err := exec.Command(helm(t), "lint", "--strict", chartDir, "-f", file).CombinedOutput(); err != nil {
				t.Errorf("helm lint --strict -f %s: %v\n%s", file, err, out)
			}
			objs := mustRender(t, "-f", file)
			w := checkWorkload(t, objs)
			checkChart(t, objs, w)
		})
	}
}

// valuesAccounts reads the account names of a values file.
func valuesAccounts(t *testing.T, file string) []string {
	t.Helper()
	var v struct {
		Config struct {
			Accounts []struct {
				Name string `json:"name"`
			} `json:"accounts"`
		} `json:"config"`
	}
	if err := yaml.Unmarshal(readFile(t, file), &v); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range v.Config.Accounts {
		names = append(names, a.Name)
	}
	return names
}

func TestChartMultiAccount(t *testing.T) {
	file := filepath.Join(chartDir, "ci", "multi-account-values.yaml")
	objs := mustRender(t, "-f", file)
	if got, want := objs.kinds(), []string{"ConfigMap", "Deployment", "Pod", "PrometheusRule", "Service", "ServiceAccount", "ServiceMonitor"}; !slices.Equal(got, want) {
		t.Fatalf("rendered %v, want %v", got, want)
	}
	w := checkWorkload(t, objs)
	checkChart(t, objs, w)
	if want := []string{"production", "staging"}; !slices.Equal(w.accounts, want) || !slices.Equal(valuesAccounts(t, file), want) {
		t.Errorf("accounts: rendered %q, in the values %q, want %q", w.accounts, valuesAccounts(t, file), want)
	}
	if slices.Contains(w.c.Args, "--twelvelabs.api-key-file") || slices.ContainsFunc(w.dep.Spec.Template.Spec.Volumes, func(v corev1.Volume) bool { return v.Name == "api-key" }) {
		t.Error("with config.accounts the one account's key (apiKey) is still mounted")
	}

	// Each account's key from its own Secret.
	secrets := map[string]string{}
	for _, v := range w.dep.Spec.Template.Spec.Volumes {
		if v.Secret != nil {
			secrets[v.Secret.SecretName] = v.Secret.Items[0].Key
		}
	}
	if want := map[string]string{"twelvelabs-production": "api-key", "twelvelabs-staging": "token"}; !equality.Semantic.DeepEqual(secrets, want) {
		t.Errorf("Secret volumes %v, want %v", secrets, want)
	}

	// The organisation and the settings arrive as given.
	var fc renderedConfig
	if err := yaml.Unmarshal([]byte(only[*corev1.ConfigMap](t, objs, "ConfigMap").Data["config.yml"]), &fc); err != nil {
		t.Fatal(err)
	}
	if len(fc.Organizations) != 1 || fc.Organizations[0]["name"] != "acme" || fc.Organizations[0]["requests_per_minute"] != 120.0 ||
		fc.Accounts[0]["organization"] != "acme" || fc.Accounts[1]["cache_ttl"] != "2m" || fc.Accounts[1]["concurrency"] != 2.0 {
		t.Errorf("rendered config %+v", fc)
	}

	// One ServiceMonitor endpoint per account on /probe, plus /metrics,
	// with the release label.
	sm := only[*monitoringv1.ServiceMonitor](t, objs, "ServiceMonitor")
	if sm.Labels["release"] != "kube-prometheus-stack" || only[*monitoringv1.PrometheusRule](t, objs, "PrometheusRule").Labels["release"] != "kube-prometheus-stack" {
		t.Errorf("releaseLabel: ServiceMonitor labels %v", sm.Labels)
	}
	if len(sm.Spec.Endpoints) != 1+len(w.accounts) || sm.Spec.Endpoints[0].Path != "/metrics" {
		t.Fatalf("ServiceMonitor endpoints %+v: want /metrics and one per account", sm.Spec.Endpoints)
	}
	for i, name := range w.accounts {
		ep := sm.Spec.Endpoints[i+1]
		if ep.Port != "http-metrics" || ep.Path != "/probe" || !slices.Equal(ep.Params["target"], []string{name}) || len(ep.Params) != 1 {
			t.Errorf("endpoint of %s: port %s, path %s, params %v; want /probe?target=%s", name, ep.Port, ep.Path, ep.Params, name)
		}
		if len(ep.RelabelConfigs) == 0 || ep.RelabelConfigs[0].TargetLabel != "instance" || ep.RelabelConfigs[0].Replacement == nil || *ep.RelabelConfigs[0].Replacement != name {
			t.Errorf("endpoint of %s: relabelings %+v; want instance=%s, as the accounts share the pod's address", name, ep.RelabelConfigs, name)
		}
	}

	// The checksum follows the config, and only it.
	again := mustRender(t, "-f", file)
	changed := mustRender(t, "-f", file, "--set", "config.accounts[1].cache_ttl=3m")
	other := mustRender(t, "-f", file, "--set", "serviceMonitor.interval=2m")
	sum := func(o objects) string {
		return only[*appsv1.Deployment](t, o, "Deployment").Spec.Template.Annotations["checksum/config"]
	}
	if sum(again) != sum(objs) || sum(changed) == sum(objs) || sum(other) != sum(objs) {
		t.Errorf("checksum/config: %s, again %s, config changed %s, other value changed %s", sum(objs), sum(again), sum(changed), sum(other))
	}
}

func TestChartMultiAccountProbes(t *testing.T) {
	file := filepath.Join(chartDir, "ci", "multi-account-probe-values.yaml")
	objs := mustRender(t, "-f", file)
	if got, want := objs.kinds(), []string{"ConfigMap", "Deployment", "NetworkPolicy", "Pod", "Probe", "Probe", "Probe", "Service", "ServiceAccount", "ServiceMonitor"}; !slices.Equal(got, want) {
		t.Fatalf("rendered %v, want %v", got, want)
	}
	w := checkWorkload(t, objs)
	checkChart(t, objs, w)
	if want := valuesAccounts(t, file); !slices.Equal(w.accounts, want) || len(want) != 3 {
		t.Errorf("accounts: rendered %q, in the values %q", w.accounts, want)
	}

	// The ServiceMonitor scrapes /metrics only; each account has its Probe.
	if sm := only[*monitoringv1.ServiceMonitor](t, objs, "ServiceMonitor"); len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Path != "/metrics" {
		t.Errorf("with probe.enabled the ServiceMonitor has endpoints %+v, want /metrics only", sm.Spec.Endpoints)
	}
	var probed []string
	prober := w.svc.Name + "." + w.svc.Namespace + ".svc:" + "10157"
	for _, o := range objs["Probe"] {
		p := o.(*monitoringv1.Probe)
		sc := p.Spec.Targets.StaticConfig
		if sc == nil || len(sc.Targets) != 1 {
			t.Errorf("Probe %s: static targets %+v, want one account", p.Name, sc)
			continue
		}
		probed = append(probed, sc.Targets[0])
		if p.Labels["release"] != "kube-prometheus-stack" || p.Namespace != w.svc.Namespace {
			t.Errorf("Probe %s: labels %v, namespace %s", p.Name, p.Labels, p.Namespace)
		}
		if p.Spec.ProberSpec.URL != prober || p.Spec.ProberSpec.Path != "/probe" || p.Spec.Module != "" {
			t.Errorf("Probe %s: prober %+v, module %q; want %s, /probe", p.Name, p.Spec.ProberSpec, p.Spec.Module, prober)
		}
		if !strings.Contains(p.Spec.JobName, "twelvelabs") || p.Spec.Interval != "2m" || p.Spec.ScrapeTimeout != "1m" || len(p.Spec.MetricRelabelConfigs) != 1 {
			t.Errorf("Probe %s: job %s, interval %s, timeout %s, %d metric relabelings", p.Name, p.Spec.JobName, p.Spec.Interval, p.Spec.ScrapeTimeout, len(p.Spec.MetricRelabelConfigs))
		}
	}
	if !slices.Equal(probed, w.accounts) {
		t.Errorf("Probes target %q, want the accounts %q", probed, w.accounts)
	}

	// The NetworkPolicy lets out the proxy besides the API and DNS.
	np := only[*networkingv1.NetworkPolicy](t, objs, "NetworkPolicy")
	if len(np.Spec.Egress) != 3 || np.Spec.Egress[2].Ports[0].Port.IntValue() != 3128 {
		t.Errorf("NetworkPolicy egress %+v: want the API, DNS and the proxy of extraEgress", np.Spec.Egress)
	}
}

// TestChartValuesSchema: values the chart does not know fail helm
// template and helm lint, naming what is wrong, instead of rendering
// nothing.
func TestChartValuesSchema(t *testing.T) {
	for _, tc := range []struct {
		args, want   string
		templateOnly bool // helm lint reports a template's fail as information only
	}{
		{"--set serviceMonitor.enable=true", "'enable' not allowed", false},
		{"--set serviceMonitors.enabled=true", "'serviceMonitors' not allowed", false},
		{"--set probe.intervall=1m", "'intervall' not allowed", false},
		{"--set service.port=http", "/service/port", false},
		{"--set serviceMonitor.interval=1minute", "/serviceMonitor/interval", false},
		{`--set-json config.accounts=[{"name":"a","existingSecret":"s","cache_tll":"2m"}]`, "'cache_tll' not allowed", false},
		{`--set-json config.accounts=[{"name":"a","existingSecret":"s","key_env":"K"}]`, "/config/accounts/0", false},
		{`--set-json config.accounts=[{"name":"a"}]`, "/config/accounts/0", false},
		{`--set-json config.accounts=[{"name":"a/b","existingSecret":"s"}]`, "/config/accounts/0/name", false},
		{`--set-json config.accounts=[{"name":"a","key_file":"/k"}]`, "'key_file' not allowed", false},
		{`--set-json config.organizations=[{"name":"o","requests_per_minit":1}]`, "'requests_per_minit' not allowed", false},
		{"--set probe.enabled=true", "probe.enabled", true},
		{`--set probe.enabled=true --set-json config.accounts=[{"name":"Eu_1","existingSecret":"s"},{"name":"eu-1","existingSecret":"t"}]`, "both make the Probe name", true},
	} {
		args := strings.Fields(tc.args)
		_, err := render(t, args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("helm template %s: want an error containing %q, got %v", tc.args, tc.want, err)
		}
		if tc.templateOnly {
			continue
		}
		if out, err := exec.Command(helm(t), append([]string{"lint", "--strict", chartDir}, args...)...).CombinedOutput(); err == nil {
			t.Errorf("helm lint %s passed:\n%s", tc.args, out)
		}
	}
}

// TestChartSchemaDeclaresEveryValue keeps values.yaml and values.schema.json
// in step: every value has a schema, and every property of the chart's own
// objects in the schema has a default in values.yaml.
func TestChartSchemaDeclaresEveryValue(t *testing.T) {
	var values map[string]any
	if err := yaml.Unmarshal(readFile(t, chartDir, "values.yaml"), &values); err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := yaml.Unmarshal(readFile(t, chartDir, "values.schema.json"), &schema); err != nil {
		t.Fatal(err)
	}
	defs, _ := schema["definitions"].(map[string]any)
	resolve := func(s map[string]any) map[string]any {
		if ref, ok := s["$ref"].(string); ok {
			d, _ := defs[strings.TrimPrefix(ref, "#/definitions/")].(map[string]any)
			return d
		}
		return s
	}
	var walk func(prefix string, v map[string]any, s map[string]any)
	walk = func(prefix string, v map[string]any, s map[string]any) {
		props, _ := s["properties"].(map[string]any)
		if props == nil {
			return // passed to Kubernetes as it is
		}
		if s["additionalProperties"] != false {
			t.Errorf("schema of %s: want additionalProperties: false", strings.TrimSuffix(prefix, "."))
		}
		for k, sub := range props {
			if _, ok := v[k]; !ok && prefix+k != "global" {
				t.Errorf("schema declares %s%s, values.yaml has no default for it", prefix, k)
			}
			_ = sub
		}
		for k, val := range v {
			sub, ok := props[k].(map[string]any)
			if !ok {
				t.Errorf("values.yaml has %s%s, the schema does not declare it", prefix, k)
				continue
			}
			if m, ok := val.(map[string]any); ok {
				walk(prefix+k+".", m, resolve(sub))
			}
		}
	}
	walk("", values, schema)
}

// TestChartRendersNoSecret: keys stay in the Secrets the user made.
func TestChartRendersNoSecret(t *testing.T) {
	for _, file := range ciValues(t) {
		out, err := render(t, "-f", file)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(out, []byte("\nkind: Secret\n")) {
			t.Errorf("%s renders a Secret: keys come from existing ones", file)
		}
	}
}
