// The dashboard: health of the listings, the queue, the tasks' lifecycle,
// data quality, the volume of media, then (collapsed) the API's rate-limit
// headers and, with --config.file, the configuration and the
// organisations' request budgets. Many panels read the recording rules of
// rules/rules.libsonnet.
local g = import '../lib/grafana.libsonnet';
local p = import '../lib/promql.libsonnet';

function(c)
  local multi = c.showMultiCluster;
  local cluster = if multi then '%s=~"$cluster"' % c.clusterLabel else '';
  local idMatchers = [c.selector, cluster, 'job=~"$job"', 'instance=~"$instance"'];
  // Selectors: of an exporter (no api label), of an API, of an API's models.
  local exp(extra=[]) = p.selector(idMatchers + extra);
  local api(extra=[]) = exp(['api=~"$api"'] + extra);
  local model(extra=[]) = api(['model_name=~"$model_name"'] + extra);
  // Of the pipeline's stages: their own metric names, no api label.
  local stage(extra=[]) = exp(extra);
  // The series that every exporter target exposes: twelvelabs_up on
  // /metrics and /probe, build_info on /metrics.
  local anyExporter(extra=[]) = p.selector(['__name__=~"twelvelabs_up|twelvelabs_exporter_build_info"', c.selector, cluster] + extra);

  local variable(name, label, query) = {
    type: 'query',
    name: name,
    label: label,
    datasource: g.datasource,
    definition: query,
    query: { query: query, refId: 'PrometheusVariableQueryEditor-VariableQuery' },
    refresh: 2,
    multi: true,
    includeAll: true,
    allValue: '.+',
    current: { selected: true, text: ['All'], value: ['$__all'] },
    sort: 1,
    hide: 0,
    options: [],
    regex: '',
  };

  local ts = g.timeseries;
  local upDown = g.mappings({ '0': ['DOWN', 'red'], '1': ['UP', 'green'] });

  {
    uid: c.dashboardUID,
    title: c.dashboardTitle,
    description: 'Embedding tasks of a TwelveLabs account (Embed API v1 and v2), and the pipeline stages the exporter collects (indexing, analysis, batches, uploads, indexes, assets), from twelvelabs_exporter. Needs the recording rules in alerts/twelvelabs.rules.yml (the twelvelabs-mixin).',
    tags: c.dashboardTags,
    schemaVersion: 39,
    version: 1,
    editable: true,
    graphTooltip: 1,
    timezone: c.dashboardTimezone,
    refresh: c.dashboardRefresh,
    time: { from: c.dashboardPeriod, to: 'now' },
    links: [{ title: 'Runbook', type: 'link', url: c.dashboardRunbookURL, targetBlank: true, icon: 'doc', tooltip: "The alerts' runbook", tags: [], asDropdown: false, includeVars: false, keepTime: false }],
    annotations: { list: [{
      builtIn: 1,
      datasource: { type: 'grafana', uid: '-- Grafana --' },
      enable: true,
      hide: true,
      iconColor: 'rgba(0, 211, 255, 1)',
      name: 'Annotations & Alerts',
      type: 'dashboard',
    }] },
    templating: { list: [
      { type: 'datasource', name: 'datasource', label: 'Data source', query: 'prometheus', refresh: 1, hide: 0, options: [], regex: '' },
    ] + (
      if multi then [variable(c.clusterLabel, 'Cluster', 'label_values(%s, %s)' % [p.selector(['__name__=~"twelvelabs_up|twelvelabs_exporter_build_info"', c.selector]), c.clusterLabel])] else []
    ) + [
      variable('job', 'Job', 'label_values(%s, job)' % anyExporter()),
      variable('instance', 'Instance', 'label_values(%s, instance)' % anyExporter(['job=~"$job"'])),
      variable('api', 'API', 'label_values(twelvelabs_up%s, api)' % exp()),
      variable('model_name', 'Model', 'label_values(twelvelabs_embed_tasks%s, model_name)' % api()),
    ] },

    panels: g.layout([
      [g.row('Health'), [
        [g.stat('Listing up', "twelvelabs_up: 1 when the exporter's last listing of the API read every page, 0 when it failed (then that API's task metrics are absent). See the exporter's \"listing failed\" log line.", 'none',
                [['twelvelabs_up%s' % api(), '{{instance}} {{api}}']],
                [{ color: 'red', value: null }, { color: 'green', value: 1 }]) { fieldConfig+: { defaults+: { mappings: upDown } } }, 6, 5, 0, 0],
        [g.stat('Data age', 'Seconds since the last successful listing finished (time() - twelvelabs_exporter_last_success_timestamp_seconds). With --twelvelabs.cache-ttl it grows up to the TTL; above %s TwelveLabsDataStale fires.' % p.seconds(c.alerts.TwelveLabsDataStale.thresholdSeconds), 's',
                [['time() - twelvelabs_exporter_last_success_timestamp_seconds%s' % api(), '{{instance}} {{api}}']],
                [{ color: 'green', value: null }, { color: 'orange', value: 600 }, { color: 'red', value: c.alerts.TwelveLabsDataStale.thresholdSeconds }]), 6, 5, 6, 0],
        [ts('Listing duration', 'Wall time of each listing (twelvelabs_exporter_scrape_duration_seconds) and the pages it read (twelvelabs_exporter_scrape_pages, right axis). A duration near the scrape timeout means listings are about to fail.', 's', [
          ['twelvelabs_exporter_scrape_duration_seconds%s' % api(), '{{instance}} {{api}} duration'],
          ['twelvelabs_exporter_scrape_pages%s' % api(), '{{instance}} {{api}} pages'],
        ]) { fieldConfig+: { overrides: [{ matcher: { id: 'byRegexp', options: '.* pages' }, properties: [{ id: 'unit', value: 'none' }, { id: 'custom.axisPlacement', value: 'right' }] }] } }, 12, 8, 12, 0],
        [ts('API requests by code', 'Requests the exporter sent to the TwelveLabs API per second, by HTTP status (code="error": no response), from twelvelabs_exporter_api_requests_total. 401 means the key is rejected; 403 a rejected key or a plan or region that does not allow the endpoint (Listing failures by reason tells them apart); 429 the organisation\'s rate limit.', 'reqps',
            [['sum by (api, code) (rate(twelvelabs_exporter_api_requests_total%s[$__rate_interval]))' % api(), '{{api}} {{code}}']]), 12, 11, 0, 5],
        [ts('Listing failures by reason', "Failed listings per minute, by API and reason, from twelvelabs_exporter_listing_failures_total. key_rejected: the key is invalid or expired, rotate it (TwelveLabsAPIKeyRejected). not_allowed: the key is fine, the plan or region does not allow the endpoint (TwelveLabsAPINotAllowed). rate_limited, server_error, timeout, malformed, too_large, transport, bad_request, budget: TwelveLabsListingFailing; the runbook's table of reasons says what each needs.", 'opm',
            [['sum by (api, reason) (rate(twelvelabs_exporter_listing_failures_total%s[$__rate_interval])) * 60' % api(), '{{api}} {{reason}}']], sortByMax=true), 12, 8, 12, 8],
      ]],

      [g.row('Queue'), [
        [ts('Tasks by status', 'Embedding tasks the API lists over the look-back window (default 7 days), by status (twelvelabs_embed_tasks).', 'short',
            [['sum by (status) (twelvelabs_embed_tasks%s)' % model(), '{{status}}']]), 12, 8],
        [ts('Processing backlog', 'Tasks still processing, by API and model (recording rule api_model_name:twelvelabs_embed_tasks_processing:sum). Growing for %s above %s: TwelveLabsBacklogGrowing.' % [p.words(c.alerts.TwelveLabsBacklogGrowing['for']), p.num(c.alerts.TwelveLabsBacklogGrowing.threshold)], 'short',
            [['api_model_name:twelvelabs_embed_tasks_processing:sum%s' % model(), '{{api}} {{model_name}}']]), 12, 8],
        [ts('Oldest processing task', 'Age of the oldest task still processing, by API and model (time() - twelvelabs_embed_tasks_oldest_created_timestamp_seconds{status="processing"}). Above %s for %s: TwelveLabsTasksStuckProcessing.' % [p.seconds(c.alerts.TwelveLabsTasksStuckProcessing.thresholdSeconds), p.words(c.alerts.TwelveLabsTasksStuckProcessing['for'])], 's',
            [['time() - min by (api, model_name) (twelvelabs_embed_tasks_oldest_created_timestamp_seconds%s)' % model(['status="processing"']), '{{api}} {{model_name}}']]), 12, 8],
        [ts('Failure ratio', 'Share of finished tasks (ready or failed) that failed over the look-back window, by API and model (recording rule api_model_name:twelvelabs_embed_tasks_failed:ratio). Above %s with %d failures: TwelveLabsHighFailureRatio. A week of tasks moves it in days; Failure ratio, last 30 minutes moves in minutes.' % [p.percent(c.alerts.TwelveLabsHighFailureRatio.threshold), c.alerts.TwelveLabsHighFailureRatio.minFailures], 'percentunit',
            [['api_model_name:twelvelabs_embed_tasks_failed:ratio%s' % model(), '{{api}} {{model_name}}']]) { fieldConfig+: { defaults+: { min: 0, max: 1 } } }, 12, 8],
      ]],

      [g.row('Lifecycle'), [
        [ts('Throughput: created vs finished per minute', 'Tasks created and tasks finished (ready, failed) per minute over 5 minutes, by API, from the lifecycle counters twelvelabs_embed_tasks_created_total and twelvelabs_embed_tasks_finished_total (recording rules api_model_name:twelvelabs_embed_tasks_created:rate5m and api_model_name_status:twelvelabs_embed_tasks_finished:rate5m). Only tasks created after the exporter started count. Created above ready plus failed for long: the backlog grows.', 'opm', [
          ['sum by (api) (api_model_name:twelvelabs_embed_tasks_created:rate5m%s) * 60' % model(), '{{api}} created'],
          ['sum by (api, status) (api_model_name_status:twelvelabs_embed_tasks_finished:rate5m%s) * 60' % model(), '{{api}} {{status}}'],
        ]), 12, 8],
        [ts('Time to ready p50 / p95 (last 30m)', 'Time from creation to ready of the tasks that became ready over the last 30 minutes, median and 95th percentile, by API and model, from the histogram twelvelabs_embed_task_processing_duration_seconds (recording rule api_model_name_quantile:twelvelabs_embed_task_processing_duration_seconds_ready:histogram_quantile_rate30m). Exact on v2; on v1 up to one scrape interval late. Interpolated within the buckets (5 s, 15 s, 30 s, 1 m, 2 m, 5 m, 10 m, 20 m, 30 m, 1 h, 2 h, 4 h, 12 h). Empty while no task became ready.', 's', [
          ['api_model_name_quantile:twelvelabs_embed_task_processing_duration_seconds_ready:histogram_quantile_rate30m%s' % model(['quantile="0.5"']), '{{api}} {{model_name}} p50'],
          ['api_model_name_quantile:twelvelabs_embed_task_processing_duration_seconds_ready:histogram_quantile_rate30m%s' % model(['quantile="0.95"']), '{{api}} {{model_name}} p95'],
        ], sortByMax=true), 12, 8],
        [ts('Failure ratio, last 30 minutes', 'Share of the tasks that finished over the last 30 minutes that failed, by API and model, from twelvelabs_embed_tasks_finished_total (recording rule api_model_name:twelvelabs_embed_tasks_finished_failed:ratio_increase30m). Above %s with %d failures for %s: TwelveLabsRecentFailureRatioHigh. Empty while no task finished in 30 minutes.' % [p.percent(c.alerts.TwelveLabsRecentFailureRatioHigh.threshold), c.alerts.TwelveLabsRecentFailureRatioHigh.minFailures, p.words(c.alerts.TwelveLabsRecentFailureRatioHigh['for'])], 'percentunit',
            [['api_model_name:twelvelabs_embed_tasks_finished_failed:ratio_increase30m%s' % model(), '{{api}} {{model_name}}']]) { fieldConfig+: { defaults+: { min: 0, max: 1 } } }, 12, 8],
        [ts('Resyncs by reason, last hour', "Full listings that rebuilt the exporter's task state over the last hour, by API and reason (recording rule api_reason:twelvelabs_exporter_resyncs:increase1h): startup (the first listing, usually done before Prometheus first sees the counter, so seldom shown), interval (--twelvelabs.resync-interval), mismatch (the state disagreed with the API), error (an incremental step failed half-way). Each costs a full listing. Mismatch above %s for %s: TwelveLabsIncrementalStateMismatch." % [p.num(c.alerts.TwelveLabsIncrementalStateMismatch.threshold), p.words(c.alerts.TwelveLabsIncrementalStateMismatch['for'])], 'short',
            [['sum by (api, reason) (api_reason:twelvelabs_exporter_resyncs:increase1h%s)' % api(), '{{api}} {{reason}}']], sortByMax=true), 12, 8],
      ]],

      [g.row('Data quality'), [
        [ts('Folded label values', 'Distinct values the last successful listing exported as "other", by API and label (twelvelabs_exporter_folded_label_values): model_name past --twelvelabs.max-models, status past 10 unknown statuses. Above 0: some tasks are counted under model_name="other" or status="other"; raise --twelvelabs.max-models if the models are real.', 'short',
            [['twelvelabs_exporter_folded_label_values%s' % api(), '{{instance}} {{api}} {{label}}']], sortByMax=true), 12, 8],
        [ts('Malformed fields per minute', "Tasks per minute whose field was present but unreadable (a duration as text, a time the exporter cannot read, a number out of range), taken as missing, by API and field (twelvelabs_exporter_malformed_fields_total). Above 0: the API's answers changed shape; the tasks are still counted.", 'opm',
            [['sum by (api, field) (rate(twelvelabs_exporter_malformed_fields_total%s[$__rate_interval])) * 60' % api(), '{{api}} {{field}}']], sortByMax=true), 12, 8],
      ]],

      [g.row('Volume'), [
        [ts('Video hours', 'Hours of video in the listed tasks, by model and status (sum of video_embedding.metadata.duration, twelvelabs_embed_tasks_video_duration_seconds / 3600).', 'h',
            [['sum by (model_name, status) (twelvelabs_embed_tasks_video_duration_seconds%s) / 3600' % model(), '{{model_name}} {{status}}']]), 12, 8],
        [ts('Audio hours', 'Hours of audio in the listed tasks, by model and status (sum of audio_embedding.metadata.duration, twelvelabs_embed_tasks_audio_duration_seconds / 3600; Embed API v2 only).', 'h',
            [['sum by (model_name, status) (twelvelabs_embed_tasks_audio_duration_seconds%s) / 3600' % model(), '{{model_name}} {{status}}']]), 12, 8],
      ]],

      // The pipeline's other stages, each there when its
      // --collector.<stage> is on; label_replace names the stage.
      [g.row('Pipeline (--collector.<stage>)'), [
        [ts('Items by stage and status', 'Items the API lists for each stage of the pipeline, by status: indexing tasks (GET /tasks, twelvelabs_indexing_tasks), analysis tasks (twelvelabs_analyze_tasks), analysis batches (twelvelabs_batches), upload sessions (twelvelabs_uploads_sessions) and assets (twelvelabs_assets). A stage is there when its --collector.<stage> flag is on.', 'short',
            [['sum by (stage, status) (label_replace(%s, "stage", "$1", "__name__", "twelvelabs_([a-z]+).*"))' % stage(['__name__=~"twelvelabs_(indexing|analyze)_tasks|twelvelabs_batches|twelvelabs_uploads_sessions|twelvelabs_assets"']), '{{stage}} {{status}}']]), 12, 8],
        [ts('Oldest unfinished item', 'Age of the oldest indexing task, analysis task or asset not yet ready or failed, by stage (time() - the stage\'s _oldest_created_timestamp_seconds). Above %s for %s: TwelveLabsStageItemsStuck.' % [p.seconds(c.alerts.TwelveLabsStageItemsStuck.thresholdSeconds), p.words(c.alerts.TwelveLabsStageItemsStuck['for'])], 's',
            [['time() - min by (stage) (label_replace(%s, "stage", "$1", "__name__", "twelvelabs_([a-z]+)_.*"))' % stage(['__name__=~"twelvelabs_(indexing|analyze)_tasks_oldest_created_timestamp_seconds|twelvelabs_assets_oldest_created_timestamp_seconds"', 'status!~"ready|failed"']), '{{stage}}']]), 12, 8],
        [ts('Failure ratio by stage', 'Share of the finished indexing and analysis tasks the API lists that failed (failed / (ready + failed)). Above %s with %d failures: TwelveLabsStageFailureRatioHigh.' % [p.percent(c.alerts.TwelveLabsStageFailureRatioHigh.threshold), c.alerts.TwelveLabsStageFailureRatioHigh.minFailures], 'percentunit',
            [['sum by (stage) (label_replace(%s, "stage", "$1", "__name__", "twelvelabs_([a-z]+)_tasks")) / sum by (stage) (label_replace(%s, "stage", "$1", "__name__", "twelvelabs_([a-z]+)_tasks"))' % [stage(['__name__=~"twelvelabs_(indexing|analyze)_tasks"', 'status="failed"']), stage(['__name__=~"twelvelabs_(indexing|analyze)_tasks"', 'status=~"ready|failed"'])], '{{stage}}']]) { fieldConfig+: { defaults+: { min: 0, max: 1 } } }, 12, 8],
        [ts('Expiring: indexes, unfinished batches and uploads', 'Time left before expiry: each index that expires (Free plan, twelvelabs_indexes_next_expiry_timestamp_seconds; below %s: TwelveLabsIndexExpiringSoon), the first analysis batch not finished (24 h after creation; below %s: TwelveLabsBatchExpiringUnfinished) and the first upload session still active (24 h; below %s: TwelveLabsUploadExpiringUnfinished).' % [p.seconds(c.alerts.TwelveLabsIndexExpiringSoon.thresholdSeconds), p.seconds(c.alerts.TwelveLabsBatchExpiringUnfinished.thresholdSeconds), p.seconds(c.alerts.TwelveLabsUploadExpiringUnfinished.thresholdSeconds)], 's', [
          ['min by (index_name) (twelvelabs_indexes_next_expiry_timestamp_seconds%s) - time()' % stage(), 'index {{index_name}}'],
          ['min(twelvelabs_batches_next_expiry_timestamp_seconds%s) - time()' % stage(['status=~"pending|processing"']), 'batch unfinished'],
          ['min(twelvelabs_uploads_sessions_next_expiry_timestamp_seconds%s) - time()' % stage(['status="active"']), 'upload active'],
        ]), 12, 8],
        [ts('Indexes: videos and hours', 'Videos in each index (twelvelabs_indexes_videos) and the hours of media they hold (twelvelabs_indexes_media_duration_seconds / 3600, right axis).', 'short', [
          ['sum by (index_name) (twelvelabs_indexes_videos%s)' % stage(), '{{index_name}} videos'],
          ['sum by (index_name) (twelvelabs_indexes_media_duration_seconds%s) / 3600' % stage(), '{{index_name}} hours'],
        ]) { fieldConfig+: { overrides: [{ matcher: { id: 'byRegexp', options: '.* hours' }, properties: [{ id: 'unit', value: 'h' }, { id: 'custom.axisPlacement', value: 'right' }] }] } }, 12, 8],
        [ts('Analysis: tokens, truncations, webhooks', 'Tokens of the analysis tasks the API lists, by analysis mode (result.usage, twelvelabs_analyze_tasks_input_tokens and _output_tokens), the tasks whose answer was cut at the token limit (twelvelabs_analyze_tasks_truncated) and those with a webhook not delivered (twelvelabs_analyze_tasks_webhook_undelivered; growing: TwelveLabsAnalysisWebhooksFailing), right axis.', 'short', [
          ['sum by (analysis_mode) (twelvelabs_analyze_tasks_input_tokens%s)' % stage(), '{{analysis_mode}} input tokens'],
          ['sum by (analysis_mode) (twelvelabs_analyze_tasks_output_tokens%s)' % stage(), '{{analysis_mode}} output tokens'],
          ['sum by (analysis_mode) (twelvelabs_analyze_tasks_truncated%s)' % stage(), '{{analysis_mode}} truncated'],
          ['sum by (analysis_mode) (twelvelabs_analyze_tasks_webhook_undelivered%s)' % stage(), '{{analysis_mode}} webhooks undelivered'],
        ]) { fieldConfig+: { overrides: [{ matcher: { id: 'byRegexp', options: '.* (truncated|undelivered)' }, properties: [{ id: 'custom.axisPlacement', value: 'right' }] }] } }, 12, 8],
        [ts('Usage against the plan', 'Share used of the limits declared for the organisation\'s plan (--plan.*, or plan: in the config file): media submitted in the last hour and day (twelvelabs_usage_media_seconds / twelvelabs_plan_media_seconds_limit) and tokens in the last minute and day (twelvelabs_usage_tokens / twelvelabs_plan_tokens_limit). Above %s for %s: TwelveLabsUsageNearPlanLimit. Empty while no limit is declared.' % [p.percent(c.alerts.TwelveLabsUsageNearPlanLimit.threshold), p.words(c.alerts.TwelveLabsUsageNearPlanLimit['for'])], 'percentunit', [
          ['sum by (instance, window) (twelvelabs_usage_media_seconds%s) / sum by (instance, window) (twelvelabs_plan_media_seconds_limit%s)' % [stage(), stage()], '{{instance}} media {{window}}'],
          ['sum by (instance, window) (twelvelabs_usage_tokens%s) / sum by (instance, window) (twelvelabs_plan_tokens_limit%s)' % [stage(), stage()], '{{instance}} tokens {{window}}'],
        ]), 12, 8],
        [ts('Media submitted per hour', 'Minutes of media submitted in the last hour, by API or stage (twelvelabs_usage_media_seconds{window="1h"} / 60): the durations of the embedding, indexing and analysis tasks created in it.', 'm',
            [['sum by (api) (twelvelabs_usage_media_seconds%s) / 60' % stage(['window="1h"']), '{{api}}']]), 12, 8],
      ]],

      // Collapsed: empty until the API sends X-Ratelimit-* headers.
      [g.row('Rate limit', collapsed=true), [
        [ts('Rate limit: remaining of the limit', 'X-Ratelimit-Remaining and X-Ratelimit-Limit of the last answer of the API that sent them (twelvelabs_exporter_rate_limit_remaining_requests, twelvelabs_exporter_rate_limit_requests). The limit is the organisation\'s, shared with every other client of it; remaining near 0 precedes 429s (reason rate_limited, TwelveLabsRateLimited). Empty while the API sends no such headers.', 'short', [
          ['twelvelabs_exporter_rate_limit_remaining_requests%s' % api(), '{{instance}} {{api}} remaining'],
          ['twelvelabs_exporter_rate_limit_requests%s' % api(), '{{instance}} {{api}} limit'],
        ]), 12, 8],
        [ts('Rate limit: window resets in', "Seconds until the rate-limit window resets, from X-Ratelimit-Reset of the API's last answer that sent it (twelvelabs_exporter_rate_limit_reset_timestamp_seconds - time()). Negative: no answer with the header since that reset.", 's',
            [['twelvelabs_exporter_rate_limit_reset_timestamp_seconds%s - time()' % api(), '{{instance}} {{api}}']]), 12, 8],
      ]],

      // Collapsed: these metrics exist only with --config.file.
      [g.row('Configuration and budgets (--config.file)', collapsed=true), [
        [g.stat('Config reload', 'twelvelabs_exporter_config_last_reload_successful: 1 when the last load of --config.file (at start, on SIGHUP or POST /-/reload) succeeded, 0 when it failed; the configuration before it then stays in use and the exporter logs why. Empty without --config.file.', 'none',
                [['twelvelabs_exporter_config_last_reload_successful%s' % exp(), '{{instance}}']],
                [{ color: 'red', value: null }, { color: 'green', value: 1 }]) { fieldConfig+: { defaults+: { mappings: g.mappings({ '0': ['FAILED', 'red'], '1': ['OK', 'green'] }) } } }, 6, 8],
        [ts('Config reloads', 'Successful loads of --config.file: the time since the last one (time() - twelvelabs_exporter_config_last_reload_success_timestamp_seconds; it drops to 0 at each reload), and the accounts configured (twelvelabs_exporter_accounts, right axis).', 's', [
          ['time() - twelvelabs_exporter_config_last_reload_success_timestamp_seconds%s' % exp(), '{{instance}} since last reload'],
          ['twelvelabs_exporter_accounts%s' % exp(), '{{instance}} accounts'],
        ]) { fieldConfig+: { overrides: [{ matcher: { id: 'byRegexp', options: '.* accounts' }, properties: [{ id: 'unit', value: 'none' }, { id: 'custom.axisPlacement', value: 'right' }] }] } }, 18, 8],
        [ts('Budget remaining', "Requests each organisation's budget (requests_per_minute, requests_per_day in --config.file) can pay for now (twelvelabs_exporter_budget_remaining_requests). A listing starts only when the budget covers as many requests as the account's last listing took.", 'short',
            [['twelvelabs_exporter_budget_remaining_requests%s' % exp(), '{{instance}} {{organization}}']]), 12, 8],
        [ts('Budget refusals per minute', "Requests and listings per minute that an organisation's budget could not pay for (twelvelabs_exporter_budget_exhausted_total); their accounts are served from older listings. Refusals in every 5 minutes for %s: TwelveLabsBudgetExhausted." % p.words(c.alerts.TwelveLabsBudgetExhausted['for']), 'opm',
            [['sum by (instance, organization) (rate(twelvelabs_exporter_budget_exhausted_total%s[$__rate_interval])) * 60' % exp(), '{{instance}} {{organization}}']], sortByMax=true), 12, 8],
      ]],
    ]),
  }
