"""The exporter's own log lines: logfmt (the default) or JSON, one line per record.

Owns how a `logging` record becomes a line on stderr, as the Prometheus exporter-toolkit
writes its lines: `ts` (UTC, milliseconds), `level` (`debug`, `info`, `warn`, `error`),
`caller` (the logger and the line), `msg`, then any extra fields, then `err` with the
traceback when there is one. A value is quoted when it must be, and escaped inside the
quotes, so a message with spaces, quotes, `=` or line breaks (a log file may be named
anything) stays one pair on one line. Also owns which loggers are heard: watchdog logs
every file event at debug, which would bury the exporter's own lines (and, when the
exporter's log lies in a watched folder, make more events), so it is held at warn. An
uncaught exception, in any thread, is logged as one record too.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import time
from collections.abc import Callable
from types import TracebackType

FORMATS = ("logfmt", "json")
LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "error": logging.ERROR,
}
# watchdog's own loggers, and the one its macOS observer uses.
CHATTY = ("watchdog", "fsevents")

# What every record has; anything else on one came from `extra=`.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "taskName",
}
# go-logfmt quotes a value with a byte at or below space, `=`, `"` or U+FFFD in it.
_NEEDS_QUOTES = re.compile('[\x00-\x20="\ufffd]')
_OWN_KEYS = frozenset({"ts", "level", "caller", "msg", "err", "stack"})
_NOT_A_KEY = re.compile('[\x00-\x20="]')
_BEYOND_ASCII = re.compile("[^\x20-\x7e]")

Field = tuple[str, object]


def level_name(levelno: int) -> str:
    """The toolkit's name for a level: Python's WARNING is `warn`, CRITICAL `error`."""
    if levelno <= logging.DEBUG:
        return "debug"
    if levelno <= logging.INFO:
        return "info"
    return "warn" if levelno <= logging.WARNING else "error"


def fields(record: logging.LogRecord) -> list[Field]:
    """A record's keys and values, in the order they are written."""
    message, problem = _message(record)
    pairs: list[Field] = [
        ("ts", _timestamp(record)),
        ("level", level_name(record.levelno)),
        ("caller", f"{record.name}:{record.lineno}"),
        ("msg", message),
    ]
    pairs += [(_key(k), v) for k, v in vars(record).items() if k not in _STANDARD]
    if record.exc_info:
        problem = logging.Formatter().formatException(record.exc_info)
    if problem:
        pairs.append(("err", problem))
    if record.stack_info:
        pairs.append(("stack", record.stack_info))
    return pairs


def _message(record: logging.LogRecord) -> tuple[str, str]:
    """The message, and what went wrong if its arguments do not fit it (a bug of ours,
    still worth one readable line rather than logging's own multi-line complaint)."""
    try:
        return record.getMessage(), ""
    except (TypeError, ValueError, KeyError) as error:
        return str(record.msg), f"{type(error).__name__}: {error}; arguments {record.args!r}"


def _timestamp(record: logging.LogRecord) -> str:
    whole = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
    return f"{whole}.{int(record.msecs):03d}Z"


def _key(name: str) -> str:
    """An extra field's name as a logfmt key that none of ours can be confused with."""
    key = _NOT_A_KEY.sub("_", name) or "_"
    return f"{key}_" if key in _OWN_KEYS else key


def _escape_unprintable(text: str) -> str:
    """JSON-escape characters that would end a line for some reader (U+2028, NEL), turn
    the text around (bidi controls) or not encode (lone surrogates from undecodable file
    names); printable non-ASCII text such as Chinese stays as it is."""
    return _BEYOND_ASCII.sub(_escaped_if_unprintable, text)


def _escaped_if_unprintable(match: re.Match[str]) -> str:
    char = match.group()
    return char if char.isprintable() else json.dumps(char)[1:-1]


def _text(value: object) -> str:
    """A logfmt value: bare when it can be, else quoted with JSON's escapes, which
    go-logfmt and other logfmt readers unescape."""
    text = value if isinstance(value, str) else str(value)
    if text and text.isprintable() and not _NEEDS_QUOTES.search(text):
        return text
    return _escape_unprintable(json.dumps(text, ensure_ascii=False))


class LogfmtFormatter(logging.Formatter):
    """`ts=… level=info caller=exporter.service:92 msg="listening on :9756, …"`."""

    def format(self, record: logging.LogRecord) -> str:
        return " ".join(f"{key}={_text(value)}" for key, value in fields(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line with the same keys as the logfmt lines."""

    def format(self, record: logging.LogRecord) -> str:
        values = {key: _json_value(value) for key, value in fields(record)}
        return _escape_unprintable(json.dumps(values, ensure_ascii=False, separators=(",", ":")))


def _json_value(value: object) -> object:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


FORMATTERS: dict[str, Callable[[], logging.Formatter]] = {
    "logfmt": LogfmtFormatter,
    "json": JsonFormatter,
}

log = logging.getLogger(__name__)


def configure(level: str, log_format: str) -> None:
    """Send every record at `level` or above to stderr in `log_format`; watchdog's only
    from warn; Python warnings and uncaught exceptions as records too."""
    handler = logging.StreamHandler()
    handler.setFormatter(FORMATTERS[log_format]())
    logging.basicConfig(level=LEVELS[level], handlers=[handler])
    for name in CHATTY:
        logging.getLogger(name).setLevel(max(LEVELS[level], logging.WARNING))
    logging.captureWarnings(True)
    sys.excepthook = _uncaught
    threading.excepthook = _uncaught_in_thread


def _uncaught(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, error, trace)
        return
    log.error("stopped by an unexpected error: %s", error, exc_info=(kind, error, trace))


def _uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit or args.exc_value is None:
        return
    name = args.thread.name if args.thread else "?"
    trace = (args.exc_type, args.exc_value, args.exc_traceback)
    log.error("thread %s stopped by an unexpected error: %s", name, args.exc_value, exc_info=trace)
