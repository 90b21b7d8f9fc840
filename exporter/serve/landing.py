"""The landing page at `/`: what the person on call needs on one screen.

Owns the page's HTML in its two languages: the sources with their files, state, lag and
last record; the codes seen in the last minutes with their counts and the catalog's
explanations for the user and for the engineer; links to the metrics and the health
endpoints. Chinese or English is chosen by `?lang=` first, then by the browser's
Accept-Language, and switched by a link. Plain HTML with inline CSS: no script, no
external asset, so the page works offline. Every value from logs, files or config is
escaped. Pure: values in, text out.
"""

from __future__ import annotations

import datetime
import html
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass

from exporter.serve.families import SourceGauges
from exporter.serve.recent import RecentCode

LANGUAGES = ("zh", "en")
REFRESH_SECONDS = 30
_SEVERITY_ORDER = ("critical", "error", "warning", "info")

_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "html_lang": "en",
        "lead": "Follows SIP and GB/T 28181 platform logs and counts every response code, "
        "explained by its catalog, for Prometheus.",
        "version": "Version",
        "ready": "Ready: every source has been read once.",
        "not_ready": "Starting: the first pass over the sources is not done yet.",
        "metrics": "Metrics",
        "healthy": "Health",
        "readiness": "Readiness",
        "sources": "Sources",
        "source": "source",
        "format": "format",
        "profile": "profile",
        "files": "files followed",
        "state": "state",
        "lag": "lag (bytes)",
        "last_record": "last record",
        "no_file": "(no file yet)",
        "patterns": "patterns:",
        "waiting": "waiting for files",
        "catching_up": "catching up",
        "following": "following",
        "no_files": "no file matches its patterns: nothing is counted",
        "no_records": (
            "its files give lines but no record: is the format right? "
            "`sip-log-exporter detect FILE` tells"
        ),
        "none_yet": "none yet",
        "codes": "Codes in the last {minutes} minutes",
        "code": "code",
        "reason": "reason",
        "count": "count",
        "category": "category",
        "severity": "severity",
        "user": "for the user",
        "engineer": "for the engineer",
        "no_codes": "No responses in the last {minutes} minutes.",
        "not_listed": "Not in the catalog.",
        "updated": "Shown at {when}; the page refreshes every {seconds} s.",
        "ago": "{seconds} s ago",
    },
    "zh": {
        "html_lang": "zh-CN",
        "lead": "跟踪 SIP 与 GB/T 28181 平台日志，统计每一个响应码并附上码表说明，"
        "供 Prometheus 采集。",
        "version": "版本",
        "ready": "就绪：所有日志源都已读过一遍。",
        "not_ready": "启动中：第一遍读取尚未完成。",
        "metrics": "指标",
        "healthy": "健康检查",
        "readiness": "就绪检查",
        "sources": "日志源",
        "source": "日志源",
        "format": "格式",
        "profile": "码表配置",
        "files": "正在跟踪的文件",
        "state": "状态",
        "lag": "积压（字节）",
        "last_record": "最近一条记录",
        "no_file": "（尚无文件）",
        "patterns": "匹配模式：",
        "waiting": "等待日志文件",
        "catching_up": "正在追赶",
        "following": "正常跟踪",
        "no_files": "没有文件匹配其路径：什么都没有统计",
        "no_records": (
            "文件有日志行但没有一条记录：格式是否正确？可用 `sip-log-exporter detect FILE` 检查"
        ),
        "none_yet": "尚无",
        "codes": "最近 {minutes} 分钟出现的响应码",
        "code": "响应码",
        "reason": "原因短语",
        "count": "次数",
        "category": "类别",
        "severity": "严重程度",
        "user": "用户看到的原因",
        "engineer": "工程师排查方向",
        "no_codes": "最近 {minutes} 分钟没有响应。",
        "not_listed": "码表中没有此码。",
        "updated": "生成于 {when}；页面每 {seconds} 秒刷新。",
        "ago": "{seconds} 秒前",
    },
}

