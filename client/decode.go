package client

import (
	"bytes"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"strconv"
	"time"
	"unsafe"

	"github.com/go-json-experiment/json/jsontext"
)

// errBodyTooLarge reports a response larger than Config.MaxBodyBytes.
var errBodyTooLarge = errors.New("response body exceeds the size limit")

// errMalformed marks a page of the wrong shape: asking again will not help.
var errMalformed = errors.New("malformed page")

// task is what the exporter keeps of one listed task until its page is
// complete: pages are counted whole or not at all, so that a page that fails
// half-way and is retried is never counted twice.
type task struct {
	IDHash     uint64 // maphash of the _id's JSON text; 0 with HasID false
	HasID      bool
	Model      string
	Status     string
	Created    time.Time
	VideoNanos int64
	AudioNanos int64
}

type pageInfo struct {
	LimitPerPage int
	Page         int
	TotalPage    int
	TotalResults int
}

// page is one decoded response page; tasks is only valid until the
// decoder that made it decodes again.
type page struct {
	tasks []task
	info  pageInfo
}

// maxInterned bounds the distinct model and status strings a decoder keeps,
// so that a hostile API cannot grow it without end.
const maxInterned = 1024

// pageDecoder streams a list response: it reads tokens and keeps only the
// fields the exporter needs, skipping the rest (input_url, embedding
// segments, …) without building them. One decoder serves many pages; its
// buffers, task slice and interned strings are reused, so a page costs no
// allocation per task beyond a new model or status name.
type pageDecoder struct {
	seed    maphash.Seed
	dec     *jsontext.Decoder
	lr      io.LimitedReader
	tasks   []task
	intern  map[string]string
	scratch []byte
}

func newPageDecoder(seed maphash.Seed) *pageDecoder {
	d := &pageDecoder{seed: seed, intern: map[string]string{}}
	d.dec = jsontext.NewDecoder(&d.lr)
	return d
}

// decode reads one page from r, reading at most limit bytes; a body that
// reaches the limit is an error rather than a truncated page.
func (d *pageDecoder) decode(r io.Reader, limit int64) (*page, error) {
	d.lr = io.LimitedReader{R: r, N: limit + 1}
	// Duplicate names and invalid UTF-8 are let through, as encoding/json
	// does: the last duplicate wins, and checking costs time on every name.
	d.dec.Reset(&d.lr, jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	d.tasks = d.tasks[:0]
	p, err := d.decodeTop()
	if d.lr.N <= 0 {
		return nil, fmt.Errorf("%w (%d bytes)", errBodyTooLarge, limit)
	}
	if err != nil {
		var se *jsontext.SyntacticError
		if errors.As(err, &se) && !errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, errMalformed) {
			return nil, fmt.Errorf("%w: %w", errMalformed, err)
		}
		// Anything else is the body ending early or the connection
		// failing under it.
		return nil, fmt.Errorf("reading page: %w", err)
	}
	return p, nil
}

func (d *pageDecoder) decodeTop() (*page, error) {
	p := &page{}
	sawInfo := false
	err := d.members("the response", func(name []byte) error {
		switch string(name) {
		case "data":
			return d.data()
		case "page_info":
			sawInfo = true
			return d.pageInfo(&p.info)
		}
		return d.dec.SkipValue()
	})
	switch {
	case errors.Is(err, errNull):
		return nil, fmt.Errorf("%w: the response is null", errMalformed)
	case err != nil:
		return nil, err
	case !sawInfo:
		return nil, fmt.Errorf("%w: page_info missing", errMalformed)
	case p.info.TotalPage < 0 || p.info.TotalResults < 0 || p.info.LimitPerPage < 0:
		return nil, fmt.Errorf("%w: negative page_info (total_page %d, total_results %d, limit_per_page %d)",
			errMalformed, p.info.TotalPage, p.info.TotalResults, p.info.LimitPerPage)
	}
	p.tasks = d.tasks
	return p, nil
}

// members reads an object, calling member with each name; member must read
// the value. A null object returns errNull, for the caller to read as absent.
func (d *pageDecoder) members(what string, member func(name []byte) error) error {
	if err := d.begin(jsontext.KindBeginObject, what); err != nil {
		return err
	}
	for d.dec.PeekKind() != jsontext.KindEndObject {
		name, err := d.name()
		if err != nil {
			return err
		}
		if err := member(name); err != nil {
			return err
		}
	}
	_, err := d.dec.ReadToken()
	return err
}

