// The mixin's settings. Override any of them where you import the mixin:
//
//   (import 'twelvelabs-mixin/mixin.libsonnet') + {
//     _config+:: {
//       selector: 'job="twelvelabs"',
//       alerts+: { TwelveLabsExporterDown+: { severity: 'page' } },
//     },
//   }
{
  _config+:: {
    // Label matchers (PromQL, without braces) that every rule and every
    // dashboard query adds to its selectors, e.g. 'job="twelvelabs"' or
    // 'namespace="monitoring"'. Empty: the exporter's series are told apart
    // by their names alone, and TwelveLabsExporterDown finds the exporter's
    // scrape targets by the series they exposed (see exporterDownLookback).
    selector: '',

    // The label that tells clusters apart where one Prometheus (Thanos,
    // Mimir, a federation) holds several. The rules keep it in every
    // aggregation and join, which costs nothing where no series has it; the
    // dashboard gets a cluster variable only with showMultiCluster.
    clusterLabel: 'cluster',
    showMultiCluster: false,

    // TwelveLabsExporterDown fires for a target whose scrapes fail
    // (up == 0) if it exposed the exporter's series within this window.
    exporterDownLookback: '1d',

    // One entry per alert: its severity, its "for", and its thresholds.
    // enabled: false leaves the alert out.
    alerts: {
      TwelveLabsExporterDown: { enabled: true, severity: 'critical', 'for': '5m' },
      TwelveLabsExporterAbsent: { enabled: true, severity: 'critical', 'for': '10m' },
      TwelveLabsAPIKeyRejected: { enabled: true, severity: 'critical', 'for': '2m' },
      TwelveLabsAPINotAllowed: { enabled: true, severity: 'warning', 'for': '5m' },
      TwelveLabsListingFailing: { enabled: true, severity: 'warning', 'for': '10m' },
      TwelveLabsRateLimited: { enabled: true, severity: 'info', 'for': '15m' },
      // Data older than this many seconds.
      TwelveLabsDataStale: { enabled: true, severity: 'warning', 'for': '5m', thresholdSeconds: 1800 },
      // The oldest task processing for longer than this many seconds.
      TwelveLabsTasksStuckProcessing: { enabled: true, severity: 'warning', 'for': '15m', thresholdSeconds: 3600 },
      // More than this share of the look-back window's finished tasks
      // failed, and at least minFailures of them.
      TwelveLabsHighFailureRatio: { enabled: true, severity: 'warning', 'for': '15m', threshold: 0.1, minFailures: 5 },
      // More than threshold tasks processing, and growing over growthWindow.
      TwelveLabsBacklogGrowing: { enabled: true, severity: 'info', 'for': '30m', threshold: 100, growthWindow: '30m' },
      // More than this share of the tasks finished in the last 30 minutes
      // failed, and at least minFailures of them.
      TwelveLabsRecentFailureRatioHigh: { enabled: true, severity: 'warning', 'for': '10m', threshold: 0.2, minFailures: 5 },
      // More than this many resyncs by mismatch in an hour.
      TwelveLabsIncrementalStateMismatch: { enabled: true, severity: 'info', 'for': '30m', threshold: 3 },
      TwelveLabsBudgetExhausted: { enabled: true, severity: 'warning', 'for': '15m' },

      // The pipeline's stages (--collector.<stage>); silent while a stage
      // is not collected.
      // An index that expires (Free plan) within this many seconds.
      TwelveLabsIndexExpiringSoon: { enabled: true, severity: 'warning', 'for': '10m', thresholdSeconds: 604800 },
      // An analysis batch not finished that expires within this many seconds.
      TwelveLabsBatchExpiringUnfinished: { enabled: true, severity: 'warning', 'for': '5m', thresholdSeconds: 7200 },
      // An upload session still active that expires within this many seconds.
      TwelveLabsUploadExpiringUnfinished: { enabled: true, severity: 'info', 'for': '5m', thresholdSeconds: 3600 },
      // The oldest indexing or analysis task (or asset) not yet ready or
      // failed, older than this many seconds.
      TwelveLabsStageItemsStuck: { enabled: true, severity: 'warning', 'for': '15m', thresholdSeconds: 3600 },
      // More than this share of an indexing or analysis stage's finished
      // tasks failed, and at least minFailures of them.
      TwelveLabsStageFailureRatioHigh: { enabled: true, severity: 'warning', 'for': '15m', threshold: 0.1, minFailures: 5 },
      // More analysis tasks with an undelivered webhook than an hour ago.
      TwelveLabsAnalysisWebhooksFailing: { enabled: true, severity: 'warning', 'for': '15m' },
      // Usage above this share of a limit declared with --plan.* (or an
      // organisation's plan: in the config file).
      TwelveLabsUsageNearPlanLimit: { enabled: true, severity: 'warning', 'for': '5m', threshold: 0.8 },
    },

    // Each alert's runbook_url: the pattern with the alert's name in lower
    // case for %s (the anchor of its section in alerts/runbook.md).
    runbookURLPattern: 'https://github.com/twelvelabs-community/twelvelabs_exporter/blob/main/alerts/runbook.md#%s',

    // The name of the one group in alerts/twelvelabs.rules.yml, and of the
    // groups of prometheusRules and prometheusAlerts.
    ruleGroupName: 'twelvelabs',

    // The dashboard.
    dashboardUID: 'twelvelabs-embed-tasks',
    dashboardTitle: 'TwelveLabs embedding tasks',
    dashboardTags: ['twelvelabs', 'twelvelabs_exporter'],
    dashboardRefresh: '1m',
    dashboardPeriod: 'now-6h',
    dashboardTimezone: '',
    dashboardRunbookURL: 'https://github.com/twelvelabs-community/twelvelabs_exporter/blob/main/alerts/runbook.md',
  },
}
