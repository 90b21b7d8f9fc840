// sip-log-exporter health
local lib = import 'lib.libsonnet';

function(c)
  local g = lib.panels(c);
  local s = lib.selectors(c);
  lib.dashboard(c, 'sip-exporter-health', 'sip-log-exporter health', 'The exporter itself: what it reads, how far behind it is, files, rotations, parse and read errors, series dropped by the cardinality guard.', lib.variables(c, 'sip_exporter_lines_total'), [
    g.stat(1, 'Exporters up', 'Scrape targets of the chosen jobs that answered the last scrape, out of all.', { h: 4, w: 4, x: 0, y: 0 }, [
      g.target('sum(up{%(exporter)s})' % s, 'up'),
    ], unit='short') + { fieldConfig+: { defaults+: { thresholds+: { steps: [{ color: 'red', value: null }, { color: 'green', value: 1 }] }, decimals: 0 } } },
    g.stat(2, 'Version', 'sip_exporter_build_info: the running version(s).', { h: 4, w: 4, x: 4, y: 0 }, [
      g.target('count by (version) (sip_exporter_build_info{%(host)s})' % s, '{{version}}'),
    ], unit='short') + { fieldConfig+: { defaults+: { thresholds+: { steps: [{ color: 'green', value: null }] } } }, options+: { colorMode: 'none', textMode: 'name' } },
    g.stat(3, 'Files followed', 'Files the selected sources follow now (sip_exporter_files). 0 means the globs match nothing.', { h: 4, w: 4, x: 8, y: 0 }, [
      g.target('sum(sip_exporter_files{%(sel)s})' % s, 'files'),
    ], unit='short') + { fieldConfig+: { defaults+: { thresholds+: { steps: [{ color: 'red', value: null }, { color: 'green', value: 1 }] }, decimals: 0 } } },
    g.stat(4, 'Unread bytes', 'Bytes written to followed files and not read yet (sip_exporter_lag_bytes), summed.', { h: 4, w: 4, x: 12, y: 0 }, [
      g.target('sum(sip_exporter_lag_bytes{%(sel)s})' % s, 'lag'),
    ], unit='bytes') + { fieldConfig+: { defaults+: { thresholds+: { steps: [{ color: 'green', value: null }, { color: 'yellow', value: 1048576 }, { color: 'red', value: 16777216 }] } } } },
    g.stat(5, 'Longest silence', 'Seconds since the last record of the most silent selected source.', { h: 4, w: 4, x: 16, y: 0 }, [
      g.target('time() - min(sip_exporter_last_record_timestamp_seconds{%(sel)s})' % s, 'silence'),
    ], unit='s') + { fieldConfig+: { defaults+: { thresholds+: { steps: [{ color: 'green', value: null }, { color: 'yellow', value: 300 }, { color: 'red', value: 900 }] } } } },
    g.stat(6, 'Memory', 'Resident memory of the exporter process(es).', { h: 4, w: 4, x: 20, y: 0 }, [
      g.target('sum(process_resident_memory_bytes{%(exporter)s})' % s, 'memory'),
    ], unit='bytes') + { fieldConfig+: { defaults+: { thresholds+: { steps: [{ color: 'green', value: null }] } } } },
    g.timeseries(7, 'Lines read per second', 'Complete lines read, per source (sip_exporter_lines_total).', { h: 8, w: 12, x: 0, y: 4 }, [
      g.target('sum by (%(by)s, source) (rate(sip_exporter_lines_total{%(sel)s}[$__rate_interval]))' % s, '%(legend)s {{source}}' % s),
    ], unit='short'),
    g.timeseries(8, 'Bytes read per second', 'Bytes read from log files, per source (sip_exporter_bytes_total).', { h: 8, w: 12, x: 12, y: 4 }, [
      g.target('sum by (%(by)s, source) (rate(sip_exporter_bytes_total{%(sel)s}[$__rate_interval]))' % s, '%(legend)s {{source}}' % s),
    ], unit='Bps'),
    g.timeseries(9, 'Records per second by result', 'Records found per source: matched (counted), ignored (well-formed, nothing to count), malformed (could not be read).', { h: 8, w: 12, x: 0, y: 12 }, [
      g.target('sum by (%(by)s, source, result) (rate(sip_exporter_records_total{%(sel)s}[$__rate_interval]))' % s, '%(legend)s {{source}} {{result}}' % s),
    ], unit='short'),
    g.timeseries(10, 'Parse errors: malformed share of records (10m)', 'Malformed / all records per source over the 10-minute window SIPExporterParseErrorsHigh evaluates; the red dashed line is sip:alert_threshold:parse_error_ratio.', { h: 8, w: 12, x: 12, y: 12 }, [
      g.target('sum by (%(by)s, source) (rate(sip_exporter_records_total{%(sel)s, result="malformed"}[10m])) / sum by (%(by)s, source) (rate(sip_exporter_records_total{%(sel)s}[10m]) > 0)' % s, '%(legend)s {{source}}' % s),
      g.target('sip:alert_threshold:parse_error_ratio{%(thr)s}' % s, 'alert threshold %(siteLegend)s' % s),
    ], unit='percentunit') + { fieldConfig+: { overrides: [g.thresholdOverride] } },
    g.timeseries(11, 'Lag: unread bytes', 'Bytes written to followed files and not read yet, per source. Growing lag with no records read is what SIPExporterSourceStalled reports.', { h: 8, w: 12, x: 0, y: 20 }, [
      g.target('sum by (%(by)s, source) (sip_exporter_lag_bytes{%(sel)s})' % s, '%(legend)s {{source}}' % s),
    ], unit='bytes'),
    g.timeseries(12, 'Seconds since the last record', 'Per source; the red dashed line is sip:alert_threshold:source_silence_seconds (SIPExporterSourceSilent).', { h: 8, w: 12, x: 12, y: 20 }, [
      g.target('time() - max by (%(by)s, source) (sip_exporter_last_record_timestamp_seconds{%(sel)s})' % s, '%(legend)s {{source}}' % s),
      g.target('sip:alert_threshold:source_silence_seconds{%(thr)s}' % s, 'alert threshold %(siteLegend)s' % s),
    ], unit='s') + { fieldConfig+: { overrides: [g.thresholdOverride] } },
    g.timeseries(13, 'Files followed', 'Files each source follows (sip_exporter_files).', { h: 8, w: 8, x: 0, y: 28 }, [
      g.target('sum by (%(by)s, source) (sip_exporter_files{%(sel)s})' % s, '%(legend)s {{source}}' % s),
    ], unit='short'),
    g.timeseries(14, 'Rotations and truncations', 'Followed files rotated away (renamed or deleted) and truncated in place (copytruncate), per source.', { h: 8, w: 8, x: 8, y: 28 }, [
      g.target('sum by (%(by)s, source) (increase(sip_exporter_rotations_total{%(sel)s}[$__rate_interval]))' % s, 'rotations %(legend)s {{source}}' % s),
      g.target('sum by (%(by)s, source) (increase(sip_exporter_truncations_total{%(sel)s}[$__rate_interval]))' % s, 'truncations %(legend)s {{source}}' % s),
    ], unit='short'),
    g.timeseries(15, 'Read errors and cut lines', 'Errors finding, opening or reading files, and lines longer than max_line_bytes that were cut, per source.', { h: 8, w: 8, x: 16, y: 28 }, [
      g.target('sum by (%(by)s, source) (increase(sip_exporter_read_errors_total{%(sel)s}[$__rate_interval]))' % s, 'read errors %(legend)s {{source}}' % s),
      g.target('sum by (%(by)s, source) (increase(sip_exporter_lines_truncated_total{%(sel)s}[$__rate_interval]))' % s, 'cut lines %(legend)s {{source}}' % s),
    ], unit='short'),
    g.timeseries(16, 'Series dropped by the cardinality guard', 'Records whose new label set the guard refused (counted in the overflow series instead), per metric. A flat 0 ("none") means nothing was dropped.', { h: 8, w: 8, x: 0, y: 36 }, [
      g.target('sum by (%(by)s, metric) (increase(sip_exporter_series_dropped_total{%(host)s}[$__rate_interval])) or on () label_replace(vector(0), "metric", "none", "", "")' % s, '%(legend)s {{metric}}' % s),
    ], unit='short'),
    g.timeseries(17, 'Checkpoints', 'Checkpoints written and failed. Flat 0 when no checkpoint is configured.', { h: 8, w: 8, x: 8, y: 36 }, [
      g.target('sum(increase(sip_exporter_checkpoint_saves_total{%(host)s}[$__rate_interval])) or on () vector(0)' % s, 'saves'),
      g.target('sum(increase(sip_exporter_checkpoint_errors_total{%(host)s}[$__rate_interval])) or on () vector(0)' % s, 'errors'),
    ], unit='short'),
    g.timeseries(18, 'CPU and memory', 'CPU seconds per second and resident memory of the exporter process(es).', { h: 8, w: 8, x: 16, y: 36 }, [
      g.target('sum by (%(by)s) (rate(process_cpu_seconds_total{%(exporter)s}[$__rate_interval]))' % s, 'CPU %(legend)s' % s),
      g.target('sum by (%(by)s) (process_resident_memory_bytes{%(exporter)s})' % s, 'memory %(legend)s' % s),
    ], unit='short') + { fieldConfig+: { overrides: [{ matcher: { id: 'byFrameRefID', options: 'B' }, properties: [{ id: 'unit', value: 'bytes' }, { id: 'custom.axisPlacement', value: 'right' }] }] } },
    g.timeseries(19, 'Open transactions and sessions', 'What transaction matching holds: transactions waiting for a final response or kept for their retransmissions until the timeout (sip_exporter_open_transactions), and answered INVITE dialogs waiting for their BYE (sip_exporter_open_sessions). Growing without end means requests or BYEs are not matched; a full table evicts its oldest entries.', { h: 8, w: 8, x: 0, y: 44 }, [
      g.target('sum by (%(by)s, source) (sip_exporter_open_transactions{%(sel)s})' % s, 'transactions %(legend)s {{source}}' % s),
      g.target('sum by (%(by)s, source) (sip_exporter_open_sessions{%(sel)s})' % s, 'sessions %(legend)s {{source}}' % s),
    ], unit='short'),
    g.timeseries(20, 'Tracking evictions', 'Entries dropped, oldest first, because the transactions or sessions table was full: their response times, timeouts or session durations are lost. A flat 0 ("none") means nothing was evicted.', { h: 8, w: 8, x: 8, y: 44 }, [
      g.target('sum by (%(by)s, source, table) (increase(sip_exporter_tracking_evictions_total{%(sel)s}[$__rate_interval])) or on () label_replace(vector(0), "table", "none", "", "")' % s, '%(legend)s {{source}} {{table}}' % s),
    ], unit='short'),
    g.timeseries(21, 'Messages transaction matching could not use', 'Messages left out of transaction matching, by reason: no_time (no time stamp readable), no_ids (no Call-ID or CSeq), no_request (a final response whose request was not seen, for example at the start of a file). They are still counted in sip_requests_total and sip_responses_total. A flat 0 ("none") means every message was used.', { h: 8, w: 8, x: 16, y: 44 }, [
      g.target('sum by (%(by)s, source, reason) (increase(sip_exporter_unmatched_total{%(sel)s}[$__rate_interval])) or on () label_replace(vector(0), "reason", "none", "", "")' % s, '%(legend)s {{source}} {{reason}}' % s),
    ], unit='short'),
  ])
