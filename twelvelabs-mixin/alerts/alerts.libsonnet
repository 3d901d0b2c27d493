// Alerts. Each has a section in alerts/runbook.md, which its runbook_url
// links to; its severity, "for" and thresholds come from _config.alerts.
// alerts/twelvelabs.rules.yml puts them in one group with the recording
// rules they read, so that each evaluation sees the values recorded at the
// same instant.
local p = import '../lib/promql.libsonnet';

{
  prometheusAlerts+:: {
    local c = $._config,
    local a = c.alerts,
    local s(ms) = p.selector([c.selector] + ms),
    local idLabels(ls) = [c.clusterLabel, 'job', 'instance'] + ls,
    local on(ls) = p.on(idLabels(ls)),
    local by(ls) = p.by(idLabels(ls)),

    // An alert with its severity, "for" and runbook_url from _config.
    local alert(name, expr, summary, description) = {
      alert: name,
      expr: expr,
      'for': a[name]['for'],
      labels: { severity: a[name].severity },
      annotations: {
        summary: summary,
        description: description,
        runbook_url: c.runbookURLPattern % std.asciiLower(name),
      },
    },

    local all = [
      // A target whose scrapes fail, among those that exposed the
      // exporter's series (its /metrics, or an account's /probe) within
      // exporterDownLookback: no job name needed.
      alert(
        'TwelveLabsExporterDown',
        |||
          up%(sel)s == 0
            and %(on)s
          count %(by)s (last_over_time({%(names)s}[%(lookback)s]))
        ||| % {
          sel: s([]),
          on: on([]),
          by: by([]),
          names: std.join(', ', ['__name__=~"twelvelabs_up|twelvelabs_exporter_build_info"'] + (if c.selector == '' then [] else [c.selector])),
          lookback: c.exporterDownLookback,
        },
        'The TwelveLabs exporter cannot be scraped.',
        'Prometheus has failed to scrape {{ $labels.instance }} (job {{ $labels.job }}) for %s; the embedding queue is unwatched.' % p.words(a.TwelveLabsExporterDown['for']),
      ),

      // No series of the exporter at all, whatever the job is called: the
      // exporter is not scraped (service discovery lost it, a relabelling
      // dropped it), which TwelveLabsExporterDown cannot see.
      alert(
        'TwelveLabsExporterAbsent',
        'absent(twelvelabs_up%s)' % s([]),
        'No TwelveLabs exporter is being scraped.',
        'Prometheus has had no twelvelabs_up series for %s (absent(twelvelabs_up) = {{ $value }}); the embedding queue is unwatched.' % p.words(a.TwelveLabsExporterAbsent['for']),
      ),

      // A failed listing has one reason. TwelveLabsAPIKeyRejected and
      // TwelveLabsAPINotAllowed each take one, in that order (a rejected
      // key hides what the plan allows); TwelveLabsListingFailing takes
      // the rest and says which in its description.
      alert(
        'TwelveLabsAPIKeyRejected',
        |||
          twelvelabs_up%(up)s == 0
            and %(on)s
          api_reason:twelvelabs_exporter_listing_failures:increase5m%(key)s > 0
        ||| % { up: s([]), on: on(['api']), key: s(['reason="key_rejected"']) },
        "The TwelveLabs API rejects the exporter's API key.",
        'Embed API {{ $labels.api }} rejects the API key of {{ $labels.instance }} (401, or 403 api_key_invalid); the key is invalid or expired. Rotate it.',
      ),

      // 403 api_allowed_for_paid_plan, api_not_allowed or
      // region_not_allowed: the key is accepted; the plan or region does
      // not allow the endpoint.
      alert(
        'TwelveLabsAPINotAllowed',
        |||
          twelvelabs_up%(up)s == 0
            and %(on)s
          api_reason:twelvelabs_exporter_listing_failures:increase5m%(notAllowed)s > 0
            unless %(on)s
          api_reason:twelvelabs_exporter_listing_failures:increase5m%(key)s > 0
        ||| % { up: s([]), on: on(['api']), notAllowed: s(['reason="not_allowed"']), key: s(['reason="key_rejected"']) },
        'The TwelveLabs plan or region does not allow an Embed API the exporter lists.',
        "Embed API {{ $labels.api }} answers 403 to {{ $labels.instance }} because the organisation's plan or region does not allow this endpoint; the API key itself is accepted. Change the plan, or stop listing {{ $labels.api }} by leaving it out of --twelvelabs.embed-api.",
      ),

      // Every other reason. Not keyed on the reason, so that a listing
      // failing by turns with timeouts and 5xx is one alert whose "for"
      // runs on; the description lists the reasons of the last 5 minutes
      // (the query in it matches the alert's cluster label, or its absence).
      alert(
        'TwelveLabsListingFailing',
        |||
          twelvelabs_up%(up)s == 0
            unless %(on)s
          api_reason:twelvelabs_exporter_listing_failures:increase5m%(known)s > 0
        ||| % { up: s([]), on: on(['api']), known: s(['reason=~"key_rejected|not_allowed"']) },
        'The exporter cannot list TwelveLabs embedding tasks.',
        'Listings of Embed API {{ $labels.api }} by {{ $labels.instance }} have failed for %(for)s, reason: {{ range $i, $s := printf "api_reason:twelvelabs_exporter_listing_failures:increase5m{%(cluster)s=%%q,job=%%q,instance=%%q,api=%%q} > 0" $labels.%(cluster)s $labels.job $labels.instance $labels.api | query | sortByLabel "reason" }}{{ if $i }}, {{ end }}{{ $s.Labels.reason }}{{ else }}none counted in the last 5 minutes{{ end }}. Task metrics for it are absent; the runbook says what each reason needs.' % {
          'for': p.words(a.TwelveLabsListingFailing['for']),
          cluster: c.clusterLabel,
        },
      ),

      // 429s the retries could not outlast, in every 5 minutes for 15
      // minutes, even when other listings succeed in between.
      alert(
        'TwelveLabsRateLimited',
        'sum %s (api_reason:twelvelabs_exporter_listing_failures:increase5m%s) > 0' % [by(['api']), s(['reason="rate_limited"'])],
        "TwelveLabs rate-limits the exporter's listings.",
        "Listings of Embed API {{ $labels.api }} by {{ $labels.instance }} have been refused with 429, after the retries, in every 5 minutes for %s. The exporter spends the organisation's shared rate limit; scrape less often, lower --twelvelabs.concurrency or set --twelvelabs.cache-ttl." % p.words(a.TwelveLabsRateLimited['for']),
      ),

      alert(
        'TwelveLabsDataStale',
        'api:twelvelabs_exporter_data_age_seconds:max%s > %s' % [s([]), p.num(a.TwelveLabsDataStale.thresholdSeconds)],
        'TwelveLabs task metrics are more than %s old.' % p.seconds(a.TwelveLabsDataStale.thresholdSeconds),
        'The last successful listing of Embed API {{ $labels.api }} by {{ $labels.instance }} finished {{ $value | humanizeDuration }} ago.',
      ),

      alert(
        'TwelveLabsTasksStuckProcessing',
        'api_model_name:twelvelabs_embed_tasks_oldest_processing_age_seconds:max%s > %s' % [s([]), p.num(a.TwelveLabsTasksStuckProcessing.thresholdSeconds)],
        'A TwelveLabs embedding task has been processing for over %s.' % p.seconds(a.TwelveLabsTasksStuckProcessing.thresholdSeconds),
        'The oldest {{ $labels.model_name }} task still processing on Embed API {{ $labels.api }} was created {{ $value | humanizeDuration }} ago.',
      ),

      // At least minFailures failures, so that one failed task of three
      // does not page.
      alert(
        'TwelveLabsHighFailureRatio',
        |||
          api_model_name:twelvelabs_embed_tasks_failed:ratio%(sel)s > %(threshold)s
            and %(on)s
          sum %(by)s (twelvelabs_embed_tasks%(failed)s) >= %(min)d
        ||| % {
          sel: s([]),
          threshold: p.num(a.TwelveLabsHighFailureRatio.threshold),
          on: on(['api', 'model_name']),
          by: by(['api', 'model_name']),
          failed: s(['status="failed"']),
          min: a.TwelveLabsHighFailureRatio.minFailures,
        },
        'More than %s of TwelveLabs embedding tasks fail.' % p.percent(a.TwelveLabsHighFailureRatio.threshold),
        '{{ $value | humanizePercentage }} of finished {{ $labels.model_name }} tasks on Embed API {{ $labels.api }} failed over the look-back window.',
      ),

      alert(
        'TwelveLabsBacklogGrowing',
        |||
          api_model_name:twelvelabs_embed_tasks_processing:sum%(sel)s > %(threshold)s
            and
          deriv(api_model_name:twelvelabs_embed_tasks_processing:sum%(sel)s[%(window)s]) > 0
        ||| % { sel: s([]), threshold: p.num(a.TwelveLabsBacklogGrowing.threshold), window: a.TwelveLabsBacklogGrowing.growthWindow },
        'The TwelveLabs processing backlog keeps growing.',
        '{{ $value }} {{ $labels.model_name }} tasks are processing on Embed API {{ $labels.api }}, and the number has grown for %s.' % p.words(a.TwelveLabsBacklogGrowing['for']),
      ),

      // The tasks that finished in the last 30 minutes, as the exporter saw
      // them finish: it fires within minutes of a change, where
      // TwelveLabsHighFailureRatio's week of tasks takes days. At least
      // minFailures failures, so that one failed task of three does not
      // page.
      alert(
        'TwelveLabsRecentFailureRatioHigh',
        |||
          api_model_name:twelvelabs_embed_tasks_finished_failed:ratio_increase30m%(sel)s > %(threshold)s
            and %(on)s
          api_model_name_status:twelvelabs_embed_tasks_finished:increase30m%(failed)s >= %(min)d
        ||| % {
          sel: s([]),
          threshold: p.num(a.TwelveLabsRecentFailureRatioHigh.threshold),
          on: on(['api', 'model_name']),
          failed: s(['status="failed"']),
          min: a.TwelveLabsRecentFailureRatioHigh.minFailures,
        },
        'More than %s of the TwelveLabs embedding tasks that finished in the last 30 minutes failed.' % p.percent(a.TwelveLabsRecentFailureRatioHigh.threshold),
        '{{ $value | humanizePercentage }} of the {{ $labels.model_name }} tasks that finished on Embed API {{ $labels.api }} in the last 30 minutes failed; above %s for %s.' % [p.percent(a.TwelveLabsRecentFailureRatioHigh.threshold), p.words(a.TwelveLabsRecentFailureRatioHigh['for'])],
      ),

      // Each mismatch costs a full listing (ceil(N/50) requests) instead of
      // the incremental one's few; one now and then is expected.
      alert(
        'TwelveLabsIncrementalStateMismatch',
        'api_reason:twelvelabs_exporter_resyncs:increase1h%s > %s' % [s(['reason="mismatch"']), p.num(a.TwelveLabsIncrementalStateMismatch.threshold)],
        "The exporter's incremental task state keeps disagreeing with the TwelveLabs API.",
        'The task state of Embed API {{ $labels.api }} on {{ $labels.instance }} disagreed with the API {{ printf "%%.0f" $value }} times in the last hour, each time rebuilt by a full listing; more than %s an hour for %s.' % [p.num(a.TwelveLabsIncrementalStateMismatch.threshold), p.words(a.TwelveLabsIncrementalStateMismatch['for'])],
      ),

      // The organisation's request budget (--config.file) keeps refusing
      // requests or listings: its accounts are served stale.
      alert(
        'TwelveLabsBudgetExhausted',
        'increase(twelvelabs_exporter_budget_exhausted_total%s[5m]) > 0' % s([]),
        "A TwelveLabs organisation's request budget stays exhausted.",
        'The request budget of organization {{ $labels.organization }} on {{ $labels.instance }} has refused requests or listings in every 5 minutes for %s; its accounts are served from older listings.' % p.words(a.TwelveLabsBudgetExhausted['for']),
      ),

      // The pipeline's stages. A stage's metric names carry the stage
      // (twelvelabs_indexing_tasks…); label_replace turns it into a stage
      // label, so that one rule serves every stage.
      alert(
        'TwelveLabsIndexExpiringSoon',
        'min %s (twelvelabs_indexes_next_expiry_timestamp_seconds%s) - time() < %s' % [by(['index_name']), s([]), p.num(a.TwelveLabsIndexExpiringSoon.thresholdSeconds)],
        'A TwelveLabs index expires within %s.' % p.seconds(a.TwelveLabsIndexExpiringSoon.thresholdSeconds),
        'Index {{ $labels.index_name }} of {{ $labels.instance }} expires in {{ $value | humanizeDuration }} (expires_at, Free plan: 90 days after creation), with its videos and embeddings.',
      ),

      alert(
        'TwelveLabsBatchExpiringUnfinished',
        'min %s (twelvelabs_batches_next_expiry_timestamp_seconds%s) - time() < %s' % [by(['analysis_mode', 'status']), s(['status=~"pending|processing"']), p.num(a.TwelveLabsBatchExpiringUnfinished.thresholdSeconds)],
        'A TwelveLabs analysis batch expires before it finishes.',
        'An analysis batch ({{ $labels.analysis_mode }}) of {{ $labels.instance }} still {{ $labels.status }} expires in {{ $value | humanizeDuration }}; its unfinished items are lost when it does.',
      ),

      alert(
        'TwelveLabsUploadExpiringUnfinished',
        'min %s (twelvelabs_uploads_sessions_next_expiry_timestamp_seconds%s) - time() < %s' % [by([]), s(['status="active"']), p.num(a.TwelveLabsUploadExpiringUnfinished.thresholdSeconds)],
        'A TwelveLabs multipart upload expires before it completes.',
        'A multipart upload session of {{ $labels.instance }} still active expires in {{ $value | humanizeDuration }}; its chunks are lost when it does.',
      ),

      alert(
        'TwelveLabsStageItemsStuck',
        |||
          time() - label_replace(
            min %(byName)s ({__name__=~"twelvelabs_(indexing|analyze)_tasks_oldest_created_timestamp_seconds|twelvelabs_assets_oldest_created_timestamp_seconds"%(sel)s, status!~"ready|failed"}),
            "stage", "$1", "__name__", "twelvelabs_([a-z]+)_.*"
          ) > %(threshold)s
        ||| % {
          byName: by(['__name__', 'status']),
          sel: if c.selector == '' then '' else ', ' + c.selector,
          threshold: p.num(a.TwelveLabsStageItemsStuck.thresholdSeconds),
        },
        'A TwelveLabs pipeline item has been unfinished for over %s.' % p.seconds(a.TwelveLabsStageItemsStuck.thresholdSeconds),
        'The oldest {{ $labels.stage }} item of {{ $labels.instance }} still {{ $labels.status }} was created {{ $value | humanizeDuration }} ago.',
      ),

      alert(
        'TwelveLabsStageFailureRatioHigh',
        |||
          sum %(by)s (label_replace({__name__=~"twelvelabs_(indexing|analyze)_tasks"%(sel)s, status="failed"}, "stage", "$1", "__name__", "twelvelabs_([a-z]+)_tasks"))
            / sum %(by)s (label_replace({__name__=~"twelvelabs_(indexing|analyze)_tasks"%(sel)s, status=~"ready|failed"}, "stage", "$1", "__name__", "twelvelabs_([a-z]+)_tasks"))
            > %(threshold)s
          and %(on)s
          sum %(by)s (label_replace({__name__=~"twelvelabs_(indexing|analyze)_tasks"%(sel)s, status="failed"}, "stage", "$1", "__name__", "twelvelabs_([a-z]+)_tasks"))
            >= %(min)d
        ||| % {
          by: by(['stage']),
          on: on(['stage']),
          sel: if c.selector == '' then '' else ', ' + c.selector,
          threshold: p.num(a.TwelveLabsStageFailureRatioHigh.threshold),
          min: a.TwelveLabsStageFailureRatioHigh.minFailures,
        },
        'More than %s of a TwelveLabs pipeline stage\'s tasks fail.' % p.percent(a.TwelveLabsStageFailureRatioHigh.threshold),
        '{{ $value | humanizePercentage }} of the finished {{ $labels.stage }} tasks of {{ $labels.instance }} failed.',
      ),

      alert(
        'TwelveLabsAnalysisWebhooksFailing',
        'sum %s (delta(twelvelabs_analyze_tasks_webhook_undelivered%s[1h])) > 0' % [by(['analysis_mode']), s([])],
        "TwelveLabs cannot deliver analysis tasks' webhooks.",
        '{{ $value }} more {{ $labels.analysis_mode }} analysis tasks of {{ $labels.instance }} have a webhook not delivered than an hour ago; the receiving end misses their results.',
      ),

      // Usage against the limits declared for the organisation's plan; a
      // dimension without a declared limit has nothing to divide by.
      alert(
        'TwelveLabsUsageNearPlanLimit',
        |||
          label_replace(
            sum %(by)s (twelvelabs_usage_media_seconds%(sel)s) / sum %(by)s (twelvelabs_plan_media_seconds_limit%(sel)s) > %(threshold)s,
            "dimension", "media minutes", "", ""
          )
          or
          label_replace(
            sum %(by)s (twelvelabs_usage_tokens%(sel)s) / sum %(by)s (twelvelabs_plan_tokens_limit%(sel)s) > %(threshold)s,
            "dimension", "tokens", "", ""
          )
        ||| % { by: by(['window']), sel: s([]), threshold: p.num(a.TwelveLabsUsageNearPlanLimit.threshold) },
        "TwelveLabs usage nears a limit of the organisation's plan.",
        '{{ $labels.instance }} has used {{ $value | humanizePercentage }} of the {{ $labels.dimension }} its plan allows per {{ $labels.window }}; past the limit, requests get 429.',
      ),
    ],

    groups+: [{
      name: c.ruleGroupName + '-alerts',
      rules: [r for r in all if a[r.alert].enabled],
    }],
  },
}
