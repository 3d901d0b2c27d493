package client

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sync"
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
// A file that becomes unreadable or invalid keeps the last good key in use:
// the failure is reported once per change, through Config.Report.
type FileKey struct {
	path   string
	report func(error)

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
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("API key file %s: %w", path, unwrapPathError(err))
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
	raw, rerr := os.ReadFile(f.path)
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case rerr != nil:
		err = fmt.Errorf("API key file %s: %w; the last good key stays in use", f.path, unwrapPathError(rerr))
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
