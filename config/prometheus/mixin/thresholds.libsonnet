// The alert thresholds as constant series (thresholds.yml), one recording rule each, with
// the values of _config.thresholds. The alerts compare against them and the dashboards
// draw them as threshold lines.
local r = import 'lib/rules.libsonnet';

{
  local threshold(name, comment=null, gap=false) = r.threshold($._config, name, comment, gap),

  thresholdGroups:: [
    r.group('sip-alert-thresholds', [
      threshold('min_final_responses_rate', comment=|||
        Minimum traffic guard: the 503/408 alerts stay quiet while a source sees fewer
        final (non-1xx) responses per second than this, over the alert's window, so two
        requests on a quiet system (one of them a 503: "50 %") never page anyone.
        0.2/s = 24 final responses in the 2-minute window.
      |||),
      threshold('503_ratio', comment=|||
        503 Service Unavailable: share of all final responses (SIP503SpikeRatio)…
      |||, gap=true),
      threshold('503_rate', comment=|||
        …and rate per second (SIP503SpikeRate): above a floor (0.5/s = 30 a minute)…
      |||),
      threshold('503_rate_share_of_normal', comment=|||
        …and above this share of the source's final responses per second over the last
        hour, so a platform answering 1000/s does not page for 0.5/s of 503 (0.05 %).
        The two meet at 50 final responses a second: below that the floor decides.
      |||),
      threshold('408_ratio', comment=|||
        408 Request Timeout: share of all final responses (SIP408SpikeRatio)…
      |||, gap=true),
      threshold('408_rate', comment=|||
        …and rate per second (SIP408SpikeRate): above a floor (0.5/s = 30 a minute)…
      |||),
      threshold('408_rate_share_of_normal', comment=|||
        …and above this share of the source's final responses per second over the last
        hour: twice 503's, since a large platform always sees some 408s (keepalives and
        queries to cameras that went offline). The two meet at 25 final responses a
        second: below that the floor decides.
      |||),
      threshold('408_rising_factor', comment=|||
        SIP408RisingBefore503: the 408 share over the last 5 minutes is this many times
        its share over the last hour…
      |||, gap=true),
      threshold('408_rising_min_ratio', comment=|||
        …and at least this share, so a rise from 0.01 % to 0.05 % stays quiet.
      |||),
      threshold('device_offline_rate', comment=|||
        SIPDeviceOfflineSurge: 301 Device Offline responses per second (5-minute rate;
        0.1/s = 30 in 5 minutes).
      |||, gap=true),
      threshold('routing_failure_rate', comment=|||
        SIPRoutingFailures: 431, 434 or 499 responses per second, each code on its own
        (0.02/s = 6 in 5 minutes).
      |||),
      threshold('permission_failure_rate', comment=|||
        SIPPermissionFailures: 403 or 433 responses per second, each code on its own.
      |||),
      threshold('invite_srd_p95_seconds', comment=|||
        SIPInviteSetupSlowing: the INVITE setup delay (RFC 6076 SRD of successful
        setups), p95 over 5 minutes in seconds, is above this…
      |||, gap=true),
      threshold('invite_srd_baseline_factor', comment=|||
        …and this many times its baseline (the median of the 5-minute p95 over 6 hours)…
      |||),
      threshold('min_invite_srd_rate', comment=|||
        …while at least this many successful setups per second are seen (0.1/s = 30 in
        5 minutes), so three slow calls on a quiet system do not warn.
      |||),
      threshold('transaction_timeout_ratio', comment=|||
        SIPTransactionTimeoutsHigh: share of a method's transactions, per direction, that
        got no final response within transactions.timeout (timeouts / (timeouts +
        answered), 5 minutes)…
      |||, gap=true),
      threshold('min_transactions_rate', comment=|||
        …while at least this many of them end per second (answered or timed out; 0.1/s =
        30 in 5 minutes).
      |||),
      threshold('source_silence_seconds', comment=|||
        SIPExporterSourceSilent: seconds since a source's last record, while its files
        are not growing (900 s = 15 minutes).
      |||, gap=true),
      threshold('parse_error_ratio', comment=|||
        SIPExporterParseErrorsHigh: share of a source's records that are malformed…
      |||),
      threshold('parse_error_min_rate', comment=|||
        …while at least this many malformed records per second are seen (0.01/s = 6 in
        10 minutes), so one bad line among ten does not warn.
      |||),
    ]),

  ],
}
