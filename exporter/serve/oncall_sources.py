"""The landing page's sources: the silent ones first, in words, then how each one reads
and how slowly its platform answers.

Owns the HTML of the sources: a box naming every source that reads nothing and why (the
"no silent zero" states), then one row per source with its state, files, lag, last
record, responses and failures with their trend, SRD p95, response-time p95 by method,
timeouts, retransmissions and open transactions over the window. Every value from logs,
files or config goes through `html.escape`. Pure.
"""

from __future__ import annotations

import datetime
import html

from exporter.serve.page_text import Text
from exporter.serve.sparkline import sparkline
from exporter.serve.status import SourceState, Status, Timing
from exporter.vocabulary import word

e = html.escape
_HEADS = ("source", "state", "reading", "responses", "failures", "srd", "timings", "transactions")


def silent_box(status: Status, lang: str, text: Text) -> str:
    silent = [s for s in status.sources if s.silent]
    if not silent:
        return ""
    items = "".join(
        f'<li data-source="{e(s.name)}"><strong>{e(s.name)}</strong> '
        f"({e(word('state', s.state, lang))}): "
        f"{e(text[s.state].format(patterns=', '.join(s.patterns)))}</li>"
        for s in silent
    )
    heading = f"<h2>{e(text['silent'])}</h2>"
    return f'<section class="silent" id="silent">{heading}<ul>{items}</ul></section>'


def sources_section(status: Status, lang: str, text: Text) -> str:
    head = "".join(f"<th>{e(text[h])}</th>" for h in _HEADS)
    rows = "".join(_source(s, status, lang, text) for s in status.sources)
    return (
        f"<h2>{e(text['sources'])}</h2>"
        f'<table id="sources"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'
    )


def _source(source: SourceState, status: Status, lang: str, text: Text) -> str:
    files = "<br>".join(f'<span class="path">{e(path)}</span>' for path in source.files)
    patterns = "<br>".join(f"<code>{e(p)}</code>" for p in source.patterns)
    title = text["trend_title"].format(
        total=source.responses, window=word("window", status.window, lang), step=status.slot_minutes
    )
    srd = _seconds(source.srd_p95) if source.srd_p95 is not None else "–"
    cells = (
        f"<td><strong>{e(source.name)}</strong><br><small>{e(source.format)} · "
        f"{e(source.profile)}<br>{files or e(text['no_file'])}<br>"
        f"{e(text['patterns'])} {patterns}</small></td>",
        f'<td class="state-{e(source.state)}">{e(word("state", source.state, lang))}</td>',
        f'<td><span class="lag">{e(text["lag"])}: {source.lag_bytes}</span><br>'
        f'<span class="last">{e(text["last_record"])}: {e(_last(source, status.now, text))}'
        "</span></td>",
        f'<td class="num">{source.responses}<br>{sparkline(source.trend, title)}</td>',
        f'<td class="num">{source.failures}</td>',
        f'<td class="num">{e(srd)}</td>',
        f"<td>{_timings(source.timings, text)}</td>",
        f"<td>{_transactions(source, text)}</td>",
    )
    return f'<tr data-source="{e(source.name)}">{"".join(cells)}</tr>'


def _transactions(source: SourceState, text: Text) -> str:
    counts = (
        ("timeouts", source.timeouts),
        ("retransmissions", source.retransmissions),
        ("open", source.open_transactions),
    )
    return "<br>".join(
        f'<span class="{name}">{e(text[name])}: <b>{n}</b></span>' for name, n in counts
    )


def _timings(timings: tuple[Timing, ...], text: Text) -> str:
    if not timings:
        return f"<small>{e(text['no_timing'])}</small>"
    items = "".join(
        f'<li data-method="{e(t.method)}"><code>{e(t.method)}</code> '
        f"{e(_seconds(t.p95) if t.p95 is not None else '–')} "
        f"<small>({e(_counts(t, text))})</small></li>"
        for t in timings
    )
    return f'<ul class="timings">{items}</ul>'


def _counts(timing: Timing, text: Text) -> str:
    counts = [text["answered"].format(n=timing.answered)]
    if timing.timeouts:
        counts.append(f"{text['timeouts']} {timing.timeouts}")
    if timing.retransmissions:
        counts.append(f"{text['retransmissions']} {timing.retransmissions}")
    return ", ".join(counts)


def _seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def _last(source: SourceState, now: float, text: Text) -> str:
    if not source.last_record:
        return text["none_yet"]
    ago = text["ago"].format(seconds=max(0, round(now - source.last_record)))
    return f"{when(source.last_record)} ({ago})"


def when(timestamp: float) -> str:
    moment = datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
