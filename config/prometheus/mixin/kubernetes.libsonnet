// prometheus-operator manifests (config/kubernetes/monitoring): the rules as a PrometheusRule, and a
// ServiceMonitor scraping the DaemonSet of config/kubernetes through a headless Service.
// Each manifest has a header comment, written by the generator above the YAML.
{
  local c = $._config,
  local k = c.kubernetes,
  local metadata(name) = {
    name: name,
    namespace: k.namespace,
    labels: k.appLabel,
  },

  prometheusRule:: {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: metadata(k.name) + { labels+: k.operatorLabels },
    spec: { groups: $.prometheusRules.groups + $.prometheusAlerts.groups },
  },

  // Headless: Prometheus scrapes every pod behind it, one per node.
  service:: {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: metadata(k.name),
    spec: {
      clusterIP: 'None',
      selector: k.appLabel,
      ports: [{ name: 'metrics', port: k.port, targetPort: 'metrics', protocol: 'TCP' }],
    },
  },

  serviceMonitor:: {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: metadata(k.name) + { labels+: k.operatorLabels },
    spec: {
      selector: { matchLabels: k.appLabel },
      namespaceSelector: { matchNames: [k.namespace] },
      endpoints: [{
        port: 'metrics',
        path: '/metrics',
        scheme: 'https',
        interval: k.scrapeInterval,
        tlsConfig: {
          ca: { secret: { name: k.secret, key: 'ca.crt' } },
          serverName: k.serverName,
        },
        basicAuth: {
          username: { secret: { name: k.secret, key: 'username' } },
          password: { secret: { name: k.secret, key: 'password' } },
        },
      }],
    },
  },

  kustomization:: {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    namespace: k.namespace,
    resources: ['service.yaml', 'service-monitor.yaml', 'prometheus-rule.yaml'],
  },

  kubernetesManifests:: {
    'kustomization.yaml': {
      header: importstr 'headers/kustomization.txt',
      document: $.kustomization,
    },
    'prometheus-rule.yaml': {
      header: importstr 'headers/prometheus-rule.txt',
      document: $.prometheusRule,
    },
    'service.yaml': {
      header: importstr 'headers/service.txt',
      document: $.service,
    },
    'service-monitor.yaml': {
      header: importstr 'headers/service-monitor.txt',
      document: $.serviceMonitor,
    },
  },
}
