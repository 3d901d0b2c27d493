{
  grafanaDashboards+:: {
    'twelvelabs.json': (import 'twelvelabs.libsonnet')($._config),
  },
}
