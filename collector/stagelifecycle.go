package collector

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/twelvelabs-community/twelvelabs_exporter/client"
)

// stageLifecycle counts what a stage's items do across its listings, as
// lifecycle does for embedding tasks: created after the exporter started,
// finished (reached a final status), and how long that took (to
// completed_at where the stage has it, else to the listing that first saw
// the item final, at most a scrape late). It remembers the status of each
// item of the last listing served, by _id hash: 16 bytes or so an item.
type stageLifecycle struct {
	st       *client.Stage
	started  time.Time
	known    map[uint64]string // nil before the first listing served
	created  *prometheus.CounterVec
	finished *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newStageLifecycle(st *client.Stage, started time.Time) *stageLifecycle {
	name := stageMetric(st)
	var dim []string
	if st.Dimension != "" {
		dim = []string{st.Dimension}
	}
	src := "GET " + st.Path
	return &stageLifecycle{
		st: st, started: started,
		created: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: name + "_created_total",
			Help: "Items of " + src + " first seen in a listing since the exporter started, created after it started.",
		}, dim),
		finished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: name + "_finished_total",
			Help: "Items of " + src + " seen to reach a final status since the exporter started; one first seen final counts if created after the start.",
		}, append(dim, "status")),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:                            name + "_processing_duration_seconds",
			Help:                            "Creation to final status of the items counted in " + name + "_finished_total: to completed_at where the API gives it, else to the first listing that saw the item final.",
			Buckets:                         processingBuckets,
			NativeHistogramBucketFactor:     1.1,
			NativeHistogramMaxBucketNumber:  100,
			NativeHistogramMinResetDuration: time.Hour,
		}, append(dim, "status")),
	}
}

func (lc *stageLifecycle) describe(ch chan<- *prometheus.Desc) {
	lc.created.Describe(ch)
	lc.finished.Describe(ch)
	lc.duration.Describe(ch)
}

func (lc *stageLifecycle) collect(ch chan<- prometheus.Metric) {
	lc.created.Collect(ch)
	lc.finished.Collect(ch)
	lc.duration.Collect(ch)
}

// labels are the label values of an item's dimension value, and status.
func (lc *stageLifecycle) labels(dim string, status ...string) []string {
	var v []string
	if lc.st.Dimension != "" {
		v = append(v, dim)
	}
	return append(v, status...)
}

// served takes the items of a listing just served, at now: dim gives each
// item's exported dimension value (named, folded).
func (lc *stageLifecycle) served(items map[uint64]client.Task, dim func(client.Task) string, now time.Time) {
	first := lc.known == nil
	known := make(map[uint64]string, len(items))
	for h, t := range items {
		known[h] = t.Status
		d := dim(t)
		lc.created.WithLabelValues(lc.labels(d)...) // zero-filled for every value seen
		for _, f := range lc.st.Final {
			lc.finished.WithLabelValues(lc.labels(d, f)...)
			lc.duration.WithLabelValues(lc.labels(d, f)...)
		}
		if first {
			continue
		}
		prev, seen := lc.known[h]
		fresh := !t.Created.IsZero() && !t.Created.Before(lc.started)
		if !seen && fresh {
			lc.created.WithLabelValues(lc.labels(d)...).Inc()
		}
		final := lc.st.IsFinal(t.Status)
		if !final || (seen && lc.st.IsFinal(prev)) || (!seen && !fresh) {
			continue
		}
		lc.finished.WithLabelValues(lc.labels(d, t.Status)...).Inc()
		if !t.Created.IsZero() {
			end := t.Finished
			if end.IsZero() || end.Before(t.Created) {
				end = now
			}
			lc.duration.WithLabelValues(lc.labels(d, t.Status)...).Observe(end.Sub(t.Created).Seconds())
		}
	}
	lc.known = known
}
