"""The landing page's JSON twin at `/api/v1/status`: the same data, for scripts and tests.

Owns the document's shape (docs/status-api.md describes it): label values as the metrics
spell them (not translated), explanations in both languages, durations in seconds, counts
over the window the query names. Pure: a `Status` in, plain data out.
"""

from __future__ import annotations

from typing import Any

from exporter.catalog import Explanation
from exporter.serve.status import CodeStatus, SourceState, Split, Status

FORMAT_VERSION = 1


def as_json(status: Status) -> dict[str, Any]:
    return {
        "version": FORMAT_VERSION,
        "exporter_version": status.version,
        "generated_at": status.now,
        "ready": status.ready,
        "window": {
            "name": status.window,
            "minutes": status.minutes,
            "trend_step_minutes": status.slot_minutes,
        },
        "sources": [_source(s) for s in status.sources],
        "codes": [_code(c) for c in status.codes],
    }


def _code(code: CodeStatus) -> dict[str, Any]:
    info = code.info
    return {
        "code": code.code,
        "profile": code.profile,
        "count": code.count,
        "trend": list(code.trend),
        "first_seen": code.since,
        "reason": info.reason if info else None,
        "category": info.category if info else None,
        "severity": info.severity if info else None,
        "user": _explained(info.user) if info else None,
        "engineer": _explained(info.engineer) if info else None,
        "check_first": _explained(info.check_first) if info and info.check_first else None,
        "by_method": _split(code.methods, ("method", "direction")),
        "by_device": _split(code.devices, ("peer_type",)),
        "by_source": _split(code.sources, ("source",)),
        "top_peers": [
            {"peer": p.peer, "peer_type": p.peer_type, "source": p.source, "failures": p.failures}
            for p in code.peers
        ],
    }


def _source(source: SourceState) -> dict[str, Any]:
    return {
        "name": source.name,
        "format": source.format,
        "profile": source.profile,
        "patterns": list(source.patterns),
        "files": list(source.files),
        "state": source.state,
        "silent": source.silent,
        "lag_bytes": source.lag_bytes,
        "last_record": source.last_record or None,
        "responses": source.responses,
        "failures": source.failures,
        "trend": list(source.trend),
        "srd_p95_seconds": source.srd_p95,
        "srd_count": source.srd_count,
        "methods": [
            {
                "method": t.method,
                "answered": t.answered,
                "p95_seconds": t.p95,
                "timeouts": t.timeouts,
                "retransmissions": t.retransmissions,
            }
            for t in source.timings
        ],
        "timeouts": source.timeouts,
        "retransmissions": source.retransmissions,
        "open_transactions": source.open_transactions,
        "open_sessions": source.open_sessions,
    }


def _split(split: Split, names: tuple[str, ...]) -> dict[str, Any]:
    top = [
        {**dict(zip(names, share.names, strict=True)), "count": share.count} for share in split.top
    ]
    return {"top": top, "rest": split.rest}


def _explained(explanation: Explanation) -> dict[str, str]:
    return {"zh": explanation.zh, "en": explanation.en}
