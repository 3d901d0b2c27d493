package client

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/go-json-experiment/json/jsontext"
)

// errBodyTooLarge reports a response larger than Config.MaxBodyBytes.
var errBodyTooLarge = errors.New("response body exceeds the size limit")

// errMalformed marks a page of the wrong shape: asking again will not help.
var errMalformed = errors.New("malformed page")

// ErrInconsistent marks answers that each read well but disagree with one
// another (pages and their counts that do not settle): a malformed answer
// of the API as a whole, for which ReasonOf gives ReasonMalformed.
var ErrInconsistent = errors.New("the API's answers disagree with each other")

// task is what the exporter keeps of one listed task until its page is
// complete: pages are counted whole or not at all, so that a page that fails
// half-way and is retried is never counted twice.
type task struct {
	IDHash     uint64 // maphash of the _id's text; 0 with HasID false
	HasID      bool
	Model      string
	Status     string
	Created    time.Time
	Updated    time.Time
	VideoNanos int64
	AudioNanos int64
	// Malformed has bit f set when Field f was present but unreadable.
	Malformed uint16
	// A stage's items (Stage) also fill these.
	Key      string // the _id's text, for a stage others join on
	Finished time.Time
	Expires  time.Time
	Sums     [MaxSums]int64
	Flags    uint8
}

func (t *task) malformed(f Field) { t.Malformed |= 1 << f }

// pageInfo is page_info; a total the page did not carry (absent, null or
// unreadable) is -1.
type pageInfo struct {
	LimitPerPage int
	Page         int
	TotalPage    int
	TotalResults int
}

var noPageInfo = pageInfo{LimitPerPage: -1, Page: -1, TotalPage: -1, TotalResults: -1}

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
	seed     maphash.Seed
	dec      *jsontext.Decoder
	lr       io.LimitedReader
	guard    tokenGuard
	maxItems int
	tasks    []task
	models   map[string]string // raw name -> label value
	statuses map[string]string
	keys     map[string]string
	scratch  []byte
	// stage describes the items of a stage's list; nil for embedding
	// tasks, which task reads.
	stage *Stage
	// secret is the key the page was asked with: a label value that holds
	// it, or a piece of it, is redacted as an error message is.
	secret string
}

// setSecret tells the decoder the key of the next pages. The interned
// labels are dropped when it changes: they were redacted for another key.
func (d *pageDecoder) setSecret(key string) {
	if key != d.secret {
		clear(d.models)
		clear(d.statuses)
		clear(d.keys)
		d.secret = key
	}
}

func newPageDecoder(seed maphash.Seed) *pageDecoder {
	d := &pageDecoder{seed: seed, models: map[string]string{}, statuses: map[string]string{}, keys: map[string]string{}}
	d.dec = jsontext.NewDecoder(&d.guard)
	return d
}

// errTooManyItems: a page holds more tasks than the page_limit asked for.
var errTooManyItems = errors.New("page holds more items than the page_limit asked for")

// decode reads one page from r, reading at most limit bytes and maxItems
// tasks; a body past either is an error rather than a truncated page, and
// decoding stops there, so that memory stays bounded by one page.
func (d *pageDecoder) decode(r io.Reader, limit int64, maxItems int) (*page, error) {
	d.lr = io.LimitedReader{R: r, N: limit + 1}
	d.guard.reset(&d.lr)
	d.maxItems = maxItems
	// Duplicate names and invalid UTF-8 are let through, as encoding/json
	// does: the last duplicate wins, and checking costs time on every name.
	d.dec.Reset(&d.guard, jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	d.tasks = d.tasks[:0]
	p, err := d.decodeTop()
	if d.lr.N <= 0 {
		return nil, fmt.Errorf("%w (%d bytes)", errBodyTooLarge, limit)
	}
	if err != nil {
		if odd := oddBody(err, d.read(limit)); odd != "" {
			return nil, fmt.Errorf("%w: the API answered 200 with %s", errMalformed, odd)
		}
		var se *jsontext.SyntacticError
		if errors.As(err, &se) && !errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, errMalformed) {
			return nil, fmt.Errorf("%w: %w", errMalformed, err)
		}
		if errors.Is(err, errTooManyItems) || errors.Is(err, errTokenTooLarge) {
			return nil, err
		}
		// Anything else is too many items, the body ending early or the
		// connection failing under it.
		return nil, fmt.Errorf("reading page: %w", err)
	}
	return p, nil
}

