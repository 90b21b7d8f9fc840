// The Grafana dashboards, by file name: built from _config (selectors, variable names,
// tags), each query selecting the site, job, instance and source the variables choose.
{
  grafanaDashboards+:: {
    'sip-overview.json': (import 'overview.libsonnet')($._config),
    'sip-codes.json': (import 'codes.libsonnet')($._config),
    'sip-transactions.json': (import 'transactions.libsonnet')($._config),
    'sip-exporter-health.json': (import 'health.libsonnet')($._config),
  },
}
