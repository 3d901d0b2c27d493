package client

import (
	"bytes"
	"errors"
	"fmt"
	"hash/maphash"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/twelvelabs-community/twelvelabs_exporter/simulator"
)

// decodeBoth runs the streaming decoder and the encoding/json reference on
// the same bytes; tasks are copied out of the decoder's reused slice.
func decodeBoth(seed maphash.Seed, raw []byte) (got, want *page, gotErr, wantErr error) {
	dec := newPageDecoder(seed)
	got, gotErr = dec.decode(bytes.NewReader(raw), 1<<20, 1<<20)
	if got != nil {
		got.tasks = append([]task(nil), got.tasks...)
	}
	want, wantErr = referenceDecodePage(bytes.NewReader(raw), 1<<20, seed)
	return got, want, gotErr, wantErr
}

func samePage(a, b *page) string {
	if a.info != b.info {
		return fmt.Sprintf("page_info %+v != %+v", a.info, b.info)
	}
	if len(a.tasks) != len(b.tasks) {
		return fmt.Sprintf("%d tasks != %d", len(a.tasks), len(b.tasks))
	}
	for i := range a.tasks {
		x, y := a.tasks[i], b.tasks[i]
		if x.IDHash != y.IDHash || x.HasID != y.HasID || x.Model != y.Model || x.Status != y.Status ||
			!x.Created.Equal(y.Created) || !x.Updated.Equal(y.Updated) || x.VideoNanos != y.VideoNanos || x.AudioNanos != y.AudioNanos || x.Malformed != y.Malformed {
			return fmt.Sprintf("task %d: %+v != %+v", i, x, y)
		}
	}
	return ""
}

// edgePages are pages a real API or a broken gateway could send.
var edgePages = []string{
	`{"data":[],"page_info":{"limit_per_page":50,"page":1,"total_page":0,"total_results":0}}`,
	`{"data":null,"page_info":{"page":1}}`,
	`{"page_info":{"page":2,"total_page":3},"data":[{"_id":"a"}]}`,
	`{"data":[null,{},{"_id":null,"model_name":null,"status":null,"created_at":null,"video_embedding":null,"audio_embedding":{"metadata":null}}],"page_info":{}}`,
	`{"data":[{"_id":"x\u0041","model_name":"Marengo-retrieval-2.7","status":"pro\"cessing","created_at":"2024-09-26T10:29:19+02:00",
	  "video_embedding":{"segments":[{"float":[0.1,-2e-3,3],"start_offset_sec":0}],"metadata":{"input_url":"https://x/y?z=1","duration":13.4400001}},
	  "audio_embedding":{"metadata":{"duration":0}},"extra":{"deep":[[[{"a":[]}]]]}}],"page_info":{"total_page":1,"total_results":1},"more":true}`,
	`{"data":[{"created_at":"2024-02-30T00:00:00Z"},{"created_at":"2024-09-26T10:29:19Z"},{"created_at":"2024-09-26T10:29:19.123456789Z"},{"created_at":"yesterday"},{"created_at":"2024-09-26T24:00:00Z"},{"created_at":"2024-09-26t10:29:19z"}],"page_info":{}}`,
	`{"data":[{"video_embedding":{"metadata":{"duration":-5}}},{"video_embedding":{"metadata":{"duration":1e300}}}],"page_info":{}}`,
	`{"data":[{"model_name":"模型","status":"queued"}],"page_info":{"limit_per_page":10}}`,
	// Errors in both: wrong types, missing page_info, truncation, garbage.
	`{"data":[{"video_embedding":{"metadata":{"duration":"13.44"}}}],"page_info":{}}`,
	`{"data":[{"_id":5}],"page_info":{}}`,
	`{"data":{},"page_info":{}}`,
	`{"data":[]}`,
	`{"data":[],"page_info":null}`,
	`{"data":[],"page_info":{"total_page":1.5}}`,
	`{"data":[],"page_info":{"total_page":-1}}`,
	`{"data":[{"_id":"a"`,
	`null`,
	`[]`,
	`<html>502</html>`,
	``,
}

func TestStreamingDecoderAgreesWithEncodingJSON(t *testing.T) {
	seed := maphash.MakeSeed()
	inputs := edgePages
	for _, api := range []string{"v1", "v2"} {
		tasks := simulator.Generate(simulator.GenerateOptions{Seed: 9, N: 120, Now: testNow, API: api, FailedRatio: 0.2, ProcessingRatio: 0.2, UnknownModelRatio: 0.1})
		raw, err := simulator.MarshalPage(api, tasks, 1, 50, 120, testNow)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, string(raw))
	}
	for i, in := range inputs {
		got, want, gotErr, wantErr := decodeBoth(seed, []byte(in))
		switch {
		case (gotErr == nil) != (wantErr == nil):
			t.Errorf("input %d: streaming error %v, encoding/json error %v\n%s", i, gotErr, wantErr, in)
		case gotErr == nil:
			if diff := samePage(got, want); diff != "" {
				t.Errorf("input %d: %s\n%s", i, diff, in)
			}
		}
	}
}

