"""Decoding a checkpoint: the one set of shape checks every part of it goes through.

Owns `CheckpointError` and the typed checkers (a mapping, a list, a list of N strings, an
integer ≥ 0, a finite number, a string, a boolean) that the checkpoint's files, the
tally's counters and histograms and the trackers' open transactions are read with. Each
checker names the place in the document that is wrong (`files.platform[0].offset`), so a
checkpoint set aside says why in one line. Pure: it is given the file's bytes.
"""

from __future__ import annotations

import json
import math


class CheckpointError(ValueError):
    """The checkpoint is not one this version can use; the message says where and why."""


def parse(data: bytes) -> object:
    """The JSON document; CheckpointError if it is not JSON or nested beyond reading."""
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise CheckpointError(f"not JSON ({error})") from None
    except RecursionError:
        raise CheckpointError("not JSON this exporter can read (nested too deep)") from None


def mapping(value: object, where: str) -> dict[str, object]:
    if isinstance(value, dict):
        return value
    raise _wrong(where, "a mapping", value)


def items(value: object, where: str) -> list[object]:
    if isinstance(value, list):
        return value
    raise _wrong(where, "a list", value)


def texts(value: object, where: str, size: int) -> tuple[str, ...]:
    """A list of exactly `size` strings."""
    if isinstance(value, list) and len(value) == size and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise _wrong(where, f"a list of {size} strings", value)


def count(value: object, where: str) -> int:
    """An integer ≥ 0 (a JSON `true` is not one)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise _wrong(where, "an integer ≥ 0", value)


def number(value: object, where: str) -> float:
    """A finite number."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    raise _wrong(where, "a finite number", value)


def text(value: object, where: str) -> str:
    if isinstance(value, str):
        return value
    raise _wrong(where, "a string", value)


def flag(value: object, where: str) -> bool:
    if isinstance(value, bool):
        return value
    raise _wrong(where, "true or false", value)


def _wrong(where: str, expected: str, value: object) -> CheckpointError:
    shown = repr(value)
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    return CheckpointError(f"{where}: expected {expected}, got {shown}")
