"""Command line: flags in the Prometheus style, subcommands for people, exit codes.

Owns argument parsing, logging setup, reading the config and catalog files, and turning
every expected failure into a message and an exit status (2 for bad usage or config)
instead of a traceback. `serve` runs the exporter until SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from datetime import datetime
from functools import partial
from pathlib import Path

from exporter import __version__, contract
from exporter.backfill.command import BackfillUsageError, add_backfill_command, run_backfill
from exporter.catalog import Catalog, CatalogError
from exporter.config import Config, SourceConfig, check_profiles, parse_config
from exporter.count.account import replay
from exporter.detect.command import (
    DetectUsageError,
    add_detect_commands,
    run_detect,
    run_recipes,
)
from exporter.explain import ExplainError, explain
from exporter.formats import FORMATS, format_name
from exporter.formats.options import SipOptions
from exporter.ingest import once
from exporter.restore import load_catalog
from exporter.serve.exposition import Exposition
from exporter.serve.families import View, families, info_rows
from exporter.validation import ConfigError, decode

log = logging.getLogger("exporter")

EXIT_USAGE = 2


class UsageError(Exception):
    """A problem the user can fix; printed as it is, exit status 2."""


def _default(value: str | None, inherited: bool) -> str | None:
    return argparse.SUPPRESS if inherited else value


def _web_flags(*, inherited: bool = False) -> argparse.ArgumentParser:
    """The web and log flags. A subcommand's copy (`inherited`) has no defaults of its own,
    so that the same flag given before the subcommand is not overwritten by them."""
    flags = argparse.ArgumentParser(add_help=False)
    flags.add_argument(
        "--web.listen-address",
        dest="listen_address",
        default=_default(":9756", inherited),
        metavar="ADDR",
        help="address to serve on (default :9756)",
    )
    flags.add_argument(
        "--web.telemetry-path",
        dest="telemetry_path",
        default=_default("/metrics", inherited),
        metavar="PATH",
        help="path of the metrics (default /metrics)",
    )
    flags.add_argument(
        "--web.config.file",
        dest="web_config_file",
        default=_default(None, inherited),
        metavar="FILE",
        help="TLS and basic auth, in the exporter-toolkit format (README: Security)",
    )
    flags.add_argument(
        "--log.level",
        dest="log_level",
        default=_default("info", inherited),
        choices=["debug", "info", "warn", "error"],
        help="log level (default info)",
    )
    return flags


def build_parser() -> argparse.ArgumentParser:
    web = _web_flags()
    parser = argparse.ArgumentParser(
        prog="sip-log-exporter",
        parents=[web],
        description="Follow SIP and GB/T 28181 platform logs and serve response-code "
        "counters to Prometheus.",
    )
    parser.add_argument(
        "--config.file",
        dest="config_file",
        metavar="FILE",
        help="YAML config (see config/example.yml)",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    explain_cmd = commands.add_parser("explain", help="what a response code means (zh and en)")
    explain_cmd.add_argument("code")
    explain_cmd.add_argument(
        "--profile", action="append", help="only this catalog profile (repeatable)"
    )
    check = commands.add_parser("check-config", help="validate a config file and exit")
    check.add_argument("file")
    replay_cmd = commands.add_parser("replay", help="read logs once and print the metrics")
    _source_flags(replay_cmd, "replay")
    add_backfill_command(commands, _source_flags)
    add_detect_commands(commands)
    commands.add_parser(
        "demo",
        parents=[_web_flags(inherited=True)],
        help="run the exporter on a generated live log",
    )
    return parser


def _source_flags(command: argparse.ArgumentParser, name: str) -> None:
    """The flags that say how to read the files given: a config's source, or a format."""
    command.add_argument("files", nargs="+", metavar="FILE")
    command.add_argument(
        "--config.file",
        dest="replay_config",
        metavar="FILE",
        help="take format and settings from this config's source",
    )
    command.add_argument("--source", help="which source of --config.file (default: first)")
    command.add_argument("--format", choices=sorted(FORMATS), default=None)
    command.add_argument("--encoding", default="utf-8")
    command.add_argument("--profile", default=None, help="catalog profile of the codes")
    command.add_argument("--name", default=name, help=f"the source label (default {name})")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level={"warn": "WARNING"}.get(args.log_level, args.log_level.upper()),
        format="ts=%(asctime)s level=%(levelname)s logger=%(name)s msg=%(message)s",
        datefmt="%Y-%m-%dT%H:%M:%S%z",
    )
    try:
        return _dispatch(args)
    except (
        UsageError,
        BackfillUsageError,
        DetectUsageError,
        ExplainError,
        ConfigError,
        CatalogError,
    ) as error:
        print(f"sip-log-exporter: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`… | head`): what it wanted it has; say nothing more.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _check_web_flags(args: argparse.Namespace) -> None:
    path = getattr(args, "telemetry_path", "/metrics")
    if not path.startswith("/") or path == "/" or any(c in path for c in "?# "):
        raise UsageError(
            f"--web.telemetry-path {path!r}: a path such as /metrics (a leading /, not /, no query)"
        )


def _dispatch(args: argparse.Namespace) -> int:
    _check_web_flags(args)
    if args.command == "explain":
        catalog = Catalog.from_yaml(_builtin())
        print(explain(catalog, args.code, args.profile))
        return 0
    if args.command == "check-config":
        config, catalog = _load(args.file)
        print(
            f"{args.file}: OK, {len(config.sources)} source(s): "
            + ", ".join(s.name for s in config.sources)
        )
        return 0
    if args.command == "replay":
        return _replay(args)
    if args.command == "backfill":
        config, catalog, source = _source_of(args)
        return run_backfill(args, config, catalog, source)
    if args.command == "detect":
        return run_detect(args)
    if args.command == "recipes":
        return run_recipes(args)
    if args.command == "demo":
        return _demo(args)
    if not args.config_file:
        raise UsageError(
            "no sources to follow: pass --config.file=FILE "
            "(see config/example.yml), or try `sip-log-exporter demo`"
        )
    config, catalog = _load(args.config_file)
    return serve_exporter(
        config,
        catalog,
        args.listen_address,
        args.telemetry_path,
        config_file=args.config_file,
        web_config_file=args.web_config_file,
    )


def _builtin() -> str:
    from exporter.data import builtin_catalog_text

    return builtin_catalog_text()


def _load(path: str) -> tuple[Config, Catalog]:
    """The config and its catalog, checked as a start, `check-config` and a reload all
    check them: every setting the exporter will use."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise UsageError(f"cannot read config file {path}: {error.strerror or error}") from None
    config = parse_config(decode(data, path), path)
    try:
        catalog = load_catalog(config)
    except OSError as error:
        reason = error.strerror or error
        raise ConfigError(path, [("catalog.file", f"cannot read it: {reason}")]) from None
    except ConfigError as error:  # the catalog file is not UTF-8
        raise ConfigError(path, [("catalog.file", line) for line in error.lines]) from None
    check_profiles(config, path, catalog.profiles)
    return config, catalog


def _blocks(path: str) -> Iterator[bytes]:
    """A log's blocks for replay; a file that cannot be read is the user's to fix."""
    try:
        yield from once.blocks(path)
    except (OSError, EOFError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        raise UsageError(f"cannot read {path}: {reason}") from None


def _replay(args: argparse.Namespace) -> int:
    config, catalog, source = _source_of(args)
    logs = (_blocks(path) for path in args.files)
    tally, records = replay(logs, source, catalog, config, datetime.now().year)
    for path, found in zip(args.files, records, strict=True):
        if not found:
            # No silent zero: the exposition alone would look like a quiet log.
            print(
                f"sip-log-exporter: {path}: no record read as format "
                f"{format_name(source.format)}; `sip-log-exporter detect {path}` shows "
                "which format or recipe reads it",
                file=sys.stderr,
            )
    snapshot = tally.snapshot()
    seen = {labels[3] for labels in snapshot.counters.get(contract.RESPONSES.name, {})}
    profile = source.profile or config.default_profile or catalog.default_profile
    info = info_rows(e for e in catalog.entries(profile) if e.code in seen)
    shown = families(View(snapshot, {}), info, service=False)
    sys.stdout.buffer.write(Exposition().render(shown, openmetrics=False))
    return 0


def _source_of(args: argparse.Namespace) -> tuple[Config, Catalog, SourceConfig]:
    """The config, catalog and source that `replay` and `backfill` read files with."""
    if args.replay_config:
        config, catalog = _load(args.replay_config)
        source = _pick_source(config, args.source, args.replay_config)
    else:
        if args.source:
            raise UsageError("--source needs --config.file")
        chosen = args.format or "sip"
        text = (
            f"sources: [{{name: {args.name!r}, paths: ['-'], format: {chosen}, "
            f"encoding: {args.encoding!r}}}]"
        )
        if chosen == "regex":
            raise UsageError("the regex format needs its pattern from --config.file")
        config = parse_config(text, "(command line)")
        catalog = Catalog.from_yaml(_builtin())
        source = config.sources[0]
    if args.profile:
        if not catalog.has_profile(args.profile):
            raise UsageError(
                f"--profile {args.profile!r}: use one of {', '.join(catalog.profiles)}"
            )
        source = dataclasses.replace(source, profile=args.profile)
    for path in args.files:
        if not os.path.exists(path):
            raise UsageError(f"{path}: no such file")
    return config, catalog, source


def _pick_source(config: Config, name: str | None, path: str) -> SourceConfig:
    for source in config.sources:
        if name is None or source.name == name:
            return source
    raise UsageError(f"{path}: no source named {name!r}")


def serve_exporter(
    config: Config,
    catalog: Catalog,
    address: str,
    telemetry_path: str,
    config_file: str | None = None,
    web_config_file: str | None = None,
) -> int:
    """Run until SIGTERM/SIGINT; SIGHUP and POST /-/reload re-read `config_file`."""
    # Imported here: replay, explain and check-config need neither the HTTP stack nor
    # file events, and their start-up time is most of what they cost.
    from exporter.serve.http import parse_listen_address
    from exporter.serve.security import Guard
    from exporter.service import ListenError, Service

    try:
        parse_listen_address(address)
    except ValueError as error:
        raise UsageError(f"--web.listen-address: {error}") from None
    guard = Guard(web_config_file)
    loader = None if config_file is None else partial(_reload, config_file)
    service = Service(config, catalog, loader)
    try:
        return service.run(address, telemetry_path, guard)
    except ListenError as error:
        raise UsageError(str(error)) from None


def _reload(path: str) -> tuple[Config, Catalog]:
    from exporter.service import ReloadError

    try:
        return _load(path)
    except (UsageError, ConfigError, CatalogError) as error:
        raise ReloadError(str(error)) from None


def _demo(args: argparse.Namespace) -> int:
    from exporter.demo import write_forever

    folder = tempfile.mkdtemp(prefix="sip-log-exporter-demo-")
    log_path = os.path.join(folder, "wvp.log")
    Path(log_path).touch()
    config = Config(
        sources=(
            SourceConfig(
                "demo",
                (os.path.join(folder, "*.log"),),
                SipOptions(require_wrapper=True),
                start_at="beginning",
                transactions=True,
            ),
        ),
        poll_interval=0.5,
    )
    catalog = Catalog.from_yaml(_builtin())
    stop = threading.Event()
    writer = threading.Thread(target=write_forever, args=(log_path, stop), daemon=True)
    writer.start()
    from exporter.serve.http import parse_listen_address

    host, port = parse_listen_address(args.listen_address)
    print(
        f"demo: writing a GB28181 platform log to {log_path}\n"
        f"demo: metrics at http://{host or 'localhost'}:{port}{args.telemetry_path}, "
        f"landing page at http://{host or 'localhost'}:{port}/ (Ctrl-C stops)",
        flush=True,
    )
    try:
        return serve_exporter(
            config,
            catalog,
            args.listen_address,
            args.telemetry_path,
            web_config_file=args.web_config_file,
        )
    finally:
        stop.set()
        writer.join(timeout=2)
        shutil.rmtree(folder, ignore_errors=True)
