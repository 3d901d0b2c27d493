//go:build unix

package e2e

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twelvelabs-community/twelvelabs_exporter/internal/testproc"
	"github.com/twelvelabs-community/twelvelabs_exporter/simulator"
)

// A key file that is a FIFO, a device or a directory stops the binary at
// once with one line naming the file, never a fragment of the key; the
// same file in --config.check is one line too. Before, a FIFO held
// start-up until a writer came, and /dev/zero was read until memory ran
// out.
func TestBinaryRefusesKeyFilesThatAreNotRegular(t *testing.T) {
	parallel(t)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	failFast := func(t *testing.T, env []string, args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, binary, append([]string{"--web.listen-address=" + testproc.FreeAddr(t)}, args...)...)
		cmd.Env = env
		start := time.Now()
		out, err := cmd.CombinedOutput()
		if ctx.Err() != nil {
			t.Fatalf("%v: still running after 10 s; output %q", args, out)
		}
		if err == nil || time.Since(start) > 5*time.Second {
			t.Errorf("%v: exit %v after %v; want a failure at once", args, err, time.Since(start))
		}
		if strings.Contains(string(out), simKey) || strings.Contains(string(out), simKey[len(simKey)-12:]) {
			t.Errorf("%v: the output quotes the key", args)
		}
		return string(out)
	}
	for _, tc := range []struct{ name, path, what string }{
		{"FIFO", fifo, "is a named pipe, not a regular file"},
		{"device", "/dev/zero", "is a character device, not a regular file"},
		{"directory", dir, "is a directory, not a regular file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := failFast(t, []string{"TWELVELABS_API_KEY=" + simKey}, "--twelvelabs.api-key-file="+tc.path)
			want := "twelvelabs_exporter: error: --twelvelabs.api-key-file: API key file " + tc.path + " " + tc.what + ": point it at a file holding the key"
			if strings.TrimSpace(out) != want {
				t.Errorf("output %q\nwant %q", out, want)
			}
		})
	}
	t.Run("config check", func(t *testing.T) {
		cfg := filepath.Join(dir, "accounts.yml")
		if err := os.WriteFile(cfg, []byte("accounts:\n  - {name: a, key_file: "+fifo+"}\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		out := failFast(t, nil, "--config.file="+cfg, "--config.check")
		want := "twelvelabs_exporter: " + cfg + `:2: account "a": key_file: API key file ` + fifo + " is a named pipe, not a regular file: point it at a file holding the key"
		if strings.TrimSpace(out) != want {
			t.Errorf("output %q\nwant %q", out, want)
		}
	})
}

// A key file replaced by a FIFO while the exporter runs: scrapes go on
// with the last good key, and SIGHUP says what the file became, without
// the key.
func TestBinaryKeepsTheKeyWhenItsFileBecomesAFIFO(t *testing.T) {
	parallel(t)
	sim := simulator.New(simKey)
	sim.SetTasks(simulator.V1, simulator.Generate(simulator.GenerateOptions{Seed: 4, N: 20, Now: time.Now().Add(-2 * time.Second), API: simulator.V1}))
	srv := httptest.NewServer(sim)
	defer srv.Close()
	keyFile := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(keyFile, []byte(simKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startExporter(t, nil, "--twelvelabs.url="+srv.URL+simulator.BasePath, "--twelvelabs.api-key-file="+keyFile, "--twelvelabs.embed-api=v1")
	if err := os.Remove(keyFile); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(keyFile, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	// A scrape timeout bounds the scrape should the read of the FIFO block.
	start := time.Now()
	_, body := get(t, "http://"+p.addr+"/metrics", map[string]string{"X-Prometheus-Scrape-Timeout-Seconds": "4"})
	if up, _ := testproc.Value(testproc.ParseMetrics(t, body), "twelvelabs_up", map[string]string{"api": "v1"}); up != 1 || time.Since(start) > 5*time.Second {
		t.Errorf("scrape with the key file a FIFO: twelvelabs_up %v after %v; want 1 at once, with the last good key", up, time.Since(start))
	}
	if err := p.Cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	testproc.Eventually(t, 5*time.Second, 50*time.Millisecond, func() string {
		if !strings.Contains(p.Logs(), "SIGHUP: API key file not reloaded") {
			return "no log line for the SIGHUP"
		}
		return ""
	})
	logs := p.Logs()
	if !strings.Contains(logs, keyFile+" is a named pipe, not a regular file") || !strings.Contains(logs, "the last good key stays in use") {
		t.Errorf("the logs should say the key file is a named pipe and the last good key stays:\n%s", logs)
	}
	if strings.Contains(logs, simKey) || strings.Contains(logs, simKey[len(simKey)-12:]) {
		t.Error("the logs quote the key")
	}
}
