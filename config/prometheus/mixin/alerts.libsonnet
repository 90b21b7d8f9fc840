// The alert rules (alerts.yml). They read the recording rules and compare against the
// thresholds; every alert links its runbook section and, where one shows what it
// evaluates, a dashboard.
local r = import 'lib/rules.libsonnet';

{
  local c = $._config,
  local lines = r.lines,
  local alert(name, expr, wait, severity, summary, description, dashboard=null, bySource=false, comment=null, gap=false) =
    r.alert(c, name, expr, wait, severity, summary, description, dashboard, bySource, comment, gap),

  // How a SIP code alert quotes the exporter's catalog (sip_response_code_info, in the
  // gb28181-platform profile): what the code means for users and engineers, zh and en.
  local catalogQuote = [
    '{{ with printf `sip_response_code_info{code="%s",profile="gb28181-platform"}` $labels.code | query }}{{ with first . -}}',
    '用户说明: {{ .Labels.user_zh }}',
    'For users: {{ .Labels.user_en }}',
    '工程师说明: {{ .Labels.engineer_zh }}',
    'For engineers: {{ .Labels.engineer_en }}',
    '{{- end }}{{ else }}(No catalog entry: sip_response_code_info is not scraped.){{ end }}',
  ],

  // What to check first when a code alert fires: the catalog's check_first, zh and en, in
  // the gb28181-platform profile (its `extends` chain walked as the exporter walks it),
  // so the alerts and `explain CODE` say the same. An alert over several codes picks the
  // firing one's text by its `code` label.
  local catalog = std.parseYaml(importstr '../../../exporter/data/catalog.yaml'),
  // (jsonnet 0.18's parseYaml reads `extends: null` as "".)
  local chain(profile) =
    if profile == null || profile == '' then []
    else [profile] + chain(catalog.profiles[profile].extends),
  local checkFirstOf(code) =
    local entry = catalog.codes[code];
    local overrides = [
      std.get(std.get(entry, 'profiles', {}), p, {})
      for p in chain('gb28181-platform')
    ];
    local found = [o.check_first for o in overrides if std.objectHas(o, 'check_first')];
    if std.length(found) > 0 then found[0] else entry.check_first,
  local checkFirstLines(code) = [
    '先查: ' + checkFirstOf(code).zh,
    'Check first: ' + checkFirstOf(code).en,
  ],
  local checkFirst(codes) =
    if std.length(codes) == 1 then checkFirstLines(codes[0])
    else std.flattenArrays([
      ['%s eq $labels.code "%s" -}}' % [if i == 0 then '{{ if' else '{{- else if', codes[i]]]
      + checkFirstLines(codes[i])
      for i in std.range(0, std.length(codes) - 1)
    ]) + ['{{- end }}'],

  alertGroups:: [
    r.group('sip-responses.alerts', [
      alert(
        'SIP503SpikeRatio',
        expr=|||
          (
            source_code:sip_responses:rate2m{code="503"}
              / ignoring (code, category) group_left
            source:sip_final_responses:rate2m
          ) > on () group_left sip:alert_threshold:503_ratio
          and ignoring (code, category)
          (
            source:sip_final_responses:rate2m
              >= on () group_left sip:alert_threshold:min_final_responses_rate
          )
        |||,
        wait='1m',
        severity='critical',
        dashboard='sip-overview',
        bySource=true,
        summary='503 Service Unavailable is {{ $value | humanizePercentage }} of final responses on {{ $labels.source }} (threshold {{ with query "sip:alert_threshold:503_ratio" }}{{ . | first | value | humanizePercentage }}{{ end }}).',
        description=lines([
          'Source {{ $labels.source }} ({{ $labels.instance }}): 503 responses are a larger share of all final responses over the last 2 minutes than sip:alert_threshold:503_ratio allows.',
        ] + catalogQuote + checkFirst(['503'])),
      ),
      alert(
        'SIP503SpikeRate',
        comment=|||
          Volume-aware: the 503 rate must pass a fixed floor and a share of the source's
          normal volume (its mean final responses per second over the last hour), so a
          large platform's usual trickle of 503s does not page while a small one still
          pages at the floor. (`*` binds before `>`: the rate is compared with the normal
          volume times the share.)
        |||,
        gap=true,
        expr=|||
          source_code:sip_responses:rate2m{code="503"}
            > on () group_left sip:alert_threshold:503_rate
          and
          source_code:sip_responses:rate2m{code="503"}
            > ignoring (code, category) group_left
          source:sip_final_responses:avg1h_rate5m
            * on () group_left sip:alert_threshold:503_rate_share_of_normal
          and ignoring (code, category)
          (
            source:sip_final_responses:rate2m
              >= on () group_left sip:alert_threshold:min_final_responses_rate
          )
        |||,
        wait='1m',
        severity='critical',
        dashboard='sip-overview',
        bySource=true,
        summary="503 Service Unavailable at {{ printf \"%.3g\" $value }}/s on {{ $labels.source }} (threshold {{ with query \"sip:alert_threshold:503_rate\" }}{{ . | first | value | printf \"%.3g\" }}{{ end }}/s and {{ with query \"sip:alert_threshold:503_rate_share_of_normal\" }}{{ . | first | value | humanizePercentage }}{{ end }} of the last hour's final responses).",
        description=lines([
          "Source {{ $labels.source }} ({{ $labels.instance }}): more 503 responses per second over the last 2 minutes than sip:alert_threshold:503_rate allows, and more than sip:alert_threshold:503_rate_share_of_normal of the source's final responses per second over the last hour.",
        ] + catalogQuote + checkFirst(['503'])),
      ),
      alert(
        'SIP408SpikeRatio',
        gap=true,
        expr=|||
          (
            source_code:sip_responses:rate2m{code="408"}
              / ignoring (code, category) group_left
            source:sip_final_responses:rate2m
          ) > on () group_left sip:alert_threshold:408_ratio
          and ignoring (code, category)
          (
            source:sip_final_responses:rate2m
              >= on () group_left sip:alert_threshold:min_final_responses_rate
          )
        |||,
        wait='2m',
        severity='warning',
        dashboard='sip-overview',
        bySource=true,
        summary='408 Request Timeout is {{ $value | humanizePercentage }} of final responses on {{ $labels.source }} (threshold {{ with query "sip:alert_threshold:408_ratio" }}{{ . | first | value | humanizePercentage }}{{ end }}).',
        description=lines([
          'Source {{ $labels.source }} ({{ $labels.instance }}): 408 responses are a larger share of all final responses over the last 2 minutes than sip:alert_threshold:408_ratio allows.',
        ] + catalogQuote + checkFirst(['408'])),
      ),
      alert(
        'SIP408SpikeRate',
        comment=|||
          Volume-aware as SIP503SpikeRate: the 408 rate must pass a fixed floor and a share of
          the source's normal volume, so the steady trickle of 408s a large platform sees
          (keepalives and queries to cameras that went offline) does not warn, while a
          small one still warns at the floor.
        |||,
        gap=true,
        expr=|||
          source_code:sip_responses:rate2m{code="408"}
            > on () group_left sip:alert_threshold:408_rate
          and
          source_code:sip_responses:rate2m{code="408"}
            > ignoring (code, category) group_left
          source:sip_final_responses:avg1h_rate5m
            * on () group_left sip:alert_threshold:408_rate_share_of_normal
          and ignoring (code, category)
          (
            source:sip_final_responses:rate2m
              >= on () group_left sip:alert_threshold:min_final_responses_rate
          )
        |||,
        wait='2m',
        severity='warning',
        dashboard='sip-overview',
        bySource=true,
        summary="408 Request Timeout at {{ printf \"%.3g\" $value }}/s on {{ $labels.source }} (threshold {{ with query \"sip:alert_threshold:408_rate\" }}{{ . | first | value | printf \"%.3g\" }}{{ end }}/s and {{ with query \"sip:alert_threshold:408_rate_share_of_normal\" }}{{ . | first | value | humanizePercentage }}{{ end }} of the last hour's final responses).",
        description=lines([
          "Source {{ $labels.source }} ({{ $labels.instance }}): more 408 responses per second over the last 2 minutes than sip:alert_threshold:408_rate allows, and more than sip:alert_threshold:408_rate_share_of_normal of the source's final responses per second over the last hour.",
        ] + catalogQuote + checkFirst(['408'])),
      ),
      alert(
        'SIP408RisingBefore503',
        comment=|||
          Early warning: the 408 share of the last 5 minutes is several times its share of
          the last hour, while 503 is still below its threshold. Goes quiet once the 503
          alerts take over, or once the hour's baseline has caught up.
        |||,
        gap=true,
        expr=|||
          (
            (
              source_code:sip_responses:rate5m{code="408"}
                / ignoring (code, category) group_left
              source:sip_final_responses:rate5m
            ) > on () group_left sip:alert_threshold:408_rising_min_ratio
          )
          and
          (
            (
              source_code:sip_responses:rate5m{code="408"}
                / ignoring (code, category) group_left
              source:sip_final_responses:rate5m
            )
            >
            (
              (
                source_code:sip_responses:rate1h{code="408"}
                  / ignoring (code, category) group_left
                source:sip_final_responses:rate1h
              ) * on () group_left sip:alert_threshold:408_rising_factor
            )
          )
          and ignoring (code, category)
          (
            source:sip_final_responses:rate5m
              >= on () group_left sip:alert_threshold:min_final_responses_rate
          )
          unless ignoring (code, category)
          (
            (
              source_code:sip_responses:rate2m{code="503"}
                / ignoring (code, category) group_left
              source:sip_final_responses:rate2m
            ) > on () group_left sip:alert_threshold:503_ratio
          )
        |||,
        wait='3m',
        severity='warning',
        dashboard='sip-overview',
        bySource=true,
        summary="408 Request Timeout is rising on {{ $labels.source }}: {{ $value | humanizePercentage }} of final responses over 5 minutes, several times the last hour's share; a 503 storm may follow.",
        description=lines([
          'Source {{ $labels.source }} ({{ $labels.instance }}): the 408 share of final responses over the last 5 minutes is at least sip:alert_threshold:408_rising_factor times its share over the last hour, and above sip:alert_threshold:408_rising_min_ratio. 503 is not (yet) above its threshold.',
        ] + catalogQuote + checkFirst(['408']) + [
          'Before the 503 storm: which devices or lower platforms time out (SIP codes dashboard, by method); whether they share a site, switch or isolation gateway (网闸); whether retransmissions and re-registrations are piling up on the platform.',
        ]),
      ),
      alert(
        'SIPDeviceOfflineSurge',
        gap=true,
        expr=|||
          source_code:sip_responses:rate5m{code="301", category="device_offline"}
            > on () group_left sip:alert_threshold:device_offline_rate
        |||,
        wait='5m',
        severity='warning',
        dashboard='sip-overview',
        bySource=true,
        summary='301 Device Offline at {{ printf "%.3g" $value }}/s on {{ $labels.source }} (threshold {{ with query "sip:alert_threshold:device_offline_rate" }}{{ . | first | value | printf "%.3g" }}{{ end }}/s).',
        description=lines([
          'Source {{ $labels.source }} ({{ $labels.instance }}): more "device offline" answers per second over the last 5 minutes than sip:alert_threshold:device_offline_rate allows.',
        ] + catalogQuote + checkFirst(['301'])),
      ),
      alert(
        'SIPRoutingFailures',
        gap=true,
        expr=|||
          source_code:sip_responses:rate5m{code=~"431|434|499"}
            > on () group_left sip:alert_threshold:routing_failure_rate
        |||,
        wait='5m',
        severity='warning',
        dashboard='sip-overview',
        bySource=true,
        summary='Routing failures: {{ $labels.code }} at {{ printf "%.3g" $value }}/s on {{ $labels.source }} (threshold {{ with query "sip:alert_threshold:routing_failure_rate" }}{{ . | first | value | printf "%.3g" }}{{ end }}/s).',
        description=lines([
          'Source {{ $labels.source }} ({{ $labels.instance }}): more {{ $labels.code }} responses per second over the last 5 minutes than sip:alert_threshold:routing_failure_rate allows.',
        ] + catalogQuote + checkFirst(['431', '434', '499'])),
      ),
      alert(
        'SIPPermissionFailures',
        gap=true,
        expr=|||
          source_code:sip_responses:rate5m{code=~"403|433"}
            > on () group_left sip:alert_threshold:permission_failure_rate
        |||,
        wait='5m',
        severity='warning',
        dashboard='sip-overview',
        bySource=true,
        summary='Permission failures: {{ $labels.code }} at {{ printf "%.3g" $value }}/s on {{ $labels.source }} (threshold {{ with query "sip:alert_threshold:permission_failure_rate" }}{{ . | first | value | printf "%.3g" }}{{ end }}/s).',
        description=lines([
          'Source {{ $labels.source }} ({{ $labels.instance }}): more {{ $labels.code }} responses per second over the last 5 minutes than sip:alert_threshold:permission_failure_rate allows.',
        ] + catalogQuote + checkFirst(['403', '433'])),
      ),
    ]),
    r.group('sip-transactions.alerts', [
      alert(
        'SIPInviteSetupSlowing',
        comment=|||
          INVITE setup (RFC 6076 SRD of successful setups) is slow in absolute terms and
          clearly slower than its own baseline, the median of its p95 over 6 hours: a
          platform that has always been this slow stays quiet, and a slowdown becomes the
          new baseline after 3 hours (the dashboards keep showing it).
        |||,
        expr=|||
          (
            source_direction:sip_srd_seconds:p95_rate5m
              > on () group_left sip:alert_threshold:invite_srd_p95_seconds
          )
          and
          (
            source_direction:sip_srd_seconds:p95_rate5m
              >
            source_direction:sip_srd_seconds:median6h_p95_rate5m
              * on () group_left sip:alert_threshold:invite_srd_baseline_factor
          )
          and
          (
            source_direction:sip_srd_seconds_count:rate5m
              >= on () group_left sip:alert_threshold:min_invite_srd_rate
          )
        |||,
        wait='10m',
        severity='warning',
        dashboard='sip-transactions',
        bySource=true,
        summary='INVITE setup is slowing on {{ $labels.source }} ({{ if eq $labels.direction "in" }}the platform answering{{ else if eq $labels.direction "out" }}peers answering{{ else }}direction unknown{{ end }}): SRD p95 {{ $value | printf "%.3g" }} s{{ with printf `source_direction:sip_srd_seconds:median6h_p95_rate5m{source="%s",direction="%s",instance="%s"}` $labels.source $labels.direction $labels.instance | query }}, baseline {{ . | first | value | printf "%.3g" }} s{{ end }} (threshold {{ with query "sip:alert_threshold:invite_srd_p95_seconds" }}{{ . | first | value | printf "%.3g" }}{{ end }} s and {{ with query "sip:alert_threshold:invite_srd_baseline_factor" }}{{ . | first | value | printf "%.3g" }}{{ end }} × baseline).',
        description=lines([
          'Source {{ $labels.source }} ({{ $labels.instance }}), INVITEs {{ if eq $labels.direction "in" }}the platform received and answers{{ else if eq $labels.direction "out" }}the platform sent, answered by cameras, NVRs or lower platforms{{ else }}of unknown direction{{ end }}: for 10 minutes the p95 of the time from an INVITE to its first 1xx other than 100 or 2xx (RFC 6076 SRD of successful setups, over 5 minutes) has been above sip:alert_threshold:invite_srd_p95_seconds and more than sip:alert_threshold:invite_srd_baseline_factor times its baseline, the median of that p95 over the last 6 hours.',
          '用户说明: 打开实时视频、录像回放或发起呼叫比平时明显变慢。',
          'For users: opening live video or playback, or starting a call, takes clearly longer than usual.',
          '工程师说明: INVITE 到首个 180/183 或 2xx 响应的时延(SRD)p95 超过阈值,且为近 6 小时基线的数倍。',
          'For engineers: the p95 of INVITE to its first 180/183 or 2xx (SRD) is above its threshold and several times its 6-hour baseline.',
          "Check first: the SIP transactions dashboard, by direction. `out`: which devices answer slowly (top failing peers, failures by device type); the network path to them (retransmissions rising too point to packet loss); the load of the NVRs and lower platforms that relay the cameras. `in`: the platform's own load (CPU, JVM pauses, database) and the media server it asks for a port before it answers; for a cascade INVITE the platform first invites the device, so look at `out` too.",
        ]),
      ),
      alert(
        'SIPTransactionTimeoutsHigh',
        comment=|||
          A method's requests, in one direction, end without any final response within
          transactions.timeout: the 408 that never appears on the wire. Per method, so a
          failing INVITE is not diluted by busy keepalives.
        |||,
        gap=true,
        expr=|||
          source_direction_method:sip_transaction_timeout:ratio_rate5m
            > on () group_left sip:alert_threshold:transaction_timeout_ratio
          and
          source_direction_method:sip_ended_transactions:rate5m
            >= on () group_left sip:alert_threshold:min_transactions_rate
        |||,
        wait='10m',
        severity='warning',
        dashboard='sip-transactions',
        bySource=true,
        summary='{{ $value | humanizePercentage }} of the {{ $labels.method }} requests {{ if eq $labels.direction "in" }}the platform received{{ else if eq $labels.direction "out" }}the platform sent{{ else }}of unknown direction{{ end }} on {{ $labels.source }} time out without a final response (threshold {{ with query "sip:alert_threshold:transaction_timeout_ratio" }}{{ . | first | value | humanizePercentage }}{{ end }}).',
        description=lines([
          'Source {{ $labels.source }} ({{ $labels.instance }}): for 10 minutes a larger share of {{ $labels.method }} transactions than sip:alert_threshold:transaction_timeout_ratio allows ended without any final response within transactions.timeout, while at least sip:alert_threshold:min_transactions_rate of them ended per second. {{ if eq $labels.direction "in" }}The platform does not answer its peers, or does not log its answers.{{ else if eq $labels.direction "out" }}Peers (cameras, NVRs, lower platforms) do not answer the platform.{{ else }}The log does not say which way the requests went.{{ end }}',
          '用户说明: 设备或平台不响应请求:视频打不开,目录、状态或录像查询没有结果。',
          'For users: devices or the platform do not answer: video does not open, catalogue, status or recording queries return nothing.',
          '工程师说明: 请求在事务超时时间内没有收到任何最终响应,相当于线路上没有出现的 408。',
          'For engineers: requests get no final response within the transaction timeout (Timer B/F): the 408 that never appears on the wire.',
          "Check first: top failing peers on the SIP transactions dashboard (one device, one NVR, one site?). `out`: whether those devices are online (their last keepalive and registration) and reachable (the address and port they registered from, firewalls, NAT, an isolation gateway 网闸). `in`: the platform's load and whether it still logs its answers. Retransmissions rising at the same time point to packet loss.",
        ]),
      ),
    ], comment=|||
      Transactions, by the times written in the log. `direction` is the request's: `out`
      means peers (cameras, NVRs, lower platforms) answer the platform, `in` that the
      platform answers them. Both alerts wait 10 minutes, twice their 5-minute window, so
      one burst, however large, leaves the window before it could fire.
    |||, gap=true),
    r.group('sip-exporter.alerts', [
      alert(
        'SIPExporterDown',
        comment=|||
          The job comes from _config.sipExporterSelector: `up` is every target's, and the
          only series a down target leaves.
        |||,
        expr='up{%s} == 0' % c.sipExporterSelector,
        wait='3m',
        severity='critical',
        dashboard='sip-exporter-health',
        summary='sip-log-exporter {{ $labels.instance }} is down; SIP alerts are blind.',
        description=lines([
          'Prometheus cannot scrape {{ $labels.instance }} (job {{ $labels.job }}): no SIP response counts, so no 503 or 408 alert can fire for its sources.',
          '说明: 无法抓取 sip-log-exporter,SIP 告警失效。',
          "Check first: the process (systemctl status sip-log-exporter, or its container); its log for a configuration error at start; that --web.listen-address, TLS and basic auth match the scrape config; the target's error on Prometheus' Targets page.",
        ]),
      ),
      alert(
        'SIPExporterSourceStalled',
        comment=|||
          A source produced no record for 10 minutes while its files hold unread bytes
          (the reader is stuck) or while bytes are being read (nothing in them matches the
          source's format).
        |||,
        gap=true,
        expr=|||
          sum without (result) (rate(sip_exporter_records_total[10m])) == 0
          and
          (
            sip_exporter_lag_bytes > 0
            or
            rate(sip_exporter_bytes_total[10m]) > 0
          )
        |||,
        wait='5m',
        severity='warning',
        dashboard='sip-exporter-health',
        bySource=true,
        summary='Source {{ $labels.source }} on {{ $labels.instance }} produces no records while its log grows.',
        description=lines([
          "Source {{ $labels.source }} ({{ $labels.instance }}) produced no record for at least 15 minutes, although its files grew: either bytes wait unread (sip_exporter_lag_bytes > 0, the reader is stuck) or bytes are read but nothing in them is a record of the source's format.",
          '说明: 日志仍在增长,但该数据源没有产生任何记录。',
          "Check first: sip_exporter_lag_bytes and sip_exporter_read_errors_total for this source, and the exporter's log; the source's `format` against a sample of the file (for wvp-GB28181-pro the `sip` format needs `user-settings.sip-log: true`); the file's encoding setting.",
        ]),
      ),
      alert(
        'SIPExporterSourceSilent',
        comment=|||
          A source produced no record for sip:alert_threshold:source_silence_seconds and
          its files stopped growing altogether (nothing read, nothing waiting).
        |||,
        gap=true,
        expr=|||
          (time() - sip_exporter_last_record_timestamp_seconds)
            > on () group_left sip:alert_threshold:source_silence_seconds
          unless sip_exporter_lag_bytes > 0
          unless rate(sip_exporter_bytes_total[10m]) > 0
        |||,
        wait='5m',
        severity='warning',
        dashboard='sip-exporter-health',
        bySource=true,
        summary='Source {{ $labels.source }} on {{ $labels.instance }} has produced no record {{ if gt $value 1e9 }}since the exporter started{{ else }}for {{ $value | humanizeDuration }}{{ end }}.',
        description=lines([
          'Source {{ $labels.source }} ({{ $labels.instance }}) produced no record for longer than sip:alert_threshold:source_silence_seconds, and its files stopped growing: nothing was read for 10 minutes and nothing waits to be read.',
          '说明: 该数据源的日志文件已停止增长,长时间没有新记录。',
          'Check first: that the platform writing the log is running and still logs SIP (wvp-GB28181-pro: `user-settings.sip-log`); sip_exporter_files for this source (0: the `paths` globs match nothing, for example after the platform moved its logs); log rotation writing to a path outside the globs.',
        ]),
      ),
      alert(
        'SIPExporterParseErrorsHigh',
        gap=true,
        expr=|||
          (
            sum without (result) (rate(sip_exporter_records_total{result="malformed"}[10m]))
              / sum without (result) (rate(sip_exporter_records_total[10m]))
          ) > on () group_left sip:alert_threshold:parse_error_ratio
          and
          sum without (result) (rate(sip_exporter_records_total{result="malformed"}[10m]))
            >= on () group_left sip:alert_threshold:parse_error_min_rate
        |||,
        wait='5m',
        severity='warning',
        dashboard='sip-exporter-health',
        bySource=true,
        summary='{{ $value | humanizePercentage }} of the records of {{ $labels.source }} on {{ $labels.instance }} are malformed.',
        description=lines([
          "Source {{ $labels.source }} ({{ $labels.instance }}): over the last 10 minutes a larger share of records looked like the source's format but could not be read than sip:alert_threshold:parse_error_ratio allows. They are counted and skipped, so SIP counts are too low.",
          '说明: 无法解析的日志记录比例过高,SIP 统计偏低。',
          "Check first: a sample of the file against the source's `format` (a changed log pattern after a platform upgrade); the `encoding` setting (GBK/GB18030 files read as UTF-8); rsyslog forwarding that needs `syslog_escapes: true`; lines cut by `max_line_bytes` (sip_exporter_lines_truncated_total).",
        ]),
      ),
      alert(
        'SIPExporterReadErrors',
        gap=true,
        expr='increase(sip_exporter_read_errors_total[5m]) > 0',
        wait='10m',
        severity='warning',
        dashboard='sip-exporter-health',
        bySource=true,
        summary='sip-log-exporter {{ $labels.instance }} keeps failing to read the files of {{ $labels.source }}.',
        description=lines([
          'Source {{ $labels.source }} ({{ $labels.instance }}): errors finding, opening or reading its files in every 5-minute window for 10 minutes. Each error is retried, but whatever cannot be read is not counted.',
          '说明: 持续无法读取该数据源的日志文件。',
          "Check first: the exporter's log (each error is logged once with its path); file and folder permissions for the exporter's user (SELinux/AppArmor too); a vanished or unmounted folder (NFS/CIFS: set `poll_only: true`).",
        ]),
      ),
      alert(
        'SIPExporterSeriesDropped',
        gap=true,
        expr='increase(sip_exporter_series_dropped_total[15m]) > 0',
        wait='1m',
        severity='warning',
        dashboard='sip-exporter-health',
        summary='sip-log-exporter {{ $labels.instance }} drops new series of {{ $labels.metric }} (cardinality guard).',
        description=lines([
          '{{ $labels.instance }}: {{ $labels.metric }} reached max_series_per_metric in the last 15 minutes; records with new label combinations are counted in the overflow series instead of their own.',
          '说明: 序列数达到上限,新的标签组合被计入溢出序列。',
          'Check first: which sources and label values fill the metric (count by (source) of the metric); a source whose format yields unexpected methods or codes; raise max_series_per_metric only if the growth is legitimate.',
        ]),
      ),
      alert(
        'SIPExporterSourceReadsNothing',
        gap=true,
        expr='sip_exporter_source_silent == 1',
        wait='10m',
        severity='warning',
        dashboard='sip-exporter-health',
        bySource=true,
        summary='Source {{ $labels.source }} on {{ $labels.instance }} reads nothing: {{ if eq $labels.reason "no_files" }}no file matches its paths{{ else }}its files give lines but no record{{ end }}.',
        description=lines([
          "Source {{ $labels.source }} ({{ $labels.instance }}) has read nothing for at least 10 minutes ({{ $labels.reason }}): {{ if eq $labels.reason \"no_files\" }}no file matches the `paths` globs of the source{{ else }}its files give lines, but not one of them was a record of the source's format since the source started (for `no_records_after` and 10 minutes more){{ end }}. Its SIP counters stay at 0.",
          '说明: 该数据源读不到任何内容(没有匹配的文件,或文件中没有可识别的记录)。',
          "Check first: the exporter's landing page (it says in words why the source is silent); `no_files`: the `paths` globs against where the platform writes its logs now (`ls` them as the exporter's user); `no_records`: `sip-log-exporter detect` on one of the files, and the source's `format` and `encoding`.",
        ]),
      ),
      alert(
        'SIPExporterConfigReloadFailed',
        comment=|||
          The config file was changed and reloaded (SIGHUP, POST /-/reload) but does not
          validate: the old config keeps running, and the next restart will fail.
        |||,
        gap=true,
        expr='sip_exporter_config_last_reload_successful == 0',
        wait='5m',
        severity='warning',
        dashboard='sip-exporter-health',
        summary='sip-log-exporter {{ $labels.instance }} could not reload its config file; the previous config is still running.',
        description=lines([
          '{{ $labels.instance }}: the last reload of the config file failed for at least 5 minutes. The exporter keeps the config it loaded before, so what is in the file is not what runs, and a restart would refuse to start with it.',
          '说明: 配置文件重新加载失败,仍在使用旧配置;重启将无法启动。',
          "Check first: `sip-log-exporter check-config` on the file (it names the key and the fix); the exporter's log line \"reload failed\"; then reload again (`kill -HUP`, or `POST /-/reload`).",
        ]),
      ),
      alert(
        'SIPExporterWebConfigReloadFailed',
        gap=true,
        expr='sip_exporter_web_config_last_reload_successful == 0',
        wait='5m',
        severity='warning',
        dashboard='sip-exporter-health',
        summary='sip-log-exporter {{ $labels.instance }} cannot use its web config file; the last valid one is in force.',
        description=lines([
          '{{ $labels.instance }}: the file given by --web.config.file (or the TLS files it names) has been unusable for at least 5 minutes: empty, invalid, unreadable, or turning TLS on or off. The last valid web config keeps serving, so a credential or certificate change has not taken effect.',
          '说明: Web 配置文件(TLS/基本认证)不可用,仍在使用上一次有效的配置。',
          "Check first: the exporter's log line \"web config unusable\" or \"TLS files unusable\" (it names the file and the problem); the certificate, key and client CA files' permissions and their match; turning TLS on or off needs a restart.",
        ]),
      ),
      alert(
        'SIPExporterCheckpointErrors',
        comment=|||
          Checkpoints (the read positions and counters kept across restarts) cannot be
          written: after a restart the exporter would count again or miss lines.
        |||,
        gap=true,
        expr='increase(sip_exporter_checkpoint_errors_total[5m]) > 0',
        wait='10m',
        severity='warning',
        dashboard='sip-exporter-health',
        summary='sip-log-exporter {{ $labels.instance }} keeps failing to write its checkpoint.',
        description=lines([
          '{{ $labels.instance }}: checkpoints failed in every 5-minute window for 10 minutes. Counting goes on, but a restart would start from the last checkpoint written: counters fall back and lines already counted may be counted again or skipped.',
          '说明: 检查点文件持续写入失败,重启后计数可能回退或重复。',
          "Check first: the exporter's log for the checkpoint error; free space and inodes on the checkpoint's file system (`df -h`, `df -i`); the folder's permissions for the exporter's user (systemd: `StateDirectory`); a read-only mount.",
        ]),
      ),
      alert(
        'SIPExporterFallingBehind',
        comment=|||
          A source's unread bytes have not been 0 for 20 minutes and grew over the last 10
          (a trend over 10 minutes, held for 10): the exporter reads its log more slowly
          than the platform writes it. A backlog being read down shrinks; lag that comes
          and goes between passes touches 0.
        |||,
        gap=true,
        expr=|||
          deriv(sip_exporter_lag_bytes[10m]) > 0
          and
          min_over_time(sip_exporter_lag_bytes[10m]) > 0
        |||,
        wait='10m',
        severity='warning',
        dashboard='sip-exporter-health',
        bySource=true,
        summary='sip-log-exporter {{ $labels.instance }} falls behind the log of {{ $labels.source }}: unread bytes grow by {{ $value | humanize }}B/s.',
        description=lines([
          'Source {{ $labels.source }} ({{ $labels.instance }}): for 20 minutes the bytes written to its files and not read yet (sip_exporter_lag_bytes) have never been back to 0, and for the last 10 of them they kept growing. Counts arrive later and later, and rotated files may be gone before they are read.',
          '说明: 日志写入速度超过读取速度,未读字节持续增长,统计越来越滞后。',
          "Check first: the exporter's CPU (process_cpu_seconds_total; one core at 100 % means it is the limit); whether the platform logs far more than usual (a debug level left on, a message storm); a slow or network file system (`poll_only`); the exporter health dashboard's lines and bytes per second.",
        ]),
      ),
      alert(
        'SIPExporterTrackingEvictions',
        comment=|||
          Transaction matching dropped entries because a table was full: response times,
          timeouts and sessions of this source are no longer complete.
        |||,
        gap=true,
        expr='increase(sip_exporter_tracking_evictions_total[15m]) > 0',
        wait='1m',
        severity='warning',
        dashboard='sip-exporter-health',
        bySource=true,
        summary='sip-log-exporter {{ $labels.instance }} evicts {{ $labels.table }} of {{ $labels.source }} from a full table.',
        description=lines([
          'Source {{ $labels.source }} ({{ $labels.instance }}): in the last 15 minutes the {{ $labels.table }} table was full and its oldest entries were dropped. Their answers, timeouts or BYEs are not matched: response times, SRD, timeouts and session durations of this source are incomplete.',
          '说明: 事务/会话跟踪表已满,最旧的条目被丢弃,时延与超时统计不完整。',
          'Check first: sip_exporter_open_transactions and sip_exporter_open_sessions of this source against `transactions.max_transactions` and `transactions.max_sessions` in the config; a flood of requests that are never answered (a device storm) fills the table too; raise the limit only if the traffic is legitimate (memory grows with it).',
        ]),
      ),
      alert(
        'SIPAlertThresholdsMissing',
        comment=|||
          The alerts above compare against thresholds.yml; without it none of them fires.
        |||,
        gap=true,
        // One line per threshold of thresholds.yml, so none can be left out.
        expr=std.join('\nor ', [
          'label_replace(absent(%s), "threshold", "%s", "", "")' % [rule.record, std.substr(rule.record, std.length(r.thresholdPrefix), 100)]
          for rule in $.thresholdGroups[0].rules
        ]) + '\n',
        wait='5m',
        severity='warning',
        summary='Alert threshold sip:alert_threshold:{{ $labels.threshold }} is missing; the SIP alerts that use it cannot fire.',
        description=lines([
          'No series sip:alert_threshold:{{ $labels.threshold }}: thresholds.yml is not loaded or lost that rule.',
          '说明: 告警阈值规则缺失,相关 SIP 告警无法触发。',
          'Check first: that rule_files in prometheus.yml lists thresholds.yml next to rules.yml and alerts.yml (Status > Rules in the Prometheus UI); `promtool check rules thresholds.yml`.',
        ]),
      ),
    ], gap=true),

  ],
}
