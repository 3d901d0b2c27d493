package simulator

import "time"

// The response shapes of the list endpoints, as documented.

type wireResponse struct {
	Data     []wireTask   `json:"data"`
	PageInfo wirePageInfo `json:"page_info"`
}

type wirePageInfo struct {
	LimitPerPage int `json:"limit_per_page"`
	Page         int `json:"page"`
	TotalPage    int `json:"total_page"`
	TotalResults int `json:"total_results"`
}

type wireTask struct {
	ID        string     `json:"_id"`
	ModelName string     `json:"model_name,omitempty"`
	Status    string     `json:"status"`
	CreatedAt string     `json:"created_at"`
	UpdatedAt string     `json:"updated_at,omitempty"`
	Video     *wireVideo `json:"video_embedding,omitempty"`
	Audio     *wireAudio `json:"audio_embedding,omitempty"`
}

type wireVideo struct {
	Metadata struct {
		InputURL            string   `json:"input_url"`
		InputFilename       string   `json:"input_filename"`
		VideoClipLength     int      `json:"video_clip_length"`
		VideoEmbeddingScope []string `json:"video_embedding_scope"`
		Duration            float64  `json:"duration"`
	} `json:"metadata"`
}

type wireAudio struct {
	Metadata struct {
		InputURL              string   `json:"input_url"`
		InputFilename         string   `json:"input_filename"`
		AudioEmbeddingOptions []string `json:"audio_embedding_options"`
		AudioEmbeddingScopes  []string `json:"audio_embedding_scopes"`
		Duration              float64  `json:"duration"`
		StartOffsetSec        float64  `json:"start_offset_sec"`
		EndOffsetSec          float64  `json:"end_offset_sec"`
	} `json:"metadata"`
}

const isoMillis = "2006-01-02T15:04:05.000Z07:00"

var (
	videoScopes  = []string{"clip", "video"}
	audioScopes  = []string{"clip"}
	audioOptions = []string{"audio"}
)

func toWire(api string, t *Task, now time.Time) wireTask {
	wt := wireTask{ID: t.ID, ModelName: t.Model, Status: t.StatusAt(now), CreatedAt: t.Created.UTC().Format(isoMillis)}
	// A long, signed storage URL, as customers' input_urls are.
	url := "https://storage.example.com/media/" + t.ID + "/" + t.Filename +
		"?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=" + t.ID + t.ID + t.ID
	if t.VideoSeconds >= 0 {
		v := &wireVideo{}
		v.Metadata.InputURL = url
		v.Metadata.InputFilename = t.Filename
		v.Metadata.VideoClipLength = 6
		v.Metadata.VideoEmbeddingScope = videoScopes
		v.Metadata.Duration = t.VideoSeconds
		wt.Video = v
	}
	if api == V2 {
		wt.UpdatedAt = t.Updated.UTC().Format(isoMillis)
		if t.AudioSeconds >= 0 {
			a := &wireAudio{}
			a.Metadata.InputURL = url
			a.Metadata.InputFilename = t.Filename
			a.Metadata.AudioEmbeddingOptions = audioOptions
			a.Metadata.AudioEmbeddingScopes = audioScopes
			a.Metadata.Duration = t.AudioSeconds
			a.Metadata.EndOffsetSec = t.AudioSeconds
			wt.Audio = a
		}
	}
	return wt
}
