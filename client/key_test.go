//go:build unix

package client

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// within runs f and fails the test if it has not returned after 10 s: a
// reader that opens a FIFO without O_NONBLOCK, or reads /dev/zero to its
// end, never returns.
func within[T any](t *testing.T, what string, f func() T) T {
	t.Helper()
	done := make(chan T, 1)
	go func() { done <- f() }()
	select {
	case v := <-done:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: still running after 10 s", what)
		panic("unreachable")
	}
}

func mkfifo(t *testing.T, path string) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
}

// Only a regular file can hold the key: a FIFO would block start-up until
// some writer came, a device such as /dev/zero would fill memory, and the
// rest cannot be read at all. Each is one line naming the file and saying
// what to do.
func TestKeyFileMustBeARegularFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	mkfifo(t, fifo)
	// A socket's path must be short: t.TempDir's may pass the limit.
	sdir, err := os.MkdirTemp("", "k")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(sdir)
	sock := filepath.Join(sdir, "s")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	for path, what := range map[string]string{
		fifo:        "is a named pipe, not a regular file",
		"/dev/zero": "is a character device, not a regular file",
		sock:        "is a socket, not a regular file",
		dir:         "is a directory, not a regular file",
	} {
		err := within(t, path, func() error { _, err := NewFileKey(path, nil); return err })
		if err == nil || !errors.Is(err, ErrNotRegularFile) {
			t.Errorf("%s: err %v, want ErrNotRegularFile", path, err)
			continue
		}
		want := "API key file " + path + " " + what + ": point it at a file holding the key"
		if err.Error() != want {
			t.Errorf("%s: err %q, want %q", path, err, want)
		}
	}
}

// The path is checked before it is opened; should it become a FIFO in
// between, the open must not wait for a writer, and the opened file is
// checked again.
func TestOpeningAFIFONeverBlocks(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "key")
	mkfifo(t, fifo)
	err := within(t, "openRegular", func() error {
		f, err := openRegular(fifo)
		if err == nil {
			f.Close()
		}
		return err
	})
	if !errors.Is(err, ErrNotRegularFile) || !strings.Contains(err.Error(), "is a named pipe") {
		t.Errorf("err %v, want a named pipe refused", err)
	}
}

// A key file swapped for a FIFO or a device while the exporter runs: the
// last good key stays in use, the change is reported once, and no request
// hangs on it.
func TestReloadKeepsTheKeyWhenTheFileBecomesAFIFO(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "key")
	if err := os.WriteFile(path, []byte("tlk_good_key_0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var reported []error
	fk, err := NewFileKey(path, func(err error) { reported = append(reported, err) })
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	mkfifo(t, path)
	for range 3 {
		k := within(t, "APIKey", func() string { k, _ := fk.APIKey(); return k })
		if k != "tlk_good_key_0123456789" {
			t.Errorf("key %q, want the last good one", k)
		}
	}
	type reload struct {
		key     string
		changed bool
		err     error
	}
	r := within(t, "Reload", func() reload { k, c, e := fk.Reload(); return reload{k, c, e} })
	k, c, err := r.key, r.changed, r.err
	if k != "tlk_good_key_0123456789" || c || err == nil {
		t.Fatalf("Reload: %q %v %v; want the last good key and an error", k, c, err)
	}
	if !strings.Contains(err.Error(), path+" is a named pipe, not a regular file") || !strings.Contains(err.Error(), "the last good key stays in use") {
		t.Errorf("err %q", err)
	}
	if len(reported) != 1 || strings.Contains(reported[0].Error(), "0123456789") {
		t.Errorf("reported %v, want the FIFO once, without the key", reported)
	}
}

// A Kubernetes Secret's file is a symbolic link, through ..data, to a
// timestamped directory that a rotation replaces: it is followed, and a
// rotation is picked up.
func TestKeyFileThroughSymbolicLinks(t *testing.T) {
	dir := t.TempDir()
	for gen, key := range []string{"tlk_first_key_0123456789", "tlk_second_key_0123456789"} {
		ts := filepath.Join(dir, "..2026_11_20_12_00_0"+string(rune('0'+gen)))
		if err := os.Mkdir(ts, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(ts, "api-key"), []byte(key+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		tmp := filepath.Join(dir, "..data_tmp")
		if err := os.Symlink(filepath.Base(ts), tmp); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, "..data")); err != nil {
			t.Fatal(err)
		}
	}
	link := filepath.Join(dir, "api-key")
	if err := os.Symlink(filepath.Join("..data", "api-key"), link); err != nil {
		t.Fatal(err)
	}
	fk, err := NewFileKey(link, nil)
	if err != nil {
		t.Fatal(err)
	}
	if k, _ := fk.APIKey(); k != "tlk_second_key_0123456789" {
		t.Errorf("key %q through the links", k)
	}
	tmp := filepath.Join(dir, "..data_tmp")
	if err := os.Symlink("..2026_11_20_12_00_00", tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	if k, changed, err := fk.Reload(); k != "tlk_first_key_0123456789" || !changed || err != nil {
		t.Errorf("after the link moved: %q %v %v", k, changed, err)
	}
	// A link to a FIFO is no better than the FIFO.
	fifo := filepath.Join(dir, "fifo")
	mkfifo(t, fifo)
	if err := os.Symlink(fifo, filepath.Join(dir, "to-fifo")); err != nil {
		t.Fatal(err)
	}
	err = within(t, "NewFileKey", func() error { _, err := NewFileKey(filepath.Join(dir, "to-fifo"), nil); return err })
	if !errors.Is(err, ErrNotRegularFile) || !strings.Contains(err.Error(), "is a named pipe") {
		t.Errorf("a link to a FIFO: err %v", err)
	}
}

// A read that hangs (a stuck network mount) fails after the timeout, and
// while it hangs no further read starts: requests fail over to the last
// good key rather than pile up goroutines.
func TestAHungReadTimesOut(t *testing.T) {
	release := make(chan struct{})
	var hung atomic.Int32
	var started atomic.Int32
	read := func() ([]byte, error) { started.Add(1); <-release; return []byte("k"), nil }
	start := time.Now()
	_, err := readWithin("/mnt/key", 50*time.Millisecond, &hung, read)
	if !errors.Is(err, ErrFileReadTimeout) || err.Error() != "/mnt/key could not be read within 50ms" || time.Since(start) > 5*time.Second {
		t.Fatalf("err %v after %v, want a timeout", err, time.Since(start))
	}
	if _, err := readWithin("/mnt/key", 50*time.Millisecond, &hung, read); !errors.Is(err, ErrFileReadTimeout) || !strings.Contains(err.Error(), "still being read") {
		t.Errorf("while the first read hangs: err %v", err)
	}
	if n := started.Load(); n != 1 {
		t.Errorf("%d reads started, want 1 while the first hangs", n)
	}
	close(release)
	for deadline := time.Now().Add(5 * time.Second); hung.Load() != 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if raw, err := readWithin("/mnt/key", time.Second, &hung, func() ([]byte, error) { return []byte("k"), nil }); err != nil || string(raw) != "k" {
		t.Errorf("after the hung read ended: %q %v", raw, err)
	}
}
