package client

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"
)

// KeySource yields the API key for each request. Keys expire and get rotated,
// so a source may return a different key over time.
type KeySource interface {
	APIKey() (string, error)
}

// StaticKey is a key that never changes, for example one read from the environment.
type StaticKey string

// APIKey returns the key.
func (k StaticKey) APIKey() (string, error) { return string(k), nil }

// CheckKey reads a key as it sits in a file or a variable: one line,
// surrounding space and a final newline allowed. A byte-order mark, more
// than one non-empty line, or control characters are errors, since any of
// them would go out in the header and be refused as a wrong key. The error
// never quotes the key.
func CheckKey(raw []byte) (string, error) {
	if bytes.HasPrefix(raw, []byte("\xef\xbb\xbf")) {
		return "", errors.New("starts with a byte-order mark: save it as plain text")
	}
	key := bytes.TrimSpace(raw)
	switch {
	case len(key) == 0:
		return "", errors.New("is empty")
	case bytes.ContainsAny(key, "\r\n"):
		return "", errors.New("holds more than one line: it must hold the key alone")
	case !utf8.Valid(key):
		return "", errors.New("is not UTF-8 text")
	case bytes.IndexFunc(key, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) >= 0:
		return "", errors.New("holds control characters or spaces inside the key")
	}
	return string(key), nil
}

// FileKey reads the key from a file, and again on every request: a rotated
// key is used at once, without a restart, whether the file was rewritten in
// place, swapped through a Kubernetes secret's symlink, or copied with its
// size and modification time kept (cp -p, rsync -a), which a check of size
// and time would miss. Reading a file of a few bytes per request costs
// microseconds.
//
// The file is read as ReadRegularFile reads it: a regular file (or a link
// to one) of at most MaxKeyFileBytes, within FileReadTimeout; a FIFO or a
// device can neither block a request nor fill memory.
//
// A file that becomes unreadable or invalid keeps the last good key in use:
// the failure is reported once per change, through Config.Report.
type FileKey struct {
	path   string
	report func(error)
	// hung counts reads still running past FileReadTimeout: while one
	// is, no other starts, so that a hung mount costs a goroutine or two
	// rather than one per request.
	hung atomic.Int32

	mu      sync.Mutex
	raw     []byte // the file's content when last read
	key     string // the last good key
	lastErr string // the last failure reported
}

// NewFileKey reads the key file once, so that a missing, unreadable or
// invalid file stops start-up rather than the first scrape. report, when
// set, is told when a later read fails or finds an invalid key, and when
// the key changes.
func NewFileKey(path string, report func(error)) (*FileKey, error) {
	if report == nil {
		report = func(error) {}
	}
	f := &FileKey{path: path, report: report}
	raw, err := readRegularFile(path, MaxKeyFileBytes, FileReadTimeout, &f.hung)
	if err != nil {
		return nil, keyFileError(err)
	}
	key, err := CheckKey(raw)
	if err != nil {
		return nil, fmt.Errorf("API key file %s %w", path, err)
	}
	f.raw, f.key = raw, key
	return f, nil
}

// ErrKeyChanged is reported (not returned) when the key file holds a new,
// valid key.
var ErrKeyChanged = errors.New("the API key changed")

// APIKey returns the key, re-read from the file. The error names the file,
// never its contents.
func (f *FileKey) APIKey() (string, error) {
	key, _, _ := f.Reload()
	return key, nil
}

// Reload reads the file again; changed is true when it holds a new valid
// key. On error the last good key stays in use.
func (f *FileKey) Reload() (key string, changed bool, err error) {
	raw, rerr := readRegularFile(f.path, MaxKeyFileBytes, FileReadTimeout, &f.hung)
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case rerr != nil:
		err = fmt.Errorf("%w; the last good key stays in use", keyFileError(rerr))
	case bytes.Equal(raw, f.raw):
		return f.key, false, nil
	default:
		var k string
		if k, err = CheckKey(raw); err != nil {
			err = fmt.Errorf("API key file %s %w; the last good key stays in use", f.path, err)
			break
		}
		f.raw, f.lastErr = raw, ""
		changed = k != f.key
		f.key = k
		if changed {
			f.report(fmt.Errorf("API key file %s: %w", f.path, ErrKeyChanged))
		}
		return f.key, changed, nil
	}
	if err.Error() != f.lastErr {
		f.lastErr = err.Error()
		f.report(err)
	}
	return f.key, false, err
}

// unwrapPathError drops the path that *os.PathError repeats, keeping "permission denied".
func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// keyFileError words a key file that could not be read; like every error
// here it names the file, never its content. A file that is not one a key
// can be in gets told where to point instead.
func keyFileError(err error) error {
	if errors.Is(err, ErrNotRegularFile) || errors.Is(err, ErrFileTooLarge) {
		return fmt.Errorf("API key file %w: point it at a file holding the key", err)
	}
	return fmt.Errorf("API key file %w", err)
}

// Limits of a key file's read. A key is tens of bytes and reads in
// microseconds; a file past either limit is no key file (a log, an image,
// /dev/zero, a hung network mount) and must fail at once, not grow memory
// or hold every request that needs the key.
const (
	MaxKeyFileBytes = 64 << 10
	FileReadTimeout = 5 * time.Second
)

