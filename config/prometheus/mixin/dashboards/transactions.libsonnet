// SIP transactions
local lib = import 'lib.libsonnet';

function(c)
  local g = lib.panels(c);
  local s = lib.selectors(c);
  lib.dashboard(c, 'sip-transactions', 'SIP transactions', 'SIP transactions in platform logs, by the times written in the log: response times by method, RFC 6076 SRD and SDD, timeouts, retransmissions, failures by GB/T 28181 device type, the peers failing most, session durations, and the transaction alert signals with their thresholds.', lib.variables(c, 'sip_responses_total'), [
    g.stat(1, 'INVITE setup p95, peers answering (5m)', 'RFC 6076 SRD of successful setups: the time from an INVITE the platform sent to the first 180/183 or 2xx of the camera, NVR or lower platform, p95 over 5 minutes and over the selected sources. SIPInviteSetupSlowing compares it per source with sip:alert_threshold:invite_srd_p95_seconds and with its 6-hour baseline.', { h: 4, w: 4, x: 0, y: 0 }, [
      g.target('histogram_quantile(0.95, sum by (le) (rate(sip_session_request_delay_seconds_bucket{%(sel)s, direction="out", outcome=~"1xx|2xx"}[5m])))' % s, 'SRD p95'),
    ], unit='s') + { fieldConfig+: { defaults+: { thresholds+: { steps: [{ color: 'green', value: null }, { color: 'yellow', value: 1 }, { color: 'red', value: 2 }] }, decimals: 2 } } },
    g.stat(2, 'Response time p95, platform answering (5m)', "Requests the platform received (direction in), every method and outcome: time to the platform's first final response, p95 over 5 minutes and over the selected sources.", { h: 4, w: 4, x: 4, y: 0 }, [
      g.target('histogram_quantile(0.95, sum by (le) (source_direction_method_le:sip_response_duration_seconds_bucket:rate5m{%(sel)s, direction="in"}))' % s, 'p95'),
    ], unit='s') + { fieldConfig+: { defaults+: { thresholds+: { steps: [{ color: 'green', value: null }, { color: 'yellow', value: 0.5 }, { color: 'red', value: 2 }] }, decimals: 2 } } },
    g.stat(3, 'Response time p95, peers answering (5m)', "Requests the platform sent (direction out), every method and outcome: time to the peer's first final response, p95 over 5 minutes and over the selected sources.", { h: 4, w: 4, x: 8, y: 0 }, [
      g.target('histogram_quantile(0.95, sum by (le) (source_direction_method_le:sip_response_duration_seconds_bucket:rate5m{%(sel)s, direction="out"}))' % s, 'p95'),
    ], unit='s') + { fieldConfig+: { defaults+: { thresholds+: { steps: [{ color: 'green', value: null }, { color: 'yellow', value: 1 }, { color: 'red', value: 4 }] }, decimals: 2 } } },
    g.stat(4, 'Transaction timeouts/s', 'Requests without any final response within transactions.timeout, per second, both directions: the 408 that never appears on the wire.', { h: 4, w: 4, x: 12, y: 0 }, [
      g.target('sum(rate(sip_transaction_timeouts_total{%(sel)s}[$__rate_interval]))' % s, 'timeouts'),
    ], unit='reqps') + { fieldConfig+: { defaults+: { thresholds+: { steps: [{ color: 'green', value: null }, { color: 'yellow', value: 0.1 }, { color: 'red', value: 1 }] }, decimals: 2 } } },
    g.stat(5, 'Timeout ratio (5m)', 'Timed-out transactions over all transactions that ended (answered or timed out), every method and direction; recording rules source_direction_method:sip_transaction_timeouts:rate5m and source_direction_method:sip_ended_transactions:rate5m.', { h: 4, w: 4, x: 16, y: 0 }, [
      g.target('sum(source_direction_method:sip_transaction_timeouts:rate5m{%(sel)s}) / sum(source_direction_method:sip_ended_transactions:rate5m{%(sel)s})' % s, 'timeout ratio'),
    ], unit='percentunit') + { fieldConfig+: { defaults+: { thresholds+: { steps: [{ color: 'green', value: null }, { color: 'yellow', value: 0.02 }, { color: 'red', value: 0.1 }] }, decimals: 1 } } },
    g.stat(6, 'Retransmitted requests (5m)', 'Requests logged again within their transaction, per request, every method: UDP retransmissions, a sign of loss or of a slow peer.', { h: 4, w: 4, x: 20, y: 0 }, [
      g.target('sum(source_method:sip_request_retransmissions:rate5m{%(sel)s}) / sum(rate(sip_requests_total{%(sel)s}[5m]))' % s, 'retransmissions'),
    ], unit='percentunit') + { fieldConfig+: { defaults+: { thresholds+: { steps: [{ color: 'green', value: null }, { color: 'yellow', value: 0.02 }, { color: 'red', value: 0.1 }] }, decimals: 1 } } },
    g.timeseries(7, 'Response time by method: the platform answering (in)', "Requests the platform received, by method: p50, p95 and p99 of the time to the platform's first final response (all outcomes), over 5 minutes and over the selected sources; recording rule source_direction_method_le:sip_response_duration_seconds_bucket:rate5m. Timed-out requests have no response time: see the timeout panels.", { h: 8, w: 12, x: 0, y: 4 }, [
      g.target('histogram_quantile(0.5, sum by (method, le) (source_direction_method_le:sip_response_duration_seconds_bucket:rate5m{%(sel)s, direction="in"}))' % s, '{{method}} p50'),
      g.target('histogram_quantile(0.95, sum by (method, le) (source_direction_method_le:sip_response_duration_seconds_bucket:rate5m{%(sel)s, direction="in"}))' % s, '{{method}} p95'),
      g.target('histogram_quantile(0.99, sum by (method, le) (source_direction_method_le:sip_response_duration_seconds_bucket:rate5m{%(sel)s, direction="in"}))' % s, '{{method}} p99'),
    ], unit='s') + {
      // A log axis has no 0: no minimum.
      fieldConfig+: { defaults+: { min:: null, custom+: { scaleDistribution: { type: 'log', log: 10 } } } },
    },
    g.timeseries(8, 'Response time by method: peers answering (out)', "Requests the platform sent to cameras, NVRs and other platforms, by method: p50, p95 and p99 of the time to the peer's first final response (all outcomes), over 5 minutes and over the selected sources. The BYE line is RFC 6076 SDD with every outcome.", { h: 8, w: 12, x: 12, y: 4 }, [
      g.target('histogram_quantile(0.5, sum by (method, le) (source_direction_method_le:sip_response_duration_seconds_bucket:rate5m{%(sel)s, direction="out"}))' % s, '{{method}} p50'),
      g.target('histogram_quantile(0.95, sum by (method, le) (source_direction_method_le:sip_response_duration_seconds_bucket:rate5m{%(sel)s, direction="out"}))' % s, '{{method}} p95'),
      g.target('histogram_quantile(0.99, sum by (method, le) (source_direction_method_le:sip_response_duration_seconds_bucket:rate5m{%(sel)s, direction="out"}))' % s, '{{method}} p99'),
    ], unit='s') + {
      // A log axis has no 0: no minimum.
      fieldConfig+: { defaults+: { min:: null, custom+: { scaleDistribution: { type: 'log', log: 10 } } } },
    },
    g.timeseries(9, 'INVITE setup delay (SRD) p95 and its baseline (5m)', "What SIPInviteSetupSlowing evaluates, per source and direction (out: peers answering the platform's INVITEs; in: the platform answering): the p95 of INVITE to its first 180/183 or 2xx (recording rule source_direction:sip_srd_seconds:p95_rate5m); the orange dashed line is its baseline (the median of that p95 over 6 hours) times sip:alert_threshold:invite_srd_baseline_factor; the red dashed line is sip:alert_threshold:invite_srd_p95_seconds. The alert needs the p95 above both lines for 10 minutes, with sip:alert_threshold:min_invite_srd_rate setups per second.", { h: 8, w: 12, x: 0, y: 12 }, [
      g.target('source_direction:sip_srd_seconds:p95_rate5m{%(sel)s}' % s, '%(legend)s {{source}} {{direction}} SRD p95' % s),
      g.target('source_direction:sip_srd_seconds:median6h_p95_rate5m{%(sel)s} * on () group_left max(sip:alert_threshold:invite_srd_baseline_factor{%(thr)s})' % s, '%(legend)s {{source}} {{direction}} baseline × factor' % s),
      g.target('sip:alert_threshold:invite_srd_p95_seconds{%(thr)s}' % s, 'alert threshold %(siteLegend)s' % s),
    ], unit='s') + { fieldConfig+: { overrides: [{ matcher: { id: 'byRegexp', options: '.* baseline × factor' }, properties: [{ id: 'color', value: { mode: 'fixed', fixedColor: 'orange' } }, { id: 'custom.lineStyle', value: { fill: 'dash', dash: [4, 6] } }, { id: 'custom.fillOpacity', value: 0 }] }, g.thresholdOverride] } },
    g.timeseries(10, 'Session disconnect delay (SDD) p95 (5m)', 'RFC 6076 SDD: a BYE to its 2xx, which is the response time of BYE answered 2xx, p95 over 5 minutes per source and direction (out: the platform hung up, the peer answered); recording rule source_direction:sip_sdd_seconds:p95_rate5m. BYEs that time out are in the timeout panels (method BYE).', { h: 8, w: 12, x: 12, y: 12 }, [
      g.target('source_direction:sip_sdd_seconds:p95_rate5m{%(sel)s}' % s, '%(legend)s {{source}} {{direction}} SDD p95' % s),
    ], unit='s'),
    g.timeseries(11, 'Transaction timeouts per second by method', "Requests without any final response within transactions.timeout (Timer B/F, 32 s by default), by method and by the request's direction (out: a peer did not answer the platform; in: the platform did not answer, or did not log its answer).", { h: 8, w: 12, x: 0, y: 20 }, [
      g.target('sum by (method, direction) (rate(sip_transaction_timeouts_total{%(sel)s}[$__rate_interval]))' % s, '{{method}} {{direction}}'),
    ], unit='reqps'),
    g.timeseries(12, 'Timeout ratio by method (5m)', 'What SIPTransactionTimeoutsHigh evaluates, per source, method and direction: timeouts / (timeouts + answered transactions) over 5 minutes (recording rule source_direction_method:sip_transaction_timeout:ratio_rate5m); the red dashed line is sip:alert_threshold:transaction_timeout_ratio. The alert also needs sip:alert_threshold:min_transactions_rate transactions per second and waits 10 minutes.', { h: 8, w: 12, x: 12, y: 20 }, [
      g.target('source_direction_method:sip_transaction_timeout:ratio_rate5m{%(sel)s}' % s, '%(legend)s {{source}} {{method}} {{direction}}' % s),
      g.target('sip:alert_threshold:transaction_timeout_ratio{%(thr)s}' % s, 'alert threshold %(siteLegend)s' % s),
    ], unit='percentunit') + { fieldConfig+: { overrides: [g.thresholdOverride] } },
    g.timeseries(13, 'Retransmissions per second by method', 'Requests (kind request) and final responses (kind response) logged again within their transaction. Request repeats mean the answer came late or got lost (UDP, T1 = 500 ms); response repeats mean the ACK did not arrive.', { h: 8, w: 12, x: 0, y: 28 }, [
      g.target('sum by (method, kind) (rate(sip_retransmissions_total{%(sel)s}[$__rate_interval]))' % s, '{{method}} {{kind}}'),
    ], unit='reqps'),
    g.timeseries(14, 'Retransmission ratio by method (5m)', 'Repeats per request and per final response of each method, over 5 minutes (recording rules source_method:sip_request_retransmission:ratio_rate5m and source_method:sip_response_retransmission:ratio_rate5m). A request sent three times counts 2.', { h: 8, w: 12, x: 12, y: 28 }, [
      g.target('source_method:sip_request_retransmission:ratio_rate5m{%(sel)s}' % s, '%(legend)s {{source}} {{method}} requests' % s),
      g.target('source_method:sip_response_retransmission:ratio_rate5m{%(sel)s}' % s, '%(legend)s {{source}} {{method}} responses' % s),
    ], unit='percentunit'),
    g.timeseries(15, 'Failures per second by device type', "Failed responses (categories other than provisional, success, redirect, auth and cancelled) by the kind of GB/T 28181 device on the other side: the type code of its 20-digit ID (camera 131, ipc 132, dvr 111, nvr 118, sip_server 200, …); other: a type outside the standard's table; unknown: not a GB28181 ID.", { h: 8, w: 12, x: 0, y: 36 }, [
      g.target('sum by (peer_type) (rate(sip_peer_responses_total{%(sel)s, category!~"provisional|success|redirect|auth|cancelled"}[$__rate_interval]))' % s, '{{peer_type}}'),
    ], unit='reqps'),
    g.timeseries(16, 'Failure ratio by device type (5m)', 'Failed over final responses per device type, both directions, over 5 minutes; recording rules source_peer_type:sip_peer_failed_responses:rate5m and source_peer_type:sip_peer_final_responses:rate5m.', { h: 8, w: 12, x: 12, y: 36 }, [
      g.target('sum by (peer_type) (source_peer_type:sip_peer_failed_responses:rate5m{%(sel)s}) / sum by (peer_type) (source_peer_type:sip_peer_final_responses:rate5m{%(sel)s} > 0)' % s, '{{peer_type}}'),
    ], unit='percentunit'),
    g.table(17, 'Top failing peers', "The peers (20-digit device IDs) with most failures, 4xx-6xx responses and transaction timeouts, in the exporter's last top_peers.window, as the exporter reports them now (sip_peer_top_failures: at most top_peers.count per source).", { h: 10, w: 12, x: 0, y: 44 }, [
      g.tableTarget('sort_desc(max by (%(by)s, source, peer, peer_type) (sip_peer_top_failures{%(sel)s}))' % s),
    ]) + { fieldConfig+: { overrides: [{ matcher: { id: 'byName', options: 'Failures' }, properties: [{ id: 'decimals', value: 0 }, { id: 'custom.width', value: 90 }] }] }, options+: { sortBy: [{ displayName: 'Failures', desc: true }] }, transformations: [{ id: 'organize', options: { excludeByName: { Time: true }, indexByName: { peer: 0, peer_type: 1, source: 2, Value: 3 }, renameByName: { peer: 'Peer', peer_type: 'Device type', source: 'Source', Value: 'Failures' } } }] },
    g.timeseries(18, 'Session duration (SDT) percentiles (30m)', "RFC 6076 SDT: the time from the 2xx answering an INVITE to the BYE ending its dialog, p50 and p95 of the sessions that ended in the last 30 minutes, by the INVITE's direction (out: the platform invited, as for live video). Sessions end rarely, so the window is 30 minutes, not the panel's interval.", { h: 10, w: 12, x: 12, y: 44 }, [
      g.target('histogram_quantile(0.5, sum by (direction, le) (rate(sip_session_duration_seconds_bucket{%(sel)s}[30m])))' % s, '{{direction}} p50'),
      g.target('histogram_quantile(0.95, sum by (direction, le) (rate(sip_session_duration_seconds_bucket{%(sel)s}[30m])))' % s, '{{direction}} p95'),
    ], unit='s'),
    g.timeseries(19, 'INVITE response time p95, with the calls behind it (exemplars)', "Each dot is an exemplar: the latest call that landed in a bucket, with its Call-ID (or its hash). Hover a dot for the Call-ID and search the log for it; with an exemplar link on the data source (grafana/provisioning/datasources/prometheus.yml) it opens that call's log lines. Prometheus keeps exemplars with --enable-feature=exemplar-storage.", { h: 9, w: 24, x: 0, y: 54 }, [
      g.exemplarTarget('histogram_quantile(0.95, sum by (direction, le) (rate(sip_response_duration_seconds_bucket{%(sel)s, method="INVITE"}[$__rate_interval])))' % s, 'p95 {{direction}}'),
    ], unit='s'),
  ])
