"""The YAML configuration, validated into frozen values.

Owns the config schema: every key, its default, and what is wrong with a value. A bad
config yields every problem at once, each with the file, the key path and what would be
right (`ConfigError`); nothing here raises anything else. Pure: it takes the file's text,
never the file.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from exporter.events import SIP_METHODS, Direction
from exporter.formats import FORMATS, make_parser, read_encoding
from exporter.formats.options import FormatOptions
from exporter.settings_yaml import load_yaml
from exporter.validation import Checker, ConfigError, kind

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
class TransactionSettings:
    """How transaction matching behaves: the timeout, and how many entries each table may
    hold. (Here, below `count`, so that the config can build it without importing up.)"""

    timeout: float = 32.0
    max_transactions: int = 50_000
    max_sessions: int = 50_000
    session_max_age: float = 86_400.0


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
    # How long a source's files may give lines without one record before it is reported.
    no_records_after: float = 300.0


_TOP_KEYS = {
    "checkpoint", "poll_interval", "max_line_bytes", "rotate_wait", "flush_after",
    "catalog", "precreate", "max_series_per_metric", "sources", "transactions", "top_peers",
    "no_records_after",
}  # fmt: skip
_SOURCE_KEYS = ("name", "paths", "exclude", "format", "encoding", "profile", "start_at",
                "poll_only", "transactions")  # fmt: skip
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def parse_config(text: str, filename: str) -> Config:
    """Validate a config file's text; raise `ConfigError` listing every problem."""
    document = load_yaml(text, filename)
    check = Checker()
    top = check.mapping("", document, _TOP_KEYS)
    config = _read_top(check, top)
    if check.problems:
        raise ConfigError(filename, check.problems)
    return config


def _read_top(check: Checker, top: Mapping[str, Any]) -> Config:
    checkpoint = check.mapping("checkpoint", top.get("checkpoint"), ("file", "interval"))
    catalog = check.mapping("catalog", top.get("catalog"), ("file", "default_profile"))
    sources = _read_sources(check, top.get("sources"))
    return Config(
        sources=sources,
        checkpoint_file=check.text("checkpoint.file", checkpoint.get("file")),
        checkpoint_interval=check.duration("checkpoint.interval", checkpoint.get("interval"), 5.0),
        poll_interval=check.duration("poll_interval", top.get("poll_interval"), 1.0),
        max_line_bytes=check.integer("max_line_bytes", top.get("max_line_bytes"), 65536, 256),
        rotate_wait=check.duration("rotate_wait", top.get("rotate_wait"), 5.0),
        flush_after=check.duration("flush_after", top.get("flush_after"), 1.0),
        catalog_file=check.text("catalog.file", catalog.get("file")),
        default_profile=check.text("catalog.default_profile", catalog.get("default_profile")),
        precreate=_read_precreate(check, top.get("precreate")),
        max_series_per_metric=check.integer(
            "max_series_per_metric", top.get("max_series_per_metric"), 10000, 10
        ),
        transactions=_read_transactions(check, top.get("transactions")),
        no_records_after=check.duration("no_records_after", top.get("no_records_after"), 300.0),
        top_peers=_read_top_peers(check, top.get("top_peers")),
    )


def _read_transactions(check: Checker, value: object) -> Transactions:
    section = check.mapping(
        "transactions",
        value,
        ("timeout", "max_transactions", "max_sessions", "session_max_age", "exemplars"),
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


def _read_top_peers(check: Checker, value: object) -> TopPeers:
    section = check.mapping("top_peers", value, ("count", "window"))
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


def _read_precreate(check: Checker, value: object) -> Precreate:
    section = check.mapping("precreate", value, ("codes", "methods", "directions"))
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


def _read_sources(check: Checker, value: object) -> tuple[SourceConfig, ...]:
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


def _read_source(check: Checker, where: str, item: object) -> SourceConfig | None:
    if not isinstance(item, dict):
        check.fail(where, f"expected a mapping with name, paths and format, got {kind(item)}")
        return None
    known = len(check.problems)
    format_name = check.choice(f"{where}.format", item.get("format"), sorted(FORMATS), "sip")
    fmt = FORMATS[format_name]
    item = check.mapping(where, item, (*_SOURCE_KEYS, *fmt.keys))
    name = _read_name(check, f"{where}.name", item.get("name"))
    paths = check.strings(f"{where}.paths", item.get("paths"))
    if not item.get("paths"):
        check.fail(f"{where}.paths", "required: one or more glob patterns of log files")
    for pattern in filter(_searches_from_root, paths or ()):
        check.fail(f"{where}.paths", f"{pattern!r} searches the whole system: name the log folder")
    encoding = read_encoding(check, f"{where}.encoding", item.get("encoding"))
    options: FormatOptions = fmt.read(check, where, encoding, item)
    if len(check.problems) == known:
        _try_parser(check, f"{where}.format", options)
    return SourceConfig(
        name=name or f"source{where}",
        paths=paths,
        format=options,
        exclude=check.strings(f"{where}.exclude", item.get("exclude")),
        profile=check.text(f"{where}.profile", item.get("profile")),
        start_at=check.choice(
            f"{where}.start_at", item.get("start_at"), ("end", "beginning"), "end"
        ),
        poll_only=check.boolean(f"{where}.poll_only", item.get("poll_only"), False),
        # On by default where the format logs whole messages (Call-ID and CSeq).
        transactions=check.boolean(
            f"{where}.transactions", item.get("transactions"), format_name == "sip"
        ),
    )


def _read_name(check: Checker, key: str, value: object) -> str | None:
    if value is None:
        check.fail(key, "required: the source's name, used as the `source` label")
        return None
    name = check.text(key, value)
    if name is not None and not _NAME.match(name):
        check.fail(key, f"{name!r}: use 1-64 letters, digits, '_', '-' or '.'")
    return name


def _try_parser(check: Checker, key: str, options: FormatOptions) -> None:
    """Build the source's parser once, as the exporter will: settings that pass every
    check above but still cannot be used are refused here, not when a file opens."""
    try:
        make_parser(options)
    except ValueError as error:
        check.fail(key, f"these settings cannot be used: {error}")


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
