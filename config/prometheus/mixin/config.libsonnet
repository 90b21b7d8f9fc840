// The settings of the sip-log-exporter mixin: selectors, dashboard variables, alert
// thresholds and link bases. Everything the rules, alerts, dashboards and Kubernetes
// manifests take from a site is here. Override a field (`mixin + { _config+:: {...} }`,
// or `scripts/build_mixin.py --config FILE`) and regenerate; never edit the generated files.
{
  _config+:: {
    // The exporter's scrape job. The sip_* series are the exporter's own and need no job
    // filter (the recording rules keep every target label), but `up` and `process_*`
    // are every target's: SIPExporterDown, the dashboards' "Exporters up", CPU and memory
    // panels and the dashboards' `job` variable select the exporter with this.
    sipExporterJob: 'sip-log-exporter',
    sipExporterSelector: 'job="%s"' % self.sipExporterJob,
    // federate.yml and remote-write.yml select the exporter's series by job too: the
    // federation's match[] with the selector, remote write's relabeling with this regex.
    sipExporterJobRegex: self.sipExporterJob,

    // The label that tells sites apart: the site Prometheus servers' external_labels
    // (see config/prometheus/federate.yml). A site's own Prometheus does not show it on
    // its series, so the dashboards match it with a regex that also matches "missing".
    siteLabel: 'site',

    // The names of the dashboards' template variables.
    dashboardVariables: {
      datasource: 'datasource',
      site: 'site',
      job: 'job',
      instance: 'instance',
      source: 'source',
    },
    dashboardTags: ['sip-log-exporter', 'sip', 'gb28181'],
    dashboardRefresh: '30s',
    dashboardTimeFrom: 'now-6h',

    // Every alert's runbook_url is this base + '#' + the alert's section, and every
    // dashboard_url is grafanaURL + '/d/' + a dashboard's uid: replace the placeholders
    // once for your site.
    runbookURLBase: 'https://github.com/OWNER/sip-log-exporter/blob/main/docs/runbooks.md',
    grafanaURL: 'https://grafana.example.com',

    // The alert thresholds, written into thresholds.yml as constant series
    // sip:alert_threshold:NAME (config/prometheus/README.md explains each). Rates are per
    // second and per source, ratios are fractions (0.05 = 5 %).
    thresholds: {
      min_final_responses_rate: 0.2,
      '503_ratio': 0.05,
      '503_rate': 0.5,
      '503_rate_share_of_normal': 0.01,
      '408_ratio': 0.1,
      '408_rate': 0.5,
      '408_rate_share_of_normal': 0.02,
      '408_rising_factor': 3,
      '408_rising_min_ratio': 0.02,
      device_offline_rate: 0.1,
      routing_failure_rate: 0.02,
      permission_failure_rate: 0.02,
      invite_srd_p95_seconds: 2,
      invite_srd_baseline_factor: 2,
      min_invite_srd_rate: 0.1,
      transaction_timeout_ratio: 0.1,
      min_transactions_rate: 0.1,
      source_silence_seconds: 900,
      parse_error_ratio: 0.05,
      parse_error_min_rate: 0.01,
    },

    // Kubernetes (config/kubernetes/monitoring): where the PrometheusRule and the ServiceMonitor go,
    // the labels prometheus-operator's ruleSelector / serviceMonitorSelector pick, and
    // the exporter's Service (config/kubernetes runs the DaemonSet it selects).
    kubernetes: {
      namespace: 'sip-log-exporter',
      name: 'sip-log-exporter',
      appLabel: { 'app.kubernetes.io/name': 'sip-log-exporter' },
      operatorLabels: { release: 'prometheus' },
      port: 9756,
      scrapeInterval: '15s',
      // The DaemonSet serves HTTPS with basic auth: the CA and the password come from
      // this Secret, and the certificate is issued for serverName.
      secret: 'sip-log-exporter-scrape',
      serverName: 'sip-log-exporter.sip-log-exporter.svc',
      username: 'prometheus',
    },
  },
}
