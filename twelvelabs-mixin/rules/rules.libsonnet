// Recording rules. Each aggregates by the cluster label (absent in a
// Prometheus of one cluster, where it costs nothing), job and instance, and
// what its name's level says.
local p = import '../lib/promql.libsonnet';

{
  prometheusRules+:: {
    local c = $._config,
    local s(ms) = p.selector([c.selector] + ms),
    local by(ls) = p.by([c.clusterLabel, 'job', 'instance'] + ls),

    groups+: [{
      name: c.ruleGroupName + '-rules',
      rules: [
        {
          record: 'api_model_name:twelvelabs_embed_tasks_processing:sum',
          expr: 'sum %s (twelvelabs_embed_tasks%s)' % [by(['api', 'model_name']), s(['status="processing"'])],
        },
        // Share of finished tasks (ready or failed) that failed, over the
        // look-back window.
        {
          record: 'api_model_name:twelvelabs_embed_tasks_failed:ratio',
          expr: |||
            sum %(by)s (twelvelabs_embed_tasks%(failed)s)
              / sum %(by)s (twelvelabs_embed_tasks%(finished)s)
          ||| % { by: by(['api', 'model_name']), failed: s(['status="failed"']), finished: s(['status=~"ready|failed"']) },
        },
        {
          record: 'api_model_name:twelvelabs_embed_tasks_oldest_processing_age_seconds:max',
          expr: 'time() - min %s (twelvelabs_embed_tasks_oldest_created_timestamp_seconds%s)' % [by(['api', 'model_name']), s(['status="processing"'])],
        },
        {
          record: 'api:twelvelabs_exporter_data_age_seconds:max',
          expr: 'time() - max %s (twelvelabs_exporter_last_success_timestamp_seconds%s)' % [by(['api']), s([])],
        },
        {
          record: 'api_code:twelvelabs_exporter_api_requests:rate5m',
          expr: 'sum %s (rate(twelvelabs_exporter_api_requests_total%s[5m]))' % [by(['api', 'code']), s([])],
        },
        // Failed listings over the last 5 minutes, by reason (the
        // exporter's fixed set, zero-filled; see the runbook's table of
        // reasons).
        {
          record: 'api_reason:twelvelabs_exporter_listing_failures:increase5m',
          expr: 'sum %s (increase(twelvelabs_exporter_listing_failures_total%s[5m]))' % [by(['api', 'reason']), s([])],
        },

        // Lifecycle: what the exporter saw tasks do since it started. Only
        // tasks created after its start count, so a restart starts again
        // from zero (a counter reset, which rate() and increase() take in
        // their stride). New and finished tasks per second over 5 minutes;
        // the dashboard shows them per minute.
        {
          record: 'api_model_name:twelvelabs_embed_tasks_created:rate5m',
          expr: 'sum %s (rate(twelvelabs_embed_tasks_created_total%s[5m]))' % [by(['api', 'model_name']), s([])],
        },
        {
          record: 'api_model_name_status:twelvelabs_embed_tasks_finished:rate5m',
          expr: 'sum %s (rate(twelvelabs_embed_tasks_finished_total%s[5m]))' % [by(['api', 'model_name', 'status']), s([])],
        },
        // Tasks finished over the last 30 minutes, ready and failed.
        {
          record: 'api_model_name_status:twelvelabs_embed_tasks_finished:increase30m',
          expr: 'sum %s (increase(twelvelabs_embed_tasks_finished_total%s[30m]))' % [by(['api', 'model_name', 'status']), s([])],
        },
        // Share of the tasks finished over the last 30 minutes that failed.
        // The look-back ratio above holds a week of tasks and moves in days;
        // this one moves in minutes. Absent while no task finished in 30
        // minutes.
        {
          record: 'api_model_name:twelvelabs_embed_tasks_finished_failed:ratio_increase30m',
          expr: |||
            sum %(by)s (increase(twelvelabs_embed_tasks_finished_total%(failed)s[30m]))
              / (sum %(by)s (increase(twelvelabs_embed_tasks_finished_total%(all)s[30m])) > 0)
          ||| % { by: by(['api', 'model_name']), failed: s(['status="failed"']), all: s([]) },
        },
      ] + [
        // Time from creation to ready of the tasks that became ready over
        // the last 30 minutes, median and 95th percentile. From the classic
        // buckets, or from the native histogram where Prometheus keeps only
        // that (Prometheus 3 with scrape_native_histograms). NaN while none
        // did.
        {
          record: 'api_model_name_quantile:twelvelabs_embed_task_processing_duration_seconds_ready:histogram_quantile_rate30m',
          expr: |||
            histogram_quantile(%(q)s, sum %(byLe)s (rate(twelvelabs_embed_task_processing_duration_seconds_bucket%(ready)s[30m])))
              or
            histogram_quantile(%(q)s, sum %(by)s (rate(twelvelabs_embed_task_processing_duration_seconds%(ready)s[30m])))
          ||| % { q: q, byLe: by(['api', 'model_name', 'le']), by: by(['api', 'model_name']), ready: s(['status="ready"']) },
          labels: { quantile: q },
        }
        for q in ['0.5', '0.95']
      ] + [
        // Full listings over the last hour that rebuilt the task state, by
        // reason (startup, interval, mismatch, error; zero-filled).
        {
          record: 'api_reason:twelvelabs_exporter_resyncs:increase1h',
          expr: 'sum %s (increase(twelvelabs_exporter_resyncs_total%s[1h]))' % [by(['api', 'reason']), s([])],
        },
      ],
    }],
  },
}
