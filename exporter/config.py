"""The YAML configuration, validated into frozen values.

Owns the config schema: every key, its default, and what is wrong with a value. A bad
config yields every problem at once, each with the file, the key path and what would be
right (`ConfigError`); nothing here raises anything else. Pure: it takes the file's text,
never the file.
"""

from __future__ import annotations

import codecs
import difflib
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from exporter.count.transactions import Settings as TransactionSettings
from exporter.events import SIP_METHODS, Direction
from exporter.formats.options import (
    FORMAT_NAMES,
    FieldNames,
    FormatOptions,
    JsonOptions,
    KeyValueOptions,
    RegexOptions,
    SipOptions,
    WvpOptions,
)
from exporter.validation import Checker, ConfigError, kind, load_yaml

EXEMPLAR_MODES = ("call_id", "hash", "off")
# The hard limit of `top_peers.count`: each ranked peer is a series.
MAX_TOP_PEERS = 100


@dataclass(frozen=True, slots=True)
class SourceConfig:
    name: str
    paths: tuple[str, ...]
    format: FormatOptions
    exclude: tuple[str, ...] = ()
    profile: str | None = None
    start_at: str = "end"
    poll_only: bool = False
    # Match requests with responses (formats that log Call-ID and CSeq: sip by default).
    transactions: bool = False


@dataclass(frozen=True, slots=True)
class Precreate:
    codes: tuple[str, ...] = ("408", "503")
    methods: tuple[str, ...] = ("INVITE", "REGISTER", "MESSAGE")
    directions: tuple[str, ...] = ("in", "out")


@dataclass(frozen=True, slots=True)
class Transactions:
    settings: TransactionSettings = field(default_factory=TransactionSettings)
    exemplars: str = "call_id"


@dataclass(frozen=True, slots=True)
class TopPeers:
    count: int = 10
    window: float = 900.0


@dataclass(frozen=True, slots=True)
class Config:
    sources: tuple[SourceConfig, ...]
    checkpoint_file: str | None = None
    checkpoint_interval: float = 5.0
    poll_interval: float = 1.0
    max_line_bytes: int = 65536
    rotate_wait: float = 5.0
    flush_after: float = 1.0
    catalog_file: str | None = None
    default_profile: str | None = None
    precreate: Precreate = field(default_factory=Precreate)
    max_series_per_metric: int = 10000
    transactions: Transactions = field(default_factory=Transactions)
    top_peers: TopPeers = field(default_factory=TopPeers)


_TOP_KEYS = {
    "checkpoint", "poll_interval", "max_line_bytes", "rotate_wait", "flush_after",
    "catalog", "precreate", "max_series_per_metric", "sources", "transactions", "top_peers",
}  # fmt: skip
_SOURCE_KEYS = {"name", "paths", "exclude", "format", "encoding", "profile", "start_at",
                "poll_only", "transactions"}  # fmt: skip
_FORMAT_KEYS: dict[str, set[str]] = {
    "sip": {"require_wrapper", "syslog_escapes"},
    "wvp": set(),
    "kv": {"pair_separator", "value_separator", "fields"},
    "json": {"fields"},
    "regex": {"pattern"},
}
_FIELD_KEYS = {"code", "method", "direction", "reason", "call_id", "from", "to", "cseq", "branch"}
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h)$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


