package collector

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/twelvelabs-community/twelvelabs_exporter/client"
)

// Plan is what an organisation's plan allows, as its owner declares it
// (TwelveLabs has no endpoint that says); a zero field is not declared.
// The exporter exports each declared limit beside the usage the listings
// show, in the same units and windows, for the usage alerts.
type Plan struct {
	MediaSecondsPerHour, MediaSecondsPerDay float64
	TokensPerMinute, TokensPerDay           float64
	RequestsPerMinute, RequestsPerDay       float64
}

var (
	windowLabels = []string{"api", "window"}

	usageMediaDesc = prometheus.NewDesc(namespace+"_usage_media_seconds",
		"Media submitted in the window before the listing, in seconds: the durations of the tasks the API lists as created in it (embedding, indexing, analysis).",
		windowLabels, nil)
	usageTokensDesc = prometheus.NewDesc(namespace+"_usage_tokens",
		"Tokens of the analysis tasks the API lists as finished in the window before the listing (result.usage input and output tokens).",
		windowLabels, nil)
	planMediaDesc = prometheus.NewDesc(namespace+"_plan_media_seconds_limit",
		"Media seconds the organisation's plan allows in the window, as declared in the exporter's configuration.", []string{"window"}, nil)
	planTokensDesc = prometheus.NewDesc(namespace+"_plan_tokens_limit",
		"Tokens the organisation's plan allows in the window, as declared in the exporter's configuration.", []string{"window"}, nil)
	planRequestsDesc = prometheus.NewDesc(namespace+"_plan_requests_limit",
		"Requests the organisation's plan allows in the window (all its keys and endpoints together), as declared in the exporter's configuration.",
		[]string{"window"}, nil)

	usageDescs = []*prometheus.Desc{usageMediaDesc, usageTokensDesc, planMediaDesc, planTokensDesc, planRequestsDesc}
)

// collectUsage exports what a listing shows was used: media in the last
// hour and day, tokens in the last minute and day.
func collectUsage(ch chan<- prometheus.Metric, log func(error), api client.API, l *client.Listing) {
	var u client.Usage
	for _, g := range l.Groups {
		for w := range client.NumUsageWindows {
			u.MediaNanos[w] += g.Usage.MediaNanos[w]
			u.Tokens[w] += g.Usage.Tokens[w]
		}
	}
	if api.MediaUsage() {
		for _, w := range []int{client.UsageHour, client.UsageDay} {
			send(ch, log, usageMediaDesc, prometheus.GaugeValue, float64(u.MediaNanos[w])/1e9, string(api), client.UsageWindowNames[w])
		}
	}
	if api.TokenUsage() {
		for _, w := range []int{client.UsageMinute, client.UsageDay} {
			send(ch, log, usageTokensDesc, prometheus.GaugeValue, float64(u.Tokens[w]), string(api), client.UsageWindowNames[w])
		}
	}
}

// collect exports the declared limits.
func (p Plan) collect(ch chan<- prometheus.Metric, log func(error)) {
	for _, l := range []struct {
		desc   *prometheus.Desc
		v      float64
		window string
	}{
		{planMediaDesc, p.MediaSecondsPerHour, "1h"}, {planMediaDesc, p.MediaSecondsPerDay, "24h"},
		{planTokensDesc, p.TokensPerMinute, "1m"}, {planTokensDesc, p.TokensPerDay, "24h"},
		{planRequestsDesc, p.RequestsPerMinute, "1m"}, {planRequestsDesc, p.RequestsPerDay, "24h"},
	} {
		if l.v > 0 {
			send(ch, log, l.desc, prometheus.GaugeValue, l.v, l.window)
		}
	}
}
