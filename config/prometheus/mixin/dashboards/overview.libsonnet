// SIP overview
local lib = import 'lib.libsonnet';

function(c)
  local g = lib.panels(c);
  local s = lib.selectors(c);
  lib.dashboard(c, 'sip-overview', 'SIP overview', 'SIP requests and responses seen in platform logs by sip-log-exporter: rates, failure ratio, RFC 6076 KPIs, and the 503/408 alert signals with their thresholds.', lib.variables(c, 'sip_responses_total'), [
    g.stat(1, 'Requests/s', 'SIP requests seen in the logs of the selected sources, per second.', { h: 4, w: 4, x: 0, y: 0 }, [
      g.target('sum(rate(sip_requests_total{%(sel)s}[$__rate_interval]))' % s, 'requests'),
    ], unit='reqps') + { fieldConfig+: { defaults+: { thresholds+: { steps: [{ color: 'green', value: null }] } } } },
    g.stat(2, 'Final responses/s', 'Final (non-provisional) responses and platform codes, per second.', { h: 4, w: 4, x: 4, y: 0 }, [
      g.target('sum(rate(sip_responses_total{%(sel)s, category!="provisional"}[$__rate_interval]))' % s, 'responses'),
    ], unit='reqps') + { fieldConfig+: { defaults+: { thresholds+: { steps: [{ color: 'green', value: null }] } } } },
    g.stat(3, 'Failure ratio (5m)', 'Final responses outside success, redirect, auth (401/407 challenges) and cancelled (487), over all final responses; recording rules source:sip_failed_responses:rate5m and source:sip_final_responses:rate5m.', { h: 4, w: 4, x: 8, y: 0 }, [
      g.target('sum(source:sip_failed_responses:rate5m{%(sel)s}) / sum(source:sip_final_responses:rate5m{%(sel)s})' % s, 'failure ratio'),
    ], unit='percentunit') + { fieldConfig+: { defaults+: { thresholds+: { steps: [{ color: 'green', value: null }, { color: 'yellow', value: 0.05 }, { color: 'red', value: 0.2 }] }, decimals: 1 } } },
    g.stat(4, 'SER (5m)', 'Session Establishment Ratio (RFC 6076): INVITEs answered 200 / (INVITEs - INVITEs answered with a 3xx redirect).', { h: 4, w: 4, x: 12, y: 0 }, [
      g.target('sum(source:sip_invite_answered_200:rate5m{%(sel)s}) / (sum(source:sip_invite_requests:rate5m{%(sel)s}) - sum(source:sip_invite_redirects:rate5m{%(sel)s}))' % s, 'SER'),
    ], unit='percentunit') + { fieldConfig+: { defaults+: { thresholds+: { steps: [{ color: 'red', value: null }, { color: 'yellow', value: 0.6 }, { color: 'green', value: 0.8 }] }, decimals: 1 } } },
    g.stat(5, 'SEER (5m)', 'Session Establishment Effectiveness Ratio (RFC 6076): INVITEs answered 200, 480, 486, 600 or 603 / (INVITEs - INVITEs answered with a 3xx redirect).', { h: 4, w: 4, x: 16, y: 0 }, [
      g.target('sum(source:sip_invite_effective:rate5m{%(sel)s}) / (sum(source:sip_invite_requests:rate5m{%(sel)s}) - sum(source:sip_invite_redirects:rate5m{%(sel)s}))' % s, 'SEER'),
    ], unit='percentunit') + { fieldConfig+: { defaults+: { thresholds+: { steps: [{ color: 'red', value: null }, { color: 'yellow', value: 0.7 }, { color: 'green', value: 0.9 }] }, decimals: 1 } } },
    g.stat(6, 'ISA (5m)', 'Ineffective Session Attempts (RFC 6076): INVITEs answered 408, 500, 503 or 504 / INVITEs.', { h: 4, w: 4, x: 20, y: 0 }, [
      g.target('sum(source:sip_invite_ineffective:rate5m{%(sel)s}) / sum(source:sip_invite_requests:rate5m{%(sel)s})' % s, 'ISA'),
    ], unit='percentunit') + { fieldConfig+: { defaults+: { thresholds+: { steps: [{ color: 'green', value: null }, { color: 'yellow', value: 0.05 }, { color: 'red', value: 0.1 }] }, decimals: 1 } } },
    g.timeseries(7, 'Requests by method', 'SIP requests per second, by method (both directions).', { h: 8, w: 12, x: 0, y: 4 }, [
      g.target('sum by (method) (rate(sip_requests_total{%(sel)s}[$__rate_interval]))' % s, '{{method}}'),
    ], unit='reqps'),
    g.timeseries(8, 'Responses by category', "Responses per second by the catalog's category of their code (the source's profile decides it).", { h: 8, w: 12, x: 12, y: 4 }, [
      g.target('sum by (category) (rate(sip_responses_total{%(sel)s}[$__rate_interval]))' % s, '{{category}}'),
    ], unit='reqps') + { fieldConfig+: { defaults+: { custom+: { fillOpacity: 30, stacking+: { mode: 'normal' } } } } },
    g.timeseries(9, 'Responses by method', 'Responses per second by the method of the request they answer (CSeq).', { h: 8, w: 12, x: 0, y: 12 }, [
      g.target('sum by (method) (rate(sip_responses_total{%(sel)s}[$__rate_interval]))' % s, '{{method}}'),
    ], unit='reqps'),
    g.timeseries(10, 'Failure ratio by source (5m)', 'Failed / final responses per source, as recorded in source:sip_response_failure:ratio_rate5m.', { h: 8, w: 12, x: 12, y: 12 }, [
      g.target('sum by (%(by)s, source) (source:sip_failed_responses:rate5m{%(sel)s}) / sum by (%(by)s, source) (source:sip_final_responses:rate5m{%(sel)s} > 0)' % s, '%(legend)s {{source}}' % s),
    ], unit='percentunit'),
    g.timeseries(11, '503 Service Unavailable: share of final responses (2m)', 'The 503 share of final responses per source, over the same 2-minute window SIP503SpikeRatio evaluates; the red dashed line is sip:alert_threshold:503_ratio. The alert also needs sip:alert_threshold:min_final_responses_rate final responses per second.', { h: 8, w: 12, x: 0, y: 20 }, [
      g.target('sum by (%(by)s, source) (source_code:sip_responses:rate2m{code="503", %(sel)s}) / sum by (%(by)s, source) (source:sip_final_responses:rate2m{%(sel)s} > 0)' % s, '%(legend)s {{source}}' % s),
      g.target('sip:alert_threshold:503_ratio{%(thr)s}' % s, 'alert threshold %(siteLegend)s' % s),
    ], unit='percentunit') + { fieldConfig+: { overrides: [g.thresholdOverride] } },
    g.timeseries(12, '503 Service Unavailable per second (2m)', "503 responses per second per source, over the same 2-minute window SIP503SpikeRate evaluates. The alert needs both red dashed lines passed: the floor sip:alert_threshold:503_rate, and sip:alert_threshold:503_rate_share_of_normal of the source's normal final responses per second (source:sip_final_responses:avg1h_rate5m), one line per source.", { h: 8, w: 12, x: 12, y: 20 }, [
      g.target('sum by (%(by)s, source) (source_code:sip_responses:rate2m{code="503", %(sel)s})' % s, '%(legend)s {{source}}' % s),
      g.target('sip:alert_threshold:503_rate{%(thr)s}' % s, 'alert threshold %(siteLegend)s' % s),
      g.target('sum by (%(by)s, source) (source:sip_final_responses:avg1h_rate5m{%(sel)s}) * on () group_left max(sip:alert_threshold:503_rate_share_of_normal{%(thr)s})' % s, 'alert threshold, %(legend)s {{source}} volume' % s),
    ], unit='reqps') + { fieldConfig+: { overrides: [g.thresholdOverride] } },
    g.timeseries(13, '408 Request Timeout: share of final responses (2m)', 'The 408 share of final responses per source, over the same 2-minute window SIP408SpikeRatio evaluates; the red dashed line is sip:alert_threshold:408_ratio. The alert also needs sip:alert_threshold:min_final_responses_rate final responses per second.', { h: 8, w: 12, x: 0, y: 28 }, [
      g.target('sum by (%(by)s, source) (source_code:sip_responses:rate2m{code="408", %(sel)s}) / sum by (%(by)s, source) (source:sip_final_responses:rate2m{%(sel)s} > 0)' % s, '%(legend)s {{source}}' % s),
      g.target('sip:alert_threshold:408_ratio{%(thr)s}' % s, 'alert threshold %(siteLegend)s' % s),
    ], unit='percentunit') + { fieldConfig+: { overrides: [g.thresholdOverride] } },
    g.timeseries(14, '408 Request Timeout per second (2m)', "408 responses per second per source, over the same 2-minute window SIP408SpikeRate evaluates. The alert needs both red dashed lines passed: the floor sip:alert_threshold:408_rate, and sip:alert_threshold:408_rate_share_of_normal of the source's normal final responses per second (source:sip_final_responses:avg1h_rate5m), one line per source.", { h: 8, w: 12, x: 12, y: 28 }, [
      g.target('sum by (%(by)s, source) (source_code:sip_responses:rate2m{code="408", %(sel)s})' % s, '%(legend)s {{source}}' % s),
      g.target('sip:alert_threshold:408_rate{%(thr)s}' % s, 'alert threshold %(siteLegend)s' % s),
      g.target('sum by (%(by)s, source) (source:sip_final_responses:avg1h_rate5m{%(sel)s}) * on () group_left max(sip:alert_threshold:408_rate_share_of_normal{%(thr)s})' % s, 'alert threshold, %(legend)s {{source}} volume' % s),
    ], unit='reqps') + { fieldConfig+: { overrides: [g.thresholdOverride] } },
    g.timeseries(15, 'SER, SEER and ISA by source (5m)', 'RFC 6076 session KPIs per source, from the recording rules source:sip_ser:ratio_rate5m, source:sip_seer:ratio_rate5m and source:sip_isa:ratio_rate5m.', { h: 8, w: 12, x: 0, y: 36 }, [
      g.target('source:sip_ser:ratio_rate5m{%(sel)s}' % s, 'SER %(legend)s {{source}}' % s),
      g.target('source:sip_seer:ratio_rate5m{%(sel)s}' % s, 'SEER %(legend)s {{source}}' % s),
      g.target('source:sip_isa:ratio_rate5m{%(sel)s}' % s, 'ISA %(legend)s {{source}}' % s),
    ], unit='percentunit'),
    g.timeseries(16, 'REGISTER failure ratio by source (5m)', 'REGISTERs answered 4xx except 401/407, 5xx or 6xx, over REGISTERs (source:sip_register_failure:ratio_rate5m).', { h: 8, w: 12, x: 12, y: 36 }, [
      g.target('source:sip_register_failure:ratio_rate5m{%(sel)s}' % s, '%(legend)s {{source}}' % s),
    ], unit='percentunit'),
    g.timeseries(17, '301 Device Offline (5m)', '301 (device offline in the gb28181-platform profile) per second per source, as SIPDeviceOfflineSurge evaluates it; the red dashed line is sip:alert_threshold:device_offline_rate.', { h: 8, w: 8, x: 0, y: 44 }, [
      g.target('source_code:sip_responses:rate5m{code="301", category="device_offline", %(sel)s}' % s, '%(legend)s {{source}}' % s),
      g.target('sip:alert_threshold:device_offline_rate{%(thr)s}' % s, 'alert threshold %(siteLegend)s' % s),
    ], unit='reqps') + { fieldConfig+: { overrides: [g.thresholdOverride] } },
    g.timeseries(18, 'Routing failures: 431, 434, 499 (5m)', 'Routing failures per second per source and code, as SIPRoutingFailures evaluates them; the red dashed line is sip:alert_threshold:routing_failure_rate (per code).', { h: 8, w: 8, x: 8, y: 44 }, [
      g.target('source_code:sip_responses:rate5m{code=~"431|434|499", %(sel)s}' % s, '%(legend)s {{source}} {{code}}' % s),
      g.target('sip:alert_threshold:routing_failure_rate{%(thr)s}' % s, 'alert threshold %(siteLegend)s' % s),
    ], unit='reqps') + { fieldConfig+: { overrides: [g.thresholdOverride] } },
    g.timeseries(19, 'Permission failures: 403, 433 (5m)', 'Permission failures per second per source and code, as SIPPermissionFailures evaluates them; the red dashed line is sip:alert_threshold:permission_failure_rate (per code).', { h: 8, w: 8, x: 16, y: 44 }, [
      g.target('source_code:sip_responses:rate5m{code=~"403|433", %(sel)s}' % s, '%(legend)s {{source}} {{code}}' % s),
      g.target('sip:alert_threshold:permission_failure_rate{%(thr)s}' % s, 'alert threshold %(siteLegend)s' % s),
    ], unit='reqps') + { fieldConfig+: { overrides: [g.thresholdOverride] } },
    g.timeseries(20, 'Failures by code', 'Failed final responses per second by code (categories other than success, provisional, redirect, auth and cancelled). The SIP codes dashboard explains each code.', { h: 9, w: 24, x: 0, y: 52 }, [
      g.target('sum by (code) (rate(sip_responses_total{%(sel)s, category!~"provisional|success|redirect|auth|cancelled"}[$__rate_interval]))' % s, '{{code}}'),
    ], unit='reqps') + { options+: { legend+: { displayMode: 'table', calcs: ['mean', 'max', 'lastNotNull'] } } },
  ])
