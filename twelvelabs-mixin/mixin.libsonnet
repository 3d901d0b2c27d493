// The twelvelabs_exporter mixin: recording rules, alerts and a Grafana
// dashboard, in the monitoring-mixins convention (prometheusRules,
// prometheusAlerts, grafanaDashboards), configured by config.libsonnet's
// _config. `make mixin` renders it into alerts/twelvelabs.rules.yml and
// dashboards/twelvelabs.json (see README.md in this folder).
(import 'config.libsonnet') +
(import 'rules/rules.libsonnet') +
(import 'alerts/alerts.libsonnet') +
(import 'dashboards/dashboards.libsonnet')