// begin reads the opening token of an object or array; null reads as
// absent and returns errNull.
func (d *pageDecoder) begin(kind jsontext.Kind, what string) error {
	got := d.dec.PeekKind()
	if got == jsontext.KindNull {
		_, err := d.dec.ReadToken()
		if err != nil {
			return err
		}
		return errNull
	}
	if got != kind {
		if got == jsontext.KindInvalid {
			_, err := d.dec.ReadToken() // the decoder's own error
			return err
		}
		return fmt.Errorf("%w: %s is %s, want %s", errMalformed, what, got, kind)
	}
	_, err := d.dec.ReadToken()
	return err
}

// errNull is begin's answer to null, which counts as absent.
var errNull = errors.New("null")

// name reads an object member's name, unquoted. The bytes are valid until
// the next read.
func (d *pageDecoder) name() ([]byte, error) {
	v, err := d.dec.ReadValue()
	if err != nil {
		return nil, err
	}
	return d.unquote(v)
}

// unquote strips the quotes of a JSON string, decoding escapes only when
// there are any.
func (d *pageDecoder) unquote(v jsontext.Value) ([]byte, error) {
	if len(v) < 2 || v[0] != '"' {
		return nil, fmt.Errorf("%w: %.40s is not a string", errMalformed, v)
	}
	if bytes.IndexByte(v, '\\') < 0 {
		return v[1 : len(v)-1], nil
	}
	var err error
	d.scratch, err = jsontext.AppendUnquote(d.scratch[:0], v)
	return d.scratch, err
}

// scalar reads a member that must be of kind, or null (ok false).
func (d *pageDecoder) scalar(field string, kind jsontext.Kind, what string) (v jsontext.Value, ok bool, err error) {
	v, err = d.dec.ReadValue()
	switch {
	case err != nil:
		return nil, false, err
	case v.Kind() == jsontext.KindNull:
		return nil, false, nil
	case v.Kind() != kind:
		return nil, false, fmt.Errorf("%w: %s is %s, want %s", errMalformed, field, v.Kind(), what)
	}
	return v, true, nil
}

// str reads a string member, unquoted; ok is false for null.
func (d *pageDecoder) str(field string) (b []byte, ok bool, err error) {
	v, ok, err := d.scalar(field, jsontext.KindString, "a string")
	if !ok {
		return nil, false, err
	}
	b, err = d.unquote(v)
	return b, err == nil, err
}