// oddBody names a body that was answered whole but holds no page, from
// the decoder's error and the bytes it read: empty (or blank), or not the
// gzip that its Content-Encoding announced (net/http unpacks it under the
// decoder). These are the API's answer, final, not a connection failing:
// a body cut short in transit (short of its Content-Length or its last
// chunk, or in the middle of a gzip stream) ends in io.ErrUnexpectedEOF,
// never io.EOF, and stays a read error to retry.
func oddBody(err error, read int64) string {
	var corrupt flate.CorruptInputError
	switch {
	case errors.Is(err, io.EOF) && read == 0:
		return "an empty body"
	case errors.Is(err, io.EOF):
		return "a body of white space only"
	case errors.Is(err, gzip.ErrHeader), errors.Is(err, gzip.ErrChecksum), errors.As(err, &corrupt):
		return "a body that is not valid gzip (Content-Encoding: gzip)"
	}
	return ""
}

// read is how much of the last body the decoder consumed.
func (d *pageDecoder) read(limit int64) int64 { return limit + 1 - d.lr.N }

func (d *pageDecoder) decodeTop() (*page, error) {
	p := &page{info: noPageInfo}
	err := d.members("the response", func(name []byte) error {
		switch string(name) {
		case "data":
			return d.data()
		case "page_info":
			// An account without tasks may answer "page_info": null; a
			// page_info absent or null says nothing, and paging goes by
			// whether pages come back full.
			return d.pageInfo(&p.info)
		}
		return d.dec.SkipValue()
	})
	switch {
	case errors.Is(err, errNull):
		return nil, fmt.Errorf("%w: the response is null", errMalformed)
	case err != nil:
		return nil, err
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

// errWrongKind is a member of a task that is neither null nor of a kind
// the exporter can read: the task counts, the field does not.
var errWrongKind = errors.New("wrong kind")

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

// scalar reads a member's value: its text (unquoted for a string) and
// kind. Null reads as absent (ok false); an object or array is skipped and
// returned as errWrongKind.
func (d *pageDecoder) scalar() (text []byte, kind jsontext.Kind, ok bool, err error) {
	switch kind = d.dec.PeekKind(); kind {
	case jsontext.KindBeginObject, jsontext.KindBeginArray:
		if err := d.dec.SkipValue(); err != nil {
			return nil, kind, false, err
		}
		return nil, kind, false, errWrongKind
	}
	v, err := d.dec.ReadValue()
	switch {
	case err != nil:
		return nil, kind, false, err
	case kind == jsontext.KindNull:
		return nil, kind, false, nil
	case kind == jsontext.KindString:
		text, err = d.unquote(v)
		return text, kind, err == nil, err
	}
	return v, kind, true, nil
}

// field reads one task member with read, which gets the value's text and
// kind and says whether it could use it; a value it cannot use marks the
// field malformed, and only broken JSON is an error.
func (d *pageDecoder) field(t *task, f Field, read func(text []byte, kind jsontext.Kind) bool) error {
	text, kind, ok, err := d.scalar()
	switch {
	case errors.Is(err, errWrongKind):
		t.malformed(f)
		return nil
	case err != nil:
		return err
	case ok && !read(text, kind):
		t.malformed(f)
	}
	return nil
}

// label returns the label value of a raw model or status name, interned:
// the same raw name gives the same string without allocating.
func (d *pageDecoder) label(seen map[string]string, raw []byte, clean func([]byte) string) string {
	if s, ok := seen[string(raw)]; ok {
		return s
	}
	s := redact(clean(raw), d.secret)
	if len(seen) < maxInterned && len(raw) <= 4*MaxLabelLength {
		seen[string(raw)] = s
	}
	return s
}

// number reads a number, or a string holding one (as some servers send).
func number(text []byte, kind jsontext.Kind) (float64, bool) {
	if kind != jsontext.KindNumber && kind != jsontext.KindString {
		return 0, false
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(unsafeString(text)), 64)
	return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
}

func (d *pageDecoder) integer(dst *int) error {
	text, kind, ok, err := d.scalar()
	if errors.Is(err, errWrongKind) || err != nil || !ok {
		if errors.Is(err, errWrongKind) {
			err = nil
		}
		return err
	}
	if f, ok := number(text, kind); ok && f >= 0 && f <= 1<<40 && f == math.Trunc(f) {
		*dst = int(f)
	}
	return nil
}

func (d *pageDecoder) pageInfo(info *pageInfo) error {
	err := d.members("page_info", func(name []byte) error {
		switch string(name) {
		case "limit_per_page":
			return d.integer(&info.LimitPerPage)
		case "page":
			return d.integer(&info.Page)
		case "total_page":
			return d.integer(&info.TotalPage)
		case "total_results":
			return d.integer(&info.TotalResults)
		}
		return d.dec.SkipValue()
	})
	if errors.Is(err, errNull) {
		return nil
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
		if len(d.tasks) >= d.maxItems {
			return fmt.Errorf("%w (%d)", errTooManyItems, d.maxItems)
		}
		d.tasks = append(d.tasks, task{})
		t := &d.tasks[len(d.tasks)-1]
		read := d.task
		if d.stage != nil {
			read = d.item
		}
		if err := read(t); err != nil {
			if errors.Is(err, errNull) { // a null element: no task
				d.tasks = d.tasks[:len(d.tasks)-1]
				continue
			}
			return err
		}
		// A joined dimension (index_id) left empty joins to no _id, never
		// to one spelled "unknown".
		if t.Model == "" && (d.stage == nil || d.stage.Dimension != "" && d.stage.JoinNames == "") {
			t.Model = Unknown
		}
		if t.Status == "" && (d.stage == nil || len(d.stage.Statuses) > 0) {
			t.Status = Unknown
		}
	}
	_, err := d.dec.ReadToken()
	return err
}

func (d *pageDecoder) task(t *task) error {
	return d.members("a task", func(name []byte) error {
		switch string(name) {
		case "_id":
			return d.field(t, FieldID, func(b []byte, kind jsontext.Kind) bool {
				if kind != jsontext.KindString && kind != jsontext.KindNumber {
					return false
				}
				if len(b) > 0 {
					t.IDHash, t.HasID = maphash.Bytes(d.seed, b), true
				}
				return true
			})
		case "model_name":
			return d.field(t, FieldModel, func(b []byte, kind jsontext.Kind) bool {
				if kind != jsontext.KindString {
					return false
				}
				t.Model = d.label(d.models, b, labelValue)
				return true
			})
		case "status":
			return d.field(t, FieldStatus, func(b []byte, kind jsontext.Kind) bool {
				if kind != jsontext.KindString {
					return false
				}
				t.Status = d.label(d.statuses, b, statusValue)
				return true
			})
		case "created_at":
			return d.field(t, FieldCreated, func(b []byte, kind jsontext.Kind) bool {
				var ok bool
				t.Created, ok = timestamp(b, kind)
				return ok
			})
		case "updated_at":
			return d.field(t, FieldUpdated, func(b []byte, kind jsontext.Kind) bool {
				var ok bool
				t.Updated, ok = timestamp(b, kind)
				return ok
			})
		case "video_embedding":
			return d.embedding(t, FieldVideoDuration, &t.VideoNanos)
		case "audio_embedding":
			return d.embedding(t, FieldAudioDuration, &t.AudioNanos)
		}
		return d.dec.SkipValue()
	})
}

// timestamp reads a time sent as a string or as Unix seconds.
func timestamp(b []byte, kind jsontext.Kind) (time.Time, bool) {
	switch kind {
	case jsontext.KindString:
		return parseTimestamp(b)
	case jsontext.KindNumber:
		if f, ok := number(b, kind); ok {
			return unixTimestamp(f)
		}
	}
	return time.Time{}, false
}

// embedding reads {"metadata":{"duration":N,…},…} into nanoseconds; null
// objects read as absent, and an object or metadata of another kind marks
// the duration malformed.
func (d *pageDecoder) embedding(t *task, f Field, dst *int64) error {
	object := func(read func(name []byte) error) error {
		if k := d.dec.PeekKind(); k != jsontext.KindBeginObject && k != jsontext.KindNull {
			t.malformed(f)
			return d.dec.SkipValue()
		}
		err := d.members(f.String(), read)
		if errors.Is(err, errNull) {
			return nil
		}
		return err
	}
	return object(func(name []byte) error {
		if string(name) != "metadata" {
			return d.dec.SkipValue()
		}
		return object(func(name []byte) error {
			if string(name) != "duration" {
				return d.dec.SkipValue()
			}
			return d.field(t, f, func(b []byte, kind jsontext.Kind) bool {
				secs, ok := number(b, kind)
				if ok {
					*dst = Nanos(secs)
				}
				return ok
			})
		})
	})
}

// unsafeString views b as a string for a call that does not keep it.
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

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
