"""Building the on-call status from the page's memory, the sources and the catalog.

Owns how one window of `recent.Observed` becomes a `status.Status`: the keys that grew
grouped per code (and the catalog profile of its source) and per source, the splits cut
to the top few with the rest summed, the trends summed per code, the p95s estimated from
the histograms' buckets; sources that read nothing first, codes most severe first, then by
count. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from exporter import contract
from exporter.count.peers import is_failure
from exporter.serve.families import SourceGauges
from exporter.serve.history import Key
from exporter.serve.quantile import histogram_quantile
from exporter.serve.recent import (
    DEVICES,
    DURATION,
    RESPONSES,
    RETRANSMISSIONS,
    SRD,
    TIMEOUTS,
    Observed,
)
from exporter.serve.status import (
    QUANTILE,
    SEVERITIES,
    TOP,
    CodeStatus,
    Lookup,
    Peer,
    Share,
    SourceInput,
    SourceState,
    Split,
    Status,
    Timing,
)

_BUCKETS = contract.RESPONSE_BUCKETS


def build(
    observed: Observed,
    sources: Sequence[SourceInput],
    lookup: Lookup,
    *,
    version: str,
    now: float,
    ready: bool,
    window: str,
) -> Status:
    by_kind = _by_kind(observed.grown)
    profiles = {s.name: s.profile for s in sources}
    return Status(
        version,
        now,
        ready,
        window,
        observed.minutes,
        observed.slot_minutes,
        _sources(observed, by_kind, sources),
        _codes(observed, by_kind, profiles, lookup, now),
    )


def _by_kind(grown: Mapping[Key, int]) -> dict[str, list[tuple[Key, int]]]:
    kinds: dict[str, list[tuple[Key, int]]] = {}
    for key, n in grown.items():
        kinds.setdefault(key[0], []).append((key, n))
    return kinds


def _codes(
    observed: Observed,
    by_kind: Mapping[str, list[tuple[Key, int]]],
    profiles: Mapping[str, str],
    lookup: Lookup,
    now: float,
) -> tuple[CodeStatus, ...]:
    grouped: dict[tuple[str, str], dict[str, dict[tuple[str, ...], int]]] = {}
    for (_, source, direction, method, code), n in by_kind.get(RESPONSES, ()):
        if source not in profiles:
            continue  # removed by a reload: its counters are gone from /metrics too
        parts = grouped.setdefault((code, profiles[source]), {})
        _count(parts.setdefault("methods", {}), (method, direction), n)
        _count(parts.setdefault("sources", {}), (source,), n)
    for (_, source, code, peer_type), n in by_kind.get(DEVICES, ()):
        found = grouped.get((code, profiles.get(source, "")))
        if found is not None:
            _count(found.setdefault("devices", {}), (peer_type,), n)
    trends = _code_trends(observed, profiles)
    codes = [
        CodeStatus(
            code,
            profile,
            sum(parts["sources"].values()),
            trends.get((code, profile), ()),
            _split(parts["methods"]),
            _split(parts.get("devices", {})),
            _split(parts["sources"]),
            _peers(observed, code, parts["sources"]),
            lookup(code, profile) if profile else None,
            _since(trends.get((code, profile), ()), observed, now),
        )
        for (code, profile), parts in grouped.items()
    ]
    return tuple(sorted(codes, key=_importance))


def _code_trends(
    observed: Observed, profiles: Mapping[str, str]
) -> dict[tuple[str, str], tuple[int, ...]]:
    trends: dict[tuple[str, str], list[int]] = {}
    for key, points in observed.trends.items():
        if len(key) == 2:
            pair = (key[1], profiles.get(key[0], ""))
            summed = trends.setdefault(pair, [0] * observed.points)
            for i, n in enumerate(points):
                summed[i] += n
    return {pair: tuple(points) for pair, points in trends.items()}


def _since(trend: Sequence[int], observed: Observed, now: float) -> float | None:
    """When the first trend point holding the code starts (to the minute)."""
    first = next((i for i, n in enumerate(trend) if n), None)
    if first is None:
        return None
    window_start = (int(now // 60) - observed.minutes + 1) * 60.0
    return window_start + first * observed.slot_minutes * 60.0


def _peers(observed: Observed, code: str, sources: Iterable[tuple[str, ...]]) -> tuple[Peer, ...]:
    found = [
        Peer(r.peer, r.peer_type, source, r.failures)
        for (source,) in sources
        for r in observed.peers.get((source, code), ())
    ]
    return tuple(sorted(found, key=lambda p: (-p.failures, p.peer, p.source))[:TOP])


def _importance(code: CodeStatus) -> tuple[int, int, str, str]:
    rank = SEVERITIES.index(code.severity) if code.severity in SEVERITIES else len(SEVERITIES)
    return rank, -code.count, code.code, code.profile


def _count(parts: dict[tuple[str, ...], int], names: tuple[str, ...], n: int) -> None:
    parts[names] = parts.get(names, 0) + n


def _split(parts: Mapping[tuple[str, ...], int]) -> Split:
    ranked = sorted(parts.items(), key=lambda item: (-item[1], item[0]))
    return Split(tuple(Share(n, c) for n, c in ranked[:TOP]), sum(c for _, c in ranked[TOP:]))


def _sources(
    observed: Observed,
    by_kind: Mapping[str, list[tuple[Key, int]]],
    sources: Sequence[SourceInput],
) -> tuple[SourceState, ...]:
    per: dict[str, dict[str, list[tuple[Key, int]]]] = {}
    for kind, rows in by_kind.items():
        for key, n in rows:
            per.setdefault(key[1], {}).setdefault(kind, []).append((key, n))
    quiet = [0] * observed.points
    states = [
        _source(s, per.get(s.name, {}), tuple(observed.trends.get((s.name,), quiet)))
        for s in sources
    ]
    return tuple(sorted(states, key=lambda s: not s.silent))  # stable: config order within


def _source(
    source: SourceInput, grown: Mapping[str, list[tuple[Key, int]]], trend: tuple[int, ...]
) -> SourceState:
    responses = grown.get(RESPONSES, [])
    srd = _buckets((int(key[2]), n) for key, n in grown.get(SRD, ()))
    gauges = source.gauges
    return SourceState(
        source.name,
        source.format,
        source.profile,
        source.patterns,
        source.files,
        _state(gauges),
        gauges.lag_bytes,
        gauges.last_record,
        sum(n for _, n in responses),
        sum(n for key, n in responses if is_failure(key[4])),
        trend,
        histogram_quantile(QUANTILE, _BUCKETS, srd),
        srd[-1],
        _timings(grown),
        sum(n for _, n in grown.get(TIMEOUTS, ())),
        sum(n for _, n in grown.get(RETRANSMISSIONS, ())),
        gauges.open_transactions,
        gauges.open_sessions,
    )


def _state(gauges: SourceGauges) -> str:
    if gauges.silent:
        return gauges.silent  # no silent zero: the words say why it counts nothing
    if gauges.files == 0:
        return "waiting"
    return "catching_up" if gauges.lag_bytes > 0 else "following"


def _timings(grown: Mapping[str, list[tuple[Key, int]]]) -> tuple[Timing, ...]:
    buckets: dict[str, list[tuple[int, int]]] = {}
    for key, n in grown.get(DURATION, ()):
        buckets.setdefault(key[2], []).append((int(key[3]), n))
    timeouts: dict[str, int] = {}
    for key, n in grown.get(TIMEOUTS, ()):
        timeouts[key[3]] = timeouts.get(key[3], 0) + n
    repeated: dict[str, int] = {}
    for key, n in grown.get(RETRANSMISSIONS, ()):
        repeated[key[3]] = repeated.get(key[3], 0) + n
    timings = []
    for method in sorted({*buckets, *timeouts, *repeated}):
        counts = _buckets(buckets.get(method, ()))
        p95 = histogram_quantile(QUANTILE, _BUCKETS, counts)
        timings.append(
            Timing(method, counts[-1], p95, timeouts.get(method, 0), repeated.get(method, 0))
        )
    return tuple(timings)


def _buckets(rows: Iterable[tuple[int, int]]) -> list[int]:
    """Cumulative counts per bucket (+Inf last) from what each `le` bucket grew by."""
    counts = [0] * (len(_BUCKETS) + 1)
    for index, n in rows:
        if 0 <= index < len(counts):
            counts[index] += n
    return counts