class _Checker(Checker):
    """Reads this file's values, collecting problems so that all are reported at once."""

    def keys(self, where: str, mapping: Mapping[str, Any], allowed: Collection[str]) -> None:
        for key in mapping:
            if key not in allowed:
                near = difflib.get_close_matches(str(key), sorted(allowed), n=1)
                hint = f"; did you mean '{near[0]}'?" if near else ""
                self.fail(
                    f"{where}{key}", f"unknown key{hint} (allowed: {', '.join(sorted(allowed))})"
                )

    def mapping(self, key: str, value: object) -> Mapping[str, Any]:
        if value is None:
            return {}
        if isinstance(value, dict):
            return value
        self.fail(key, f"expected a mapping of keys, got {kind(value)}")
        return {}

    def duration(self, key: str, value: object, default: float) -> float:
        if value is None:
            return default
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
            return float(value)
        match = _DURATION.match(str(value).strip())
        if match and float(match[1]) > 0:
            return float(match[1]) * _UNITS[match[2]]
        self.fail(key, f"{value!r} is not a duration; write it with a unit, like 500ms, 5s or 2m")
        return default

    def integer(self, key: str, value: object, default: int, minimum: int) -> int:
        if value is None:
            return default
        if isinstance(value, int) and not isinstance(value, bool) and value >= minimum:
            return value
        self.fail(key, f"{value!r} is not a whole number of at least {minimum}")
        return default

    def string(self, key: str, value: object, default: str | None = None) -> str | None:
        if value is None:
            return default
        if isinstance(value, str) and value:
            return value
        self.fail(key, f"expected a non-empty string, got {kind(value)}")
        return default

    def strings(self, key: str, value: object, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        if value is None:
            return default
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list) and all(isinstance(v, (str, int)) for v in value):
            return tuple(str(v) for v in value)
        self.fail(key, f"expected a list of strings, got {kind(value)}")
        return default

    def choice(self, key: str, value: object, choices: Collection[str], default: str) -> str:
        if value is None:
            return default
        if isinstance(value, str) and value in choices:
            return value
        self.fail(key, f"{value!r} is not one of: {', '.join(sorted(choices))}")
        return default


def parse_config(text: str, filename: str) -> Config:
    """Validate a config file's text; raise `ConfigError` listing every problem."""
    document = load_yaml(text, filename)
    check = _Checker()
    top = check.mapping("(top level)", document)
    check.keys("", top, _TOP_KEYS)
    config = _read_top(check, top)
    if check.problems:
        raise ConfigError(filename, check.problems)
    return config


def _read_top(check: _Checker, top: Mapping[str, Any]) -> Config:
    checkpoint = check.mapping("checkpoint", top.get("checkpoint"))
    check.keys("checkpoint.", checkpoint, {"file", "interval"})
    catalog = check.mapping("catalog", top.get("catalog"))
    check.keys("catalog.", catalog, {"file", "default_profile"})
    sources = _read_sources(check, top.get("sources"))
    return Config(
        sources=sources,
        checkpoint_file=check.string("checkpoint.file", checkpoint.get("file")),
        checkpoint_interval=check.duration("checkpoint.interval", checkpoint.get("interval"), 5.0),
        poll_interval=check.duration("poll_interval", top.get("poll_interval"), 1.0),
        max_line_bytes=check.integer("max_line_bytes", top.get("max_line_bytes"), 65536, 256),
        rotate_wait=check.duration("rotate_wait", top.get("rotate_wait"), 5.0),
        flush_after=check.duration("flush_after", top.get("flush_after"), 1.0),
        catalog_file=check.string("catalog.file", catalog.get("file")),
        default_profile=check.string("catalog.default_profile", catalog.get("default_profile")),
        precreate=_read_precreate(check, top.get("precreate")),
        max_series_per_metric=check.integer(
            "max_series_per_metric", top.get("max_series_per_metric"), 10000, 10
        ),
        transactions=_read_transactions(check, top.get("transactions")),
        top_peers=_read_top_peers(check, top.get("top_peers")),
    )


def _read_transactions(check: _Checker, value: object) -> Transactions:
    section = check.mapping("transactions", value)
    check.keys(
        "transactions.",
        section,
        {"timeout", "max_transactions", "max_sessions", "session_max_age", "exemplars"},
    )
    default = TransactionSettings()
    get = section.get
    settings = TransactionSettings(
        timeout=check.duration("transactions.timeout", get("timeout"), default.timeout),
        max_transactions=check.integer(
            "transactions.max_transactions", get("max_transactions"), default.max_transactions, 1
        ),
        max_sessions=check.integer(
            "transactions.max_sessions", get("max_sessions"), default.max_sessions, 1
        ),
        session_max_age=check.duration(
            "transactions.session_max_age", get("session_max_age"), default.session_max_age
        ),
    )
    exemplars = check.choice(
        "transactions.exemplars", get("exemplars"), EXEMPLAR_MODES, Transactions().exemplars
    )
    return Transactions(settings, exemplars)


