"""The landing page at `/`: the page the person on call opens first.

Owns the page's frame and its language: the header with the language and window
switches (plain links: `?lang=zh|en`, `?window=15m|1h|6h`), the readiness line, the links
to the metrics, the JSON twin and the health endpoints, then the silent sources, the codes
(`oncall_codes`) and the sources (`oncall_sources`). Plain HTML with inline CSS and inline
SVG: no script, no outside asset, so the page works offline under a strict CSP. The
language is `?lang=` first, then the `--web.landing-language` setting, then the browser:
Chinese unless its Accept-Language prefers English. Pure: values in, text out.
"""

from __future__ import annotations

import html
import urllib.parse

from exporter.serve.oncall_codes import codes_section
from exporter.serve.oncall_sources import silent_box, sources_section, when
from exporter.serve.page_text import STYLE, TEXT
from exporter.serve.status import WINDOWS, Status
from exporter.vocabulary import word

LANGUAGES = ("zh", "en")
SETTINGS = ("auto", *LANGUAGES)
REFRESH_SECONDS = 30
_NAMES = (("zh", "中文"), ("en", "English"))


def query_value(query: str, name: str) -> str:
    return urllib.parse.parse_qs(query).get(name, [""])[-1]


def choose_language(query: str, accept_language: str | None, setting: str = "auto") -> str:
    """`zh` or `en`: `?lang=`, else the setting if not `auto`, else Chinese unless the
    browser prefers English (a higher q-value for `en` than for `zh`)."""
    asked = query_value(query, "lang")
    if asked in LANGUAGES:
        return asked
    if setting in LANGUAGES:
        return setting
    preference = _preferences(accept_language or "")
    return "en" if preference.get("en", 0.0) > preference.get("zh", 0.0) else "zh"


def _preferences(accept_language: str) -> dict[str, float]:
    """The highest q-value given to each primary language tag."""
    found: dict[str, float] = {}
    for item in accept_language.split(","):
        tag, *params = (part.strip() for part in item.split(";"))
        q = 1.0
        for param in params:
            name, _, given = param.partition("=")
            if name.strip() == "q":
                try:
                    q = float(given)
                except ValueError:
                    q = 0.0
        primary = tag.split("-")[0].lower()
        found[primary] = max(found.get(primary, 0.0), q)
    return found


def render(status: Status, lang: str, telemetry_path: str = "/metrics") -> str:
    text = TEXT[lang]
    e = html.escape
    state = (
        f'<p class="status ok">{e(text["ready"])}</p>'
        if status.ready
        else f'<p class="status starting">{e(text["not_ready"])}</p>'
    )
    return f"""<!doctype html>
<html lang="{text["html_lang"]}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="{REFRESH_SECONDS}">
<title>sip-log-exporter</title><style>{STYLE}</style></head><body>
<header><h1>sip-log-exporter</h1>{_switches(status, lang)}</header>
<p class="lead">{e(text["lead"])} {e(text["version"])} {e(status.version)}.</p>
{state}
<p class="links"><a href="{e(telemetry_path)}">{e(text["metrics"])}</a> ·
<a href="/api/v1/status?window={status.window}">{e(text["status_json"])}</a> ·
<a href="/-/healthy">{e(text["healthy"])}</a> · <a href="/-/ready">{e(text["readiness"])}</a></p>
{silent_box(status, lang, text)}
{codes_section(status, lang, text)}
{sources_section(status, lang, text)}
<footer>{e(text["updated"].format(when=when(status.now), seconds=REFRESH_SECONDS))}</footer>
</body></html>
"""


def _switches(status: Status, lang: str) -> str:
    languages = " ".join(
        f"<strong>{name}</strong>"
        if code == lang
        else f'<a href="?lang={code}&amp;window={status.window}">{name}</a>'
        for code, name in _NAMES
    )
    named = {name: html.escape(word("window", name, lang)) for name in WINDOWS}
    windows = " ".join(
        f"<strong>{shown}</strong>"
        if name == status.window
        else f'<a href="?lang={lang}&amp;window={name}">{shown}</a>'
        for name, shown in named.items()
    )
    label = html.escape(TEXT[lang]["window"])
    return f'<nav class="window">{label}{windows}</nav><nav class="lang">{languages}</nav>'
