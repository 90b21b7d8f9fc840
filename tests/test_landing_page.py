"""The landing page: its language, its words, its order, its where and since when, and its
escaping, rendered from the status its JSON twin shares.

The pages here are rendered from a real tally and the page's memory (`Recent`), filled
through the same counting step as the exporter's; tests/test_oncall_page.py runs them in a
real exporter and a real headless Chromium.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence

import pytest

from exporter import contract
from exporter.catalog import Catalog, CodeInfo
from exporter.count.labels import Labeler
from exporter.count.tally import Tally
from exporter.data import builtin_catalog_text
from exporter.events import Direction, Event, Kind
from exporter.serve.families import SourceGauges
from exporter.serve.landing import choose_language, render
from exporter.serve.recent import Recent
from exporter.serve.status import SourceInput, Status
from exporter.serve.status_build import build
from exporter.serve.status_json import as_json
from exporter.vocabulary import word
from tests.support import REPO

CATALOG = Catalog.from_yaml(builtin_catalog_text())
PROFILE = "gb28181-platform"
HOSTILE = '<script>alert("x")</script>\'"'
NOW = 1_700_000_000.0
CAMERA = "34020000001320000001"  # type 132: an IP camera
NVR = "34020000001180000002"  # type 118: an NVR


@pytest.mark.parametrize(
    ("query", "accept", "setting", "chosen"),
    [
        ("", "zh-CN,zh;q=0.9,en;q=0.8", "auto", "zh"),
        ("", "zh-TW", "auto", "zh"),
        ("", "en-US,en;q=0.9,zh-CN;q=0.8", "auto", "en"),
        ("", "fr-FR, en;q=0.3, zh;q=0.7", "auto", "zh"),
        ("", "fr-FR, en;q=0.3", "auto", "en"),
        ("", "fr-FR", "auto", "zh"),
        ("", None, "auto", "zh"),
        ("", "zh;q=nonsense, en", "auto", "en"),
        ("", "en;q=0.5, zh;q=0.5", "auto", "zh"),
        ("", "en-US", "zh", "zh"),
        ("", "zh-CN", "en", "en"),
        ("lang=en", "zh-CN", "zh", "en"),
        ("lang=zh", "en", "en", "zh"),
        ("lang=fr", "en", "auto", "en"),
    ],
)
def test_the_language_is_the_link_then_the_setting_then_chinese_unless_english_is_preferred(
    query: str, accept: str | None, setting: str, chosen: str
) -> None:
    assert choose_language(query, accept, setting) == chosen


def event(code: str, method: str = "INVITE", direction: str = "in", peer: str = CAMERA) -> Event:
    """A response the platform received from `peer` (or sent to it)."""
    users = ("", peer) if direction == Direction.IN else (peer, "")
    return Event(Kind.RESPONSE, Direction(direction), method, code, "", "", *users)


def status(
    events: Sequence[Event],
    *,
    source: str = "wvp",
    gauges: SourceGauges | None = None,
    more: Sequence[SourceInput] = (),
) -> Status:
    """The 1-hour status after `events` were counted a minute ago."""
    tally, recent = Tally({}), Recent()
    recent.start(NOW - 600, tally.snapshot())
    labeler = Labeler(source, PROFILE, CATALOG.classify)
    counted = labeler.count(events)
    tally.add(contract.RESPONSES.name, counted.responses)
    recent.note(NOW - 60, source, counted)
    recent.tick(NOW - 60, tally.snapshot())
    given = SourceInput(
        source, "sip", ("/var/log/wvp/*.log",), ("/var/log/wvp/a.log",),
        gauges or SourceGauges(1, 0, NOW - 5), PROFILE,
    )  # fmt: skip
    observed = recent.window(NOW, tally.snapshot(), 60, 1)
    return build(
        observed, [*more, given], CATALOG.lookup, version="1.0", now=NOW, ready=True, window="1h"
    )


def info(code: str) -> CodeInfo:
    found = CATALOG.lookup(code, PROFILE)
    assert found is not None
    return found


def code_rows(text: str) -> list[str]:
    return re.findall(r'<tr class="code sev-[a-z]+" data-code="([^"]+)"', text)


MIXED = [
    *[event("200")] * 40,
    *[event("503")] * 3,
    *[event("408", "REGISTER", "out")] * 7,
    *[event("999")] * 2,
]


def test_codes_are_listed_most_severe_first_then_by_count() -> None:
    # 408 and 503 are both critical; 408 was seen more often; 999 is no catalog code.
    assert code_rows(render(status(MIXED), "en")) == ["408", "503", "200", "other"]


def test_each_code_is_split_by_method_direction_device_and_source_with_the_rest_summed() -> None:
    events = [event("503", method, "in", CAMERA) for method in ("INVITE", "MESSAGE")]
    events += [event("503", "INVITE", "in", NVR)] * 3
    events += [event("503", f"M{i}", "out") for i in range(6)]  # six more methods: OTHER
    events += [event("503", method) for method in ("BYE", "INFO", "ACK", "CANCEL", "PRACK")]
    (code,) = as_json(status(events))["codes"]
    assert code["count"] == 16
    assert code["by_method"]["top"][:2] == [
        {"method": "OTHER", "direction": "out", "count": 6},
        {"method": "INVITE", "direction": "in", "count": 4},
    ]
    assert len(code["by_method"]["top"]) == 5 and code["by_method"]["rest"] == 3
    assert code["by_device"] == {
        "top": [
            {"peer_type": "ipc", "count": 13},
            {"peer_type": "nvr", "count": 3},
        ],
        "rest": 0,
    }
    assert code["by_source"] == {"top": [{"source": "wvp", "count": 16}], "rest": 0}
    assert code["top_peers"][0] == {
        "peer": CAMERA, "peer_type": "ipc", "source": "wvp", "failures": 13,
    }  # fmt: skip


def test_explanations_and_the_check_first_line_are_in_the_chosen_language() -> None:
    for lang in ("zh", "en"):
        text = render(status(MIXED), lang)
        for code in ("503", "408"):
            entry = info(code)
            assert entry.check_first is not None
            for said in (entry.user, entry.engineer, entry.check_first):
                assert html.escape(getattr(said, lang)) in text
    assert '<html lang="zh-CN">' in render(status(MIXED), "zh")
    assert "最近 1 小时 出现的响应码" in render(status(MIXED), "zh")
    assert "Codes in the last 1 hour" in render(status(MIXED), "en")


def test_a_chinese_page_shows_no_english_value() -> None:
    text = render(status(MIXED), "zh")
    shown = re.sub(r"<[^>]*>", " ", re.sub(r"<style>.*?</style>", "", text, flags=re.S))
    for english in ("overload", "critical", "timeout", "success", "following", "received"):
        assert not re.search(rf"\b{english}\b", shown), english
    assert word("category", "overload", "zh") in shown
    assert word("severity", "critical", "zh") in shown
    assert word("state", "following", "zh") in shown
    assert word("peer_type", "ipc", "zh") in shown


def test_an_empty_window_says_so() -> None:
    assert "No responses in the last 1 hour." in render(status([]), "en")


def test_the_window_switch_is_three_links_that_keep_the_language() -> None:
    text = render(status(MIXED), "en")
    assert '<a href="?lang=en&amp;window=15m">15 minutes</a>' in text
    assert '<a href="?lang=en&amp;window=6h">6 hours</a>' in text
    assert "<strong>1 hour</strong>" in text


def test_sources_that_read_nothing_come_first_and_say_why_in_words() -> None:
    quiet = SourceInput(
        "cams", "sip", ("/mnt/cams/*.log",), (), SourceGauges(silent="no_files"), PROFILE
    )
    page = status(MIXED, more=[quiet])
    assert [s.name for s in page.sources] == ["cams", "wvp"]
    text = render(page, "en")
    box = text[text.index('id="silent"') : text.index('id="codes"')]
    assert "cams" in box and "no file matches its patterns /mnt/cams/*.log" in box
    zh = render(page, "zh")
    assert "没有文件匹配其路径 /mnt/cams/*.log" in zh


def test_every_value_from_logs_files_and_config_is_escaped_in_html_and_svg() -> None:
    quiet = SourceInput(
        f"{HOSTILE}2", HOSTILE, (HOSTILE,), (HOSTILE,), SourceGauges(silent="no_records"), HOSTILE
    )
    hostile = [event("503", HOSTILE, "in", HOSTILE)] * 2
    page = status(hostile, source=HOSTILE, more=[quiet])
    assert page.codes[0].peers[0].peer == HOSTILE
    for lang in ("zh", "en"):
        text = render(page, lang, telemetry_path='/m"><script>alert(1)</script>')
        assert "<script" not in text and 'alert("x")' not in text
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#x27;&quot;" in text
        svg = re.findall(r"<svg.*?</svg>", text)
        assert len(svg) == 3 and all("<script" not in s for s in svg)


def test_the_json_twin_holds_the_same_numbers_as_the_page() -> None:
    page = status(MIXED)
    document = as_json(page)
    text = render(page, "en")
    for code in document["codes"]:
        row = re.search(rf'data-code="{code["code"]}"[^>]*>.*?<td class="num">(\d+)</td>', text)
        assert row is not None and int(row.group(1)) == code["count"]
    (source,) = document["sources"]
    # 999 is no SIP code: `other`, not a failure (4xx-6xx and the platforms' negative codes).
    assert source["responses"] == 52 and source["failures"] == 10
    assert f'<td class="num">{source["failures"]}</td>' in text


def test_each_code_says_since_when_it_shows_in_the_window() -> None:
    # Counted and recorded a minute before NOW (22:13:20): the growth is put in the minute
    # before that record, 22:11.
    page = status([event("503")])
    (code,) = as_json(page)["codes"]
    assert code["first_seen"] == 1_699_999_860.0
    assert "since 22:11 UTC" in render(page, "en")
    assert "自 22:11 UTC 起" in render(page, "zh")


def _same_shape(made: object, documented: object, where: str = "") -> None:
    """The same keys all the way down (lists compared by their first items, when both
    have one)."""
    if isinstance(documented, dict):
        assert isinstance(made, dict) and set(made) == set(documented), where
        for key, item in documented.items():
            _same_shape(made[key], item, f"{where}.{key}")
    elif isinstance(documented, list) and documented and isinstance(made, list) and made:
        _same_shape(made[0], documented[0], f"{where}[0]")


def test_the_documented_example_has_the_twins_shape() -> None:
    text = (REPO / "docs" / "status-api.md").read_text(encoding="utf-8")
    example = json.loads(text.split("```json\n", 1)[1].split("```", 1)[0])
    quiet = SourceInput("cams", "kv", ("/x/*.log",), (), SourceGauges(silent="no_files"), PROFILE)
    _same_shape(as_json(status(MIXED, more=[quiet])), example)


def test_codes_of_a_source_no_longer_configured_are_not_shown() -> None:
    tally, recent = Tally({}), Recent()
    recent.start(NOW - 600, tally.snapshot())
    counted = Labeler("gone", PROFILE, CATALOG.classify).count([event("503")])
    tally.add(contract.RESPONSES.name, counted.responses)
    recent.note(NOW - 60, "gone", counted)
    observed = recent.window(NOW, tally.snapshot(), 60, 1)
    page = build(observed, [], CATALOG.lookup, version="1", now=NOW, ready=True, window="1h")
    assert page.codes == ()
