"""The landing page: its language, its escaping, the codes of the last minutes, and the
page itself in a real headless Chromium against a real exporter fed with a test log.

The browser test keeps its screenshots in test-artifacts/ (landing-zh.png,
landing-en.png) for a person to look at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from exporter.catalog import Catalog, CodeInfo
from exporter.data import builtin_catalog_text
from exporter.serve.families import SourceGauges
from exporter.serve.landing import Page, SourceStatus, choose_language, render
from exporter.serve.recent import History, RecentCode
from tests import sipmsg
from tests.browser import chromium
from tests.support import REPO, Exporter, running_exporter, value, wait_until

ARTIFACTS = REPO / "test-artifacts"
CATALOG = Catalog.from_yaml(builtin_catalog_text())
PROFILE = "gb28181-platform"
HOSTILE = '<img src=x onerror="alert(1)">'


@pytest.mark.parametrize(
    ("query", "accept", "chosen"),
    [
        ("", "zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        ("", "zh-TW", "zh"),
        ("", "en-US,en;q=0.9,zh-CN;q=0.8", "en"),
        ("", "fr-FR, en;q=0.3, zh;q=0.7", "zh"),
        ("", "fr-FR", "en"),
        ("", None, "en"),
        ("", "zh;q=nonsense, en", "en"),
        ("lang=en", "zh-CN", "en"),
        ("lang=zh", "en", "zh"),
        ("lang=fr", "zh-CN", "zh"),
    ],
)
def test_the_language_comes_from_the_link_then_the_browser(
    query: str, accept: str | None, chosen: str
) -> None:
    assert choose_language(query, accept) == chosen


def info(code: str) -> CodeInfo:
    found = CATALOG.lookup(code, PROFILE)
    assert found is not None
    return found


def page(**changes: object) -> Page:
    values: dict[str, object] = {
        "version": "1.0",
        "telemetry_path": "/metrics",
        "ready": True,
        "sources": [
            SourceStatus(
                "wvp", "sip", ("/var/log/wvp/*.log",), ("/var/log/wvp/a.log",),
                SourceGauges(1, 0, 1_700_000_000.0), PROFILE,
            )
        ],
        "recent": [
            RecentCode("wvp", "200", 40, info("200")),
            RecentCode("wvp", "503", 3, info("503")),
            RecentCode("wvp", "408", 7, info("408")),
            RecentCode("wvp", "other", 2, None),
        ],
        "window_minutes": 15,
        "now": 1_700_000_060.0,
    }  # fmt: skip
    values.update(changes)
    return Page(**values)  # type: ignore[arg-type]


def code_rows(text: str) -> list[str]:
    return re.findall(r'<tr class="sev-[a-z]+" data-code="([^"]+)">', text)


def test_codes_are_listed_most_severe_first_then_by_count() -> None:
    # 408 and 503 are both critical; 408 was seen more often.
    assert code_rows(render(page(), "en")) == ["408", "503", "200", "other"]


def test_both_explanations_are_shown_in_the_chosen_language() -> None:
    for lang in ("zh", "en"):
        text = render(page(), lang)
        for code in ("503", "408"):
            assert getattr(info(code).user, lang) in text
            assert getattr(info(code).engineer, lang) in text
    assert '<html lang="zh-CN">' in render(page(), "zh")
    assert "最近 15 分钟出现的响应码" in render(page(), "zh")
    assert "Codes in the last 15 minutes" in render(page(), "en")


def test_an_empty_window_says_so() -> None:
    assert "No responses in the last 15 minutes." in render(page(recent=[]), "en")


def test_every_value_is_escaped() -> None:
    hostile_info = CodeInfo(
        "599", PROFILE, HOSTILE, "other", "error", "platform", HOSTILE,
        *(type(info("503").user)(zh=HOSTILE, en=HOSTILE),) * 2,
    )  # fmt: skip
    text = render(
        page(
            sources=[
                SourceStatus(
                    HOSTILE, HOSTILE, (HOSTILE,), (f"/logs/{HOSTILE}.log",),
                    SourceGauges(1, 5, 0.0), HOSTILE,
                )
            ],
            recent=[RecentCode(HOSTILE, HOSTILE, 1, hostile_info)],
            telemetry_path='/m"><script>alert(1)</script>',
        ),
        "en",
    )  # fmt: skip
    assert "<img" not in text and "<script" not in text
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in text


def test_the_history_gives_the_increase_over_the_window() -> None:
    history = History(window=900.0, step=60.0)
    history.record(0.0, {("wvp", "503"): 5})
    assert history.increase(30.0, {("wvp", "503"): 7, ("wvp", "200"): 1}) == {
        ("wvp", "503"): 2,
        ("wvp", "200"): 1,
    }
    assert not history.due(30.0) and history.due(60.0)
    for minute in range(1, 31):
        history.record(minute * 60.0, {("wvp", "503"): 5 + minute})
    # 15 minutes before minute 30 the total was 20: 15 since then, and nothing unchanged.
    assert history.increase(30 * 60.0, {("wvp", "503"): 35, ("wvp", "486"): 0}) == {
        ("wvp", "503"): 15
    }


@dataclass
class Fed:
    exporter: Exporter
    hostile_file: Path


@pytest.fixture
def fed(tmp_path: Path) -> Iterator[Fed]:
    logs = tmp_path / "logs"
    logs.mkdir()
    text = sipmsg.response(503) * 3 + sipmsg.response(408) * 2 + sipmsg.response(200) * 5
    text += sipmsg.dump("SIP/2.0 301 Moved Permanently", "INVITE")
    (logs / "wvp.log").write_text(text)
    hostile_file = logs / f"{HOSTILE}.log"
    hostile_file.write_text(sipmsg.response(486))
    config = tmp_path / "config.yml"
    config.write_text(
        "poll_interval: 100ms\n"
        f"sources: [{{name: wvp, paths: ['{logs}/*.log'], start_at: beginning,"
        " require_wrapper: true}]\n"
    )
    with running_exporter(config) as exporter:
        wait_until(
            lambda: value(exporter.scrape(), "sip_responses_total", source="wvp") == 12,
            what="the test log to be counted",
        )
        yield Fed(exporter, hostile_file)


ROWS = """[...document.querySelectorAll('#codes tbody tr')].map(tr =>
  [...tr.querySelectorAll('td')].map(td => td.innerText))"""
SOURCES = """[...document.querySelectorAll('#sources tbody tr')].map(tr =>
  [...tr.querySelectorAll('td')].map(td => td.innerText))"""


@pytest.mark.system
def test_the_page_in_a_browser_shows_codes_sources_and_switches_language(fed: Fed) -> None:
    with chromium() as browser:
        browser.open(fed.exporter.url + "/", accept_language="zh-CN,zh;q=0.9")
        assert browser.evaluate("document.documentElement.lang") == "zh-CN"
        assert "最近 15 分钟出现的响应码" in browser.evaluate("document.body.innerText")
        rows = browser.evaluate(ROWS)
        shown = {row[1]: row for row in rows}
        assert [row[1] for row in rows] == ["503", "408", "301", "486", "200"]
        for code, count in (("503", 3), ("408", 2), ("200", 5), ("301", 1), ("486", 1)):
            source, _, reason, counted, category, severity, user, engineer = shown[code]
            entry = info(code)
            assert (source, reason, int(counted)) == ("wvp", entry.reason, count)
            assert (category, severity) == (entry.category, entry.severity)
            assert (user, engineer) == (entry.user.zh, entry.engineer.zh)
        assert shown["301"][6] == "设备不在线"  # the platform profile's meaning of 301
        (source_row,) = browser.evaluate(SOURCES)
        assert source_row[0] == "wvp" and source_row[4] == "正常跟踪" and source_row[5] == "0"
        assert (source_row[1], source_row[2]) == ("sip", "gb28181-platform")
        assert str(fed.hostile_file) in source_row[3]  # shown as text
        assert browser.evaluate("document.querySelectorAll('img, script').length") == 0
        links = browser.evaluate("[...document.querySelectorAll('a')].map(a => a.pathname)")
        assert {"/metrics", "/-/healthy", "/-/ready"} <= set(links)
        browser.screenshot(ARTIFACTS / "landing-zh.png")

        browser.click('nav.lang a[href="?lang=en"]')
        browser.wait_loaded("lang=en")
        assert browser.evaluate("document.documentElement.lang") == "en"
        english = {row[1]: row for row in browser.evaluate(ROWS)}
        assert english["503"][6:] == [info("503").user.en, info("503").engineer.en]
        assert "Codes in the last 15 minutes" in browser.evaluate("document.body.innerText")
        browser.screenshot(ARTIFACTS / "landing-en.png")

        browser.open(fed.exporter.url + "/", accept_language="en-GB,en;q=0.9")
        assert browser.evaluate("document.documentElement.lang") == "en"
    assert (ARTIFACTS / "landing-zh.png").stat().st_size > 10_000
