package collector

import (
	"context"
	"slices"
	"sync"

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

	foldedDesc = prometheus.NewDesc(namespace+"_exporter_folded_label_values",
		"Distinct values of the label that the last successful listing of the API exported as \"other\", past the bound on distinct values.",
		[]string{"api", "label"}, nil)

	skewDesc = prometheus.NewDesc(namespace+"_api_clock_skew_seconds",
		"How far the API's clock is ahead of the exporter's (negative: behind), from the Date header of its last answer; absent before one.",
		nil, nil)

	scrapeDescs = []*prometheus.Desc{tasksDesc, videoDesc, audioDesc, oldestDesc, upDesc, durationDesc, pagesDesc, lastSuccessDesc, foldedDesc, skewDesc}

	// knownStatuses are exported for every model seen, zero or not.
	knownStatuses = client.Statuses
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
	for _, d := range usageDescs {
		ch <- d
	}
	for _, d := range s.e.stages {
		d.describe(ch)
	}
	for _, lc := range s.e.stageLife {
		lc.describe(ch)
	}
	s.e.opts.Traffic.describe(ch)
	s.e.counters.describe(ch)
	s.e.lifecycle.describe(ch)
}

// Collect sends each API's health first and its task metrics after, each
// metric checked as it is made: whatever a listing held, twelvelabs_up and
// the other series reach Prometheus.
func (s *scrape) Collect(ch chan<- prometheus.Metric) {
	apis := s.e.opts.APIs
	results := make([]result, len(apis))
	var wg sync.WaitGroup
	for i, api := range apis {
		wg.Go(func() { results[i] = s.e.listing(s.ctx, api) })
	}
	wg.Wait()

	log := func(err error) {
		s.e.opts.Logger.Error("a metric could not be made; left out of the scrape", "err", err)
	}
	for i, api := range apis {
		a := string(api)
		r := results[i]
		up := 0.0
		if r.err == nil && r.listing != nil {
			up = 1
		}
		send(ch, log, upDesc, prometheus.GaugeValue, up, a)
		if l := r.listing; l != nil {
			send(ch, log, durationDesc, prometheus.GaugeValue, l.Duration.Seconds(), a)
			send(ch, log, pagesDesc, prometheus.GaugeValue, float64(l.Pages), a)
		}
		st := s.e.state.get(api)
		if st.good.listing != nil {
			send(ch, log, lastSuccessDesc, prometheus.GaugeValue, unixSeconds(st.good.done), a)
			dimension := "model_name"
			if stage := client.StageOf(api); stage != nil {
				dimension = stage.Dimension
			}
			if dimension != "" {
				send(ch, log, foldedDesc, prometheus.GaugeValue, float64(st.folded.models), a, dimension)
			}
			send(ch, log, foldedDesc, prometheus.GaugeValue, float64(st.folded.statuses), a, "status")
		}
		switch d := s.e.stages[api]; {
		case up == 0:
		case d != nil:
			d.collect(ch, log, client.StageOf(api), r.listing)
		default:
			collectGroups(ch, log, a, r.listing)
		}
		if up == 1 {
			collectUsage(ch, log, api, r.listing)
		}
	}
	if sk, ok := s.e.lister.(skewer); ok {
		if d, known := sk.ClockSkew(); known {
			send(ch, log, skewDesc, prometheus.GaugeValue, d.Seconds())
		}
	}
	for _, api := range apis {
		if lc := s.e.stageLife[api]; lc != nil {
			lc.collect(ch)
		}
	}
	s.e.opts.Plan.collect(ch, log)
	s.e.opts.Traffic.collect(ch, log)
	s.e.counters.collect(ch)
	s.e.lifecycle.collect(ch)
}

// collectGroups exports the task metrics of one listing. The known statuses
// are zero-filled for every model seen, so that a status emptying out reads
// 0 rather than vanishing; statuses the exporter does not know are exported
// as they come.
func collectGroups(ch chan<- prometheus.Metric, log func(error), api string, l *client.Listing) {
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
		send(ch, log, tasksDesc, prometheus.GaugeValue, float64(g.Tasks), api, model, status)
		send(ch, log, videoDesc, prometheus.GaugeValue, g.VideoSeconds(), api, model, status)
		send(ch, log, audioDesc, prometheus.GaugeValue, g.AudioSeconds(), api, model, status)
		if g.Tasks > 0 && !g.OldestCreated.IsZero() {
			send(ch, log, oldestDesc, prometheus.GaugeValue, unixSeconds(g.OldestCreated), api, model, status)
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