// interned returns b as a string, reusing the string of an earlier equal b.
func (d *pageDecoder) interned(b []byte) string {
	if s, ok := d.intern[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(d.intern) < maxInterned {
		d.intern[s] = s
	}
	return s
}

// number reads a number member; ok is false for null.
func (d *pageDecoder) number(field string) (raw []byte, ok bool, err error) {
	return d.scalar(field, jsontext.KindNumber, "a number")
}

func (d *pageDecoder) integer(field string, dst *int) error {
	raw, ok, err := d.number(field)
	if err != nil || !ok {
		return err
	}
	n, err := strconv.ParseInt(unsafeString(raw), 10, 0)
	if err != nil {
		return fmt.Errorf("%w: %s %s is not an integer", errMalformed, field, raw)
	}
	*dst = int(n)
	return nil
}

func (d *pageDecoder) pageInfo(info *pageInfo) error {
	err := d.members("page_info", func(name []byte) error {
		switch string(name) {
		case "limit_per_page":
			return d.integer("page_info.limit_per_page", &info.LimitPerPage)
		case "page":
			return d.integer("page_info.page", &info.Page)
		case "total_page":
			return d.integer("page_info.total_page", &info.TotalPage)
		case "total_results":
			return d.integer("page_info.total_results", &info.TotalResults)
		}
		return d.dec.SkipValue()
	})
	if errors.Is(err, errNull) {
		return fmt.Errorf("%w: page_info is null", errMalformed)
	}
	return err
}

func (d *pageDecoder) data() error {
	if err := d.begin(jsontext.KindBeginArray, "data"); err != nil {
		if errors.Is(err, errNull) {
			return nil
		}
		return err
	}
	for d.dec.PeekKind() != jsontext.KindEndArray {
		d.tasks = append(d.tasks, task{})
		t := &d.tasks[len(d.tasks)-1]
		if err := d.task(t); err != nil {
			if errors.Is(err, errNull) { // a null element: no task
				d.tasks = d.tasks[:len(d.tasks)-1]
				continue
			}
			return err
		}
		t.Model = orUnknown(t.Model)
		t.Status = orUnknown(t.Status)
	}
	_, err := d.dec.ReadToken()
	return err
}

func orUnknown(s string) string {
	if s == "" {
		return Unknown
	}
	return s
}

func (d *pageDecoder) task(t *task) error {
	return d.members("a task", func(name []byte) error {
		switch string(name) {
		case "_id":
			b, ok, err := d.str("_id")
			if ok && len(b) > 0 {
				t.IDHash, t.HasID = maphash.Bytes(d.seed, b), true
			}
			return err
		case "model_name":
			b, _, err := d.str("model_name")
			t.Model = d.interned(b)
			return err
		case "status":
			b, _, err := d.str("status")
			t.Status = d.interned(b)
			return err
		case "created_at":
			b, ok, err := d.str("created_at")
			if ok {
				// An unreadable created_at still counts the task; it
				// only cannot take part in the oldest-task timestamp.
				t.Created, _ = parseTimestamp(b)
			}
			return err
		case "video_embedding":
			return d.embedding(&videoFields, &t.VideoNanos)
		case "audio_embedding":
			return d.embedding(&audioFields, &t.AudioNanos)
		}
		return d.dec.SkipValue()
	})
}

// embeddingFields names an embedding's fields in errors, spelt out once so
// that reading a task builds no strings.
type embeddingFields struct{ object, metadata, duration string }

var (
	videoFields = embeddingFields{"video_embedding", "video_embedding.metadata", "video_embedding.metadata.duration"}
	audioFields = embeddingFields{"audio_embedding", "audio_embedding.metadata", "audio_embedding.metadata.duration"}
)

// embedding reads {"metadata":{"duration":N,…},…} into nanoseconds; null
// objects read as absent.
func (d *pageDecoder) embedding(f *embeddingFields, dst *int64) error {
	err := d.members(f.object, func(name []byte) error {
		if string(name) != "metadata" {
			return d.dec.SkipValue()
		}
		err := d.members(f.metadata, func(name []byte) error {
			if string(name) != "duration" {
				return d.dec.SkipValue()
			}
			raw, ok, err := d.number(f.duration)
			if err != nil || !ok {
				return err
			}
			secs, err := strconv.ParseFloat(unsafeString(raw), 64)
			if err != nil {
				return fmt.Errorf("%w: %s %s: %w", errMalformed, f.duration, raw, err)
			}
			*dst = Nanos(secs)
			return nil
		})
		if errors.Is(err, errNull) {
			return nil
		}
		return err
	})
	if errors.Is(err, errNull) {
		return nil
	}
	return err
}

// unsafeString views b as a string for a call that does not keep it.
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// parseTimestamp reads an RFC 3339 time. The API's own form,
// 2024-09-26T10:29:19.968Z, is read without allocating; anything else goes
// through time.Parse. ok is false when neither can read it.
func parseTimestamp(b []byte) (time.Time, bool) {
	if t, ok := parseUTCMillis(b); ok {
		return t, true
	}
	t, err := time.Parse(time.RFC3339Nano, string(b))
	return t, err == nil
}

// parseUTCMillis reads YYYY-MM-DDTHH:MM:SS[.fraction]Z, rejecting what
// time.Parse would reject.
func parseUTCMillis(b []byte) (time.Time, bool) {
	if len(b) < 20 || b[len(b)-1] != 'Z' || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	num := func(s []byte) (int, bool) {
		n := 0
		for _, c := range s {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	year, ok1 := num(b[0:4])
	month, ok2 := num(b[5:7])
	day, ok3 := num(b[8:10])
	hour, ok4 := num(b[11:13])
	minute, ok5 := num(b[14:16])
	sec, ok6 := num(b[17:19])
	digits := ok1 && ok2 && ok3 && ok4 && ok5 && ok6
	if !digits || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	nanos := 0
	if frac := b[19 : len(b)-1]; len(frac) > 0 {
		if frac[0] != '.' || len(frac) < 2 || len(frac) > 10 {
			return time.Time{}, false
		}
		n, ok := num(frac[1:])
		if !ok {
			return time.Time{}, false
		}
		for i := len(frac) - 1; i < 9; i++ {
			n *= 10
		}
		nanos = n
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nanos, time.UTC)
	if t.Day() != day { // 31 April and the like: time.Parse rejects them
		return time.Time{}, false
	}
	return t, true
}
