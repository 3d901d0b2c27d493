package client

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParsesEveryErrorShape(t *testing.T) {
	for _, tc := range []struct {
		name          string
		status        int
		body          string
		code, message string
	}{
		{"flat", 400, `{"code":"parameter_invalid","message":"The page_limit parameter is invalid.","docs_url":"https://docs.example/errors"}`,
			"parameter_invalid", "The page_limit parameter is invalid."},
		{"nested", 401, `{"error":{"code":"api_key_invalid","message":"API Key is either invalid or expired.","details":{"x":1}}}`,
			"api_key_invalid", "API Key is either invalid or expired."},
		{"error string", 403, `{"error":"forbidden by gateway"}`, "", "forbidden by gateway"},
		{"html", 404, "<html><head><title>404</title></head>\n<body><h1>Not Found</h1></body></html>", "", "non-JSON body: 404 Not Found"},
		{"empty", 400, "", "", "empty body (Bad Request)"},
		{"other JSON", 400, `{"detail":"nope"}`, "", `error body without code or message: {"detail":"nope"}`},
		{"key echoed", 401, `{"code":"api_key_invalid","message":"key ` + testKey + ` is invalid"}`, "api_key_invalid", "key <redacted> is invalid"},
		{"control characters", 400, "{\"code\":\"x\",\"message\":\"a\\nb\\u0000c\"}", "x", "a b c"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &script{steps: []func(http.ResponseWriter, *http.Request){status(tc.status, nil, tc.body)}}
			c, _ := scripted(t, s, nil)
			_, err := c.List(context.Background(), week(V2))
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("err %v, want an *APIError", err)
			}
			if ae.StatusCode != tc.status || ae.Code != tc.code || ae.Message != tc.message || ae.API != V2 || ae.Page != 1 {
				t.Errorf("got %+v, want status %d code %q message %q", *ae, tc.status, tc.code, tc.message)
			}
			if strings.Contains(err.Error(), testKey) {
				t.Errorf("error %q contains the key", err)
			}
		})
	}
}

func TestLongNonJSONBodyIsCut(t *testing.T) {
	s := &script{steps: []func(http.ResponseWriter, *http.Request){status(502, nil, strings.Repeat("bad gateway ", 10000))}}
	c, _ := scripted(t, s, func(c *Config) { c.Retries = 0 })
	_, err := c.List(context.Background(), week(V1))
	if err == nil || len(err.Error()) > 300 {
		t.Errorf("error of %d bytes, want a short one: %v", len(err.Error()), err)
	}
}

func TestErrorClasses(t *testing.T) {
	for code, want := range map[int][4]bool{
		400: {false, false, false, false},
		401: {true, false, false, false},
		403: {true, false, false, false},
		404: {false, false, true, false},
		429: {false, true, false, false},
		500: {false, false, false, true},
		503: {false, false, false, true},
	} {
		e := &APIError{StatusCode: code}
		if got := [4]bool{e.KeyRejected(), e.RateLimited(), e.NotFound(), e.ServerFault()}; got != want {
			t.Errorf("%d: key rejected, rate-limited, not found, server fault = %v, want %v", code, got, want)
		}
	}
	if !(&APIError{StatusCode: 400, Code: "api_key_invalid"}).KeyRejected() {
		t.Error("code api_key_invalid should count as a rejected key whatever the status")
	}
}

func TestFileKeyFollowsRotation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(path, []byte("first-key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fk, err := NewFileKey(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if k, _ := fk.APIKey(); k != "first-key" {
		t.Fatalf("key %q, want the file's trimmed content", k)
	}
	// A rotation by rename, as a Kubernetes secret update does it.
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte("second-key-longer"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	if k, err := fk.APIKey(); err != nil || k != "second-key-longer" {
		t.Errorf("after rotation: key %q err %v", k, err)
	}
	// Same size, new modification time.
	if err := os.WriteFile(path, []byte("third-key-xlonger"), 0o600); err != nil {
		t.Fatal(err)
	}
	future := time.Now().Add(time.Hour)
	if err := os.Chtimes(path, future, future); err != nil {
		t.Fatal(err)
	}
	if k, _ := fk.APIKey(); k != "third-key-xlonger" {
		t.Errorf("after rewrite: key %q", k)
	}
	// Same size and the modification time kept, as cp -p and rsync -a do:
	// only the content tells.
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("fourth-key-xlong"+"r"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, st.ModTime(), st.ModTime()); err != nil {
		t.Fatal(err)
	}
	if k, _ := fk.APIKey(); k != "fourth-key-xlongr" {
		t.Errorf("after a rewrite keeping size and time: key %q", k)
	}
}

func TestKeyFileContentIsChecked(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"bom":       "\xef\xbb\xbftlk_key_1234567890",
		"two lines": "tlk_key_1234567890\ntlk_other_1234567890\n",
		"control":   "tlk_key\x00_1234567890",
		"inner tab": "tlk_key\t1234567890",
		"empty":     "\n\n",
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := NewFileKey(path, nil)
		if err == nil || !strings.Contains(err.Error(), path) || strings.Contains(err.Error(), "1234567890") {
			t.Errorf("%s: err %v, want one naming the file and not quoting the key", name, err)
		}
	}
	for _, ok := range []string{"tlk_key_1234567890", "  tlk_key_1234567890\r\n", "tlk_key_1234567890\n\n"} {
		if k, err := CheckKey([]byte(ok)); err != nil || k != "tlk_key_1234567890" {
			t.Errorf("%q: key %q err %v", ok, k, err)
		}
	}
}

