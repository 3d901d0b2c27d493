package collector

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/twelvelabs-community/twelvelabs_exporter/client"
)

// lifecycle counts what the exporter sees tasks do across listings:
// created, finished, and how long they took.
type lifecycle struct {
	started  time.Time // the exporter's start: tasks created before it are not counted
	created  *prometheus.CounterVec
	finished *prometheus.CounterVec
	duration *prometheus.HistogramVec
	resyncs  *prometheus.CounterVec
}

// Resync reasons.
const (
	resyncStartup  = "startup"
	resyncInterval = "interval"
	resyncMismatch = "mismatch"
	resyncError    = "error"
)

// processingBuckets fit seconds-to-hours processing: an embedding of a
// short clip takes seconds, of hours of video an hour or more.
var processingBuckets = []float64{5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400, 43200}

func newLifecycle(apis []client.API, started time.Time) *lifecycle {
	lc := &lifecycle{
		started: started,
		created: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "embed_tasks_created_total",
			Help: "Tasks first seen in a listing since the exporter started, created after it started.",
		}, []string{"api", "model_name"}),
		finished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "embed_tasks_finished_total",
			Help: "Tasks seen to finish (ready or failed) since the exporter started; a task first seen finished counts if created after the start.",
		}, []string{"api", "model_name", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "embed_task_processing_duration_seconds",
			Help:                            "Creation to finish of the tasks counted in embed_tasks_finished_total: exact from updated_at on v2; on v1, up to the first listing that saw it finished (at most one scrape interval late).",
			Buckets:                         processingBuckets,
			NativeHistogramBucketFactor:     1.1,
			NativeHistogramMaxBucketNumber:  100,
			NativeHistogramMinResetDuration: time.Hour,
		}, []string{"api", "model_name", "status"}),
		resyncs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "exporter_resyncs_total",
			Help: "Full listings done to rebuild the task state of the API, by reason (startup, interval, mismatch, error).",
		}, []string{"api", "reason"}),
	}
	for _, api := range apis {
		for _, r := range []string{resyncStartup, resyncInterval, resyncMismatch, resyncError} {
			lc.resyncs.WithLabelValues(string(api), r)
		}
	}
	return lc
}

func (lc *lifecycle) describe(ch chan<- *prometheus.Desc) {
	lc.created.Describe(ch)
	lc.finished.Describe(ch)
	lc.duration.Describe(ch)
	lc.resyncs.Describe(ch)
}

func (lc *lifecycle) collect(ch chan<- prometheus.Metric) {
	lc.created.Collect(ch)
	lc.finished.Collect(ch)
	lc.duration.Collect(ch)
	lc.resyncs.Collect(ch)
}

// zeroFill makes api × model's series exist at 0 (created, finished and
// the processing histogram, by final status), so that a dashboard or an
// alert sees "none yet" as 0, not as no data: a static account, whose
// tasks were all created before the exporter started, has these series
// from its first listing.
func (lc *lifecycle) zeroFill(api client.API, model string) {
	// A label value the registry would refuse (the client cleans every
	// value; a Lister in a test may not) costs these series, never a panic.
	a := string(api)
	if _, err := lc.created.GetMetricWithLabelValues(a, model); err != nil {
		return
	}
	for _, s := range []string{"ready", "failed"} {
		lc.finished.WithLabelValues(a, model, s)
		lc.duration.WithLabelValues(a, model, s)
	}
}

func final(status string) bool { return status == "ready" || status == "failed" }

// seen records what one observation of a task says: a new task, a task
// that finished. prev is what the state held (existed false: new); now is
// when the listing saw it; label maps a model to its exported label.
func (lc *lifecycle) seen(api client.API, t client.Task, prevStatus string, existed bool, now time.Time, label func(string) string) {
	a := string(api)
	afterStart := !t.Created.IsZero() && !t.Created.Before(lc.started)
	model := label(t.Model)
	if !existed && afterStart {
		lc.zeroFill(api, model)
		lc.created.WithLabelValues(a, model).Inc()
	}
	finishedNow := final(t.Status) && ((existed && !final(prevStatus)) || (!existed && afterStart))
	if !finishedNow {
		return
	}
	lc.finished.WithLabelValues(a, model, t.Status).Inc()
	if t.Created.IsZero() {
		return
	}
	end := now // v1: the first listing that saw it finished
	if !t.Updated.IsZero() && !t.Updated.Before(t.Created) && !t.Updated.After(now) {
		end = t.Updated // v2: exact
	}
	lc.duration.WithLabelValues(a, model, t.Status).Observe(end.Sub(t.Created).Seconds())
}