func TestParseUTCMillisMatchesTimeParse(t *testing.T) {
	for _, s := range []string{
		"2024-09-26T10:29:19.968Z", "2024-09-26T10:29:19Z", "2024-02-29T00:00:00Z", "2023-02-29T00:00:00Z",
		"2024-04-31T00:00:00Z", "2024-13-01T00:00:00Z", "2024-00-10T00:00:00Z", "2024-09-26T23:59:60Z",
		"0000-01-01T00:00:00Z", "2024-09-26T10:29:19.1Z", "2024-09-26T10:29:19.123456789Z", "2024-09-26T10:29:19.Z",
		"2024-09-26T10:29:19.1234567890Z", "+024-09-26T10:29:19Z",
	} {
		want, err := time.Parse(time.RFC3339Nano, s)
		got, ok := parseTimestamp([]byte(s))
		if ok != (err == nil) || !got.Equal(want) {
			t.Errorf("%s: got %v %v, time.Parse %v %v", s, got, ok, want, err)
		}
	}
}

func TestTimestampsAsServersWriteThem(t *testing.T) {
	want := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	for _, s := range []string{
		"2026-11-20T10:00:00Z", "2026-11-20T10:00:00.000Z", "2026-11-20T10:00:00.000000Z", "2026-11-20t10:00:00z",
		"2026-11-20T12:00:00+02:00", "2026-11-20T12:00:00+0200", "2026-11-20T05:00:00-05", "2026-11-20 10:00:00Z",
		"2026-11-20 10:00:00", "2026-11-20T10:00:00", "2026-11-20 12:00:00.000+02:00",
	} {
		if got, ok := parseTimestamp([]byte(s)); !ok || !got.Equal(want) {
			t.Errorf("%s: got %v %v, want %v", s, got, ok, want)
		}
	}
	for _, s := range []string{"yesterday", "2026-11-20", "2026-13-20T10:00:00Z", "2026-11-20T10:00:00+25:00", ""} {
		if got, ok := parseTimestamp([]byte(s)); ok {
			t.Errorf("%s: read as %v, want unreadable", s, got)
		}
	}
	for secs, w := range map[float64]time.Time{1795168800: want, 1795168800000: want, 1795168800.5: want.Add(500 * time.Millisecond)} {
		if got, ok := unixTimestamp(secs); !ok || !got.Equal(w) {
			t.Errorf("%v: got %v, want %v", secs, got, w)
		}
	}
}

func TestOddFieldsCountTheTaskAndMarkTheField(t *testing.T) {
	raw := `{"data":[
	 {"_id":"a","model_name":"m","status":"ready","created_at":"2026-11-20T10:00:00Z","video_embedding":{"metadata":{"duration":"13.5"}}},
	 {"_id":"b","model_name":7,"status":null,"created_at":1795168800,"video_embedding":{"metadata":{"duration":"n/a"}}},
	 {"_id":3,"model_name":"m","status":"Ready","created_at":"yesterday","video_embedding":{"metadata":{"duration":1e400}},"audio_embedding":"none"},
	 {"_id":{"x":1},"model_name":"  m\u0000\u00ff ","status":"READY","created_at":true,"video_embedding":{"metadata":{"duration":{"s":1}}},
	  "segments":[[0.1,0.2],[0.3]]}],
	 "page_info":{"limit_per_page":"50","total_page":null,"total_results":"x"}}`
	p, err := newPageDecoder(maphash.MakeSeed()).decode(strings.NewReader(raw), 1<<20, 50)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.tasks) != 4 {
		t.Fatalf("%d tasks, want all 4 counted", len(p.tasks))
	}
	type want struct {
		model, status string
		nanos         int64
		created       bool
		bad           []Field
	}
	for i, w := range []want{
		{"m", "ready", 13_500_000_000, true, nil},
		{Unknown, Unknown, 0, true, []Field{FieldModel, FieldVideoDuration}},
		{"m", "ready", 0, false, []Field{FieldCreated, FieldVideoDuration, FieldAudioDuration}},
		{"mÿ", "ready", 0, false, []Field{FieldID, FieldCreated, FieldVideoDuration}},
	} {
		tk := p.tasks[i]
		var bad uint16
		for _, f := range w.bad {
			bad |= 1 << f
		}
		if tk.Model != w.model || tk.Status != w.status || tk.VideoNanos != w.nanos || tk.Created.IsZero() == w.created || tk.Malformed != bad {
			t.Errorf("task %d: %+v, want %+v", i, tk, w)
		}
	}
	if p.info.LimitPerPage != 50 || p.info.TotalPage != -1 || p.info.TotalResults != -1 {
		t.Errorf("page_info %+v: want 50 read from a string, the rest unknown", p.info)
	}
}

