// The recording rules (rules.yml): rates, the failure ratio, the RFC 6076 KPIs,
// transaction times, timeouts, retransmissions and failures by device type, per source.
// They aggregate with `sum without (...)`, so every target label (job, instance, and the
// site a federating or remote-write receiver adds) is kept.
local r = import 'lib/rules.libsonnet';

{
  recordingGroups:: [
    r.group('sip-responses.rules', [
      r.record('source:sip_final_responses:rate2m', |||
        sum without (direction, method, code, category) (
          rate(sip_responses_total{category!="provisional"}[2m])
        )
      |||, comment=|||
        --- 2-minute rates, for the 503/408 spike alerts -------------------------------
      |||),
      r.record('source_code:sip_responses:rate2m', 'sum without (direction, method) (rate(sip_responses_total[2m]))'),
      r.record('source:sip_requests:rate5m', 'sum without (direction, method) (rate(sip_requests_total[5m]))', comment=|||
        --- 5-minute rates, for dashboards, KPIs and the slower alerts ----------------
      |||, gap=true),
      r.record('source_method:sip_requests:rate5m', 'sum without (direction) (rate(sip_requests_total[5m]))'),
      r.record('source:sip_responses:rate5m', 'sum without (direction, method, code, category) (rate(sip_responses_total[5m]))'),
      r.record('source:sip_final_responses:rate5m', |||
        sum without (direction, method, code, category) (
          rate(sip_responses_total{category!="provisional"}[5m])
        )
      |||),
      r.record('source_method:sip_responses:rate5m', 'sum without (direction, code, category) (rate(sip_responses_total[5m]))'),
      r.record('source_code:sip_responses:rate5m', 'sum without (direction, method) (rate(sip_responses_total[5m]))', comment=|||
        `category` is kept: within a source it follows from the code (one profile).
      |||),
      r.record('source_method_code:sip_responses:rate5m', 'sum without (direction) (rate(sip_responses_total[5m]))'),
      r.record('source_category:sip_responses:rate5m', 'sum without (direction, method, code) (rate(sip_responses_total[5m]))'),
      r.record('source:sip_failed_responses:rate5m', |||
        sum without (direction, method, code, category) (
          rate(sip_responses_total{category!~"provisional|success|redirect|auth|cancelled"}[5m])
        )
        or 0 * source:sip_final_responses:rate5m
      |||, comment=|||
        Failures: final responses outside success, redirect, auth (the 401/407 digest
        challenge is normal) and cancelled (487 after a user's CANCEL is normal).
      |||, gap=true),
      r.record('source:sip_response_failure:ratio_rate5m', |||
        source:sip_failed_responses:rate5m
        / (source:sip_final_responses:rate5m > 0)
      |||, comment=|||
        failure ratio = failed / final responses (absent while a source has none)
      |||),
      r.record('source:sip_final_responses:rate1h', |||
        sum without (direction, method, code, category) (
          rate(sip_responses_total{category!="provisional"}[1h])
        )
      |||, comment=|||
        --- 1-hour rates, the baseline of SIP408RisingBefore503 -----------------------
      |||, gap=true),
      r.record('source_code:sip_responses:rate1h', 'sum without (direction, method) (rate(sip_responses_total[1h]))'),
      r.record('source:sip_final_responses:avg1h_rate5m', 'avg_over_time(source:sip_final_responses:rate5m[1h])', comment=|||
        --- the source's normal volume, for SIP503SpikeRate -------------------------------
        The mean of the 5-minute rate over the last hour. Unlike rate(…[1h]), which divides
        by the whole hour, it is right as soon as a new source or Prometheus has 5 minutes
        of history.
      |||, gap=true),
    ]),
    r.group('sip-kpis.rules', [
      r.record('source:sip_invite_requests:rate5m', 'sum without (direction, method) (rate(sip_requests_total{method="INVITE"}[5m]))'),
      r.record('source:sip_invite_redirects:rate5m', |||
        sum without (direction, method, code, category) (
          rate(sip_responses_total{method="INVITE", code=~"3..", category="redirect"}[5m])
        )
        or 0 * source:sip_invite_requests:rate5m
      |||, comment=|||
        3xx that the source's catalog profile classes as redirects. In the
        gb28181-platform profile 301 (device offline) and 302 (video loss) are failures,
        not redirects, so they stay in the SER/SEER denominator.
      |||),
      r.record('source:sip_invite_answered_200:rate5m', |||
        sum without (direction, method, code, category) (
          rate(sip_responses_total{method="INVITE", code="200"}[5m])
        )
        or 0 * source:sip_invite_requests:rate5m
      |||),
      r.record('source:sip_invite_effective:rate5m', |||
        sum without (direction, method, code, category) (
          rate(sip_responses_total{method="INVITE", code=~"200|480|486|600|603"}[5m])
        )
        or 0 * source:sip_invite_requests:rate5m
      |||),
      r.record('source:sip_invite_ineffective:rate5m', |||
        sum without (direction, method, code, category) (
          rate(sip_responses_total{method="INVITE", code=~"408|500|503|504"}[5m])
        )
        or 0 * source:sip_invite_requests:rate5m
      |||),
      r.record('source:sip_ser:ratio_rate5m', |||
        source:sip_invite_answered_200:rate5m
        / ((source:sip_invite_requests:rate5m - source:sip_invite_redirects:rate5m) > 0)
      |||, comment=|||
        SER = INVITEs answered 200 / (INVITEs - INVITEs answered 3xx)
      |||, gap=true),
      r.record('source:sip_seer:ratio_rate5m', |||
        source:sip_invite_effective:rate5m
        / ((source:sip_invite_requests:rate5m - source:sip_invite_redirects:rate5m) > 0)
      |||, comment=|||
        SEER = INVITEs answered 200, 480, 486, 600 or 603 / (INVITEs - INVITEs answered 3xx)
      |||),
      r.record('source:sip_isa:ratio_rate5m', |||
        source:sip_invite_ineffective:rate5m
        / (source:sip_invite_requests:rate5m > 0)
      |||, comment=|||
        ISA = INVITEs answered 408, 500, 503 or 504 / INVITEs
      |||),
      r.record('source:sip_register_requests:rate5m', 'sum without (direction, method) (rate(sip_requests_total{method="REGISTER"}[5m]))', comment=|||
        REGISTER failure ratio (IRA-like) = REGISTERs answered 4xx except 401 and 407,
        5xx or 6xx / REGISTERs
      |||, gap=true),
      r.record('source:sip_register_failures:rate5m', |||
        sum without (direction, method, code, category) (
          rate(sip_responses_total{method="REGISTER", code=~"[456]..", code!~"401|407"}[5m])
        )
        or 0 * source:sip_register_requests:rate5m
      |||),
      r.record('source:sip_register_failure:ratio_rate5m', |||
        source:sip_register_failures:rate5m
        / (source:sip_register_requests:rate5m > 0)
      |||),
    ], comment=|||
      RFC 6076 session KPIs, per source, over 5 minutes. INVITE and REGISTER counts are
      summed over both directions: the platform's own calls (out) and the calls it
      answers (in) are each one attempt. Numerators fall back to 0 when no matching series
      exist yet; a KPI is absent while its denominator is 0.
    |||, gap=true),
    r.group('sip-transactions.rules', [
      r.record('source_direction_method_le:sip_response_duration_seconds_bucket:rate5m', 'sum without (outcome) (rate(sip_response_duration_seconds_bucket[5m]))', comment=|||
        --- Response time: request to its first final response, all outcomes together --
      |||),
      r.record('source_direction_method:sip_response_duration_seconds_count:rate5m', 'sum without (outcome) (rate(sip_response_duration_seconds_count[5m]))', comment=|||
        Answered transactions per second: the histogram's count.
      |||),
      r.record('source_direction_method:sip_response_duration_seconds:p50_rate5m', |||
        histogram_quantile(0.5, source_direction_method_le:sip_response_duration_seconds_bucket:rate5m)
        and (source_direction_method:sip_response_duration_seconds_count:rate5m > 0)
      |||),
      r.record('source_direction_method:sip_response_duration_seconds:p95_rate5m', |||
        histogram_quantile(0.95, source_direction_method_le:sip_response_duration_seconds_bucket:rate5m)
        and (source_direction_method:sip_response_duration_seconds_count:rate5m > 0)
      |||),
      r.record('source_direction_method:sip_response_duration_seconds:p99_rate5m', |||
        histogram_quantile(0.99, source_direction_method_le:sip_response_duration_seconds_bucket:rate5m)
        and (source_direction_method:sip_response_duration_seconds_count:rate5m > 0)
      |||),
      r.record('source_direction:sip_sdd_seconds:p95_rate5m', |||
        histogram_quantile(
          0.95,
          sum without (method, outcome) (
            rate(sip_response_duration_seconds_bucket{method="BYE", outcome="2xx"}[5m])
          )
        )
        and
        (
          sum without (method, outcome) (
            rate(sip_response_duration_seconds_count{method="BYE", outcome="2xx"}[5m])
          ) > 0
        )
      |||, comment=|||
        RFC 6076 SDD, Session Disconnect Delay: a BYE to its 2xx, which is the response
        time of BYE answered 2xx. (RFC 6076 also counts a BYE that times out, at the
        timeout; those are in sip_transaction_timeouts_total{method="BYE"}.)
      |||, gap=true),
      r.record('source_direction:sip_srd_seconds_count:rate5m', |||
        sum without (outcome) (
          rate(sip_session_request_delay_seconds_count{outcome=~"1xx|2xx"}[5m])
        )
      |||, comment=|||
        RFC 6076 SRD of successful session setups: an INVITE to its first response other
        than 100 when that is a 1xx (180 Ringing, 183) or a 2xx. Failed setups (3xx-6xx)
        are left out: how fast a device says 404 is not how fast video starts, and the
        failure ratio and the timeouts speak for them.
      |||, gap=true),
      r.record('source_direction:sip_srd_seconds:p95_rate5m', |||
        histogram_quantile(
          0.95,
          sum without (outcome) (
            rate(sip_session_request_delay_seconds_bucket{outcome=~"1xx|2xx"}[5m])
          )
        )
        and (source_direction:sip_srd_seconds_count:rate5m > 0)
      |||),
      r.record('source_direction:sip_srd_seconds:median6h_p95_rate5m', 'quantile_over_time(0.5, source_direction:sip_srd_seconds:p95_rate5m[6h])', comment=|||
        The baseline of SIPInviteSetupSlowing: the median, over 6 hours, of the 5-minute
        p95 above. A median moves only once more than half of its window has changed, so
        an incident does not become its own baseline for 3 hours, and one slow burst
        in the last 6 hours does not raise it (a p95 over 6 hours of buckets would
        follow 18 minutes of slowness: 5 % of the window).
      |||),
      r.record('source_direction_method:sip_transaction_timeouts:rate5m', |||
        rate(sip_transaction_timeouts_total[5m])
        or 0 * source_direction_method:sip_response_duration_seconds_count:rate5m
      |||, comment=|||
        --- Timeouts: requests without a final response within transactions.timeout ---
        0 where transactions are answered but none has timed out yet.
      |||, gap=true),
      r.record('source_direction_method:sip_ended_transactions:rate5m', |||
        source_direction_method:sip_transaction_timeouts:rate5m
        + (
          source_direction_method:sip_response_duration_seconds_count:rate5m
          or 0 * source_direction_method:sip_transaction_timeouts:rate5m
        )
      |||, comment=|||
        Transactions that ended: answered with a final response, or timed out. Both come
        from transaction matching, so a request counts once however often it was
        retransmitted, and ACK (which is never answered) is in neither.
      |||),
      r.record('source_direction_method:sip_transaction_timeout:ratio_rate5m', |||
        source_direction_method:sip_transaction_timeouts:rate5m
        / (source_direction_method:sip_ended_transactions:rate5m > 0)
      |||, comment=|||
        timeout ratio = timeouts / (timeouts + answered transactions)
      |||),
      r.record('source_method:sip_request_retransmissions:rate5m', |||
        sum without (direction, kind) (rate(sip_retransmissions_total{kind="request"}[5m]))
        or 0 * sum without (direction) (rate(sip_requests_total[5m]))
      |||, comment=|||
        --- Retransmissions, summed over directions ---------------------------------
        Requests logged again in their transaction, per request of the method (a request
        sent three times is one request and two retransmissions: 2).
      |||, gap=true),
      r.record('source_method:sip_request_retransmission:ratio_rate5m', |||
        source_method:sip_request_retransmissions:rate5m
        / (sum without (direction) (rate(sip_requests_total[5m])) > 0)
      |||),
      r.record('source_method:sip_response_retransmissions:rate5m', |||
        sum without (direction, kind) (rate(sip_retransmissions_total{kind="response"}[5m]))
        or 0 * sum without (direction, code, category) (
          rate(sip_responses_total{category!="provisional"}[5m])
        )
      |||, comment=|||
        Final responses logged again (a 200 to INVITE repeated until its ACK arrives),
        per final response of the method.
      |||),
      r.record('source_method:sip_response_retransmission:ratio_rate5m', |||
        source_method:sip_response_retransmissions:rate5m
        / (
          sum without (direction, code, category) (
            rate(sip_responses_total{category!="provisional"}[5m])
          ) > 0
        )
      |||),
    ], comment=|||
      Transactions, by the times written in the log: response times, RFC 6076 SRD and SDD,
      timeouts and retransmissions, per source and direction. `direction` is the
      request's: `in` means the platform answered, `out` that a peer (a camera, a lower
      platform) answered. Percentiles are absent while their window holds no answer, so a
      quiet method draws a gap, not NaN.
    |||, gap=true),
    r.group('sip-peers.rules', [
      r.record('source_peer_type:sip_peer_final_responses:rate5m', |||
        sum without (direction, category) (
          rate(sip_peer_responses_total{category!="provisional"}[5m])
        )
      |||),
      r.record('source_peer_type:sip_peer_failed_responses:rate5m', |||
        sum without (direction, category) (
          rate(sip_peer_responses_total{category!~"provisional|success|redirect|auth|cancelled"}[5m])
        )
        or 0 * source_peer_type:sip_peer_final_responses:rate5m
      |||),
      r.record('source_peer_type:sip_peer_response_failure:ratio_rate5m', |||
        source_peer_type:sip_peer_failed_responses:rate5m
        / (source_peer_type:sip_peer_final_responses:rate5m > 0)
      |||, comment=|||
        failure ratio by device type = failed / final responses
      |||),
    ], comment=|||
      Responses by the kind of GB/T 28181 device on the other side (peer_type), per source,
      summed over directions. Failures are the categories of the failure ratio above.
    |||, gap=true),

  ],
}
