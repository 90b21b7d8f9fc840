"""The metric contract: every metric the exporter serves, with its type, labels and help.

Owns the public API that dashboards, alerts and queries depend on (DESIGN §3). Change it
only with a CHANGELOG entry; the README's metric reference is checked against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class Metric:
    name: str
    kind: Literal["counter", "gauge", "histogram"]
    labels: tuple[str, ...]
    help: str
    # Upper bounds of a histogram's buckets, in seconds (+Inf is implied).
    buckets: tuple[float, ...] = ()


# From 10 ms (a platform answering from memory) to 32 s (Timer B/F: 64 x T1, when a
# transaction gives up): the range in which SIP answers arrive.
RESPONSE_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
# From a second to a day: GB28181 live views last minutes, recordings and cascades hours.
SESSION_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0,
                   7200.0, 14400.0, 43200.0, 86400.0)  # fmt: skip


RESPONSES = Metric(
    "sip_responses_total",
    "counter",
    ("source", "direction", "method", "code", "category"),
    "SIP responses (and platform error codes) seen in the logs.",
)
REQUESTS = Metric(
    "sip_requests_total",
    "counter",
    ("source", "direction", "method"),
    "SIP requests seen in the logs.",
)
CODE_INFO = Metric(
    "sip_response_code_info",
    "gauge",
    (
        "code",
        "profile",
        "category",
        "severity",
        "reason",
        "user_zh",
        "user_en",
        "engineer_zh",
        "engineer_en",
    ),
    "The response code catalog: what each code means, for users and engineers, in zh and en.",
)
BUILD_INFO = Metric(
    "sip_exporter_build_info",
    "gauge",
    ("version", "python_version", "native"),
    "The exporter's version, and whether SIP dumps are framed by the C extension; always 1.",
)
LINES = Metric("sip_exporter_lines_total", "counter", ("source",), "Complete lines read.")
BYTES = Metric("sip_exporter_bytes_total", "counter", ("source",), "Bytes read from log files.")
RECORDS = Metric(
    "sip_exporter_records_total",
    "counter",
    ("source", "result"),
    "Records found: matched (counted), malformed (looked like a record but could not be read), "
    "ignored (well-formed but outside what the source counts).",
)
TRUNCATED_LINES = Metric(
    "sip_exporter_lines_truncated_total",
    "counter",
    ("source",),
    "Lines longer than max_line_bytes, cut at that length.",
)
SUSPICIOUS = Metric(
    "sip_exporter_suspicious_records_total",
    "counter",
    ("source",),
    "Responses counted with a code outside 100-699 that the catalog does not know "
    '(code="other"): the field may hold something other than a SIP code.',
)
ROTATIONS = Metric(
    "sip_exporter_rotations_total",
    "counter",
    ("source",),
    "Followed files renamed or deleted (rotation).",
)
TRUNCATIONS = Metric(
    "sip_exporter_truncations_total",
    "counter",
    ("source",),
    "Followed files truncated (copytruncate) and read again from the start.",
)
READ_ERRORS = Metric(
    "sip_exporter_read_errors_total",
    "counter",
    ("source",),
    "Errors finding, opening or reading files; each is retried on the next pass.",
)
SERIES_DROPPED = Metric(
    "sip_exporter_series_dropped_total",
    "counter",
    ("metric",),
    "Records whose label set the cardinality guard refused; they are counted in the "
    "metric's overflow series instead.",
)
CHECKPOINT_SAVES = Metric(
    "sip_exporter_checkpoint_saves_total", "counter", (), "Checkpoints written."
)
CHECKPOINT_ERRORS = Metric(
    "sip_exporter_checkpoint_errors_total",
    "counter",
    (),
    "Checkpoints that could not be written, or could not be read at start and were set aside.",
)
FILES = Metric("sip_exporter_files", "gauge", ("source",), "Files being followed.")
LAG = Metric(
    "sip_exporter_lag_bytes",
    "gauge",
    ("source",),
    "Bytes written to followed files and not read yet.",
)
LAST_RECORD = Metric(
    "sip_exporter_last_record_timestamp_seconds",
    "gauge",
    ("source",),
    "Unix time at which the source's last record was read (0: none yet).",
)
# As the Prometheus server names its own (prometheus_config_last_reload_*).
CONFIG_RELOAD_OK = Metric(
    "sip_exporter_config_last_reload_successful",
    "gauge",
    (),
    "Whether the last load of the config file (at start, SIGHUP or POST /-/reload) "
    "succeeded (1), or failed and the running config is kept (0).",
)
CONFIG_RELOAD_TIME = Metric(
    "sip_exporter_config_last_reload_success_timestamp_seconds",
    "gauge",
    (),
    "Unix time at which the config in force was loaded.",
)
# Only with --web.config.file.
WEB_CONFIG_RELOAD_OK = Metric(
    "sip_exporter_web_config_last_reload_successful",
    "gauge",
    (),
    "Whether the web config file (and the TLS files it names) as it is now is in force "
    "(1), or is unusable and the last valid one is kept (0).",
)
WEB_CONFIG_RELOAD_TIME = Metric(
    "sip_exporter_web_config_last_reload_success_timestamp_seconds",
    "gauge",
    (),
    "Unix time at which the web config in force was applied.",
)

RESPONSE_DURATION = Metric(
    "sip_response_duration_seconds",
    "histogram",
    ("source", "direction", "method", "outcome"),
    "Time from a request to its first final response, by the times written in the log; "
    "direction is the request's, outcome the final response's class (2xx-6xx).",
    RESPONSE_BUCKETS,
)
SESSION_REQUEST_DELAY = Metric(
    "sip_session_request_delay_seconds",
    "histogram",
    ("source", "direction", "outcome"),
    "RFC 6076 SRD: time from an INVITE to its first response other than 100, by the times "
    "written in the log; outcome is that response's class (1xx-6xx).",
    RESPONSE_BUCKETS,
)
SESSION_DURATION = Metric(
    "sip_session_duration_seconds",
    "histogram",
    ("source", "direction"),
    "RFC 6076 SDT: time from the 2xx answering an INVITE to the BYE ending that dialog; "
    "direction is the INVITE's.",
    SESSION_BUCKETS,
)
TIMEOUTS = Metric(
    "sip_transaction_timeouts_total",
    "counter",
    ("source", "direction", "method"),
    "Requests without a final response within the transaction timeout (Timer B/F, 32 s), "
    "by the times written in the log: the 408 that never appears on the wire.",
)
RETRANSMISSIONS = Metric(
    "sip_retransmissions_total",
    "counter",
    ("source", "direction", "method", "kind"),
    "Requests and final responses logged again within their transaction (counted once in "
    "sip_requests_total and sip_responses_total, and here for every repeat).",
)
PEER_RESPONSES = Metric(
    "sip_peer_responses_total",
    "counter",
    ("source", "direction", "peer_type", "category"),
    "SIP responses by the kind of GB/T 28181 device on the other side (type code of its "
    "20-digit ID; other: a type outside the standard's table; unknown: not such an ID).",
)
PEER_TOP_FAILURES = Metric(
    "sip_peer_top_failures",
    "gauge",
    ("source", "peer", "peer_type"),
    "The peers with most failures (4xx-6xx responses and transaction timeouts) in the last "
    "top_peers.window: at most top_peers.count series per source.",
)
OPEN_TRANSACTIONS = Metric(
    "sip_exporter_open_transactions",
    "gauge",
    ("source",),
    "Transactions held for matching: waiting for a final response, or answered and kept "
    "for their retransmissions until the timeout.",
)
SOURCE_SILENT = Metric(
    "sip_exporter_source_silent",
    "gauge",
    ("source", "reason"),
    "1 while a source reads nothing: no file matches its paths (no_files), or its files "
    "give lines but no record since it started (no_records).",
)
OPEN_SESSIONS = Metric(
    "sip_exporter_open_sessions",
    "gauge",
    ("source",),
    "Answered INVITE dialogs held until their BYE, for the session duration.",
)
TRACKING_EVICTIONS = Metric(
    "sip_exporter_tracking_evictions_total",
    "counter",
    ("source", "table"),
    "Entries dropped, oldest first, because a table (transactions, sessions) was full.",
)
UNMATCHED = Metric(
    "sip_exporter_unmatched_total",
    "counter",
    ("source", "reason"),
    "Messages that transaction matching could not use: no_time (no time stamp readable), "
    "no_ids (no Call-ID or CSeq), no_request (a final response whose request was not seen).",
)

# Counters whose label values come from log content: the cardinality guard bounds them.
GUARDED = (RESPONSES, REQUESTS)
COUNTERS = (
    RESPONSES,
    REQUESTS,
    TIMEOUTS,
    RETRANSMISSIONS,
    PEER_RESPONSES,
    LINES,
    BYTES,
    RECORDS,
    TRUNCATED_LINES,
    SUSPICIOUS,
    ROTATIONS,
    TRUNCATIONS,
    READ_ERRORS,
    SERIES_DROPPED,
    CHECKPOINT_SAVES,
    CHECKPOINT_ERRORS,
    TRACKING_EVICTIONS,
    UNMATCHED,
)
HISTOGRAMS = (RESPONSE_DURATION, SESSION_REQUEST_DELAY, SESSION_DURATION)
GAUGES = (FILES, LAG, LAST_RECORD, OPEN_TRANSACTIONS, OPEN_SESSIONS, SOURCE_SILENT)
# Counters about the running service rather than the logs read (left out of `replay`).
SERVICE_ONLY = (CHECKPOINT_SAVES, CHECKPOINT_ERRORS)
ALL = (
    RESPONSES,
    REQUESTS,
    *HISTOGRAMS,
    TIMEOUTS,
    RETRANSMISSIONS,
    PEER_RESPONSES,
    PEER_TOP_FAILURES,
    CODE_INFO,
    BUILD_INFO,
    *COUNTERS[5:],
    *GAUGES,
    CONFIG_RELOAD_OK,
    CONFIG_RELOAD_TIME,
    WEB_CONFIG_RELOAD_OK,
    WEB_CONFIG_RELOAD_TIME,
)