func TestFileKeyErrorsNameThePathNotTheKey(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte(" \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		empty:                         "is empty",
		filepath.Join(dir, "missing"): "no such file or directory",
	} {
		_, err := NewFileKey(path, nil)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err %v, want the path and %q", path, err, want)
		}
	}
	path := filepath.Join(dir, "key")
	if err := os.WriteFile(path, []byte("secret-value"), 0o600); err != nil {
		t.Fatal(err)
	}
	fk, err := NewFileKey(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	// Emptied or made invalid: the last good key stays in use, and the
	// failure is reported once, without the key.
	var reported []error
	fk.report = func(err error) { reported = append(reported, err) }
	for range 3 {
		if k, _ := fk.APIKey(); k != "secret-value" {
			t.Errorf("emptied key file: key %q, want the last good one", k)
		}
	}
	if len(reported) != 1 || !strings.Contains(reported[0].Error(), "is empty") || strings.Contains(reported[0].Error(), "secret-value") {
		t.Errorf("reported %v, want one error without the key", reported)
	}
	if err := os.WriteFile(path, []byte("new-secret-value\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if k, changed, err := fk.Reload(); k != "new-secret-value" || !changed || err != nil {
		t.Errorf("reload after a fix: %q %v %v", k, changed, err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for name, cfg := range map[string]Config{
		"relative URL":     {BaseURL: "api.twelvelabs.io/v1.3", Key: StaticKey("k")},
		"ftp URL":          {BaseURL: "ftp://api.twelvelabs.io", Key: StaticKey("k")},
		"credentials":      {BaseURL: "https://u:p@api.twelvelabs.io", Key: StaticKey("k")},
		"no key":           {BaseURL: "https://api.twelvelabs.io/v1.3"},
		"page limit 51":    {BaseURL: "https://api.twelvelabs.io/v1.3", Key: StaticKey("k"), PageLimit: 51},
		"concurrency 0":    {BaseURL: "https://api.twelvelabs.io/v1.3", Key: StaticKey("k"), MaxPages: 1},
		"max pages 0":      {BaseURL: "https://api.twelvelabs.io/v1.3", Key: StaticKey("k"), Concurrency: 1},
		"negative retries": {BaseURL: "https://api.twelvelabs.io/v1.3", Key: StaticKey("k"), Retries: -1},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// A directory or a file past MaxKeyFileBytes is no key file: one line
// naming the file and what to do, never a fragment of what it holds. A
// file at the limit still reads.
func TestKeyFileSizeAndTypeAreChecked(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, bytes.Repeat([]byte("k"), MaxKeyFileBytes+1), 0o600); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		dir: "API key file " + dir + " is a directory, not a regular file: point it at a file holding the key",
		big: "API key file " + big + " is larger than 64 KiB: point it at a file holding the key",
	} {
		_, err := NewFileKey(path, nil)
		if err == nil || err.Error() != want {
			t.Errorf("%s: err %v, want %q", path, err, want)
		}
	}
	atLimit := filepath.Join(dir, "at-limit")
	if err := os.WriteFile(atLimit, bytes.Repeat([]byte("k"), MaxKeyFileBytes), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewFileKey(atLimit, nil); err != nil {
		t.Errorf("a file of exactly %d bytes: %v", MaxKeyFileBytes, err)
	}

	// Grown past the limit while in use: the last good key stays.
	path := filepath.Join(dir, "key")
	if err := os.WriteFile(path, []byte("tlk_good_key_0123456789"), 0o600); err != nil {
		t.Fatal(err)
	}
	fk, err := NewFileKey(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, bytes.Repeat([]byte("tlk_good_key_0123456789"), 5000), 0o600); err != nil {
		t.Fatal(err)
	}
	k, changed, err := fk.Reload()
	if k != "tlk_good_key_0123456789" || changed || !errors.Is(err, ErrFileTooLarge) ||
		!strings.Contains(err.Error(), "the last good key stays in use") || strings.Contains(err.Error(), "0123456789") {
		t.Errorf("grown past the limit: %q %v %v", k, changed, err)
	}
}

// An empty 200, or a body that is not the gzip its Content-Encoding says,
// is the API's answer, not a network failure: reason malformed, with an
// error that says what came, and no retry (it would come the same).
func TestOddBodiesAreMalformed(t *testing.T) {
	gzipped := func(body string) func(http.ResponseWriter, *http.Request) {
		return status(200, map[string]string{"Content-Encoding": "gzip", "Content-Type": "application/json"}, body)
	}
	validGzip := func(b []byte) string {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write(b)
		_ = zw.Close()
		return buf.String()
	}
	page := validGzip([]byte(onePage))
	for _, tc := range []struct {
		name string
		step func(http.ResponseWriter, *http.Request)
		want string
	}{
		{"empty", status(200, nil, ""), "the API answered 200 with an empty body"},
		{"blank", status(200, nil, " \r\n\t"), "the API answered 200 with a body of white space only"},
		{"empty gzip", gzipped(""), "the API answered 200 with an empty body"},
		{"gzip of nothing", gzipped(validGzip(nil)), "the API answered 200 with an empty body"},
		{"garbage as gzip", gzipped(`{"data":[],"page_info":{}} is not gzip`), "the API answered 200 with a body that is not valid gzip"},
		{"corrupt deflate", gzipped("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + "garbage-after-a-gzip-header"), "the API answered 200 with a body that is not valid gzip"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &script{steps: []func(http.ResponseWriter, *http.Request){tc.step}}
			c, slept := scripted(t, s, nil)
			_, err := c.List(context.Background(), week(V1))
			if r := ReasonOf(err); r != ReasonMalformed || err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("reason %s, err %v; want %s and %q", r, err, ReasonMalformed, tc.want)
			}
			if n := s.n.Load(); n != 1 || len(*slept) != 0 {
				t.Errorf("%d requests, waits %v; want one request, no retry", n, *slept)
			}
		})
	}
	// A valid gzip page still reads, and a gzip body cut short in transit
	// stays a read error worth a retry.
	s := &script{steps: []func(http.ResponseWriter, *http.Request){gzipped(page)}}
	c, _ := scripted(t, s, nil)
	if l, err := c.List(context.Background(), week(V1)); err != nil || l.Pages != 1 {
		t.Errorf("a valid gzip page: %v", err)
	}
	s = &script{steps: []func(http.ResponseWriter, *http.Request){gzipped(page[:len(page)/2]), status(200, nil, onePage)}}
	c, _ = scripted(t, s, nil)
	if _, err := c.List(context.Background(), week(V1)); err != nil || s.n.Load() != 2 {
		t.Errorf("a gzip body cut short: err %v after %d requests, want success on the retry", err, s.n.Load())
	}
}

func TestRedactURLs(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"no URL here", "no URL here"},
		{"https://api.twelvelabs.io/v1.3", "https://api.twelvelabs.io/v1.3"},
		{"https://user@proxy:3128", "https://user@proxy:3128"}, // a user alone stays, as with url.URL.Redacted
		{"proxyconnect http://bob:s3cr3t@proxy.corp:3128: refused", "proxyconnect http://bob:xxxxx@proxy.corp:3128: refused"},
		{`--twelvelabs.url="https://u:s3cr3t@api.twelvelabs.io/v1.3": want a URL`, `--twelvelabs.url="https://u:xxxxx@api.twelvelabs.io/v1.3": want a URL`},
		{"two: http://a:s3cr3t1@h1/ and socks5://b:s3cr3t2@h2", "two: http://a:xxxxx@h1/ and socks5://b:xxxxx@h2"},
		// Unparseable: a password with '@', '/' or a quote escaped by %q.
		{`invalid proxy address "http://bob:p@ss@proxy:3128": x`, `invalid proxy address "http://bob:xxxxx@proxy:3128": x`},
		{`parse "http://bob:s3/cr3t@proxy": invalid port`, `parse "http://bob:xxxxx@proxy": invalid port`},
		{`"http://bob:s3\"cr3t@proxy"`, `"http://bob:xxxxx@proxy"`},
		{"yaml: cannot unmarshal !!str `http://u:s3cr3t@x` into int", "yaml: cannot unmarshal !!str `http://u:xxxxx@x` into int"},
		// An '@' past the host is no user information.
		{"https://host/p?mail=a@b.c and mailto:x@y", "https://host/p?mail=a@b.c and mailto:x@y"},
	} {
		if got := RedactURLs(tc.in); got != tc.want {
			t.Errorf("RedactURLs(%q)\n = %q\nwant %q", tc.in, got, tc.want)
		}
	}
	base := fmt.Errorf("wrapped: %w", ErrBudgetExhausted)
	err := RedactURLsInError(fmt.Errorf("proxy http://u:s3cr3t@p: %w", base))
	if strings.Contains(err.Error(), "s3cr3t") || !errors.Is(err, ErrBudgetExhausted) {
		t.Errorf("RedactURLsInError: %v, want the password gone and the chain kept", err)
	}
	if RedactURLsInError(base) != base || RedactURLsInError(nil) != nil { //nolint:errorlint // identity: an error with nothing to redact comes back as the same value
		t.Error("RedactURLsInError should return an error without credentials as it is")
	}
}

// A gateway's error page quoting a URL with credentials: the password
// never reaches the error.
func TestErrorBodyURLCredentialsAreRedacted(t *testing.T) {
	body := `<html><body>upstream http://svc:hunter2hunter2@10.0.0.7:8080/v1.3 refused</body></html>`
	s := &script{steps: []func(http.ResponseWriter, *http.Request){status(502, nil, body)}}
	c, _ := scripted(t, s, func(c *Config) { c.Retries = 0 })
	_, err := c.List(context.Background(), week(V1))
	if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "http://svc:xxxxx@10.0.0.7:8080/v1.3") {
		t.Errorf("err %v, want the URL with its password redacted", err)
	}
}

