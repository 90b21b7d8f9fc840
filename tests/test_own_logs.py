"""The exporter's own log: one line per record, in logfmt (the default) or JSON
(`--log.format=json`), with the keys `ts`, `level`, `caller`, `msg` first, levels named as
the Prometheus exporter-toolkit names them, tracebacks folded into one `err` field, and no
file-event chatter from watchdog.

Lines are read back with logfmtkv in strict mode (go-logfmt's grammar) and with
`json.loads`. Strict logfmt still accepts a bare word as a key without a value, which is
what an unquoted message with spaces turns into, so every pair must also have a value."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import logfmtkv
import pytest

from exporter.logfmt import JsonFormatter, LogfmtFormatter
from tests.support import (
    REPO,
    Exporter,
    free_port,
    run_cli,
    running_exporter,
    stop_process,
    wait_until,
)

TS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
LEVELS = {"debug", "info", "warn", "error"}
FIRST_KEYS = ["ts", "level", "caller", "msg"]
# Quotes, `=`, a backslash, a tab, a line break, Chinese, and a line separator that
# str.splitlines() would break a line at.
AWKWARD = 'say "hi" a=b C:\\tmp\tnext\nsecond line 日志 接收\u2028end'

Record = dict[str, str]


def logfmt_record(line: str) -> Record:
    """One line read by a strict logfmt parser; every pair has a value, no key twice."""
    pairs = logfmtkv.parse_pairs(line, strict=True)
    record = {pair.key: pair.value for pair in pairs if pair.value is not None}
    assert len(record) == len(pairs), f"a bare word or a repeated key in: {line}"
    return checked(record, line)


def json_record(line: str) -> Record:
    loaded = json.loads(line)
    assert isinstance(loaded, dict), line
    return checked({str(k): str(v) for k, v in loaded.items()}, line)


def checked(record: Record, line: str) -> Record:
    assert list(record)[:4] == FIRST_KEYS, line
    assert TS.fullmatch(record["ts"]), line
    assert record["level"] in LEVELS, line
    return record


def records(text: str, read: Callable[[str], Record]) -> list[Record]:
    """Every line of `text` read by `read`; the text ends with a complete line."""
    assert text.endswith("\n"), text[-200:]
    return [read(line) for line in text.split("\n")[:-1]]


class Lines(logging.Handler):
    """Keeps each formatted record, as the stream handler would write it."""

    def __init__(self, formatter: logging.Formatter) -> None:
        super().__init__()
        self.setFormatter(formatter)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture(params=[(LogfmtFormatter, logfmt_record), (JsonFormatter, json_record)])
def logged(
    request: pytest.FixtureRequest,
) -> Iterator[tuple[logging.Logger, Lines, Callable[[str], Record]]]:
    """A logger whose records are formatted by one of the two formatters, and its reader."""
    formatter, read = request.param
    lines = Lines(formatter())
    logger = logging.getLogger(f"tests.own_logs.{formatter.__name__}")
    logger.propagate, logger.level = False, logging.DEBUG
    logger.addHandler(lines)
    try:
        yield logger, lines, read
    finally:
        logger.removeHandler(lines)


Logged = tuple[logging.Logger, Lines, Callable[[str], Record]]


def only_record(lines: Lines, read: Callable[[str], Record]) -> Record:
    (line,) = lines.lines
    assert len(line.splitlines()) == 1, line
    return read(line)


def test_a_message_with_quotes_equals_line_breaks_and_chinese_reads_back_whole(
    logged: Logged,
) -> None:
    logger, lines, read = logged
    logger.info("file %s: %s", "/var/log/wvp 日志.log", AWKWARD)
    assert only_record(lines, read)["msg"] == f"file /var/log/wvp 日志.log: {AWKWARD}"


def test_levels_are_named_debug_info_warn_error(logged: Logged) -> None:
    logger, lines, read = logged
    for level in (logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR, logging.CRITICAL):
        logger.log(level, "x")
    assert [read(line)["level"] for line in lines.lines] == [
        "debug", "info", "warn", "error", "error",
    ]  # fmt: skip


def test_the_caller_is_the_logger_and_its_line(logged: Logged) -> None:
    logger, lines, read = logged
    logger.info("here")
    record = only_record(lines, read)
    assert re.fullmatch(re.escape(logger.name) + r":\d+", record["caller"]), record


def test_a_traceback_is_folded_into_one_err_field(logged: Logged) -> None:
    logger, lines, read = logged
    known: dict[str, int] = {}
    try:
        known["no such key"] += 1
    except KeyError:
        logger.exception('lookup of "%s" failed', "no such key")
    record = only_record(lines, read)
    assert record["msg"] == 'lookup of "no such key" failed'
    assert record["err"].startswith("Traceback (most recent call last):\n")
    assert record["err"].endswith("KeyError: 'no such key'")
    assert "\n" in record["err"]


def test_extra_fields_follow_the_message_with_safe_keys(logged: Logged) -> None:
    logger, lines, read = logged
    logger.info("reloaded", extra={"sources": 3, "odd key=x": "a b", "level": "x"})
    record = only_record(lines, read)
    assert list(record) == [*FIRST_KEYS, "sources", "odd_key_x", "level_"]
    assert (record["sources"], record["odd_key_x"], record["level"]) == ("3", "a b", "info")


def test_a_bad_message_argument_still_gives_one_line(logged: Logged) -> None:
    logger, lines, read = logged
    # Handed to the formatter's handler alone: pytest's own log capture fails a test on
    # a record it cannot format, which is what this record is.
    lines.handle(
        logger.makeRecord(logger.name, logging.INFO, __file__, 1, "%d files", ("many",), None)
    )
    record = only_record(lines, read)
    assert record["msg"] == "%d files" and "many" in record["err"]


def test_undecodable_file_names_are_escaped_not_written_raw(logged: Logged) -> None:
    logger, lines, read = logged
    name = b"/logs/\xff\xfe.log".decode("utf-8", "surrogateescape")
    logger.info("following %s", name)
    (line,) = lines.lines
    line.encode("utf-8")  # no lone surrogate reaches the stream
    assert read(line)["msg"].startswith("following /logs/")


def test_simple_values_are_written_bare_in_logfmt() -> None:
    lines = Lines(LogfmtFormatter())
    record = logging.LogRecord("exporter.service", logging.INFO, "", 92, "stopped", (), None)
    lines.emit(record)
    assert re.fullmatch(
        r"ts=\S+Z level=info caller=exporter\.service:92 msg=stopped", lines.lines[0]
    )


# The real exporter, end to end.


def awkward_config(tmp_path: Path) -> tuple[Path, Path]:
    """A config whose one log file has a name with quotes, `=`, Chinese and a line break,
    and a second source whose paths match nothing; the awkward file's path."""
    logs = tmp_path / "logs"
    logs.mkdir()
    awkward = logs / 'wvp "a=b" 日志\nzwei.log'
    awkward.write_text("")
    config = tmp_path / "config.yml"
    config.write_text(
        "poll_interval: 100ms\n"
        "sources:\n"
        f"  - {{name: odd, paths: [{json.dumps(str(logs / '*.log'))}]}}\n"
        f"  - {{name: typo, paths: [{json.dumps(str(tmp_path / 'none' / '*.log'))}]}}\n"
    )
    return config, awkward


