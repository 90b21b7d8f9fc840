"""Field names guessed from a sample, for JSON and key=value logs whose names are not ours.

Owns looking at a sample's JSON objects (nested objects as dotted names) and its
`key=value` pairs (with `;`, space or `,` between pairs), and naming the field that holds
response codes (the one whose values are most often a number from 100 to 699, under a
name that says so: status, code, rs, …), and beside it the fields of the method, the
direction, the reason and the Call-ID. What it guesses becomes a candidate's settings,
which detect then tries like any other: a wrong guess simply reads less. Pure.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from exporter.events import SIP_METHODS

_LINES = 400
_CODE_NAME = re.compile(
    r"(?i)(?:^|[._ -])(?:status(?:[ _-]?code)?|code|rs|rcode|resp\w*|sip_?code)$"
)
_NAMES = {
    "method": re.compile(r"(?i)(?:^|[._ -])(?:method|rm|sip_?method|cseq_?method)$"),
    "direction": re.compile(r"(?i)(?:^|[._ -])(?:dir|direction|way)$"),
    "reason": re.compile(r"(?i)(?:^|[._ -])(?:reason|phrase|rr|reason_?phrase)$"),
    "call_id": re.compile(r"(?i)(?:^|[._ -])(?:call[_-]?id|callid|ci)$"),
}
_PAIR = {";": re.compile(r"(?:^|;)\s*([\w.-]+)=([^;]*)"),
         " ": re.compile(r"(?:^|\s)([\w.-]+)=(\S*)"),
         ",": re.compile(r"(?:^|,)\s*([\w.-]+)=([^,]*)")}  # fmt: skip


def _is_code(value: object) -> bool:
    if isinstance(value, bool):
        return False
    text = str(value).strip()
    return text.isdigit() and 100 <= int(text) <= 699


def _flat(record: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, object]]:
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _flat(value, name + ".")
        else:
            yield name, value


def _json_records(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    for line in lines:
        start = line.find("{")
        if start < 0:
            continue
        try:
            record = json.loads(line[start:])
        except ValueError:
            continue
        if isinstance(record, dict):
            yield record


def _fields(records: Iterable[Iterable[tuple[str, object]]]) -> dict[str, str] | None:
    """The field names guessed from records given as (name, value) pairs."""
    codes: Counter[str] = Counter()
    values: dict[str, Counter[str]] = {}
    for record in records:
        for name, value in record:
            if _is_code(value) and _CODE_NAME.search(name):
                codes[name] += 1
            values.setdefault(name, Counter())[str(value).strip()] += 1
    if not codes:
        return None
    found = {"code": codes.most_common(1)[0][0]}
    for role, pattern in _NAMES.items():
        named = [n for n in values if pattern.search(n) and n != found["code"]]
        if role == "method":
            named = [n for n in named if any(v.upper() in SIP_METHODS for v in values[n])]
        if named:
            found[role] = max(named, key=lambda n: sum(values[n].values()))
    return found


def json_fields(text: str) -> dict[str, str] | None:
    """The JSON field names of code, method, direction, reason and Call-ID, if any holds codes."""
    records = _json_records(text.splitlines()[:_LINES])
    return _fields(_flat(record) for record in records)


def kv_settings(text: str) -> dict[str, Any] | None:
    """The pair separator and field names of key=value lines, if any field holds codes."""
    lines = [line for line in text.splitlines()[:_LINES] if "=" in line]
    best: tuple[int, dict[str, Any]] | None = None
    for separator, pair in _PAIR.items():
        records = [[(m[1], m[2]) for m in pair.finditer(line)] for line in lines]
        fields = _fields(records)
        if fields is None:
            continue
        hits = sum(1 for record in records for name, value in record
                   if name == fields["code"] and _is_code(value))  # fmt: skip
        if best is None or hits > best[0]:
            best = (hits, {"pair_separator": separator, "fields": fields})
    return None if best is None else best[1]
