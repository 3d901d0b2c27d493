package collector

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/twelvelabs-community/twelvelabs_exporter/client"
)

const namespace = "twelvelabs"

var (
	taskLabels = []string{"api", "model_name", "status"}
	apiLabels  = []string{"api"}

	tasksDesc = prometheus.NewDesc(namespace+"_embed_tasks",
		"Embedding tasks listed by GET /embed/tasks (api=v1) or /embed-v2/tasks (api=v2) over the look-back window, by model and status.",
		taskLabels, nil)
	videoDesc = prometheus.NewDesc(namespace+"_embed_tasks_video_duration_seconds",
		"Sum of video_embedding.metadata.duration over the listed tasks, in seconds.", taskLabels, nil)
	audioDesc = prometheus.NewDesc(namespace+"_embed_tasks_audio_duration_seconds",
		"Sum of audio_embedding.metadata.duration over the listed tasks (sent by v2 only), in seconds.", taskLabels, nil)
	oldestDesc = prometheus.NewDesc(namespace+"_embed_tasks_oldest_created_timestamp_seconds",
		"Unix time of the oldest created_at among the listed tasks of the group, absent for groups without tasks.", taskLabels, nil)
	upDesc = prometheus.NewDesc(namespace+"_up",
		"1 if the last listing of the API read every page, else 0 (and no task metrics of that API are exported).", apiLabels, nil)
	durationDesc = prometheus.NewDesc(namespace+"_exporter_scrape_duration_seconds",
		"Wall time of the last listing of the API, failed or not.", apiLabels, nil)
	pagesDesc = prometheus.NewDesc(namespace+"_exporter_scrape_pages",
		"Pages read by the last listing of the API, failed or not.", apiLabels, nil)
	lastSuccessDesc = prometheus.NewDesc(namespace+"_exporter_last_success_timestamp_seconds",
		"Unix time at which the last successful listing of the API finished, absent until one has.", apiLabels, nil)

	scrapeDescs = []*prometheus.Desc{tasksDesc, videoDesc, audioDesc, oldestDesc, upDesc, durationDesc, pagesDesc, lastSuccessDesc}

	// knownStatuses are exported for every model seen, zero or not.
	knownStatuses = []string{"processing", "ready", "failed"}
)

// scrape is the collector of one scrape.
type scrape struct {
	e   *Exporter
	ctx context.Context
}

func (s *scrape) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range scrapeDescs {
		ch <- d
	}
	s.e.opts.Requests.vec.Describe(ch)
	s.e.failures.Describe(ch)
}

func (s *scrape) Collect(ch chan<- prometheus.Metric) {
	apis := s.e.opts.APIs
	results := make([]result, len(apis))
	var wg sync.WaitGroup
	for i, api := range apis {
		wg.Go(func() { results[i] = s.e.listing(s.ctx, api) })
	}
	wg.Wait()

	for i, api := range apis {
		a := string(api)
		r := results[i]
		up := 0.0
		if r.err == nil && r.listing != nil {
			up = 1
			collectGroups(ch, a, r.listing)
		}
		ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, up, a)
		if l := r.listing; l != nil {
			ch <- prometheus.MustNewConstMetric(durationDesc, prometheus.GaugeValue, l.Duration.Seconds(), a)
			ch <- prometheus.MustNewConstMetric(pagesDesc, prometheus.GaugeValue, float64(l.Pages), a)
		}
		if good := s.e.state.get(api).good; good.listing != nil {
			ch <- prometheus.MustNewConstMetric(lastSuccessDesc, prometheus.GaugeValue, unixSeconds(good.done), a)
		}
	}
	s.e.opts.Requests.vec.Collect(ch)
	s.e.failures.Collect(ch)
}

// collectGroups exports the task metrics of one listing. The known statuses
// are zero-filled for every model seen, so that a status emptying out reads
// 0 rather than vanishing; statuses the exporter does not know are exported
// as they come.
func collectGroups(ch chan<- prometheus.Metric, api string, l *client.Listing) {
	var models, statuses []string
	for k := range l.Groups {
		if !slices.Contains(models, k.Model) {
			models = append(models, k.Model)
		}
		if !slices.Contains(knownStatuses, k.Status) && !slices.Contains(statuses, k.Status) {
			statuses = append(statuses, k.Status)
		}
	}
	zero := &client.Group{}
	emit := func(model, status string, g *client.Group) {
		ch <- prometheus.MustNewConstMetric(tasksDesc, prometheus.GaugeValue, float64(g.Tasks), api, model, status)
		ch <- prometheus.MustNewConstMetric(videoDesc, prometheus.GaugeValue, g.VideoSeconds(), api, model, status)
		ch <- prometheus.MustNewConstMetric(audioDesc, prometheus.GaugeValue, g.AudioSeconds(), api, model, status)
		if g.Tasks > 0 && !g.OldestCreated.IsZero() {
			ch <- prometheus.MustNewConstMetric(oldestDesc, prometheus.GaugeValue, unixSeconds(g.OldestCreated), api, model, status)
		}
	}
	for _, model := range models {
		for _, status := range knownStatuses {
			g := l.Groups[client.GroupKey{Model: model, Status: status}]
			if g == nil {
				g = zero
			}
			emit(model, status, g)
		}
	}
	for k, g := range l.Groups {
		if slices.Contains(statuses, k.Status) {
			emit(k.Model, k.Status, g)
		}
	}
}

// unixSeconds keeps microseconds: UnixMicro is exact in a float64, so the
// division rounds once and 12:00:00.939 prints as .939, not .9390001.
func unixSeconds(t time.Time) float64 { return float64(t.UnixMicro()) / 1e6 }
