package helm

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// decoder decodes a manifest into the Go type its apiVersion and kind name,
// strictly: an unknown kind, an unknown or repeated field, or a value of
// the wrong type is an error, as kubectl apply --validate=strict reports.
var decoder runtime.Decoder

func init() {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{appsv1.AddToScheme, corev1.AddToScheme, networkingv1.AddToScheme, monitoringv1.AddToScheme} {
		if err := add(scheme); err != nil {
			panic(err)
		}
	}
	decoder = serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
}

// objects holds the decoded objects of a manifest stream by kind.
type objects map[string][]runtime.Object

func (o objects) kinds() []string {
	var ks []string
	for k, objs := range o {
		for range objs {
			ks = append(ks, k)
		}
	}
	slices.Sort(ks)
	return ks
}

// decodeStrict decodes every document of a YAML stream; documents holding
// only comments are skipped.
func decodeStrict(t *testing.T, name string, stream []byte) objects {
	t.Helper()
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(stream)))
	objs := objects{}
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return objs
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var fields map[string]any
		if err := yaml.Unmarshal(doc, &fields); err != nil {
			t.Errorf("%s: %s: not YAML: %v", name, docName(doc), err)
			continue
		}
		if len(fields) == 0 {
			continue
		}
		obj, gvk, err := decoder.Decode(doc, nil, nil)
		if err != nil {
			t.Errorf("%s: %s: %v", name, docName(doc), err)
			continue
		}
		objs[gvk.Kind] = append(objs[gvk.Kind], obj)
	}
}

// docName is helm's "# Source:" comment, or the document's first line.
func docName(doc []byte) string {
	for _, line := range strings.Split(string(doc), "\n") {
		if s, ok := strings.CutPrefix(line, "# Source: "); ok {
			return s
		}
	}
	first, _, _ := strings.Cut(strings.TrimSpace(string(doc)), "\n")
	return first
}

// only returns the one object of a kind.
func only[T runtime.Object](t *testing.T, objs objects, kind string) T {
	t.Helper()
	if n := len(objs[kind]); n != 1 {
		t.Fatalf("want one %s, got %d", kind, n)
	}
	o, ok := objs[kind][0].(T)
	if !ok {
		t.Fatalf("%s decoded as %T", kind, objs[kind][0])
	}
	return o
}