def full_log(exporter: Exporter, awkward: Path) -> str:
    """The exporter's whole output once it followed `awkward`, served a request, and stopped."""
    wait_until(lambda: "no file matches" in exporter.output(), what="the no-file warning")
    wait_until(lambda: "from offset" in exporter.output(), what="the file followed")
    with awkward.open("a") as log:
        log.write("a line\n")
    assert exporter.get("/-/healthy")[0] == 200
    assert exporter.stop() == 0
    return exporter.output()


def messages(found: list[Record]) -> list[str]:
    return [record["msg"] for record in found]


@pytest.mark.system
@pytest.mark.parametrize(
    ("flags", "read"), [((), logfmt_record), (("--log.format=json",), json_record)]
)
def test_every_line_the_exporter_logs_reads_back_as_one_record(
    tmp_path: Path, flags: tuple[str, ...], read: Callable[[str], Record]
) -> None:
    config, awkward = awkward_config(tmp_path)
    with running_exporter(config, *flags) as exporter:
        found = records(full_log(exporter, awkward), read)
    said = messages(found)
    assert f"following {awkward} from offset 0" in said
    assert any(m.startswith("source typo: no file matches ") for m in said), said
    assert any(m.startswith("listening on 127.0.0.1:") for m in said), said
    assert said[-1] == "stopped"
    assert {r["level"] for r in found} >= {"debug", "info", "warn"}


@pytest.mark.system
def test_watchdog_file_events_stay_out_of_the_debug_log(tmp_path: Path) -> None:
    # Below the exporter's own folder watchdog logs every inotify event at debug
    # ("in-event …"); the exporter's log lies in a watched folder here, so each line it
    # wrote would make another.
    config, awkward = awkward_config(tmp_path)
    with running_exporter(config) as exporter:
        found = records(full_log(exporter, awkward), logfmt_record)
    assert [r for r in found if r["caller"].startswith("watchdog")] == []
    assert len(found) < 50, messages(found)


@pytest.mark.system
@pytest.mark.parametrize(("log_format", "read"), [("logfmt", logfmt_record), ("json", json_record)])
def test_an_uncaught_exception_is_one_error_record_with_its_traceback(
    log_format: str, read: Callable[[str], Record]
) -> None:
    crash = (
        "import sys, threading\n"
        "from exporter.logfmt import configure\n"
        f"configure('info', {log_format!r})\n"
        "def fail(): raise RuntimeError('worker \"w1\"\\nstopped')\n"
        "worker = threading.Thread(target=fail, name='reader')\n"
        "worker.start(); worker.join()\n"
        "raise ValueError('main failed')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", crash], capture_output=True, text=True, cwd=REPO, check=False
    )
    assert result.returncode == 1, result.stderr
    thread, main = records(result.stderr, read)
    assert thread["level"] == main["level"] == "error"
    assert "reader" in thread["msg"] and 'RuntimeError: worker "w1"\nstopped' in thread["err"]
    assert main["err"].startswith("Traceback (most recent call last):\n")
    assert main["err"].endswith("ValueError: main failed")


@pytest.mark.system
def test_an_unknown_log_format_is_refused_with_exit_2_naming_the_choices() -> None:
    result = run_cli("--log.format=xml", "explain", "503")
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    assert "--log.format" in result.stderr and "'xml'" in result.stderr
    assert "logfmt" in result.stderr and "json" in result.stderr


@pytest.mark.system
def test_the_demo_takes_the_log_format_after_its_name(tmp_path: Path) -> None:
    port, stderr = free_port(), tmp_path / "stderr"
    with stderr.open("w") as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", "exporter", "demo", "--log.format=json",
             f"--web.listen-address=127.0.0.1:{port}"],
            cwd=REPO, stdout=subprocess.DEVNULL, stderr=errors, text=True,
        )  # fmt: skip
    try:
        wait_until(lambda: "from offset" in stderr.read_text(), what="the demo log followed")
    finally:
        stop_process(process)
    said = messages(records(stderr.read_text(), json_record))
    assert any(m.startswith("listening on 127.0.0.1:") for m in said), said
