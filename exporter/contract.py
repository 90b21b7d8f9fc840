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
    kind: Literal["counter", "gauge"]
    labels: tuple[str, ...]
    help: str


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
    ("version", "python_version"),
    "The exporter's version; always 1.",
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

# Counters whose label values come from log content: the cardinality guard bounds them.
GUARDED = (RESPONSES, REQUESTS)
COUNTERS = (
    RESPONSES,
    REQUESTS,
    LINES,
    BYTES,
    RECORDS,
    TRUNCATED_LINES,
    ROTATIONS,
    TRUNCATIONS,
    READ_ERRORS,
    SERIES_DROPPED,
    CHECKPOINT_SAVES,
    CHECKPOINT_ERRORS,
)
GAUGES = (FILES, LAG, LAST_RECORD)
# Counters about the running service rather than the logs read (left out of `replay`).
SERVICE_ONLY = (CHECKPOINT_SAVES, CHECKPOINT_ERRORS)
ALL = (RESPONSES, REQUESTS, CODE_INFO, BUILD_INFO, *COUNTERS[2:], *GAUGES)
