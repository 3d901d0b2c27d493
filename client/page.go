package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// wirePage holds the parts of a list response the exporter reads; every
// other field (input_url, embedding segments, …) is skipped by the decoder
// without being kept.
type wirePage struct {
	Data     []wireTask    `json:"data"`
	PageInfo *wirePageInfo `json:"page_info"`
}

type wirePageInfo struct {
	LimitPerPage int `json:"limit_per_page"`
	Page         int `json:"page"`
	TotalPage    int `json:"total_page"`
	TotalResults int `json:"total_results"`
}

type wireTask struct {
	ID             string         `json:"_id"`
	ModelName      string         `json:"model_name"`
	Status         string         `json:"status"`
	CreatedAt      string         `json:"created_at"`
	VideoEmbedding *wireEmbedding `json:"video_embedding"`
	AudioEmbedding *wireEmbedding `json:"audio_embedding"`
}

type wireEmbedding struct {
	Metadata *struct {
		Duration *float64 `json:"duration"`
	} `json:"metadata"`
}

func (e *wireEmbedding) duration() float64 {
	if e == nil || e.Metadata == nil || e.Metadata.Duration == nil {
		return 0
	}
	return *e.Metadata.Duration
}

// task is what the exporter keeps of one listed task until its page is
// complete: pages are counted whole or not at all, so that a page that fails
// half-way and is retried is never counted twice.
type task struct {
	ID         string
	Model      string
	Status     string
	Created    time.Time
	VideoNanos int64
	AudioNanos int64
}

// page is one decoded response page.
type page struct {
	tasks []task
	info  wirePageInfo
}

// errBodyTooLarge reports a response larger than Config.MaxBodyBytes.
var errBodyTooLarge = errors.New("response body exceeds the size limit")

// errMalformed marks a page of the wrong shape: asking again will not help.
var errMalformed = errors.New("malformed page")

// decodePage reads one list response. limit bounds the bytes read; a body
// that reaches it is an error rather than a truncated page.
func decodePage(r io.Reader, limit int64) (*page, error) {
	lr := &io.LimitedReader{R: r, N: limit + 1}
	var wp wirePage
	err := json.NewDecoder(lr).Decode(&wp)
	if lr.N <= 0 {
		return nil, fmt.Errorf("%w (%d bytes)", errBodyTooLarge, limit)
	}
	if err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		if errors.As(err, &se) || errors.As(err, &te) {
			return nil, fmt.Errorf("%w: %w", errMalformed, err)
		}
		// Anything else is the body ending early or the connection
		// failing under it.
		return nil, fmt.Errorf("reading page: %w", err)
	}
	if wp.PageInfo == nil {
		return nil, fmt.Errorf("%w: page_info missing", errMalformed)
	}
	if wp.PageInfo.TotalPage < 0 || wp.PageInfo.TotalResults < 0 || wp.PageInfo.LimitPerPage < 0 {
		return nil, fmt.Errorf("%w: negative page_info (total_page %d, total_results %d, limit_per_page %d)",
			errMalformed, wp.PageInfo.TotalPage, wp.PageInfo.TotalResults, wp.PageInfo.LimitPerPage)
	}
	p := &page{info: *wp.PageInfo, tasks: make([]task, len(wp.Data))}
	for i := range wp.Data {
		w := &wp.Data[i]
		t := &p.tasks[i]
		t.ID = w.ID
		t.Model = orUnknown(w.ModelName)
		t.Status = orUnknown(w.Status)
		if w.CreatedAt != "" {
			// An unreadable created_at still counts the task; it only
			// cannot take part in the oldest-task timestamp.
			t.Created, _ = time.Parse(time.RFC3339Nano, w.CreatedAt)
		}
		t.VideoNanos = Nanos(w.VideoEmbedding.duration())
		t.AudioNanos = Nanos(w.AudioEmbedding.duration())
	}
	return p, nil
}

func orUnknown(s string) string {
	if s == "" {
		return Unknown
	}
	return s
}
