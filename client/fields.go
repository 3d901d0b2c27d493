package client

import (
	"math"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Field names a task field the exporter reads. A task whose field cannot
// be read is still counted, with that field taken as missing; the listing
// counts it in Listing.Malformed, so that one odd task cannot sink a
// listing for the week it stays listed.
type Field uint8

// The fields read from a task.
const (
	FieldID Field = iota
	FieldModel
	FieldStatus
	FieldCreated
	FieldUpdated
	FieldVideoDuration
	FieldAudioDuration
	NumFields
)

// FieldNames are the fields' names as the API spells them, for labels.
var FieldNames = [NumFields]string{"_id", "model_name", "status", "created_at", "updated_at",
	"video_embedding.metadata.duration", "audio_embedding.metadata.duration"}

func (f Field) String() string { return FieldNames[f] }

// MaxLabelLength bounds a model or status name, in bytes: a longer one is
// cut at a character boundary.
const MaxLabelLength = 128

// labelValue makes a model or status name safe to export as a label value
// whatever bytes it came as: invalid UTF-8 becomes U+FFFD, control and
// other unprintable characters are dropped, surrounding space trimmed, and
// the length bounded. An empty result is Unknown.
func labelValue(b []byte) string {
	var sb strings.Builder
	sb.Grow(min(len(b), MaxLabelLength))
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		b = b[size:]
		switch {
		case r == utf8.RuneError && size <= 1:
			r = utf8.RuneError
		case unicode.IsSpace(r):
			r = ' '
		case !unicode.IsPrint(r):
			continue
		}
		if sb.Len()+utf8.RuneLen(r) > MaxLabelLength {
			break
		}
		sb.WriteRune(r)
	}
	s := strings.TrimSpace(sb.String())
	if s == "" {
		return Unknown
	}
	return s
}

// statusValue is a label value in lower case: the API's statuses are
// lower case, and a "Ready" from a proxy or an old client is the same
// status, which the rules must see as ready.
func statusValue(b []byte) string { return strings.ToLower(labelValue(b)) }

// parseTimestamp reads a time as servers write it: RFC 3339 with or without
// fractional seconds, Z or z, an offset with or without a colon, a space
// instead of T, or no zone at all (UTC). The API's own form,
// 2024-09-26T10:29:19.968Z, is read without allocating.
func parseTimestamp(b []byte) (time.Time, bool) {
	if t, ok := parseUTCMillis(b); ok {
		return t, true
	}
	if len(b) < 19 || len(b) > 64 {
		return time.Time{}, false
	}
	s := []byte(string(b))
	if s[10] == ' ' || s[10] == 't' {
		s[10] = 'T'
	}
	if s[len(s)-1] == 'z' {
		s[len(s)-1] = 'Z'
	}
	str := string(s)
	// time.Parse reads a fraction after the seconds whether or not the
	// layout has one.
	for _, layout := range timestampLayouts {
		if t, err := time.Parse(layout, str); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

var timestampLayouts = []string{
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05Z07",
	"2006-01-02T15:04:05", // no zone: UTC
}

// unixTimestamp reads a created_at sent as a number: Unix seconds, or
// milliseconds when it is too large to be seconds (past the year 5138).
func unixTimestamp(secs float64) (time.Time, bool) {
	switch {
	case !(secs > 0) || secs >= 1e15:
		return time.Time{}, false
	case secs >= 1e11:
		secs /= 1e3
	}
	// Microseconds: the precision a float64 of Unix seconds still carries.
	return time.UnixMicro(int64(math.Round(secs * 1e6))).UTC(), true
}
