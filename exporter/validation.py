"""Reading a settings file's values: what every settings file shares.

Owns `ConfigError` (every problem of a file, each as `FILE: KEY: problem; fix`), a file's
bytes as UTF-8 text, and the `Checker` that reads values and collects problems while it
does, so that a user sees all of them at once and the same mistake reads the same in the
config, the web config and a catalog file (`exporter.settings_yaml` reads the YAML).
Pure: it takes text, never the file.
"""

from __future__ import annotations

import difflib
import math
import re
import reprlib
from collections.abc import Collection, Mapping
from typing import Any

# The longest duration any setting takes (30 days): beyond it a wait or a window is a typo.
MAX_DURATION = 720 * 3600.0
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_SHOWN = reprlib.Repr()
_SHOWN.maxstring = _SHOWN.maxother = 60


class ConfigError(Exception):
    """Everything wrong with a settings file, one line per problem."""

    def __init__(self, filename: str, problems: list[tuple[str, str]]) -> None:
        self.filename = filename
        self.problems = tuple(problems)
        self.lines = tuple(describe(filename, key, message) for key, message in problems)
        super().__init__("\n".join(self.lines))


def describe(filename: str, key: str, message: str) -> str:
    """One problem as users read it: `FILE: KEY: problem; fix` (no key: the whole file)."""
    return f"{filename}: {key}: {message}" if key else f"{filename}: {message}"


def decode(data: bytes, filename: str) -> str:
    """A settings file's bytes as text; `ConfigError` if they are not UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(
            filename,
            [("", f"not UTF-8 text (byte {error.start}); save the file as UTF-8")],
        ) from None


def kind(value: object) -> str:
    """What a value is, in a user's words."""
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return "a string" if value.strip() else "an empty string"
    names: dict[type, str] = {bool: "true or false", int: "a number", float: "a number"}
    names.update({dict: "a mapping", list: "a list"})
    return names.get(type(value), "a value")


def shown(value: object) -> str:
    """A value quoted in a message, cut short: a value can be any size."""
    return _SHOWN.repr(value)


def listing(names: Collection[str]) -> str:
    """Names in a message: in their given order if they have one, else sorted."""
    return ", ".join(names if isinstance(names, (list, tuple)) else sorted(names))


def unknown_key(name: str, allowed: Collection[str]) -> str:
    """The message for a key that is not one of `allowed`, with the nearest as a hint."""
    near = difflib.get_close_matches(name, list(allowed), n=1)
    if near:
        return f"unknown key; did you mean '{near[0]}'? (allowed: {listing(allowed)})"
    return f"unknown key; allowed: {listing(allowed)}"


def not_one_of(value: object, choices: Collection[str]) -> str:
    return f"{shown(value)} is not one of: {listing(choices)}"


def duration(value: object) -> float | str:
    """Seconds, or what is wrong with `value` as a duration (`500ms`, `5s`, `2m`, `1h`)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return f"{shown(value)} has no unit; write it with one, like {shown(value)}s or 500ms"
    match = _DURATION.fullmatch(str(value).strip()) if isinstance(value, str) else None
    if match is None:
        return f"{shown(value)} is not a duration; write it with a unit, like 500ms, 5s or 2m"
    seconds = float(match[1]) * _UNITS[match[2]]
    if seconds <= 0:
        return f"{value} is not above zero; use a duration such as 500ms or 5s"
    if seconds > MAX_DURATION:
        return f"{value} is longer than {MAX_DURATION / 3600:.0f}h; use a shorter duration"
    return seconds


class Checker:
    """Reads a file's values, collecting problems so that all are reported at once; each
    reader returns a usable default after a problem, so that reading can go on."""

    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []

    def fail(self, key: str, message: str) -> None:
        self.problems.append((key, message))

    def mapping(
        self,
        key: str,
        value: object,
        allowed: Collection[str] = (),
        *,
        optional: bool = True,
        unsupported: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """A section's keys (as text) and values; with `allowed`, other keys are problems
        (`unsupported` ones with their own reason)."""
        if value is None and optional:
            return {}
        if not isinstance(value, dict):
            self.fail(key or "(top level)", f"expected a mapping, got {kind(value)}")
            return {}
        # YAML reads an unquoted 486 as a number: keep the key as the text it was written as.
        section = {k if isinstance(k, str) else str(k): v for k, v in value.items()}
        prefix = f"{key}." if key else ""
        for name in section:
            if unsupported and name in unsupported:
                self.fail(prefix + name, unsupported[name])
            elif allowed and name not in allowed:
                self.fail(prefix + name, unknown_key(name, allowed))
        return section

    def text(
        self, key: str, value: object, default: str | None = None, *, blank: bool = False
    ) -> str | None:
        """A non-empty string, as written; all blanks (a separator) only with `blank`."""
        if value is None:
            return default
        if not isinstance(value, str) or not (value if blank else value.strip()):
            self.fail(key, f"expected a non-empty string, got {kind(value)}")
            return default
        if "\0" in value:
            self.fail(key, "contains a NUL character, which no name or path can; remove it")
            return default
        return value

    def strings(self, key: str, value: object, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        """A list of non-empty strings (numbers read as their text); one string is a list."""
        if value is None:
            return default
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(_textual(v) for v in items):
            self.fail(key, f"expected a list of non-empty strings, got {kind(value)}")
            return default
        if any("\0" in str(v) for v in items):
            self.fail(key, "contains a NUL character, which no name or path can; remove it")
            return default
        return tuple(str(v) for v in items)

    def choice(self, key: str, value: object, choices: Collection[str], default: str) -> str:
        if value is None:
            return default
        if isinstance(value, str) and value in choices:
            return value
        self.fail(key, not_one_of(value, choices))
        return default

    def duration(self, key: str, value: object, default: float) -> float:
        if value is None:
            return default
        seconds = duration(value)
        if isinstance(seconds, str):
            self.fail(key, seconds)
            return default
        return seconds

    def integer(self, key: str, value: object, default: int, minimum: int) -> int:
        if value is None:
            return default
        if isinstance(value, int) and not isinstance(value, bool) and value >= minimum:
            return value
        self.fail(key, f"{shown(value)} is not a whole number of at least {minimum}")
        return default

    def boolean(self, key: str, value: object, default: bool) -> bool:
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        self.fail(key, f"{shown(value)} is not true or false")
        return default


def _textual(value: object) -> bool:
    return (isinstance(value, str) and bool(value.strip())) or (
        isinstance(value, int) and not isinstance(value, bool)
    )
