"""`explain CODE`: what a code means, per profile, in Chinese and English."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from exporter.catalog import Catalog
from exporter.data import builtin_catalog_text
from exporter.explain import explain, explain_known

CATALOG = Catalog.from_yaml(builtin_catalog_text())
BUILTIN_DOCUMENT = yaml.safe_load(builtin_catalog_text())
NEW_CODE = {
    "reason": "Stream Lost",
    "category": "media",
    "severity": "error",
    "user": {"zh": "视频流中断", "en": "The video stream was lost"},
    "engineer": {"zh": "媒体服务器未收到 RTP 流", "en": "The media server received no RTP"},
}


def test_503_is_explained_once_for_all_profiles() -> None:
    text = explain(CATALOG, "503")
    assert text.splitlines()[0] == (
        "503 Service Unavailable: same in all profiles (gb28181-platform, rfc3261, gb28181)"
    )
    assert text.count("Service Unavailable:") == 2  # the title and the engineer's English


def test_503_shows_user_and_engineer_texts_in_zh_and_en() -> None:
    text = explain(CATALOG, "503")
    info = CATALOG.lookup("503", CATALOG.default_profile)
    assert info is not None
    for words in (info.user.zh, info.user.en, info.engineer.zh, info.engineer.en):
        assert words in text
    assert "for the user:" in text
    assert "for the engineer:" in text


def test_503_shows_category_severity_and_reference() -> None:
    lines = explain(CATALOG, "503").splitlines()
    assert "  category:  overload" in lines
    assert "  severity:  critical" in lines
    assert "  reference: RFC 3261" in lines


def test_302_shows_three_different_meanings_default_profile_first() -> None:
    text = explain(CATALOG, "302")
    headers = [line for line in text.splitlines() if line.startswith("profile")]
    assert headers == [
        "profile gb28181-platform (default): 302 Video Loss Alarm",
        "profile rfc3261: 302 Moved Temporarily",
        "profile gb28181: 302 Moved Temporarily",
    ]
    assert text.splitlines()[0] == "302: the meaning depends on the profile"
    for words in ("视频丢失报警", "对方地址临时变更", "注册被重定向到其他 SIP 服务器"):
        assert words in text


def test_profiles_that_agree_are_shown_together() -> None:
    headers = [line for line in explain(CATALOG, "301").splitlines() if line.startswith("prof")]
    assert headers == [
        "profile gb28181-platform (default): 301 Device Offline",
        "profiles rfc3261, gb28181: 301 Moved Permanently",
    ]


def test_503_says_what_to_check_first_in_zh_and_en() -> None:
    info = CATALOG.lookup("503", CATALOG.default_profile)
    assert info is not None
    assert info.check_first is not None
    lines = explain(CATALOG, "503").splitlines()
    at = lines.index("  check first:")
    assert lines[at + 1 : at + 3] == [
        f"    zh: {info.check_first.zh}",
        f"    en: {info.check_first.en}",
    ]


def test_check_first_is_shown_in_zh_and_en_after_the_engineer_texts() -> None:
    check_first = {"zh": "先看排队的请求", "en": "First look at the queued requests"}
    catalog = Catalog.from_documents(
        BUILTIN_DOCUMENT, {"codes": {"182": {"check_first": check_first}}}
    )
    lines = explain(catalog, "182").splitlines()
    at = lines.index("  check first:")
    assert lines[at - 3] == "  for the engineer:"
    assert lines[at + 1 : at + 3] == [
        "    zh: 先看排队的请求",
        "    en: First look at the queued requests",
    ]


def test_a_code_without_check_first_shows_no_check_first_heading() -> None:
    catalog = Catalog.from_documents(BUILTIN_DOCUMENT, {"codes": {"10001": NEW_CODE}})
    assert "check first" not in explain(catalog, "10001")


def test_explain_can_be_limited_to_chosen_profiles() -> None:
    text = explain(CATALOG, "302", ["rfc3261"])
    assert text.splitlines()[0] == "302 Moved Temporarily: profile rfc3261"
    assert "视频丢失报警" not in text


def test_agreeing_subset_of_profiles_is_not_called_all() -> None:
    first = explain(CATALOG, "301", ["rfc3261", "gb28181"]).splitlines()[0]
    assert first == "301 Moved Permanently: same in profiles (rfc3261, gb28181)"


def test_unknown_profile_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="asterisk"):
        explain(CATALOG, "503", ["asterisk"])


def test_unregistered_code_says_so_and_gives_the_class_fallback() -> None:
    assert explain(CATALOG, "450") == (
        "450 is not in the catalog.\n"
        'unregistered 4xx: treated like 400 Bad Request; counted as code="450", '
        'category="protocol"'
    )


def test_text_that_is_no_code_is_counted_as_other() -> None:
    assert explain(CATALOG, "abc") == (
        "'abc' is not in the catalog.\n"
        'not a SIP response code (100-699): counted as code="other", category="other"'
    )


def test_surrounding_whitespace_is_ignored() -> None:
    assert explain(CATALOG, " 486\n") == explain(CATALOG, "486")
    assert explain_known(CATALOG, " 486 ")


def test_explain_known_tells_catalog_codes_from_others() -> None:
    assert explain_known(CATALOG, "-1024")
    assert not explain_known(CATALOG, "450")
    assert not explain_known(CATALOG, "abc")


@given(st.text())
def test_explain_never_raises(text: str) -> None:
    assert explain(CATALOG, text)
