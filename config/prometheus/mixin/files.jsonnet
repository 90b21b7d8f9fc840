// Every file the mixin generates, by its path in the repository, for
// scripts/build_mixin.py: a YAML document with its header comment, a JSON document, or
// a text filled in from a template.
// `config` (a top-level argument) is merged into _config.

function(config={})
  local mixin = (import 'mixin.libsonnet') + { _config+:: config };
  // The rule groups with their comments made visible to the generator.
  local annotated(item) = item {
    '#comment': if std.objectHasAll(item, 'comment') then item.comment else null,
    '#gap': std.objectHasAll(item, 'gap') && item.gap,
  };
  local groups(list) = { groups: [annotated(g) + { rules: std.map(annotated, g.rules) } for g in list] };
  local yaml(header, document) = { header: header, yaml: document };
  local filled(template) = {
    text: std.strReplace(
      std.strReplace(template, '@SELECTOR@', mixin._config.sipExporterSelector),
      '@JOB_REGEX@',
      mixin._config.sipExporterJobRegex
    ),
  };
  {
    'config/prometheus/thresholds.yml': yaml(importstr 'headers/thresholds.txt', groups(mixin.thresholdGroups)),
    'config/prometheus/rules.yml': yaml(importstr 'headers/rules.txt', groups(mixin.recordingGroups)),
    'config/prometheus/alerts.yml': yaml(importstr 'headers/alerts.txt', groups(mixin.alertGroups)),
  } + {
    // Federation and remote write: commented by hand, so text with the selectors filled in.
    'config/prometheus/federate.yml': filled(importstr 'templates/federate.yml'),
    'config/prometheus/remote-write.yml': filled(importstr 'templates/remote-write.yml'),
  } + {
    ['grafana/dashboards/' + name]: { json: mixin.grafanaDashboards[name] }
    for name in std.objectFields(mixin.grafanaDashboards)
  } + {
    ['config/kubernetes/monitoring/' + name]: yaml(mixin.kubernetesManifests[name].header, mixin.kubernetesManifests[name].document)
    for name in std.objectFields(mixin.kubernetesManifests)
  }