def _read_top_peers(check: _Checker, value: object) -> TopPeers:
    section = check.mapping("top_peers", value)
    check.keys("top_peers.", section, {"count", "window"})
    default = TopPeers()
    count = check.integer("top_peers.count", section.get("count"), default.count, 0)
    if count > MAX_TOP_PEERS:
        check.fail(
            "top_peers.count",
            f"{count} is above the limit of {MAX_TOP_PEERS}: each ranked peer is a series; "
            "use a query on sip_peer_responses_total for wider views",
        )
        count = MAX_TOP_PEERS
    window = check.duration("top_peers.window", section.get("window"), default.window)
    return TopPeers(count, window)


def _read_precreate(check: _Checker, value: object) -> Precreate:
    section = check.mapping("precreate", value)
    check.keys("precreate.", section, {"codes", "methods", "directions"})
    default = Precreate()
    codes = check.strings("precreate.codes", section.get("codes"), default.codes)
    methods = check.strings("precreate.methods", section.get("methods"), default.methods)
    directions = check.strings(
        "precreate.directions", section.get("directions"), default.directions
    )
    for code in codes:
        if not re.fullmatch(r"-?\d{1,4}", code):
            check.fail("precreate.codes", f"{code!r} is not a response code such as 503")
    allowed_methods = SIP_METHODS | {"OTHER", "unknown"}
    for method in methods:
        if method not in allowed_methods:
            check.fail("precreate.methods", f"{method!r} is not a SIP method (INVITE, REGISTER, …)")
    for direction in directions:
        if direction not in {d.value for d in Direction}:
            check.fail("precreate.directions", f"{direction!r} is not one of: in, out, unknown")
    return Precreate(codes, methods, directions)


def _read_sources(check: _Checker, value: object) -> tuple[SourceConfig, ...]:
    if not isinstance(value, list) or not value:
        check.fail(
            "sources",
            "required: a list of sources, each with a name and paths (see config/example.yml)",
        )
        return ()
    sources = []
    names: set[str] = set()
    for index, item in enumerate(value):
        source = _read_source(check, f"sources[{index}]", item)
        if source is None:
            continue
        if source.name in names:
            check.fail(
                f"sources[{index}].name",
                f"{source.name!r} is used by another source; names must be unique",
            )
        names.add(source.name)
        sources.append(source)
    return tuple(sources)


def _read_source(check: _Checker, where: str, item: object) -> SourceConfig | None:
    if not isinstance(item, dict):
        check.fail(where, f"expected a mapping with name, paths and format, got {kind(item)}")
        return None
    format_name = check.choice(f"{where}.format", item.get("format"), FORMAT_NAMES, "sip")
    check.keys(f"{where}.", item, _SOURCE_KEYS | _FORMAT_KEYS[format_name])
    name = check.string(f"{where}.name", item.get("name"))
    if name is None:
        check.fail(f"{where}.name", "required: the source's name, used as the `source` label")
    elif not _NAME.match(name):
        check.fail(f"{where}.name", f"{name!r}: use 1-64 letters, digits, '_', '-' or '.'")
    paths = check.strings(f"{where}.paths", item.get("paths"))
    if not paths:
        check.fail(f"{where}.paths", "required: one or more glob patterns of log files")
    for pattern in filter(_searches_from_root, paths or ()):
        check.fail(f"{where}.paths", f"{pattern!r} searches the whole system: name the log folder")
    encoding = check.string(f"{where}.encoding", item.get("encoding"), "utf-8") or "utf-8"
    try:
        codecs.lookup(encoding)
    except LookupError:
        check.fail(
            f"{where}.encoding",
            f"{encoding!r} is not an encoding Python knows (utf-8, gbk, gb18030, …)",
        )
        encoding = "utf-8"
    return SourceConfig(
        name=name or f"source{where}",
        paths=paths,
        format=_read_format(check, where, format_name, encoding, item),
        exclude=check.strings(f"{where}.exclude", item.get("exclude")),
        profile=check.string(f"{where}.profile", item.get("profile")),
        start_at=check.choice(
            f"{where}.start_at", item.get("start_at"), ("end", "beginning"), "end"
        ),
        poll_only=check.boolean(f"{where}.poll_only", item.get("poll_only"), False),
        # On by default where the format logs whole messages (Call-ID and CSeq).
        transactions=check.boolean(
            f"{where}.transactions", item.get("transactions"), format_name == "sip"
        ),
    )


