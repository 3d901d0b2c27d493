package helm

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// The tools, pinned; deploy/helm-check.sh builds the same versions and
// passes them in $HELM, $KUSTOMIZE and $HELM_DOCS. Keep the two in step.
const (
	helmPkg      = "helm.sh/helm/v3/cmd/helm@v3.22.0"
	kustomizePkg = "sigs.k8s.io/kustomize/kustomize/v5@v5.8.2"
	helmDocsPkg  = "github.com/norwoodj/helm-docs/cmd/helm-docs@v1.14.2"
)

// helmDocsArgs make the chart's README.md; deploy/helm-check.sh passes the same.
var helmDocsArgs = []string{"--sort-values-order=file", "--log-level=warning"}

var tmpDir string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "twelvelabs-helm-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	tmpDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var (
	toolMu    sync.Mutex
	toolPaths = map[string]string{}
)

// tool returns the program named by the environment variable, or builds
// the pinned package into a temporary directory once.
func tool(t *testing.T, env, pkg string) string {
	t.Helper()
	if p := os.Getenv(env); p != "" {
		return p
	}
	toolMu.Lock()
	defer toolMu.Unlock()
	if p, ok := toolPaths[pkg]; ok {
		return p
	}
	bin := filepath.Join(tmpDir, "bin")
	t.Logf("$%s is not set: go install %s", env, pkg)
	cmd := exec.Command("go", "install", pkg)
	cmd.Env = append(os.Environ(), "GOBIN="+bin)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go install %s: %v\n%s", pkg, err, out)
	}
	name, _, _ := strings.Cut(filepath.Base(pkg), "@")
	if regexp.MustCompile(`^v[0-9]+$`).MatchString(name) { // .../kustomize/v5@…
		name = filepath.Base(filepath.Dir(pkg))
	}
	toolPaths[pkg] = filepath.Join(bin, name)
	return toolPaths[pkg]
}

func helm(t *testing.T) string      { return tool(t, "HELM", helmPkg) }
func kustomize(t *testing.T) string { return tool(t, "KUSTOMIZE", kustomizePkg) }
func helmDocs(t *testing.T) string  { return tool(t, "HELM_DOCS", helmDocsPkg) }

// exporter returns the exporter's binary: $EXPORTER, or one built from the
// repository's root once.
func exporter(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("EXPORTER"); p != "" {
		return p
	}
	toolMu.Lock()
	defer toolMu.Unlock()
	if p, ok := toolPaths["exporter"]; ok {
		return p
	}
	bin := filepath.Join(tmpDir, "twelvelabs_exporter")
	t.Logf("$EXPORTER is not set: go build -C %s -o %s .", repoRoot, bin)
	if out, err := exec.Command("go", "build", "-C", repoRoot, "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("building the exporter: %v\n%s", err, out)
	}
	toolPaths["exporter"] = bin
	return bin
}

var (
	flagsOnce sync.Once
	flagNames map[string]bool
	flagsErr  error
)

// flagLine matches a flag's line in kingpin's --help: "  -h, --[no-]help",
// "      --twelvelabs.url=…".
var flagLine = regexp.MustCompile(`^  (?:-\w, |    )--(\[no-\])?([a-z][a-z0-9._-]*)`)

// exporterFlags returns the names of the exporter's flags, as its --help
// lists them; a boolean flag's --no- form is a name too.
func exporterFlags(t *testing.T) map[string]bool {
	t.Helper()
	bin := exporter(t)
	flagsOnce.Do(func() {
		out, err := exec.Command(bin, "--help").CombinedOutput()
		if err != nil {
			flagsErr = fmt.Errorf("%s --help: %w\n%s", bin, err, out)
			return
		}
		flagNames = map[string]bool{}
		for _, line := range strings.Split(string(out), "\n") {
			if m := flagLine.FindStringSubmatch(line); m != nil {
				flagNames["--"+m[2]] = true
				if m[1] != "" {
					flagNames["--no-"+m[2]] = true
				}
			}
		}
		if !flagNames["--twelvelabs.api-key-file"] || !flagNames["--web.listen-address"] {
			flagsErr = fmt.Errorf("found no --twelvelabs.api-key-file or --web.listen-address in %s --help:\n%s", bin, out)
		}
	})
	if flagsErr != nil {
		t.Fatal(flagsErr)
	}
	return flagNames
}

// syncBuffer collects a process's output while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// runExporter starts the exporter with args, and env added to this
// process's environment, and returns its base URL once it answers GET
// readyPath with 200. It is stopped when the test ends.
func runExporter(t *testing.T, args, env []string, port int, readyPath string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, exporter(t), args...)
	cmd.Env = append(os.Environ(), env...)
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cancel()
		<-exited
	})
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("the exporter exited (%v) with the arguments %q:\n%s", err, args, out.String())
		default:
		}
		resp, err := client.Get(base + readyPath)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the exporter did not answer GET %s with 200 in 20s (last: %v %v); its output:\n%s", readyPath, statusOf(resp), err, out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func statusOf(resp *http.Response) string {
	if resp == nil {
		return "no response"
	}
	return resp.Status
}
