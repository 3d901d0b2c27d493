package client

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
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

// FileKey reads the key from a file and reads it again whenever the file
// changes (size, modification time or, through a Kubernetes secret's symlink
// swap, the file itself), so a rotated key is used without a restart.
type FileKey struct {
	path string

	mu      sync.Mutex
	key     string
	modTime time.Time
	size    int64
}

// NewFileKey reads the key file once, so that a missing, unreadable or empty
// file stops start-up rather than the first scrape.
func NewFileKey(path string) (*FileKey, error) {
	f := &FileKey{path: path}
	if _, err := f.APIKey(); err != nil {
		return nil, err
	}
	return f, nil
}

// APIKey returns the key, re-reading the file when it has changed. The error
// names the file, never its contents.
func (f *FileKey) APIKey() (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, err := os.Stat(f.path)
	if err != nil {
		return "", fmt.Errorf("API key file %s: %w", f.path, unwrapPathError(err))
	}
	if f.key != "" && st.ModTime().Equal(f.modTime) && st.Size() == f.size {
		return f.key, nil
	}
	raw, err := os.ReadFile(f.path)
	if err != nil {
		return "", fmt.Errorf("API key file %s: %w", f.path, unwrapPathError(err))
	}
	key := string(bytes.TrimSpace(raw))
	if key == "" {
		return "", fmt.Errorf("API key file %s is empty", f.path)
	}
	f.key, f.modTime, f.size = key, st.ModTime(), st.Size()
	return key, nil
}

// unwrapPathError drops the path that *os.PathError repeats, keeping "permission denied".
func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
