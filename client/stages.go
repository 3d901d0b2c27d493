package client

// The pipeline's stages beyond embedding, one description each. Field
// names follow the OpenAPI document and the official SDKs; where they
// disagree both are read (a task's duration under system_metadata or
// metadata, an _id or a task_id).

// Indexing lists video indexing tasks, GET /tasks: the stage where uploads
// become searchable, broken down by index.
var Indexing = &Stage{
	API: "indexing", Path: "/tasks", Noun: "tasks",
	Statuses:     []string{"uploading", "validating", "pending", "queued", "indexing", "ready", "failed"},
	Final:        []string{"ready", "failed"},
	StatusFilter: true,
	Dimension:    "index_name", JoinNames: "indexes",
	Media: true,
	Fields: []StageField{
		{Path: "_id", Slot: SlotID},
		{Path: "index_id", Slot: SlotDimension},
		{Path: "status", Slot: SlotStatus},
		{Path: "created_at", Slot: SlotCreated},
		{Path: "system_metadata.duration", Slot: SlotDuration},
		{Path: "metadata.duration", Slot: SlotDuration},
	},
}

// Analyze lists asynchronous analysis tasks, GET /analyze/tasks, by
// analysis mode, with the tokens they used and what went wrong on the way
// out (answers cut at the token limit, webhooks not delivered).
var Analyze = &Stage{
	API: "analyze", Path: "/analyze/tasks", Noun: "tasks",
	Statuses:     []string{"queued", "pending", "processing", "ready", "failed"},
	Final:        []string{"ready", "failed"},
	StatusFilter: true,
	Dimension:    "analysis_mode",
	Media:        true, Tokens: []int{0, 1},
	Fields: []StageField{
		{Path: "task_id", Slot: SlotID},
		{Path: "_id", Slot: SlotID},
		{Path: "request_params.analysis_mode", Slot: SlotDimension},
		{Path: "status", Slot: SlotStatus},
		{Path: "created_at", Slot: SlotCreated},
		{Path: "completed_at", Slot: SlotFinished},
		{Path: "video_source.system_metadata.duration", Slot: SlotDuration},
		{Path: "result.usage.input_tokens", Slot: SlotSum, Index: 0},
		{Path: "result.usage.output_tokens", Slot: SlotSum, Index: 1},
		{Path: "result.finish_reason", Slot: SlotFlag, Index: 0, Match: "length"},
		{Path: "webhooks[].delivered", Slot: SlotFlag, Index: 1, Match: "false"},
	},
	Sums: []StageSum{
		{Suffix: "input_tokens", Help: "result.usage.input_tokens"},
		{Suffix: "output_tokens", Help: "result.usage.output_tokens"},
	},
	Flags: []StageSum{
		{Suffix: "truncated", Help: "whose result.finish_reason is length (the answer was cut at the token limit)"},
		{Suffix: "webhook_undelivered", Help: "with a webhook whose delivered is false"},
	},
}

// Batches lists analysis batches, GET /analyze/batches: a batch not
// finished when it expires (24 hours after creation) loses its rest.
var Batches = &Stage{
	API: "batches", Path: "/analyze/batches", Noun: "batches",
	Statuses:     []string{"pending", "processing", "canceling", "canceled", "completed", "expired"},
	Final:        []string{"canceled", "completed", "expired"},
	StatusFilter: true,
	Dimension:    "analysis_mode",
	Fields: []StageField{
		{Path: "batch_id", Slot: SlotID},
		{Path: "_id", Slot: SlotID},
		{Path: "analysis_mode", Slot: SlotDimension},
		{Path: "status", Slot: SlotStatus},
		{Path: "created_at", Slot: SlotCreated},
		{Path: "completed_at", Slot: SlotFinished},
		{Path: "expires_at", Slot: SlotExpires},
		{Path: "total_items", Slot: SlotSum, Index: 0},
		{Path: "failed_items", Slot: SlotSum, Index: 1},
	},
	Sums: []StageSum{
		{Suffix: "items", Help: "total_items"},
		{Suffix: "failed_items", Help: "failed_items"},
	},
}

// Uploads lists multipart upload sessions, GET /assets/multipart-uploads:
// a session not completed within 24 hours expires with its chunks.
var Uploads = &Stage{
	API: "uploads", Path: "/assets/multipart-uploads", Noun: "sessions",
	Statuses: []string{"active", "completed", "failed", "expired"},
	Final:    []string{"completed", "failed", "expired"},
	Fields: []StageField{
		{Path: "upload_id", Slot: SlotID},
		{Path: "_id", Slot: SlotID},
		{Path: "status", Slot: SlotStatus},
		{Path: "created_at", Slot: SlotCreated},
		{Path: "expires_at", Slot: SlotExpires},
		{Path: "total_size", Slot: SlotSum, Index: 0},
	},
	Sums: []StageSum{{Suffix: "bytes", Help: "total_size"}},
}

// Indexes lists the indexes, GET /indexes: their videos, hours of media
// and, on the Free plan, when they expire.
var Indexes = &Stage{
	API: "indexes", Path: "/indexes", Noun: "indexes",
	Dimension: "index_name", KeyLabel: "index_id",
	Fields: []StageField{
		{Path: "_id", Slot: SlotID},
		{Path: "_id", Slot: SlotKey},
		{Path: "index_name", Slot: SlotDimension},
		{Path: "created_at", Slot: SlotCreated},
		{Path: "expires_at", Slot: SlotExpires},
		{Path: "total_duration", Slot: SlotDuration},
		{Path: "video_count", Slot: SlotSum, Index: 0},
	},
	Sums: []StageSum{{Suffix: "videos", Help: "video_count"}},
}

// Assets lists uploaded assets, GET /assets, by status.
var Assets = &Stage{
	API: "assets", Path: "/assets", Noun: "assets",
	Statuses: []string{"processing", "ready", "failed"},
	Final:    []string{"ready", "failed"},
	Fields: []StageField{
		{Path: "_id", Slot: SlotID},
		{Path: "status", Slot: SlotStatus},
		{Path: "created_at", Slot: SlotCreated},
	},
}

// Stages are the pipeline's stages beyond embedding, in the order they
// are listed and exported.
var Stages = []*Stage{Indexing, Analyze, Batches, Uploads, Indexes, Assets}

func init() {
	for _, s := range Stages {
		if err := s.build(); err != nil {
			panic(err)
		}
	}
}
