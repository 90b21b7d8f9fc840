// Helpers for the dashboards: the selectors every query uses, the template variables,
// the dashboard frame and the three panel types with the house style's defaults.
{
  // What each query puts in its selectors and legends, from _config. Every query
  // selects site, job and instance (recorded series keep them: the rules aggregate with
  // `sum without`), so one dashboard serves a site Prometheus, a global one and
  // remote-write storage. `thr` selects the thresholds: a site's own, or the global's,
  // which carry no site label, hence the empty alternative.
  selectors(c):: {
    local v = c.dashboardVariables,
    host: '%s=~"$%s", job=~"$%s", instance=~"$%s"' % [c.siteLabel, v.site, v.job, v.instance],
    sel: self.host + ', source=~"$%s"' % v.source,
    exporter: c.sipExporterSelector + ', ' + self.host,
    thr: '%s=~"$%s|"' % [c.siteLabel, v.site],
    by: '%s, instance' % c.siteLabel,
    legend: '{{%s}} {{instance}}' % c.siteLabel,
    siteLegend: '{{%s}}' % c.siteLabel,
  },

  datasourceRef(c):: { type: 'prometheus', uid: '${%s}' % c.dashboardVariables.datasource },

  // A `label_values` variable; `all` adds "All" matching any value (or none).
  queryVariable(c, name, label, definition, all=true, allValue='.*', multi=true):: {
    name: name,
    label: label,
    type: 'query',
    datasource: $.datasourceRef(c),
    definition: definition,
    query: { query: definition, refId: 'PrometheusVariableQueryEditor-VariableQuery', qryType: 1 },
    refresh: 2,
    sort: 1,
    hide: 0,
    regex: '',
    options: [],
    skipUrlSync: false,
    multi: multi,
    includeAll: all,
    [if all then 'allValue']: allValue,
    current: if all then { selected: true, text: ['All'], value: ['$__all'] } else {},
  },

  // datasource, site, job, instance and source, each filtered by the ones before it.
  // `site` is an external label a site's own Prometheus does not show: "All" is `.*`,
  // which also matches series without it. `job` lists the exporter's jobs only.
  variables(c, sourceMetric)::
    local v = c.dashboardVariables;
    local site = '%s=~"$%s"' % [c.siteLabel, v.site];
    [
      {
        name: v.datasource,
        label: 'Data source',
        type: 'datasource',
        query: 'prometheus',
        current: {},
        hide: 0,
        includeAll: false,
        multi: false,
        options: [],
        refresh: 1,
        regex: '',
        skipUrlSync: false,
      },
      $.queryVariable(c, v.site, 'Site', 'label_values(sip_exporter_build_info, %s)' % c.siteLabel),
      $.queryVariable(c, v.job, 'Job', 'label_values(sip_exporter_build_info{%s, %s}, job)' % [c.sipExporterSelector, site]),
      $.queryVariable(c, v.instance, 'Instance', 'label_values(sip_exporter_build_info{%s, job=~"$%s"}, instance)' % [site, v.job]),
      $.queryVariable(c, v.source, 'Source', 'label_values(%s{%s}, source)' % [sourceMetric, $.selectors(c).host]),
    ],

  dashboard(c, uid, title, description, variables, panels):: {
    annotations: { list: [{
      builtIn: 1,
      datasource: { type: 'grafana', uid: '-- Grafana --' },
      enable: true,
      hide: true,
      iconColor: 'rgba(0, 211, 255, 1)',
      name: 'Annotations & Alerts',
      type: 'dashboard',
    }] },
    description: description,
    editable: true,
    fiscalYearStartMonth: 0,
    graphTooltip: 1,
    links: [{
      asDropdown: false,
      icon: 'external link',
      includeVars: true,
      keepTime: true,
      tags: [c.dashboardTags[0]],
      targetBlank: false,
      title: c.dashboardTags[0],
      tooltip: '',
      type: 'dashboards',
      url: '',
    }],
    panels: panels,
    refresh: c.dashboardRefresh,
    schemaVersion: 39,
    tags: c.dashboardTags,
    templating: { list: variables },
    time: { from: c.dashboardTimeFrom, to: 'now' },
    timepicker: {},
    timezone: '',
    title: title,
    uid: uid,
    version: 1,
    weekStart: '',
  },

  // Targets: a range query drawn with `legend`, an instant table, or a range query
  // with exemplars. refIds are given by position (see panel).
  target(expr, legend):: {
    editorMode: 'code',
    expr: expr,
    instant: false,
    legendFormat: legend,
    range: true,
  },
  tableTarget(expr):: self.target(expr, '__auto') + { format: 'table', instant: true, range: false },
  exemplarTarget(expr, legend):: { expr: expr, legendFormat: legend, exemplar: true },

  // The red dashed line of an alert threshold (legend "alert threshold …").
  thresholdOverride:: {
    matcher: { id: 'byRegexp', options: '^alert threshold.*' },
    properties: [
      {
        id: 'color',
        value: {
          mode: 'fixed',
          fixedColor: 'red',
        },
      },
      {
        id: 'custom.lineStyle',
        value: {
          fill: 'dash',
          dash: [
            10,
            10,
          ],
        },
      },
      {
        id: 'custom.fillOpacity',
        value: 0,
      },
      {
        id: 'custom.lineWidth',
        value: 2,
      },
    ],
  },

  panel(c, type, id, title, description, gridPos, targets):: {
    id: id,
    type: type,
    title: title,
    description: description,
    datasource: $.datasourceRef(c),
    gridPos: gridPos,
    targets: [
      targets[i] { datasource: $.datasourceRef(c), refId: std.char(65 + i) }
      for i in std.range(0, std.length(targets) - 1)
    ],
  },

  // Panel constructors bound to a config: `local g = lib.panels(c)`.
  panels(c):: {
    local panel = $.panel,
    target:: $.target,
    tableTarget:: $.tableTarget,
    exemplarTarget:: $.exemplarTarget,
    thresholdOverride:: $.thresholdOverride,
    timeseries(id, title, description, gridPos, targets, unit='short')::
      panel(c, 'timeseries', id, title, description, gridPos, targets) + {
        fieldConfig: {
          defaults: {
            color: {
              mode: 'palette-classic',
            },
            thresholds: {
              mode: 'absolute',
              steps: [
                {
                  color: 'green',
                  value: null,
                },
              ],
            },
            custom: {
              stacking: {
                group: 'A',
                mode: 'none',
              },
              thresholdsStyle: {
                mode: 'off',
              },
              lineWidth: 1,
              spanNulls: false,
              showPoints: 'never',
              drawStyle: 'line',
              axisBorderShow: false,
              fillOpacity: 10,
            },
            min: 0,
          },
          overrides: [],
        } + { defaults+: { unit: unit } },
        options: {
          tooltip: {
            mode: 'multi',
            sort: 'desc',
          },
          legend: {
            showLegend: true,
            placement: 'bottom',
            displayMode: 'list',
            calcs: [],
          },
        },
      },
    stat(id, title, description, gridPos, targets, unit='short')::
      panel(c, 'stat', id, title, description, gridPos, targets) + {
        fieldConfig: {
          defaults: {
            color: {
              mode: 'thresholds',
            },
            thresholds: {
              mode: 'absolute',
            },
          },
          overrides: [],
        } + { defaults+: { unit: unit } },
        options: {
          graphMode: 'area',
          wideLayout: true,
          justifyMode: 'auto',
          reduceOptions: {
            values: false,
            fields: '',
            calcs: [
              'lastNotNull',
            ],
          },
          orientation: 'auto',
          showPercentChange: false,
          colorMode: 'value',
          textMode: 'auto',
        },
      },
    table(id, title, description, gridPos, targets)::
      panel(c, 'table', id, title, description, gridPos, targets) + {
        fieldConfig: {
          defaults: {
            thresholds: {
              mode: 'absolute',
              steps: [
                {
                  color: 'green',
                  value: null,
                },
              ],
            },
            custom: {
              inspect: true,
              align: 'auto',
              filterable: true,
              cellOptions: {
                type: 'auto',
              },
            },
          },
          overrides: [],
        },
        options: {
          cellHeight: 'sm',
          showHeader: true,
          footer: {
            show: false,
            fields: '',
            reducer: [
              'sum',
            ],
          },
        },
      },
  },
}