_STYLE = """
body{font-family:system-ui,"Noto Sans CJK SC","WenQuanYi Micro Hei","Microsoft YaHei",sans-serif;
margin:1.5em 2em;color:#1d2433;background:#fff;line-height:1.45}
header{display:flex;align-items:baseline;justify-content:space-between;gap:1em;flex-wrap:wrap}
h1{margin:0;font-size:1.6em}h2{margin-top:1.6em;font-size:1.2em}
nav.lang a,nav.lang strong{margin-left:.6em}.lead{color:#4a5468}
.status{padding:.4em .7em;border-radius:4px;display:inline-block}
.ok{background:#e3f4e6}.starting{background:#fff3d6}
table{border-collapse:collapse;width:100%;margin:.6em 0}
td,th{border:1px solid #d5d9e2;padding:.35em .6em;text-align:left;vertical-align:top}
th{background:#f1f3f7;font-weight:600;white-space:nowrap}td.nowrap{white-space:nowrap}td.num{text-align:right;font-variant-numeric:tabular-nums}
code,.path{font-family:ui-monospace,monospace;font-size:.92em;word-break:break-all}
tr.sev-critical td.sev,tr.sev-error td.sev{color:#a40e26;font-weight:600}
tr.sev-warning td.sev{color:#9a5b00}tr.sev-info td.sev{color:#1f6f3f}
.state-waiting{color:#9a5b00}.state-catching_up{color:#2850a0}.state-following{color:#1f6f3f}
.state-no_files,.state-no_records{color:#a40e26;font-weight:600}
footer{margin-top:2em;color:#6b7385;font-size:.9em}
"""


@dataclass(frozen=True, slots=True)
class SourceStatus:
    name: str
    format: str
    patterns: tuple[str, ...]
    files: tuple[str, ...]
    gauges: SourceGauges
    profile: str = ""


@dataclass(frozen=True, slots=True)
class Page:
    """Everything the page shows, taken at one moment."""

    version: str
    telemetry_path: str
    ready: bool
    sources: Sequence[SourceStatus]
    recent: Sequence[RecentCode]
    window_minutes: int
    now: float


def choose_language(query: str, accept_language: str | None) -> str:
    """`zh` or `en`: from `?lang=`, else the browser's preferred one, else English."""
    asked = urllib.parse.parse_qs(query).get("lang", [""])[-1]
    if asked in LANGUAGES:
        return asked
    best, best_q = "en", 0.0
    for item in (accept_language or "").split(","):
        tag, *params = (part.strip() for part in item.split(";"))
        primary = tag.split("-")[0].lower()
        q = 1.0
        for param in params:
            name, _, given = param.partition("=")
            if name.strip() == "q":
                try:
                    q = float(given)
                except ValueError:
                    q = 0.0
        if primary in LANGUAGES and q > best_q:
            best, best_q = primary, q
    return best


def render(page: Page, lang: str) -> str:
    text = _TEXT[lang]
    e = html.escape
    switch = " ".join(
        f"<strong>{name}</strong>" if code == lang else f'<a href="?lang={code}">{name}</a>'
        for code, name in (("zh", "中文"), ("en", "English"))
    )
    state = (
        f'<p class="status ok">{e(text["ready"])}</p>'
        if page.ready
        else f'<p class="status starting">{e(text["not_ready"])}</p>'
    )
    minutes = page.window_minutes
    return f"""<!doctype html>
<html lang="{text["html_lang"]}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="{REFRESH_SECONDS}">
<title>sip-log-exporter</title><style>{_STYLE}</style></head><body>
<header><h1>sip-log-exporter</h1><nav class="lang">{switch}</nav></header>
<p class="lead">{e(text["lead"])} {e(text["version"])} {e(page.version)}.</p>
{state}
<p class="links"><a href="{e(page.telemetry_path)}">{e(text["metrics"])}</a> ·
<a href="/-/healthy">{e(text["healthy"])}</a> · <a href="/-/ready">{e(text["readiness"])}</a></p>
<h2>{e(text["sources"])}</h2>
{_sources_table(page, text)}
<h2>{e(text["codes"].format(minutes=minutes))}</h2>
{_codes_table(page, lang, text)}
<footer>{e(text["updated"].format(when=_when(page.now), seconds=REFRESH_SECONDS))}</footer>
</body></html>
"""


