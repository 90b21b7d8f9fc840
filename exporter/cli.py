"""Command line: flags in the Prometheus style, subcommands for people, exit codes.

Owns argument parsing, logging setup, reading the config and catalog files, and turning
every expected failure into a message and an exit status (2 for bad usage or config)
instead of a traceback. `serve` runs the exporter until SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Sequence
from functools import partial
from pathlib import Path

from exporter import __version__, logfmt
from exporter.backfill.command import BackfillUsageError, add_backfill_command, run_backfill
from exporter.catalog import Catalog, CatalogError
from exporter.config import Config, SourceConfig
from exporter.data import builtin_catalog_text
from exporter.detect.command import (
    DetectUsageError,
    add_detect_commands,
    run_detect,
    run_recipes,
)
from exporter.explain import ExplainError, explain
from exporter.formats.options import SipOptions
from exporter.ingest.workers import WorkerError
from exporter.replay import ReplayUsageError, run_replay, source_flags, source_of
from exporter.restore import load_settings
from exporter.validation import ConfigError

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
        "--web.landing-language",
        dest="landing_language",
        default=_default("auto", inherited),
        choices=("auto", "zh", "en"),
        help="language of the landing page: auto (default: Chinese unless the browser "
        "prefers English), zh or en",
    )
    flags.add_argument(
        "--log.level",
        dest="log_level",
        default=_default("info", inherited),
        choices=list(logfmt.LEVELS),
        help="log level (default info)",
    )
    flags.add_argument(
        "--log.format",
        dest="log_format",
        default=_default("logfmt", inherited),
        choices=logfmt.FORMATS,
        help="format of the log lines on stderr: logfmt (default) or json",
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
    source_flags(replay_cmd, "replay")
    add_backfill_command(commands, source_flags)
    add_detect_commands(commands)
    commands.add_parser(
        "demo",
        parents=[_web_flags(inherited=True)],
        help="run the exporter on a generated live log",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logfmt.configure(args.log_level, args.log_format)
    try:
        return _dispatch(args)
    except (
        UsageError,
        ReplayUsageError,
        BackfillUsageError,
        DetectUsageError,
        ExplainError,
        ConfigError,
        CatalogError,
    ) as error:
        print(f"sip-log-exporter: {error}", file=sys.stderr)
        return EXIT_USAGE
    except WorkerError as error:
        print(f"sip-log-exporter: {error}", file=sys.stderr)
        return 1
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
        catalog = Catalog.from_yaml(builtin_catalog_text())
        print(explain(catalog, args.code, args.profile))
        return 0
    if args.command == "check-config":
        config, catalog = load_settings(args.file)
        print(
            f"{args.file}: OK, {len(config.sources)} source(s): "
            + ", ".join(s.name for s in config.sources)
        )
        return 0
    if args.command == "replay":
        return run_replay(args)
    if args.command == "backfill":
        config, catalog, source = source_of(args)
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
    config, catalog = load_settings(args.config_file)
    return serve_exporter(
        config,
        catalog,
        args.listen_address,
        args.telemetry_path,
        config_file=args.config_file,
        web_config_file=args.web_config_file,
        landing_language=args.landing_language,
    )


def serve_exporter(
    config: Config,
    catalog: Catalog,
    address: str,
    telemetry_path: str,
    config_file: str | None = None,
    web_config_file: str | None = None,
    landing_language: str = "auto",
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
        return service.run(address, telemetry_path, guard, landing_language)
    except ListenError as error:
        raise UsageError(str(error)) from None


def _reload(path: str) -> tuple[Config, Catalog]:
    from exporter.service import ReloadError

    try:
        return load_settings(path)
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
    catalog = Catalog.from_yaml(builtin_catalog_text())
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
            landing_language=args.landing_language,
        )
    finally:
        stop.set()
        writer.join(timeout=2)
        shutil.rmtree(folder, ignore_errors=True)