// An API (or what answers in its place) that echoes the key, or a piece
// of it, where the exporter quotes the answer: the key goes nowhere.
func TestAnEchoedKeyGoesNowhere(t *testing.T) {
	piece := testKey[len(testKey)-12:] // 12 bytes: more than redact's least fragment
	for _, tc := range []struct {
		name string
		step func(http.ResponseWriter, *http.Request)
	}{
		{"in a name the JSON syntax error quotes", status(200, nil, `{"data":[{"`+testKey+`" 1}]}`)},
		{"in a string cut short", status(200, nil, `{"data":[{"_id":"`+testKey)},
		{"in an off-host redirect", status(302, map[string]string{"Location": "http://" + piece + ".example/v1.3/embed/tasks"}, "")},
		{"in a 400's body", status(400, nil, "key="+testKey)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &script{steps: []func(http.ResponseWriter, *http.Request){tc.step}}
			c, _ := scripted(t, s, func(c *Config) { c.Retries = 0 })
			_, err := c.List(context.Background(), week(V1))
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), piece) {
				t.Errorf("error %q holds a piece of the key", err)
			}
		})
	}
	t.Run("as a model name", func(t *testing.T) {
		body := strings.Replace(onePage, `"marengo3.0"`, `"`+testKey+`"`, 1)
		s := &script{steps: []func(http.ResponseWriter, *http.Request){status(200, nil, body)}}
		c, _ := scripted(t, s, nil)
		l, err := c.List(context.Background(), week(V1))
		if err != nil {
			t.Fatal(err)
		}
		for k := range l.Groups {
			if strings.Contains(k.Model, piece) {
				t.Errorf("model label %q holds a piece of the key", k.Model)
			}
		}
		if len(l.Groups) != 1 {
			t.Errorf("%d groups, want the task counted under a redacted model", len(l.Groups))
		}
	})
}

