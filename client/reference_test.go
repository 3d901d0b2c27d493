package client

// The reference decoder: encoding/json into structs. The streaming decoder
// in decode.go must agree with it on every page both accept (see the
// differential tests and fuzz target).

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// referenceDecodePage reads one list response with encoding/json into
// generic values, then applies the exporter's reading of each field: the
// streaming decoder must agree with it. limit bounds the bytes read; a body
// that reaches it is an error rather than a truncated page.
func referenceDecodePage(r io.Reader, limit int64, seed maphash.Seed) (*page, error) {
	lr := &io.LimitedReader{R: r, N: limit + 1}
	dec := json.NewDecoder(lr)
	dec.UseNumber()
	var raw any
	err := dec.Decode(&raw)
	if lr.N <= 0 {
		return nil, fmt.Errorf("%w (%d bytes)", errBodyTooLarge, limit)
	}
	if err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("%w: %w", errMalformed, err)
		}
		return nil, fmt.Errorf("reading page: %w", err)
	}
	top, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: the response is not an object", errMalformed)
	}
	p := &page{info: noPageInfo}
	switch pi := top["page_info"].(type) {
	case nil:
	case map[string]any:
		for name, dst := range map[string]*int{"limit_per_page": &p.info.LimitPerPage, "page": &p.info.Page,
			"total_page": &p.info.TotalPage, "total_results": &p.info.TotalResults} {
			if v, ok := pi[name]; ok {
				if f, ok := refNumber(v); ok && f >= 0 && f <= 1<<40 && f == math.Trunc(f) {
					*dst = int(f)
				}
			}
		}
	default:
		return nil, fmt.Errorf("%w: page_info is not an object", errMalformed)
	}
	var items []any
	switch d := top["data"].(type) {
	case nil:
	case []any:
		items = d
	default:
		return nil, fmt.Errorf("%w: data is not an array", errMalformed)
	}
	for _, item := range items {
		if item == nil {
			continue
		}
		w, ok := item.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%w: a task is not an object", errMalformed)
		}
		p.tasks = append(p.tasks, refTask(w, seed))
	}
	return p, nil
}

func refTask(w map[string]any, seed maphash.Seed) task {
	t := task{Model: Unknown, Status: Unknown}
	bad := func(f Field) { t.Malformed |= 1 << f }
	switch id := w["_id"].(type) {
	case nil:
	case string:
		if id != "" {
			t.IDHash, t.HasID = maphash.String(seed, id), true
		}
	case json.Number:
		t.IDHash, t.HasID = maphash.String(seed, string(id)), true
	default:
		bad(FieldID)
	}
	label := func(f Field, v any, clean func([]byte) string) string {
		switch s := v.(type) {
		case nil:
		case string:
			return clean([]byte(s))
		default:
			bad(f)
		}
		return Unknown
	}
	t.Model = label(FieldModel, w["model_name"], labelValue)
	t.Status = label(FieldStatus, w["status"], statusValue)
	when := func(f Field, v any) time.Time {
		var tm time.Time
		ok := true
		switch x := v.(type) {
		case nil:
		case string:
			tm, ok = parseTimestamp([]byte(x))
		case json.Number:
			var secs float64
			if secs, ok = refNumber(x); ok {
				tm, ok = unixTimestamp(secs)
			}
		default:
			ok = false
		}
		if !ok {
			bad(f)
		}
		return tm
	}
	t.Created = when(FieldCreated, w["created_at"])
	t.Updated = when(FieldUpdated, w["updated_at"])
	duration := func(f Field, v any) int64 {
		emb, ok := v.(map[string]any)
		if v != nil && !ok {
			bad(f)
		}
		md, ok := emb["metadata"].(map[string]any)
		if emb["metadata"] != nil && !ok {
			bad(f)
		}
		d, present := md["duration"]
		if !present || d == nil {
			return 0
		}
		secs, ok := refNumber(d)
		if !ok {
			bad(f)
			return 0
		}
		return Nanos(secs)
	}
	t.VideoNanos = duration(FieldVideoDuration, w["video_embedding"])
	t.AudioNanos = duration(FieldAudioDuration, w["audio_embedding"])
	return t
}

// refNumber reads a JSON number, or a string holding one.
func refNumber(v any) (float64, bool) {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = string(x)
	case string:
		s = strings.TrimSpace(x)
	default:
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
}