def _sources_table(page: Page, text: dict[str, str]) -> str:
    heads = ("source", "format", "profile", "files", "state", "lag", "last_record")
    rows = []
    for status in page.sources:
        state = _state(status.gauges)
        files = "<br>".join(
            f'<span class="path">{html.escape(path)}</span>' for path in status.files
        )
        patterns = "<br>".join(f"<code>{html.escape(p)}</code>" for p in status.patterns)
        last = status.gauges.last_record
        seen = (
            f"{_when(last)} ({text['ago'].format(seconds=max(0, round(page.now - last)))})"
            if last
            else text["none_yet"]
        )
        cells = (
            f"<td>{html.escape(status.name)}</td>",
            f"<td>{html.escape(status.format)}</td>",
            f"<td>{html.escape(status.profile)}</td>",
            f"<td>{files or html.escape(text['no_file'])}<br>"
            f"<small>{html.escape(text['patterns'])} {patterns}</small></td>",
            f'<td class="nowrap state-{state}">{html.escape(text[state])}</td>',
            f'<td class="num">{status.gauges.lag_bytes}</td>',
            f"<td>{html.escape(seen)}</td>",
        )
        rows.append(f'<tr data-source="{html.escape(status.name)}">{"".join(cells)}</tr>')
    return _table("sources", heads, text, rows)


def _state(gauges: SourceGauges) -> str:
    if gauges.silent:
        return gauges.silent  # no silent zero: the words say why it counts nothing
    if gauges.files == 0:
        return "waiting"
    return "catching_up" if gauges.lag_bytes > 0 else "following"


def _codes_table(page: Page, lang: str, text: dict[str, str]) -> str:
    if not page.recent:
        empty = text["no_codes"].format(minutes=page.window_minutes)
        return f'<p id="no-codes">{html.escape(empty)}</p>'
    heads = ("source", "code", "reason", "count", "category", "severity", "user", "engineer")
    rows = []
    for recent in sorted(page.recent, key=_importance):
        info = recent.info
        severity = info.severity if info else ""
        explained = (
            (getattr(info.user, lang), getattr(info.engineer, lang))
            if info
            else (text["not_listed"], "")
        )
        cells = (
            recent.source,
            recent.code,
            info.reason if info else "",
            str(recent.count),
            info.category if info else "",
            severity,
            *explained,
        )
        classes = ("", "", "", ' class="num"', "", ' class="sev"', "", "")
        tds = "".join(f"<td{c}>{html.escape(v)}</td>" for c, v in zip(classes, cells, strict=True))
        rows.append(
            f'<tr class="sev-{html.escape(severity or "none")}" '
            f'data-code="{html.escape(recent.code)}">{tds}</tr>'
        )
    return _table("codes", heads, text, rows)


def _importance(recent: RecentCode) -> tuple[int, int, str, str]:
    severity = recent.info.severity if recent.info else ""
    rank = _SEVERITY_ORDER.index(severity) if severity in _SEVERITY_ORDER else len(_SEVERITY_ORDER)
    return rank, -recent.count, recent.source, recent.code


def _table(name: str, heads: Sequence[str], text: dict[str, str], rows: Sequence[str]) -> str:
    header = "".join(f"<th>{html.escape(text[h])}</th>" for h in heads)
    return (
        f'<table id="{name}"><thead><tr>{header}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )


def _when(timestamp: float) -> str:
    moment = datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