// render runs helm template on the chart.
func render(t *testing.T, args ...string) ([]byte, error) {
	t.Helper()
	cmd := exec.Command(helm(t), append([]string{"template", "tl", chartDir, "--namespace", "monitoring"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("helm template %s: %w\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out, nil
}

func mustRender(t *testing.T, args ...string) objects {
	t.Helper()
	out, err := render(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	return decodeStrict(t, "helm template "+strings.Join(args, " "), out)
}

func readFile(t *testing.T, elem ...string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(elem...))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func version(t *testing.T) string {
	return strings.TrimSpace(string(readFile(t, repoRoot, "VERSION")))
}

func subset(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// workload is what checkWorkload found.
type workload struct {
	dep       *appsv1.Deployment
	svc       *corev1.Service
	c         *corev1.Container
	liveness  string // probe paths
	readiness string
	base      string   // URL of the exporter started with the Deployment's arguments
	accounts  []string // with --config.file: the rendered config's accounts, in order
}

// checkWorkload checks the Deployment and the Service against each other,
// against the exporter and against the kustomize base's security context,
// and the ServiceAccount, NetworkPolicy and helm test pod when rendered;
// then starts the exporter with the container's arguments and GETs both
// probes' paths and the test pod's URL. With --config.file it also checks
// the config, its mounts and its init container (configWorkload).
func checkWorkload(t *testing.T, objs objects) workload {
	t.Helper()
	dep := only[*appsv1.Deployment](t, objs, "Deployment")
	svc := only[*corev1.Service](t, objs, "Service")
	pod := dep.Spec.Template
	if dep.Spec.Replicas == nil || *dep.Spec.Replicas != 1 {
		t.Error("want one replica: more would multiply the API requests")
	}
	if dep.Spec.Selector == nil || !subset(dep.Spec.Selector.MatchLabels, pod.Labels) {
		t.Errorf("the Deployment's selector %v does not select its pods %v", dep.Spec.Selector, pod.Labels)
	}
	if len(pod.Spec.Containers) != 1 {
		t.Fatalf("want one container, got %d", len(pod.Spec.Containers))
	}
	c := &pod.Spec.Containers[0]

	// Arguments: only the exporter's flags.
	flags := exporterFlags(t)
	args := map[string]string{}
	for _, a := range c.Args {
		name, val, _ := strings.Cut(a, "=")
		if !strings.HasPrefix(name, "--") || !flags[name] {
			t.Errorf("argument %q: %s is not a flag of the exporter", a, name)
		}
		args[name] = val
	}
	if len(c.Command) != 0 {
		t.Errorf("command %q replaces the image's entrypoint", c.Command)
	}
	_, portStr, ok := strings.Cut(args["--web.listen-address"], ":")
	port, err := strconv.Atoi(portStr)
	if !ok || err != nil {
		t.Fatalf("--web.listen-address=%q: want :PORT", args["--web.listen-address"])
	}
	portNamed := func(name string) int32 {
		for _, p := range c.Ports {
			if p.Name == name {
				return p.ContainerPort
			}
		}
		return 0
	}
	if portNamed("http-metrics") != int32(port) {
		t.Errorf("container port http-metrics %d, want the listen port %d", portNamed("http-metrics"), port)
	}

	// One account's key file, or the config file of several.
	keyFile, configFile := args["--twelvelabs.api-key-file"], args["--config.file"]
	var cw *configWorkload
	switch {
	case (keyFile == "") == (configFile == ""):
		t.Errorf("arguments %q: want one of --twelvelabs.api-key-file and --config.file", c.Args)
	case keyFile != "":
		checkSecretKeyMount(t, &pod.Spec, c, keyFile)
		if len(pod.Spec.InitContainers) != 0 {
			t.Errorf("init containers %+v: one account needs none", pod.Spec.InitContainers)
		}
	default:
		cw = checkConfig(t, objs, dep, c, configFile)
	}
	var w workload
	if cw != nil {
		w.accounts = cw.names
	}

	// Probes: HTTP GETs on the metrics port.
	probePath := func(name string, p *corev1.Probe) string {
		if p == nil || p.HTTPGet == nil {
			t.Errorf("%s: want an HTTP GET probe", name)
			return ""
		}
		pp := p.HTTPGet.Port
		if pp.IntValue() != port && portNamed(pp.String()) != int32(port) {
			t.Errorf("%s probes port %s, not the exporter's %d", name, pp.String(), port)
		}
		return p.HTTPGet.Path
	}
	w.dep, w.svc, w.c = dep, svc, c
	w.liveness, w.readiness = probePath("livenessProbe", c.LivenessProbe), probePath("readinessProbe", c.ReadinessProbe)

	if c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Error("want a memory request and limit")
	}
	if pod.Spec.AutomountServiceAccountToken == nil || *pod.Spec.AutomountServiceAccountToken {
		t.Error("want automountServiceAccountToken: false: the exporter needs no Kubernetes API")
	}

	// The security context of deploy/kubernetes/deployment.yaml: non-root,
	// read-only root filesystem, no capabilities, RuntimeDefault seccomp.
	baseDep := only[*appsv1.Deployment](t, decodeStrict(t, "deploy/kubernetes/deployment.yaml",
		readFile(t, repoRoot, "deploy/kubernetes/deployment.yaml")), "Deployment")
	psc, csc := pod.Spec.SecurityContext, c.SecurityContext
	if !equality.Semantic.DeepEqual(psc, baseDep.Spec.Template.Spec.SecurityContext) ||
		!equality.Semantic.DeepEqual(csc, baseDep.Spec.Template.Spec.Containers[0].SecurityContext) {
		t.Errorf("security contexts %+v, %+v differ from deploy/kubernetes/deployment.yaml's", psc, csc)
	}
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.SeccompProfile == nil ||
		psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault || csc == nil ||
		csc.ReadOnlyRootFilesystem == nil || !*csc.ReadOnlyRootFilesystem ||
		csc.AllowPrivilegeEscalation == nil || *csc.AllowPrivilegeEscalation ||
		csc.Capabilities == nil || !slices.Equal(csc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
		t.Errorf("want runAsNonRoot, seccomp RuntimeDefault, a read-only root filesystem, no privilege escalation, all capabilities dropped; got %+v, %+v", psc, csc)
	}

	// The Service: selects the pods, serves the named port; its name
	// becomes the job label TwelveLabsExporterDown matches (.*twelvelabs.*).
	if !subset(svc.Spec.Selector, pod.Labels) {
		t.Errorf("the Service's selector %v does not select the pods %v", svc.Spec.Selector, pod.Labels)
	}
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != int32(port) || svc.Spec.Ports[0].TargetPort.String() != "http-metrics" {
		t.Errorf("Service ports %+v: want %d to http-metrics", svc.Spec.Ports, port)
	}
	if !strings.Contains(svc.Name, "twelvelabs") {
		t.Errorf("Service %s: the job label it becomes must match .*twelvelabs.*", svc.Name)
	}
	for _, sa := range objs["ServiceAccount"] {
		sa := sa.(*corev1.ServiceAccount)
		if sa.Name != pod.Spec.ServiceAccountName || sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken {
			t.Errorf("ServiceAccount %s (automount %v): want the pod's (%s), its token not mounted", sa.Name, sa.AutomountServiceAccountToken, pod.Spec.ServiceAccountName)
		}
	}
	testURL := checkTestPod(t, objs, svc)
	for _, np := range objs["NetworkPolicy"] {
		checkNetworkPolicy(t, np.(*networkingv1.NetworkPolicy), pod.Labels, objs, port)
	}
	if t.Failed() {
		return w
	}

	// Run the exporter with the container's arguments, the key file and
	// listen address moved to this machine, and GET both probes' paths.
	key := filepath.Join(t.TempDir(), "api-key")
	if err := os.WriteFile(key, []byte("helm-test-key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The API's URL is a closed local port: no test calls the real API.
	local := freePort(t)
	apiURL := "http://127.0.0.1:" + strconv.Itoa(freePort(t)) + "/v1.3"
	offline := "--twelvelabs.url=" + apiURL
	run := []string{offline}
	for _, a := range c.Args {
		switch name, _, _ := strings.Cut(a, "="); name {
		case "--twelvelabs.api-key-file":
			a = name + "=" + key
		case "--config.file":
			a = name + "=" + cw.local(t, apiURL)
		case "--web.listen-address":
			a = name + "=127.0.0.1:" + strconv.Itoa(local)
		case "--twelvelabs.url":
			a = offline
			run = run[1:]
		}
		run = append(run, a)
	}
	w.base = runExporter(t, run, containerEnv(c), local, w.readiness)
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(w.base + w.liveness)
	if err != nil {
		t.Fatalf("liveness probe GET %s: %v", w.liveness, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("liveness probe GET %s: %s", w.liveness, resp.Status)
	}
	if testURL != "" {
		if status := get(t, w.base+testURL); status != http.StatusOK {
			t.Errorf("the helm test pod's GET %s: HTTP %d", testURL, status)
		}
	}
	if cw != nil {
		cw.checkServed(t, w.base)
	}
	return w
}

// get returns the status of a GET, with the scrape timeout header
// Prometheus sends.
func get(t *testing.T, url string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", "5")
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Errorf("GET %s: %v", url, err)
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// checkSecretKeyMount checks that keyFile is on a read-only mount of a
// Secret, not a subPath (a subPath mount is not updated when the Secret
// changes), and returns the Secret's volume source.
func checkSecretKeyMount(t *testing.T, pod *corev1.PodSpec, c *corev1.Container, keyFile string) *corev1.SecretVolumeSource {
	t.Helper()
	var mount *corev1.VolumeMount
	for i := range c.VolumeMounts {
		if c.VolumeMounts[i].MountPath == path.Dir(keyFile) {
			mount = &c.VolumeMounts[i]
		}
	}
	if keyFile == "" || mount == nil || !mount.ReadOnly || mount.SubPath != "" {
		t.Errorf("key file %q is not on a read-only directory mount: %+v", keyFile, c.VolumeMounts)
		return nil
	}
	for _, v := range pod.Volumes {
		if v.Name == mount.Name && v.Secret != nil && v.Secret.SecretName != "" &&
			len(v.Secret.Items) == 1 && v.Secret.Items[0].Path == path.Base(keyFile) {
			return v.Secret
		}
	}
	t.Errorf("no Secret volume %s puts a key at %s: %+v", mount.Name, keyFile, pod.Volumes)
	return nil
}

// containerEnv is the container's environment for the exporter run here:
// literal values as they are, a dummy key for those from elsewhere.
func containerEnv(c *corev1.Container) []string {
	var env []string
	for _, e := range c.Env {
		v := e.Value
		if e.ValueFrom != nil {
			v = "helm-test-key"
		}
		env = append(env, e.Name+"="+v)
	}
	return env
}

// checkTestPod checks the helm test pod, if rendered, and returns the path
// it GETs through the Service.
func checkTestPod(t *testing.T, objs objects, svc *corev1.Service) string {
	t.Helper()
	if len(objs["Pod"]) == 0 {
		return ""
	}
	p := only[*corev1.Pod](t, objs, "Pod")
	if p.Annotations["helm.sh/hook"] != "test" || p.Spec.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("test pod %s: annotations %v, restart policy %s: want helm.sh/hook: test, Never", p.Name, p.Annotations, p.Spec.RestartPolicy)
	}
	if len(p.Spec.Containers) != 1 || len(p.Spec.Containers[0].Command) == 0 {
		t.Fatalf("test pod %s: want one container with a command", p.Name)
	}
	pc := p.Spec.Containers[0]
	if pc.SecurityContext == nil || pc.SecurityContext.ReadOnlyRootFilesystem == nil || !*pc.SecurityContext.ReadOnlyRootFilesystem ||
		p.Spec.SecurityContext == nil || p.Spec.SecurityContext.RunAsNonRoot == nil || !*p.Spec.SecurityContext.RunAsNonRoot {
		t.Errorf("test pod %s: want non-root and a read-only root filesystem", p.Name)
	}
	raw := pc.Command[len(pc.Command)-1]
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" {
		t.Fatalf("test pod %s: its last argument %q is no http URL", p.Name, raw)
	}
	if want := fmt.Sprintf("%s:%d", svc.Name, svc.Spec.Ports[0].Port); u.Host != want {
		t.Errorf("test pod GETs %s, want the Service %s", u.Host, want)
	}
	return u.RequestURI()
}

// checkNetworkPolicy checks that the policy holds the exporter's pods, lets
// in the helm test pod on the metrics port, and lets out DNS and the API.
func checkNetworkPolicy(t *testing.T, np *networkingv1.NetworkPolicy, podLabels map[string]string, objs objects, port int) {
	t.Helper()
	if !subset(np.Spec.PodSelector.MatchLabels, podLabels) {
		t.Errorf("NetworkPolicy %s selects %v, not the exporter's pods %v", np.Name, np.Spec.PodSelector.MatchLabels, podLabels)
	}
	if !slices.Equal(np.Spec.PolicyTypes, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}) {
		t.Errorf("NetworkPolicy %s policy types %v: want Ingress and Egress", np.Name, np.Spec.PolicyTypes)
	}
	if len(np.Spec.Ingress) == 0 || len(np.Spec.Ingress[0].From) < 2 {
		t.Fatalf("NetworkPolicy %s: want ingress from Prometheus and the test pod: %+v", np.Name, np.Spec.Ingress)
	}
	in := np.Spec.Ingress[0]
	if len(in.Ports) != 1 || (in.Ports[0].Port.String() != "http-metrics" && in.Ports[0].Port.IntValue() != port) {
		t.Errorf("NetworkPolicy %s: ingress ports %+v, want only the metrics port", np.Name, in.Ports)
	}
	for _, p := range objs["Pod"] {
		labels := p.(*corev1.Pod).Labels
		if !slices.ContainsFunc(in.From, func(peer networkingv1.NetworkPolicyPeer) bool {
			return peer.NamespaceSelector == nil && peer.PodSelector != nil && subset(peer.PodSelector.MatchLabels, labels)
		}) {
			t.Errorf("NetworkPolicy %s does not let in the test pod %v", np.Name, labels)
		}
	}
	egressTo := func(port int32, proto corev1.Protocol) bool {
		for _, r := range np.Spec.Egress {
			for _, p := range r.Ports {
				if p.Port != nil && p.Port.IntValue() == int(port) && p.Protocol != nil && *p.Protocol == proto {
					return true
				}
			}
		}
		return false
	}
	if !egressTo(443, corev1.ProtocolTCP) || !egressTo(53, corev1.ProtocolUDP) || !egressTo(53, corev1.ProtocolTCP) {
		t.Errorf("NetworkPolicy %s: want egress to the API on 443 and to DNS on 53: %+v", np.Name, np.Spec.Egress)
	}
}

// TestStrictDecoderRejectsUnknownFields makes sure the decoder the other
// tests rely on is strict.
func TestStrictDecoderRejectsUnknownFields(t *testing.T) {
	for name, doc := range map[string]string{
		"unknown field": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  replicaz: 1\n",
		"nested field":  "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: x}\nspec:\n  endpoints:\n    - port: http\n      intervall: 60s\n",
		"repeated key":  "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec:\n  type: ClusterIP\n  type: NodePort\n",
		"wrong type":    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: [1]}\n",
		"unknown kind":  "apiVersion: v1\nkind: Sekret\nmetadata: {name: x}\n",
		"wrong case":    "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec:\n  Type: ClusterIP\n",
	} {
		if _, _, err := decoder.Decode([]byte(doc), nil, nil); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
	if _, _, err := decoder.Decode([]byte("apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {type: ClusterIP}\n"), nil, nil); err != nil {
		t.Errorf("a valid Service: %v", err)
	}
}

func TestChartDefaults(t *testing.T) {
	objs := mustRender(t)
	if got, want := objs.kinds(), []string{"Deployment", "Pod", "Service", "ServiceAccount"}; !slices.Equal(got, want) {
		t.Fatalf("default values render %v, want %v: the monitoring objects are off by default", got, want)
	}
	w := checkWorkload(t, objs)
	checkChart(t, objs, w)
	if w.liveness != "/-/healthy" || w.readiness != "/-/ready" {
		t.Errorf("probes GET %s and %s, want /-/healthy and /-/ready", w.liveness, w.readiness)
	}
	if img, want := w.c.Image, "ghcr.io/twelvelabs-community/twelvelabs_exporter:"+version(t); img != want {
		t.Errorf("image %s, want %s (the tag defaults to appVersion, which is VERSION)", img, want)
	}
	secret := w.dep.Spec.Template.Spec.Volumes[0].Secret
	if secret.SecretName != "twelvelabs-api-key" || secret.Items[0].Key != "api-key" {
		t.Errorf("key from Secret %s key %s, want twelvelabs-api-key key api-key, as deploy/kubernetes", secret.SecretName, secret.Items[0].Key)
	}
	if w.svc.Namespace != "monitoring" || w.dep.Namespace != "monitoring" {
		t.Error("objects are not in the release's namespace")
	}
}

func TestChartEveryToggleOn(t *testing.T) {
	objs := mustRender(t, "-f", "testdata/every-toggle.yaml")
	if got, want := objs.kinds(), []string{"ConfigMap", "Deployment", "NetworkPolicy", "Pod", "PrometheusRule", "Service", "ServiceAccount", "ServiceMonitor"}; !slices.Equal(got, want) {
		t.Fatalf("rendered %v, want %v", got, want)
	}
	w := checkWorkload(t, objs)
	checkChart(t, objs, w)
	for _, want := range []string{"--twelvelabs.cache-ttl=2m", "--twelvelabs.embed-api=v2", "--log.format=json"} {
		if !slices.Contains(w.c.Args, want) {
			t.Errorf("extraArgs: %s is not among the arguments %q", want, w.c.Args)
		}
	}
	pod := w.dep.Spec.Template
	if pod.Labels["team"] != "ml" || pod.Annotations["example.com/note"] != "every-toggle" ||
		pod.Spec.PriorityClassName != "high" || len(pod.Spec.Tolerations) != 1 || pod.Spec.Affinity == nil ||
		pod.Spec.NodeSelector["kubernetes.io/os"] != "linux" || len(pod.Spec.ImagePullSecrets) != 1 {
		t.Errorf("pod labels, annotations, priority class, tolerations, affinity, node selector or pull secrets not applied: %+v", pod)
	}
	if len(pod.Spec.Volumes) != 2 || len(w.c.VolumeMounts) != 2 {
		t.Errorf("extraVolumes/extraVolumeMounts not applied: %+v %+v", pod.Spec.Volumes, w.c.VolumeMounts)
	}

	sm := only[*monitoringv1.ServiceMonitor](t, objs, "ServiceMonitor")
	pr := only[*monitoringv1.PrometheusRule](t, objs, "PrometheusRule")
	cm := only[*corev1.ConfigMap](t, objs, "ConfigMap")

	// kube-prometheus-stack selects by release=<its release>; additionalLabels
	// win over releaseLabel.
	if sm.Labels["release"] != "kps" || pr.Labels["release"] != "kps" {
		t.Errorf("additionalLabels release=kps: ServiceMonitor %v, PrometheusRule %v", sm.Labels, pr.Labels)
	}
	c := w.c
	if len(c.Env) != 1 || c.Env[0].Value != "http://proxy.internal:3128" || len(c.EnvFrom) != 1 || c.EnvFrom[0].SecretRef == nil {
		t.Errorf("extraEnv, envFrom not applied: %+v %+v", c.Env, c.EnvFrom)
	}
	if sa := only[*corev1.ServiceAccount](t, objs, "ServiceAccount"); sa.Annotations["example.com/note"] != "every-toggle" {
		t.Errorf("serviceAccount.annotations not applied: %v", sa.Annotations)
	}
	if np := only[*networkingv1.NetworkPolicy](t, objs, "NetworkPolicy"); len(np.Spec.Egress) != 2 || len(np.Spec.Egress[0].To) != 1 || np.Spec.Egress[0].To[0].IPBlock == nil {
		t.Errorf("networkPolicy.apiPeers not applied: %+v", np.Spec.Egress)
	}
	if p := only[*corev1.Pod](t, objs, "Pod"); p.Spec.Containers[0].Image != "registry.example.com/busybox:1.37.0" {
		t.Errorf("tests.image not applied: %s", p.Spec.Containers[0].Image)
	}
	if !subset(sm.Spec.Selector.MatchLabels, w.svc.Labels) || !slices.Equal(sm.Spec.NamespaceSelector.MatchNames, []string{w.svc.Namespace}) {
		t.Errorf("the ServiceMonitor's selector %v in %v does not select the Service %v", sm.Spec.Selector.MatchLabels, sm.Spec.NamespaceSelector.MatchNames, w.svc.Labels)
	}
	if len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Port != w.svc.Spec.Ports[0].Name {
		t.Fatalf("ServiceMonitor endpoints %+v: want the Service's port %s", sm.Spec.Endpoints, w.svc.Spec.Ports[0].Name)
	}
	ep := sm.Spec.Endpoints[0]
	if ep.Interval != "60s" || ep.ScrapeTimeout != "30s" || len(ep.RelabelConfigs) != 1 || len(ep.MetricRelabelConfigs) != 1 {
		t.Errorf("endpoint interval %s, timeout %s, %d relabelings, %d metric relabelings", ep.Interval, ep.ScrapeTimeout, len(ep.RelabelConfigs), len(ep.MetricRelabelConfigs))
	}
	// The endpoint's path (default /metrics) serves metrics; the listings
	// fail (the API's URL is a closed port), the exporter's own metrics stay.
	req, err := http.NewRequest(http.MethodGet, w.base+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", "5")
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte("twelvelabs_exporter_build_info")) {
		t.Errorf("GET /metrics: %s", resp.Status)
	}

	// The rules: exactly alerts/twelvelabs.rules.yml.
	var want monitoringv1.PrometheusRuleSpec
	if err := yaml.UnmarshalStrict(readFile(t, repoRoot, "alerts/twelvelabs.rules.yml"), &want); err != nil {
		t.Fatalf("alerts/twelvelabs.rules.yml as a PrometheusRule spec: %v", err)
	}
	if len(want.Groups) == 0 || !equality.Semantic.DeepEqual(pr.Spec, want) {
		t.Error("the PrometheusRule's spec differs from alerts/twelvelabs.rules.yml")
	}

	// The dashboard: exactly dashboards/twelvelabs.json, labelled for the sidecar.
	if cm.Labels["grafana_dashboard"] != "1" || cm.Labels["team"] != "ml" {
		t.Errorf("dashboard ConfigMap labels %v: want grafana_dashboard=1 and the additional team=ml", cm.Labels)
	}
	if cm.Namespace != "grafana" || cm.Annotations["grafana_folder"] != "TwelveLabs" {
		t.Errorf("dashboard ConfigMap namespace %s, annotations %v", cm.Namespace, cm.Annotations)
	}
	if cm.Data["twelvelabs.json"] != string(readFile(t, repoRoot, "dashboards/twelvelabs.json")) {
		t.Error("the dashboard ConfigMap's twelvelabs.json differs from dashboards/twelvelabs.json")
	}
}

func TestChartKeyAndImageValues(t *testing.T) {
	objs := mustRender(t, "--set", "apiKey.existingSecret=tl-key,apiKey.secretKey=token,image.tag=1.2.3,service.port=9999")
	w := checkWorkload(t, objs)
	checkChart(t, objs, w)
	secret := w.dep.Spec.Template.Spec.Volumes[0].Secret
	if secret.SecretName != "tl-key" || secret.Items[0].Key != "token" {
		t.Errorf("key from Secret %s key %s, want tl-key key token", secret.SecretName, secret.Items[0].Key)
	}
	if !strings.HasSuffix(w.c.Image, ":1.2.3") || w.dep.Labels["app.kubernetes.io/version"] != "1.2.3" {
		t.Errorf("image %s, version label %s: want tag 1.2.3", w.c.Image, w.dep.Labels["app.kubernetes.io/version"])
	}
	for _, set := range []string{"apiKey.existingSecret=", "apiKey.secretKey="} {
		name, _, _ := strings.Cut(set, "=")
		if _, err := render(t, "--set", set); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("--set %s: want an error naming %s, got %v", set, name, err)
		}
	}
}

// TestKustomizeBase renders deploy/kubernetes and checks it the same way.
func TestKustomizeBase(t *testing.T) {
	cmd := exec.Command(kustomize(t), "build", filepath.Join(repoRoot, "deploy/kubernetes"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kustomize build deploy/kubernetes: %v\n%s", err, stderr.String())
	}
	objs := decodeStrict(t, "kustomize build deploy/kubernetes", out)
	if got, want := objs.kinds(), []string{"ConfigMap", "Deployment", "PrometheusRule", "Service", "ServiceMonitor"}; !slices.Equal(got, want) {
		t.Fatalf("rendered %v, want %v", got, want)
	}
	w := checkWorkload(t, objs)
	sm := only[*monitoringv1.ServiceMonitor](t, objs, "ServiceMonitor")
	if !subset(sm.Spec.Selector.MatchLabels, w.svc.Labels) || len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Port != w.svc.Spec.Ports[0].Name {
		t.Error("the ServiceMonitor must select the Service and scrape its named port")
	}
	var want monitoringv1.PrometheusRuleSpec
	if err := yaml.UnmarshalStrict(readFile(t, repoRoot, "alerts/twelvelabs.rules.yml"), &want); err != nil {
		t.Fatal(err)
	}
	if pr := only[*monitoringv1.PrometheusRule](t, objs, "PrometheusRule"); !equality.Semantic.DeepEqual(pr.Spec, want) {
		t.Error("the PrometheusRule's spec differs from alerts/twelvelabs.rules.yml: regenerate deploy/kubernetes/prometheusrule.yaml with go test ./deploy/kubernetes -update")
	}
}
