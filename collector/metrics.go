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

// fromListing is said in the HELP of every task metric: where the value
// comes from, and that a cached listing may serve it.
const fromListing = " Read from GET /embed/tasks (api=v1) or GET /embed-v2/tasks (api=v2) over the look-back window" +
	" (default 7 days, the API's retention); served from the last successful listing for up to --twelvelabs.cache-ttl when that cache is on."

var (
	taskLabels = []string{"api", "model_name", "status"}
	apiLabels  = []string{"api"}

	tasksDesc = prometheus.NewDesc(namespace+"_embed_tasks",
		"Embedding tasks the API lists, by model and status."+fromListing, taskLabels, nil)
	videoDesc = prometheus.NewDesc(namespace+"_embed_tasks_video_duration_seconds",
		"Sum of video_embedding.metadata.duration of the listed tasks, in seconds."+fromListing, taskLabels, nil)
	audioDesc = prometheus.NewDesc(namespace+"_embed_tasks_audio_duration_seconds",
		"Sum of audio_embedding.metadata.duration of the listed tasks, in seconds (v2 tasks only carry audio)."+fromListing, taskLabels, nil)
	oldestDesc = prometheus.NewDesc(namespace+"_embed_tasks_oldest_created_timestamp_seconds",
		"Unix time of the oldest created_at among the listed tasks of the group; absent for groups without tasks."+fromListing, taskLabels, nil)
	upDesc = prometheus.NewDesc(namespace+"_up",
		"1 if the last listing of the API succeeded (all pages read), else 0; when 0, no task metrics of that API are exported.", apiLabels, nil)
	durationDesc = prometheus.NewDesc(namespace+"_exporter_scrape_duration_seconds",
		"Wall time of the last listing of the API, failed or not.", apiLabels, nil)
	pagesDesc = prometheus.NewDesc(namespace+"_exporter_scrape_pages",
		"Pages read by the last listing of the API, failed or not.", apiLabels, nil)
	lastSuccessDesc = prometheus.NewDesc(namespace+"_exporter_last_success_timestamp_seconds",
		"Unix time at which the last successful listing of the API finished; absent until one has.", apiLabels, nil)
	requestsDesc = prometheus.NewDesc(namespace+"_exporter_api_requests_total",
		"HTTP requests sent to the TwelveLabs API, retries included, by status code (code=\"error\" when no response came).",
		[]string{"api", "code"}, nil)

	allDescs = []*prometheus.Desc{tasksDesc, videoDesc, audioDesc, oldestDesc, upDesc, durationDesc, pagesDesc, lastSuccessDesc, requestsDesc}

	// knownStatuses are exported for every model seen, zero or not.
	knownStatuses = []string{"processing", "ready", "failed"}
)

// scrape is the collector of one scrape.
type scrape struct {
	e   *Exporter
	ctx context.Context
}

func (s *scrape) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range allDescs {
		ch <- d
	}
}

func (s *scrape) Collect(ch chan<- prometheus.Metric) {
	apis := s.e.opts.APIs
	results := make([]result, len(apis))
	var wg sync.WaitGroup
	for i, api := range apis {
		wg.Go(func() { results[i], _ = s.e.listing(s.ctx, api) })
	}
	wg.Wait()

	s.e.mu.Lock()
	good := make([]result, len(apis))
	goodOK := make([]bool, len(apis))
	for i, api := range apis {
		good[i], goodOK[i] = s.e.good[api]
	}
	requests := make(map[requestKey]uint64, len(s.e.requests))
	for k, v := range s.e.requests {
		requests[k] = v
	}
	s.e.mu.Unlock()

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
		if goodOK[i] {
			ch <- prometheus.MustNewConstMetric(lastSuccessDesc, prometheus.GaugeValue, unixSeconds(good[i].done), a)
		}
	}
	for k, v := range requests {
		ch <- prometheus.MustNewConstMetric(requestsDesc, prometheus.CounterValue, float64(v), string(k.api), k.code)
	}
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
