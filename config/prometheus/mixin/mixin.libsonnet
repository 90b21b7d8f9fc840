// The sip-log-exporter monitoring mixin, in the monitoring-mixins shape: _config,
// prometheusRules (the thresholds and the recording rules), prometheusAlerts and
// grafanaDashboards. Import it into your own jsonnet and override _config, or run
// scripts/build_mixin.py to write the files this repository ships.
(import 'config.libsonnet')
+ (import 'thresholds.libsonnet')
+ (import 'rules.libsonnet')
+ (import 'alerts.libsonnet')
+ (import 'dashboards/dashboards.libsonnet')
+ (import 'kubernetes.libsonnet')
+ {
  prometheusRules+:: { groups+: $.thresholdGroups + $.recordingGroups },
  prometheusAlerts+:: { groups+: $.alertGroups },
}