var (
	// ErrNotRegularFile: the path names a named pipe, a device, a socket,
	// a directory or another file that is not a regular one. A FIFO
	// blocks its reader until some writer comes, and a device such as
	// /dev/zero never ends.
	ErrNotRegularFile = errors.New("not a regular file")
	// ErrFileTooLarge: a file past the size its reader allows.
	ErrFileTooLarge = errors.New("file too large")
	// ErrFileReadTimeout: a file that took longer to read than its reader
	// allows.
	ErrFileReadTimeout = errors.New("file read timed out")
)

// FileError is a file ReadRegularFile could not read. Its message starts
// with the path, for the caller to say in front what the file is for:
// "API key file /run/key is a named pipe, not a regular file".
type FileError struct {
	Path string
	// Err is ErrNotRegularFile, ErrFileTooLarge, ErrFileReadTimeout or
	// the operating system's error, without the path that *os.PathError
	// would repeat.
	Err     error
	problem string // how Error words the three above, after the path
}

func (e *FileError) Error() string {
	if e.problem != "" {
		return e.Path + " " + e.problem
	}
	return e.Path + ": " + e.Err.Error()
}

func (e *FileError) Unwrap() error { return e.Err }

// ReadRegularFile reads a small file whole: at most limit bytes, within
// timeout. Only a regular file is read, or a symbolic link to one (the
// files of a mounted Kubernetes Secret are links): anything else is a
// *FileError wrapping ErrNotRegularFile, before a byte is read. Errors
// name the path, never the content.
func ReadRegularFile(path string, limit int64, timeout time.Duration) ([]byte, error) {
	return readRegularFile(path, limit, timeout, nil)
}

// readRegularFile is ReadRegularFile; hung, when set, counts the reads
// still running past timeout, and none starts while one is.
func readRegularFile(path string, limit int64, timeout time.Duration, hung *atomic.Int32) ([]byte, error) {
	return readWithin(path, timeout, hung, func() ([]byte, error) { return readRegular(path, limit) })
}

// readWithin runs read, waiting for it at most timeout. A read of a
// regular file cannot be interrupted, and a network or FUSE mount can hang
// it (stat and open too): it runs on its own, and the caller stops waiting.
func readWithin(path string, timeout time.Duration, hung *atomic.Int32, read func() ([]byte, error)) ([]byte, error) {
	if hung != nil && hung.Load() > 0 {
		return nil, &FileError{Path: path, Err: ErrFileReadTimeout,
			problem: fmt.Sprintf("is still being read after more than %s (a hung mount?)", timeout)}
	}
	type result struct {
		raw []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		raw, err := read()
		done <- result{raw, err}
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case r := <-done:
		return r.raw, r.err
	case <-timer.C:
	}
	if hung != nil {
		hung.Add(1)
		go func() {
			<-done
			hung.Add(-1)
		}()
	}
	return nil, &FileError{Path: path, Err: ErrFileReadTimeout, problem: fmt.Sprintf("could not be read within %s", timeout)}
}

// readRegular checks that path is a regular file (following symbolic
// links), then reads at most limit bytes of it.
func readRegular(path string, limit int64) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, &FileError{Path: path, Err: unwrapPathError(err)}
	}
	if err := checkRegular(path, st.Mode()); err != nil {
		return nil, err
	}
	f, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	// One byte past the limit tells a file at the limit from a larger one.
	raw, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, &FileError{Path: path, Err: unwrapPathError(err)}
	}
	if int64(len(raw)) > limit {
		return nil, &FileError{Path: path, Err: ErrFileTooLarge, problem: "is larger than " + byteSize(limit)}
	}
	return raw, nil
}

// openRegular opens path for reading and checks again, on the opened
// file, that it is a regular one: the path may have been swapped for a
// FIFO since it was checked. O_NONBLOCK makes opening a FIFO return at
// once rather than wait for a writer that may never come; on a regular
// file it changes nothing.
func openRegular(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, &FileError{Path: path, Err: unwrapPathError(err)}
	}
	st, err := f.Stat()
	if err == nil {
		err = checkRegular(path, st.Mode())
	} else {
		err = &FileError{Path: path, Err: unwrapPathError(err)}
	}
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return f, nil
}

// checkRegular says what a file of mode m is when it is not a regular file.
func checkRegular(path string, m fs.FileMode) error {
	if m.IsRegular() {
		return nil
	}
	what := "an irregular file"
	switch {
	case m.IsDir():
		what = "a directory"
	case m&fs.ModeNamedPipe != 0:
		what = "a named pipe"
	case m&fs.ModeSocket != 0:
		what = "a socket"
	case m&fs.ModeCharDevice != 0:
		what = "a character device"
	case m&fs.ModeDevice != 0:
		what = "a device"
	case m&fs.ModeSymlink != 0:
		what = "a symbolic link"
	}
	return &FileError{Path: path, Err: ErrNotRegularFile, problem: "is " + what + ", not a regular file"}
}

// byteSize writes a limit for people: 64 KiB, 1 MiB.
func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