func TestLabelValuesAreAlwaysValid(t *testing.T) {
	for in, want := range map[string]string{
		"marengo3.0": "marengo3.0", "  Marengo-retrieval-2.7\t": "Marengo-retrieval-2.7", "m\xffx": "m\uFFFDx",
		"a\x00b\x1bc": "abc", "": Unknown, " \n ": Unknown, strings.Repeat("é", 200): strings.Repeat("é", MaxLabelLength/2),
	} {
		if got := labelValue([]byte(in)); got != want || !utf8.ValidString(got) {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
	if got := statusValue([]byte("PROCESSING ")); got != "processing" {
		t.Errorf("status %q, want processing", got)
	}
}

func TestPageWithMoreItemsThanAskedFails(t *testing.T) {
	raw := `{"data":[` + strings.Repeat(`{},`, 60) + `{}],"page_info":{}}`
	_, err := newPageDecoder(maphash.MakeSeed()).decode(strings.NewReader(raw), 1<<20, 50)
	if !errors.Is(err, errTooManyItems) {
		t.Errorf("err %v, want too many items", err)
	}
}

// FuzzDecodePage: the streaming decoder never panics, and wherever the
// input is strict JSON (no duplicate names, valid UTF-8) it agrees with
// encoding/json on success and on every field it reads.
func FuzzDecodePage(f *testing.F) {
	for _, p := range edgePages {
		f.Add([]byte(p))
	}
	seed := maphash.MakeSeed()
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, want, gotErr, wantErr := decodeBoth(seed, raw)
		if !jsontext.Value(raw).IsValid() || hasFoldedFieldName(raw) {
			return
		}
		if (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("streaming error %v, encoding/json error %v", gotErr, wantErr)
		}
		if gotErr == nil {
			if diff := samePage(got, want); diff != "" {
				t.Fatal(diff)
			}
		}
	})
}

// knownFields are the names the decoders read.
var knownFields = []string{"data", "page_info", "limit_per_page", "page", "total_page", "total_results",
	"_id", "model_name", "status", "created_at", "video_embedding", "audio_embedding", "metadata", "duration"}

// hasFoldedFieldName tells whether a string in raw matches a field name
// only when case is ignored ("pAge_info"): encoding/json reads such names,
// the streaming decoder, like the API, does not.
func hasFoldedFieldName(raw []byte) bool {
	dec := jsontext.NewDecoder(bytes.NewReader(raw))
	for {
		tok, err := dec.ReadToken()
		if err != nil {
			return false
		}
		if tok.Kind() != jsontext.KindString {
			continue
		}
		s := tok.String()
		for _, f := range knownFields {
			if s != f && strings.EqualFold(s, f) {
				return true
			}
		}
	}
}

// FuzzParseErrorBody: any error body gives a short, single-line message
// that never carries the key.
func FuzzParseErrorBody(f *testing.F) {
	for _, b := range []string{
		`{"code":"api_key_invalid","message":"API Key is either invalid or expired.","docs_url":"https://x"}`,
		`{"error":{"code":"too_many_requests","message":"slow down","details":{}}}`,
		`{"error":"gateway"}`, `<html><body><h1>502 Bad Gateway</h1></body></html>`, ``, `{"message":"` + testKey + `"}`,
	} {
		f.Add(503, []byte(b))
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		body = bytes.ReplaceAll(body, []byte("KEY"), []byte(testKey)) // let the fuzzer place the key
		code, msg := parseErrorBody(status, body, testKey)
		for _, s := range []string{code, msg} {
			if strings.Contains(s, testKey) {
				t.Fatalf("the key leaked: %q", s)
			}
			if strings.ContainsAny(s, "\n\r\x00") {
				t.Fatalf("not one line: %q", s)
			}
		}
		if len(msg) > 8*maxErrorExcerpt || len(code) > 8*maxErrorExcerpt {
			t.Fatalf("message of %d bytes", len(msg))
		}
	})
}

// TestFuzzCorpusIsCommitted keeps the seed corpora in testdata/fuzz/ in use.
func TestFuzzCorpusIsCommitted(t *testing.T) {
	for _, target := range []string{"FuzzDecodePage", "FuzzParseErrorBody"} {
		files, _ := filepath.Glob(filepath.Join("testdata", "fuzz", target, "*"))
		if len(files) == 0 {
			t.Errorf("no seed corpus for %s in testdata/fuzz/%s", target, target)
		}
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil || !strings.HasPrefix(string(raw), "go test fuzz v1\n") {
				t.Errorf("%s: not a go fuzz corpus file", f)
			}
		}
	}
}
