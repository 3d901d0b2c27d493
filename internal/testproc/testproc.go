// Package testproc runs the programs that the end-to-end tests drive (the
// exporter binary, Prometheus, Alertmanager) on free loopback ports, and
// stops them when the test ends.
package testproc

import (
	"bytes"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// SyncBuffer is a bytes.Buffer that concurrent writers may share: a
// process's stdout and stderr, or the logger of concurrent listings.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Process is a program started by a test; its output is kept for the
// test's log.
type Process struct {
	Cmd  *exec.Cmd
	name string
	out  SyncBuffer

	mu   sync.Mutex
	done chan error
	err  error
	exit bool
}

// Logs returns what the process has written to stdout and stderr so far.
func (p *Process) Logs() string { return p.out.String() }

// Start runs a program with the given environment (and PATH); it is
// stopped with SIGTERM, then killed, when the test ends, and its output
// goes to the test log if the test failed.
func Start(t testing.TB, path string, env []string, args ...string) *Process {
	t.Helper()
	p := &Process{name: path, done: make(chan error, 1)}
	p.Cmd = exec.Command(path, args...)
	p.Cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	p.Cmd.Stdout, p.Cmd.Stderr = &p.out, &p.out
	if err := p.Cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	go func() { p.done <- p.Cmd.Wait() }()
	t.Cleanup(func() {
		_ = p.Stop(5 * time.Second) // the exit status of a process stopped at clean-up does not matter
		if t.Failed() {
			t.Logf("output of %s:\n%s", path, p.Logs())
		}
	})
	return p
}

// Stop sends SIGTERM and waits up to grace before killing; it returns the
// exit error (nil for a clean exit).
func (p *Process) Stop(grace time.Duration) error {
	p.mu.Lock()
	exited := p.exit
	p.mu.Unlock()
	if !exited {
		_ = p.Cmd.Process.Signal(syscall.SIGTERM)
	}
	return p.Wait(grace)
}

// Wait waits up to timeout for the process to exit, killing it after that.
func (p *Process) Wait(timeout time.Duration) error {
	p.mu.Lock()
	if p.exit {
		defer p.mu.Unlock()
		return p.err
	}
	p.mu.Unlock()
	var err error
	select {
	case err = <-p.done:
	case <-time.After(timeout):
		_ = p.Cmd.Process.Kill()
		err = <-p.done
	}
	p.mu.Lock()
	p.exit, p.err = true, err
	p.mu.Unlock()
	return err
}

// FreeAddr returns a loopback address with a port that was free a moment ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	return ln.Addr().String()
}

// WaitHTTP polls url until it answers 2xx, for at most timeout.
func WaitHTTP(t testing.TB, url string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		resp, err := http.Get(url)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				return
			}
			err = &statusError{resp.Status}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer within %s: %v", url, timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type statusError struct{ status string }

func (e *statusError) Error() string { return "HTTP " + e.status }

// Require finds a program installed from a Debian package. Under CI its
// absence fails the test; elsewhere the test is skipped, saying what to
// install.
func Require(t testing.TB, program, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(program)
	if err == nil {
		return path
	}
	msg := program + " is not installed: apt-get install -y " + pkg
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg + " (CI runs this test)")
	return ""
}

// Eventually polls cond every interval until it returns "" or timeout
// passes; then it fails the test with cond's last complaint.
func Eventually(t testing.TB, timeout, interval time.Duration, cond func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		msg := cond()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", timeout, strings.TrimSpace(msg))
		}
		time.Sleep(interval)
	}
}

// Build compiles a main package into dir and returns the binary's path;
// extra go build flags (such as -race) come last.
func Build(dir, pkg, name string, flags ...string) (string, error) {
	out := dir + "/" + name
	cmd := exec.Command("go", append(append([]string{"build", "-o", out}, flags...), pkg)...)
	cmd.Stderr = os.Stderr
	return out, cmd.Run()
}
