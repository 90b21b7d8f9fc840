"""The landing page's codes: what fails, where, since when, and what to check first.

Owns the HTML of the codes section: per code (and catalog profile) seen in the window, a
row with its count, trend and catalog words, and under it the where (method and
direction, kind of device, source, the peers failing most) and the explanations for the
user and the engineer with the check-first line, all in the page's language. Every value
from logs, files or config goes through `html.escape`. Pure.
"""

from __future__ import annotations

import datetime
import html
from collections.abc import Callable

from exporter.serve.page_text import Text
from exporter.serve.recent import OVERFLOW
from exporter.serve.sparkline import sparkline
from exporter.serve.status import CodeStatus, Split, Status
from exporter.vocabulary import word

e = html.escape
_HEADS = ("code", "reason", "count", "trend", "category", "severity")


def codes_section(status: Status, lang: str, text: Text) -> str:
    window = word("window", status.window, lang)
    heading = f"<h2>{e(text['codes'].format(window=window))}</h2>"
    if not status.codes:
        return f'{heading}<p id="no-codes">{e(text["no_codes"].format(window=window))}</p>'
    head = "".join(f"<th>{e(text[h])}</th>" for h in _HEADS)
    rows = "".join(_code(code, status, lang, text) for code in status.codes)
    return f'{heading}<table id="codes"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


def _code(code: CodeStatus, status: Status, lang: str, text: Text) -> str:
    info = code.info
    severity = code.severity or "none"
    title = text["trend_title"].format(
        total=code.count, window=word("window", status.window, lang), step=status.slot_minutes
    )
    cells = (
        f"<td><code>{e(code.code)}</code></td>"
        f"<td>{e(info.reason if info else '')}</td>"
        f'<td class="num">{code.count}</td>'
        f"<td>{sparkline(code.trend, title)}{_since(code, text)}</td>"
        f"<td>{e(word('category', info.category, lang) if info else '')}</td>"
        f'<td class="sev">{e(word("severity", info.severity, lang) if info else "")}</td>'
    )
    attributes = f'data-code="{e(code.code)}" data-profile="{e(code.profile)}"'
    return (
        f'<tr class="code sev-{e(severity)}" {attributes}>{cells}</tr>'
        f'<tr class="where sev-{e(severity)}" {attributes}><td colspan="{len(_HEADS)}">'
        f"{_where(code, lang, text)}{_explained(code, lang, text)}</td></tr>"
    )


def _since(code: CodeStatus, text: Text) -> str:
    if code.since is None:
        return ""
    when = datetime.datetime.fromtimestamp(code.since, tz=datetime.UTC).strftime("%H:%M UTC")
    return f'<br><span class="since">{e(text["since"].format(when=when))}</span>'


def _where(code: CodeStatus, lang: str, text: Text) -> str:
    def method(names: tuple[str, ...]) -> str:
        if names[0] == OVERFLOW:
            return text["summed"]
        return f"{names[0]} · {word('direction', names[1], lang)}"

    def device(names: tuple[str, ...]) -> str:
        return text["summed"] if names[0] == OVERFLOW else word("peer_type", names[0], lang)

    peers = "".join(
        f"<li><code>{e(p.peer)}</code> {e(word('peer_type', p.peer_type, lang))} "
        f"({e(p.source)}): {p.failures}</li>"
        for p in code.peers
    )
    parts = (
        ("by_method", _listed(code.methods, method, text), "methods"),
        ("by_device", _listed(code.devices, device, text), "devices"),
        ("by_source", _listed(code.sources, lambda names: names[0], text), "sources"),
        ("peers", f"<ul>{peers}</ul>" if peers else "", "peers"),
    )
    blocks = "".join(
        f'<div class="{name}"><strong>{e(text[key])}</strong>{body}</div>'
        for key, body, name in parts
        if body
    )
    return f'<div class="split">{blocks}</div>'


def _listed(split: Split, named: Callable[[tuple[str, ...]], str], text: Text) -> str:
    if not split.top:
        return ""
    items = "".join(f"<li>{e(named(share.names))}: {share.count}</li>" for share in split.top)
    rest = f"<li>{e(text['rest'])}: {split.rest}</li>" if split.rest else ""
    return f"<ul>{items}{rest}</ul>"


def _explained(code: CodeStatus, lang: str, text: Text) -> str:
    info = code.info
    if info is None:
        return f"<p>{e(text['not_listed'])}</p>"
    said = [
        ("user", getattr(info.user, lang), "user"),
        ("engineer", getattr(info.engineer, lang), "engineer"),
    ]
    if info.check_first is not None:
        said.append(("check_first", getattr(info.check_first, lang), "check"))
    items = "".join(
        f'<dt>{e(text[key])}</dt><dd class="{name}">{e(value)}</dd>' for key, value, name in said
    )
    return f"<dl>{items}</dl>"
