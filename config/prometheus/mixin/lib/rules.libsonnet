// Helpers that build Prometheus rule groups. A rule's `comment` and `gap` are hidden
// fields: the generator writes them into the YAML files as comments (and a blank line
// before), and they never reach prometheus-operator or another mixin's consumer.
{
  // A multi-line string from its lines, without a trailing newline.
  lines(list):: std.join('\n', list),

  group(name, rules, comment=null, gap=false):: {
    name: name,
    rules: rules,
    comment:: comment,
    gap:: gap,
  },

  record(name, expr, comment=null, gap=false):: {
    record: name,
    expr: expr,
    comment:: comment,
    gap:: gap,
  },

  thresholdPrefix:: 'sip:alert_threshold:',

  // A threshold: the constant series sip:alert_threshold:NAME with the value in c.
  threshold(c, name, comment=null, gap=false)::
    self.record(self.thresholdPrefix + name, 'vector(%s)' % ('%.15g' % c.thresholds[name]), comment, gap),

  // An alert with its runbook section (runbookURLBase#alertname, as GitHub names a
  // heading's anchor) and, given a dashboard uid, its dashboard_url; bySource opens the
  // dashboard on the alert's source.
  alert(c, name, expr, wait, severity, summary, description, dashboard=null, bySource=false, comment=null, gap=false):: {
    alert: name,
    expr: expr,
    'for': wait,
    labels: { severity: severity },
    annotations: {
      runbook_url: c.runbookURLBase + '#' + std.asciiLower(name),
      summary: summary,
      description: description,
    } + (
      if dashboard == null then {}
      else {
        dashboard_url: c.grafanaURL + '/d/' + dashboard
                       + (if bySource then '?var-source={{ $labels.source | urlquery }}' else ''),
      }
    ),
    comment:: comment,
    gap:: gap,
  },
}
