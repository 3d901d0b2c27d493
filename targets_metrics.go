package main

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

var (
	reloadOKDesc = prometheus.NewDesc("twelvelabs_exporter_config_last_reload_successful",
		"1 if the last load of --config.file succeeded, else 0 (the configuration before it stays in use).", nil, nil)
	reloadAtDesc = prometheus.NewDesc("twelvelabs_exporter_config_last_reload_success_timestamp_seconds",
		"Unix time of the last successful load of --config.file.", nil, nil)
	accountsDesc = prometheus.NewDesc("twelvelabs_exporter_accounts",
		"Accounts configured in --config.file, each served on /probe?target=NAME.", nil, nil)
	accountInfoDesc = prometheus.NewDesc("twelvelabs_exporter_account_info",
		"1 for each account of --config.file (account: the /probe target), with its organisation (empty when it has none).", []string{"account", "organization"}, nil)
	budgetRemainingDesc = prometheus.NewDesc("twelvelabs_exporter_budget_remaining_requests",
		"Requests the organisation's budget (requests_per_minute, requests_per_day in --config.file) can pay for now.", []string{"organization"}, nil)
	budgetExhaustedDesc = prometheus.NewDesc("twelvelabs_exporter_budget_exhausted_total",
		"Requests and listings the organisation's budget could not pay for within the listing's timeout; scrapes then serve the newest complete listing.", []string{"organization"}, nil)
	budgetWaitDesc = prometheus.NewDesc("twelvelabs_exporter_budget_wait_seconds_total",
		"Time the organisation's requests waited for the budget's tokens: listings paced by requests_per_minute or requests_per_day.", []string{"organization"}, nil)
)

// Describe and Collect export the configuration's state and the budgets on
// /metrics; nothing without --config.file.
func (t *targets) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{reloadOKDesc, reloadAtDesc, accountsDesc, accountInfoDesc, budgetRemainingDesc, budgetExhaustedDesc, budgetWaitDesc} {
		ch <- d
	}
}

func (t *targets) Collect(ch chan<- prometheus.Metric) {
	if t.flags.configFile == "" {
		return
	}
	ok := 0.0
	if t.reloadOK.Load() {
		ok = 1
	}
	ch <- prometheus.MustNewConstMetric(reloadOKDesc, prometheus.GaugeValue, ok)
	ch <- prometheus.MustNewConstMetric(reloadAtDesc, prometheus.GaugeValue, float64(t.reloadAt.Load()))
	as := t.current.Load()
	if as == nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(accountsDesc, prometheus.GaugeValue, float64(len(as.byName)))
	for name, a := range as.byName {
		ch <- prometheus.MustNewConstMetric(accountInfoDesc, prometheus.GaugeValue, 1, name, a.org.Name)
	}
	for org, b := range as.budgets {
		ch <- prometheus.MustNewConstMetric(budgetRemainingDesc, prometheus.GaugeValue, b.remaining(), org)
		ch <- prometheus.MustNewConstMetric(budgetExhaustedDesc, prometheus.CounterValue, float64(b.exhausted.Load()), org)
		ch <- prometheus.MustNewConstMetric(budgetWaitDesc, prometheus.CounterValue, time.Duration(b.waited.Load()).Seconds(), org)
	}
}