// Counts by status are what listings are verified against: a page asked
// by status that holds another status is an API ignoring the filter, a
// malformed answer at once, not a disagreement narrowed for many requests.
func TestAPageOfAnotherStatusIsInconsistent(t *testing.T) {
	s := &script{steps: []func(http.ResponseWriter, *http.Request){status(200, nil, onePage)}}
	c, _ := scripted(t, s, nil)
	q := week(V1)
	q.Status = "ready"
	if _, err := c.Page(context.Background(), q, 1); err != nil {
		t.Fatalf("status=ready, a ready task: %v", err)
	}
	// A status it cannot read, or one it does not document, may be the
	// filter's: counted, not refused.
	for _, odd := range []string{`7`, `"queued"`} {
		s.steps = []func(http.ResponseWriter, *http.Request){status(200, nil, strings.Replace(onePage, `"ready"`, odd, 1))}
		if _, err := c.Page(context.Background(), q, 1); err != nil {
			t.Errorf("status=ready, a task of status %s: %v", odd, err)
		}
	}
	s.steps = []func(http.ResponseWriter, *http.Request){status(200, nil, onePage)}
	q.Status = "processing"
	_, err := c.Page(context.Background(), q, 1)
	if !errors.Is(err, ErrInconsistent) || ReasonOf(err) != ReasonMalformed || !strings.Contains(err.Error(), "ignores the status filter") {
		t.Errorf("status=processing, a ready task: err %v (reason %s), want ErrInconsistent, reason malformed", err, ReasonOf(err))
	}
}
