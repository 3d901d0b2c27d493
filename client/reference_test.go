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
	"time"
)

// wirePage holds the parts of a list response the exporter reads; every
// other field (input_url, embedding segments, …) is skipped by the decoder
// without being kept.
type wirePage struct {
	Data     []*wireTask   `json:"data"`
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

// referenceDecodePage reads one list response. limit bounds the bytes read; a body
// that reaches it is an error rather than a truncated page.
func referenceDecodePage(r io.Reader, limit int64, seed maphash.Seed) (*page, error) {
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
	p := &page{info: pageInfo(*wp.PageInfo)}
	for _, w := range wp.Data {
		if w == nil { // a null element is no task
			continue
		}
		p.tasks = append(p.tasks, task{})
		t := &p.tasks[len(p.tasks)-1]
		if w.ID != "" {
			t.IDHash, t.HasID = maphash.String(seed, w.ID), true
		}
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