def _read_format(
    check: _Checker, where: str, name: str, encoding: str, item: Mapping[str, Any]
) -> FormatOptions:
    readers: dict[str, Callable[[], FormatOptions]] = {
        "sip": lambda: SipOptions(
            encoding,
            check.boolean(f"{where}.require_wrapper", item.get("require_wrapper"), False),
            check.boolean(f"{where}.syslog_escapes", item.get("syslog_escapes"), False),
        ),
        "wvp": lambda: WvpOptions(encoding),
        "kv": lambda: KeyValueOptions(
            encoding,
            _separator(check, f"{where}.pair_separator", item.get("pair_separator"), ";"),
            _separator(check, f"{where}.value_separator", item.get("value_separator"), "="),
            _read_fields(check, f"{where}.fields", item.get("fields")),
        ),
        "json": lambda: JsonOptions(
            encoding, _read_fields(check, f"{where}.fields", item.get("fields"))
        ),
        "regex": lambda: _read_regex(check, where, encoding, item.get("pattern")),
    }
    return readers[name]()


def _separator(check: _Checker, key: str, value: object, default: str) -> str:
    return check.string(key, value, default) or default


def _read_fields(check: _Checker, key: str, value: object) -> FieldNames:
    section = check.mapping(key, value)
    check.keys(f"{key}.", section, _FIELD_KEYS)
    names = {k: check.string(f"{key}.{k}", v) for k, v in section.items() if k in _FIELD_KEYS}
    renamed = {
        ("from_user" if k == "from" else "to_user" if k == "to" else k): v
        for k, v in names.items()
        if v
    }
    return FieldNames(**renamed)


def _read_regex(check: _Checker, where: str, encoding: str, value: object) -> RegexOptions:
    pattern = check.string(f"{where}.pattern", value)
    if pattern is None:
        check.fail(
            f"{where}.pattern",
            "required for format regex: a regular expression with "
            "named groups such as (?P<code>\\d{3})",
        )
        return RegexOptions("(?P<code>x)^", encoding)
    from exporter.formats.regex import check_pattern  # only configs that use it pay for it

    problem = check_pattern(pattern)
    if problem:
        check.fail(f"{where}.pattern", problem)
    return RegexOptions(pattern, encoding)


def check_profiles(config: Config, filename: str, profiles: Collection[str]) -> None:
    """Raise `ConfigError` if the config names a catalog profile the catalog lacks."""
    wanted = [("catalog.default_profile", config.default_profile)] + [
        (f"sources[{i}].profile", s.profile) for i, s in enumerate(config.sources)
    ]
    problems = [
        (key, f"{name!r} is not a catalog profile; use one of: {', '.join(sorted(profiles))}")
        for key, name in wanted
        if name is not None and name not in profiles
    ]
    if problems:
        raise ConfigError(filename, problems)


def _searches_from_root(pattern: str) -> bool:
    """Whether `**` starts at `/` (`/**`, `/**/*.log`): every disk and /proc, not logs."""
    return (
        "**" in pattern and pattern.split("**", 1)[0].strip("/") == "" and pattern.startswith("/")
    )
