"""The response-code catalog: its content, its profiles, classification and user overrides."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from exporter.catalog import CATEGORIES, SEVERITIES, Catalog, CatalogError, CodeInfo, Explanation
from exporter.data import builtin_catalog_text

SEED_TABLE = Path(__file__).parent / "data" / "seed_table.txt"
TABLE_HEADER = "STATUSCODEEXCEPTIONREASONFORUSEREXCEPTIONREASONFORENGINEER"
TABLE_END = "\n网站客服"


def codes(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# The codes in the order the scraped table lists them (its pages came out of order).
SEED_CODES = codes(
    "484 485 486 487 488 491 493 499 500 501 502 503 504 505 513 600 603 604 606"
    " 301 302 303 120"
    " 400 401 402 403 404 405 406 407 408 410 413 414 415 416 420 421 423 431 432 433 434"
    " 480 481 482 483"
)
IANA_CODES = codes(
    "100 180 181 182 183 199 200 202 204 300 301 302 305 380"
    " 400 401 402 403 404 405 406 407 408 410 412 413 414 415 416 417 420 421 422 423 424"
    " 425 428 429 430 433 436 437 438 439 440 469 470 480 481 482 483 484 485 486 487 488"
    " 489 491 493 494 500 501 502 503 504 505 513 555 580 600 603 604 606 607 608"
)
PLATFORM = "gb28181-platform"
PROFILES = ("rfc3261", "gb28181", PLATFORM)
NEW_CODE = {
    "reason": "Stream Lost",
    "category": "media",
    "severity": "error",
    "user": {"zh": "视频流中断", "en": "The video stream was lost"},
    "engineer": {"zh": "媒体服务器未收到 RTP 流", "en": "The media server received no RTP"},
}


BUILTIN = Catalog.from_yaml(builtin_catalog_text())


@pytest.fixture
def catalog() -> Catalog:
    return BUILTIN


BUILTIN_DOCUMENT: dict[str, Any] = yaml.safe_load(builtin_catalog_text())


def builtin() -> dict[str, Any]:
    """A fresh copy of the built-in catalog document, for tests that edit it."""
    return copy.deepcopy(BUILTIN_DOCUMENT)


def problems_of(*overrides: object, base: object | None = None) -> set[str]:
    with pytest.raises(CatalogError) as caught:
        Catalog.from_documents(builtin() if base is None else base, *overrides)
    return set(caught.value.problems)


def same_meaning(first: CodeInfo, second: CodeInfo) -> bool:
    return first == dataclasses.replace(second, profile=first.profile)


# --- content: the seed table --------------------------------------------------------------


def test_seed_table_is_rebuilt_exactly_from_the_platform_texts(catalog: Catalog) -> None:
    text = SEED_TABLE.read_text(encoding="utf-8")
    body = text[text.index(TABLE_HEADER) + len(TABLE_HEADER) : text.index(TABLE_END)]
    rebuilt = ""
    for code in SEED_CODES:
        info = catalog.lookup(code, PLATFORM)
        assert info is not None, code
        rebuilt += code + info.user.zh + info.engineer.zh
    assert rebuilt == body


# The table's user reasons that are not the generic "回复 <code> 错误".
SEED_USER_REASONS = {
    "486": "忙",
    "487": "错误消息 487,未得到最终响应,请求被撤销",
    "499": "平台产生 499 错误",
    "500": "错误消息 500,服务器内部错误",
    "503": "错误消息 503,外域服务器超载",
    "301": "设备不在线",
    "302": "视频丢失报警",
    "303": "SIP 信令异常",
    "120": "链路被断开",
    "400": "错误消息 400,原因是不支持该请求",
    "403": "错误消息 403,请求被拒绝",
    "404": "错误消息 404,请求的视频不存在",
    "408": "响应超时",
    "415": "错误消息 415,不支持请求的视频格式",
    "431": "按照 From、To 头域进行路由判断失败",
    "432": "安全检查失败",
    "433": "外域平台返回错误消息 433,原因是用户没有权限",
    "434": "平台消息发送失败",
    "481": "错误消息 481,可能的原因是外域平台正在重启",
    "483": "错误消息 483,可能的原因是 ID 配置错误",
}


@pytest.mark.parametrize("code", SEED_CODES)
def test_seed_user_reason_is_the_short_phrase_before_the_engineer_reason(
    catalog: Catalog, code: str
) -> None:
    info = catalog.lookup(code, PLATFORM)
    assert info is not None
    assert info.user.zh == SEED_USER_REASONS.get(code, f"回复 {code} 错误")


@pytest.mark.parametrize(
    ("code", "engineer"),
    [
        ("484", "Address InComplete,服务器接收到了一个请求,它的 Request-URI 是不完整的"),
        ("413", "请求实体过大超过了服务器希望或者能够处理的大小,服务器拒绝处理请求"),
        ("499", "路由服务器未知异常,请保存日志,并反馈"),
        ("431", "按照 From、To 头域进行路由判断失败。"),
        ("120", "目标设备或平台发送 Bye 消息断开链路"),
        ("482", "Loop Detected 服务器检测到了一个循环"),
    ],
)
def test_seed_engineer_reasons_without_the_usual_shape_are_split_right(
    catalog: Catalog, code: str, engineer: str
) -> None:
    info = catalog.lookup(code, PLATFORM)
    assert info is not None
    assert info.engineer.zh == engineer


def test_seed_codes_are_48_distinct_codes() -> None:
    assert len(SEED_CODES) == 48
    assert len(set(SEED_CODES)) == 48


def test_exactly_the_seed_codes_have_origin_seed(catalog: Catalog) -> None:
    seeded = {info.code for info in catalog.entries(PLATFORM) if info.origin == "seed"}
    assert seeded == set(SEED_CODES)


def test_seed_texts_have_no_surrounding_whitespace(catalog: Catalog) -> None:
    for code in SEED_CODES:
        info = catalog.lookup(code, PLATFORM)
        assert info is not None
        for text in (info.user.zh, info.engineer.zh):
            assert text == text.strip(), code


def test_seed_typos_are_kept_verbatim(catalog: Catalog) -> None:
    big = catalog.lookup("513", PLATFORM)
    bad = catalog.lookup("400", PLATFORM)
    assert big is not None
    assert bad is not None
    assert big.engineer.zh.startswith("Message To Large,")
    assert big.reason == "Message Too Large"
    assert bad.engineer.zh == "Bad Request ,请抓包,并联系厂家解决"


# --- content: every entry -----------------------------------------------------------------


@pytest.mark.parametrize("profile", PROFILES)
def test_every_entry_has_zh_and_en_for_user_and_engineer(catalog: Catalog, profile: str) -> None:
    for info in catalog.entries(profile):
        texts = [info.reason, info.reference, info.user.zh, info.user.en]
        texts += [info.engineer.zh, info.engineer.en]
        assert all(text.strip() for text in texts), info.code


@pytest.mark.parametrize("profile", PROFILES)
def test_every_entry_has_a_valid_category_and_severity(catalog: Catalog, profile: str) -> None:
    for info in catalog.entries(profile):
        assert info.category in CATEGORIES, info.code
        assert info.severity in SEVERITIES, info.code
        assert info.origin in {"seed", "iana", "platform"}, info.code


@pytest.mark.parametrize("code", IANA_CODES)
def test_every_iana_registered_code_is_present(catalog: Catalog, code: str) -> None:
    info = catalog.lookup(code, "rfc3261")
    assert info is not None
    assert info.origin == ("seed" if code in SEED_CODES else "iana")


def test_the_catalog_holds_seed_iana_and_platform_codes_only(catalog: Catalog) -> None:
    codes = {info.code for info in catalog.entries("rfc3261")}
    assert codes == set(SEED_CODES) | set(IANA_CODES) | {"-1024"}


def test_wvp_pseudo_code_minus_1024_means_no_response(catalog: Catalog) -> None:
    info = catalog.lookup("-1024", PLATFORM)
    assert info is not None
    assert (info.origin, info.category, info.severity) == ("platform", "timeout", "error")
    assert info.reference == "wvp-GB28181-pro"
    for words in ("消息超时未回复", "事务已结束", "会话已结束", "设备未找到"):
        assert words in info.user.zh


@pytest.mark.parametrize(
    ("code", "category", "severity"),
    [
        ("100", "provisional", "info"),
        ("200", "success", "info"),
        ("380", "redirect", "info"),
        ("401", "auth", "info"),
        ("407", "auth", "info"),
        ("408", "timeout", "critical"),
        ("503", "overload", "critical"),
        ("486", "busy", "warning"),
        ("487", "cancelled", "warning"),
        ("404", "not_found", "warning"),
        ("488", "media", "warning"),
        ("483", "routing", "warning"),
        ("500", "server_error", "error"),
        ("120", "platform", "warning"),
        ("303", "protocol", "error"),
        ("499", "routing", "error"),
    ],
)
def test_notable_codes_have_the_expected_category_and_severity(
    catalog: Catalog, code: str, category: str, severity: str
) -> None:
    info = catalog.lookup(code, PLATFORM)
    assert info is not None
    assert (info.category, info.severity) == (category, severity)


def test_entries_are_sorted_numerically(catalog: Catalog) -> None:
    codes = [int(info.code) for info in catalog.entries(PLATFORM)]
    assert codes == sorted(codes)
    assert codes[0] == -1024


# --- profiles -----------------------------------------------------------------------------


def test_profiles_are_declared_with_the_platform_one_as_default(catalog: Catalog) -> None:
    assert catalog.profiles == PROFILES
    assert catalog.default_profile == PLATFORM
    assert catalog.has_profile("gb28181")
    assert not catalog.has_profile("asterisk")


def test_only_301_302_and_433_change_meaning_between_profiles(catalog: Catalog) -> None:
    differing = set()
    for info in catalog.entries("rfc3261"):
        for profile in PROFILES[1:]:
            other = catalog.lookup(info.code, profile)
            assert other is not None
            if not same_meaning(other, info):
                differing.add(info.code)
    assert differing == {"301", "302", "433"}


def test_301_is_moved_permanently_in_rfc3261_and_device_offline_on_the_platform(
    catalog: Catalog,
) -> None:
    rfc = catalog.lookup("301", "rfc3261")
    platform = catalog.lookup("301", PLATFORM)
    assert rfc is not None
    assert platform is not None
    assert (rfc.reason, rfc.category, rfc.severity) == ("Moved Permanently", "redirect", "info")
    assert (platform.category, platform.severity) == ("device_offline", "error")
    assert platform.user.zh == platform.engineer.zh == "设备不在线"


def test_302_has_three_meanings(catalog: Catalog) -> None:
    rfc, gb, platform = (catalog.lookup("302", profile) for profile in PROFILES)
    assert rfc is not None
    assert gb is not None
    assert platform is not None
    assert (rfc.reason, rfc.category) == ("Moved Temporarily", "redirect")
    assert (gb.category, gb.reference) == ("redirect", "GB/T 28181-2022")
    assert "注册" in gb.user.zh
    assert "register" in gb.engineer.en
    assert (platform.reason, platform.category) == ("Video Loss Alarm", "media")
    assert platform.user.zh == "视频丢失报警"
    assert len({rfc.user, gb.user, platform.user}) == 3


def test_433_is_anonymity_disallowed_in_rfc3261_and_no_permission_on_the_platform(
    catalog: Catalog,
) -> None:
    rfc = catalog.lookup("433", "rfc3261")
    platform = catalog.lookup("433", PLATFORM)
    assert rfc is not None
    assert platform is not None
    assert (rfc.reason, rfc.reference) == ("Anonymity Disallowed", "RFC 5079")
    assert platform.category == "permission"
    assert platform.user.zh == "外域平台返回错误消息 433,原因是用户没有权限"


def test_gb28181_inherits_301_from_rfc3261(catalog: Catalog) -> None:
    rfc = catalog.lookup("301", "rfc3261")
    gb = catalog.lookup("301", "gb28181")
    assert rfc is not None
    assert gb is not None
    assert same_meaning(gb, rfc)


def test_486_means_the_same_in_all_profiles(catalog: Catalog) -> None:
    infos = [catalog.lookup("486", profile) for profile in PROFILES]
    assert all(info is not None and info.user.zh == "忙" for info in infos)
    assert len({(info.reason, info.category, info.user) for info in infos if info}) == 1


def test_unknown_code_is_not_looked_up(catalog: Catalog) -> None:
    assert catalog.lookup("450", PLATFORM) is None


def test_unknown_profile_is_a_value_error(catalog: Catalog) -> None:
    with pytest.raises(ValueError, match="asterisk"):
        catalog.lookup("486", "asterisk")
    with pytest.raises(ValueError, match="asterisk"):
        catalog.classify("486", "asterisk")


# --- classify -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "profile", "labels"),
    [
        ("503", PLATFORM, ("503", "overload")),
        ("408", "rfc3261", ("408", "timeout")),
        ("301", PLATFORM, ("301", "device_offline")),
        ("301", "rfc3261", ("301", "redirect")),
        ("302", PLATFORM, ("302", "media")),
        ("-1024", PLATFORM, ("-1024", "timeout")),
        ("120", "rfc3261", ("120", "platform")),
    ],
)
def test_catalog_codes_are_labeled_with_their_category_in_the_profile(
    catalog: Catalog, code: str, profile: str, labels: tuple[str, str]
) -> None:
    assert catalog.classify(code, profile) == labels


@pytest.mark.parametrize(
    ("code", "category"),
    [
        ("150", "provisional"),
        ("250", "success"),
        ("350", "redirect"),
        ("450", "protocol"),
        ("599", "server_error"),
        ("699", "busy"),
    ],
)
def test_unregistered_three_digit_codes_fall_back_to_their_class(
    catalog: Catalog, code: str, category: str
) -> None:
    x00 = catalog.lookup(code[0] + "00", PLATFORM)
    assert x00 is not None
    assert x00.category == category
    assert catalog.classify(code, PLATFORM) == (code, category)


@pytest.mark.parametrize(
    "code", ["", "abc", "1234", "-5", " 503", "503 ", "0503", "099", "700", "５０３", "\x00"]
)
def test_anything_else_is_other(catalog: Catalog, code: str) -> None:
    assert catalog.classify(code, PLATFORM) == ("other", "other")


@pytest.mark.parametrize("profile", PROFILES)
def test_classify_agrees_with_lookup_for_every_catalog_code(catalog: Catalog, profile: str) -> None:
    for info in catalog.entries(profile):
        assert catalog.classify(info.code, profile) == (info.code, info.category)


@given(st.text())
def test_classify_never_raises_and_never_invents_a_code(text: str) -> None:
    code, category = BUILTIN.classify(text, PLATFORM)
    assert category in CATEGORIES
    if (code, category) != ("other", "other"):
        assert code == text
        assert BUILTIN.lookup(text, PLATFORM) is not None or (
            len(text) == 3 and text.isascii() and text.isdigit() and "100" <= text <= "699"
        )


# --- overrides ----------------------------------------------------------------------------


def test_overriding_one_field_keeps_the_others() -> None:
    merged = Catalog.from_documents(builtin(), {"codes": {"486": {"severity": "error"}}})
    info = merged.lookup("486", PLATFORM)
    original = BUILTIN.lookup("486", PLATFORM)
    assert info is not None
    assert original is not None
    assert info == dataclasses.replace(original, severity="error")


def test_overriding_one_language_keeps_the_other() -> None:
    override = {"codes": {"486": {"user": {"en": "Line busy"}}}}
    info = Catalog.from_documents(builtin(), override).lookup("486", "rfc3261")
    assert info is not None
    assert (info.user.zh, info.user.en) == ("忙", "Line busy")


def test_integer_code_keys_are_read_as_codes() -> None:
    override = yaml.safe_load("codes:\n  486: {severity: critical}\n  -1024: {severity: info}")
    merged = Catalog.from_documents(builtin(), override)
    busy, pseudo = merged.lookup("486", PLATFORM), merged.lookup("-1024", PLATFORM)
    assert busy is not None
    assert pseudo is not None
    assert (busy.severity, pseudo.severity) == ("critical", "info")


def test_a_profile_override_applies_to_that_profile_and_those_extending_it() -> None:
    override = {"codes": {"486": {"profiles": {"gb28181": {"category": "other"}}}}}
    merged = Catalog.from_documents(builtin(), override)
    categories = [merged.classify("486", profile)[1] for profile in PROFILES]
    assert categories == ["busy", "other", "other"]


def test_a_new_code_can_be_added() -> None:
    merged = Catalog.from_documents(builtin(), {"codes": {"10001": NEW_CODE}})
    info = merged.lookup("10001", "rfc3261")
    assert info is not None
    assert (info.reason, info.category, info.origin) == ("Stream Lost", "media", "platform")
    assert info.user.zh == "视频流中断"
    assert merged.classify("10001", PLATFORM) == ("10001", "media")


def test_a_new_profile_can_be_added_and_extends_another() -> None:
    override = {
        "profiles": {"my-nvr": {"description": "our NVRs", "extends": "gb28181"}},
        "default_profile": "my-nvr",
        "codes": {"486": {"profiles": {"my-nvr": {"severity": "critical"}}}},
    }
    merged = Catalog.from_documents(builtin(), override)
    assert merged.profiles == (*PROFILES, "my-nvr")
    assert merged.default_profile == "my-nvr"
    assert merged.classify("302", "my-nvr") == ("302", "redirect")
    busy = merged.lookup("486", "my-nvr")
    assert busy is not None
    assert busy.severity == "critical"


def test_later_overrides_win() -> None:
    first = {"codes": {"486": {"severity": "error", "reason": "Busy"}}}
    second = {"codes": {"486": {"severity": "critical"}}}
    info = Catalog.from_documents(builtin(), first, second).lookup("486", PLATFORM)
    assert info is not None
    assert (info.reason, info.severity) == ("Busy", "critical")


def test_overrides_do_not_change_the_documents_given() -> None:
    base = builtin()
    kept = copy.deepcopy(base)
    Catalog.from_documents(base, {"codes": {"486": {"severity": "error"}}})
    assert base == kept


def test_from_yaml_reads_override_texts() -> None:
    text = 'codes:\n  "503": {severity: error}\n'
    merged = Catalog.from_yaml(builtin_catalog_text(), ("site.yaml", text))
    info = merged.lookup("503", PLATFORM)
    assert info is not None
    assert info.severity == "error"


CHECK_FIRST = {"zh": "先看设备是否在线", "en": "First check that the device is online"}


def test_check_first_is_read_in_zh_and_en() -> None:
    merged = Catalog.from_documents(
        builtin(), {"codes": {"10001": {**NEW_CODE, "check_first": CHECK_FIRST}}}
    )
    info = merged.lookup("10001", PLATFORM)
    assert info is not None
    assert info.check_first == Explanation(zh=CHECK_FIRST["zh"], en=CHECK_FIRST["en"])


def test_a_new_code_may_leave_out_check_first() -> None:
    info = Catalog.from_documents(builtin(), {"codes": {"10001": NEW_CODE}}).lookup(
        "10001", PLATFORM
    )
    assert info is not None
    assert info.check_first is None


def test_an_override_may_give_check_first_to_a_listed_code() -> None:
    override = {"codes": {"182": {"check_first": CHECK_FIRST}}}
    info = Catalog.from_documents(builtin(), override).lookup("182", "rfc3261")
    assert info is not None
    assert info.check_first == Explanation(zh=CHECK_FIRST["zh"], en=CHECK_FIRST["en"])


def test_a_profile_override_gives_check_first_to_that_profile_and_those_extending_it() -> None:
    override = {"codes": {"182": {"profiles": {"gb28181": {"check_first": CHECK_FIRST}}}}}
    merged = Catalog.from_documents(builtin(), override)
    given = [merged.lookup("182", profile) for profile in PROFILES]
    assert [info.check_first is not None for info in given if info] == [False, True, True]


def test_overriding_one_language_of_check_first_keeps_the_other() -> None:
    first = {"codes": {"182": {"check_first": CHECK_FIRST}}}
    second = {"codes": {"182": {"check_first": {"en": "Look at the queue"}}}}
    info = Catalog.from_documents(builtin(), first, second).lookup("182", PLATFORM)
    assert info is not None
    assert info.check_first == Explanation(zh=CHECK_FIRST["zh"], en="Look at the queue")


def test_check_first_given_in_one_language_only_is_refused() -> None:
    half = {"check_first": {"zh": "先看设备是否在线"}}
    bad = {"codes": {"10001": {**NEW_CODE, **half}, "182": {"profiles": {"gb28181": half}}}}
    needs = "missing (check_first needs both zh and en)"
    assert problems_of(bad) == {
        f"override 1: codes.10001.check_first.en: {needs}",
        f"override 1: codes.182.profiles.gb28181.check_first.en: {needs}",
    }


def test_check_first_of_the_wrong_shape_is_reported_with_its_key_path() -> None:
    bad = {
        "codes": {
            "182": {
                "check_first": "先看设备",
                "profiles": {"gb28181": {"check_first": {"zh": 3, "en": "x"}}},
            }
        }
    }
    assert problems_of(bad) == {
        "override 1: codes.182.check_first: expected a mapping, got a string",
        "override 1: codes.182.profiles.gb28181.check_first.zh:"
        " expected a non-empty string, got a number",
    }


def test_a_bad_user_catalog_lists_every_problem_with_its_key_path() -> None:
    bad = {
        "codes": {
            "486": {
                "category": "bussy",
                "colour": "red",
                "profiles": {"asterisk": {"severity": "error"}},
            },
            "10001": {"reason": "Stream Lost", "user": {"zh": "视频流中断"}},
            "abc": {},
        }
    }
    new_code_needs = "missing (required for a new code)"
    assert problems_of(bad) == {
        "override 1: codes.486.colour: unknown key; allowed: category, check_first, engineer,"
        " origin, profiles, reason, reference, severity, user",
        "override 1: codes.486.category: 'bussy' is not one of: " + ", ".join(sorted(CATEGORIES)),
        "override 1: codes.486.profiles.asterisk: unknown profile 'asterisk';"
        " use one of: gb28181, gb28181-platform, rfc3261",
        f"override 1: codes.10001.category: {new_code_needs}",
        f"override 1: codes.10001.severity: {new_code_needs}",
        f"override 1: codes.10001.user.en: {new_code_needs}",
        f"override 1: codes.10001.engineer.zh: {new_code_needs}",
        f"override 1: codes.10001.engineer.en: {new_code_needs}",
        'override 1: codes.abc: not a code (expected text such as "486")',
    }


def test_a_user_catalog_that_is_not_a_mapping_is_rejected() -> None:
    assert problems_of(["486"]) == {"override 1: (top level): expected a mapping, got a list"}


def test_wrong_types_are_reported_with_their_key_path() -> None:
    bad = {"codes": {"486": {"user": "忙", "severity": 3}}, "version": 2}
    assert problems_of(bad) == {
        "override 1: version: unsupported version 2 (expected 1)",
        "override 1: codes.486.user: expected a mapping, got a string",
        "override 1: codes.486.severity: expected a non-empty string, got a number",
    }


def test_profile_problems_are_reported() -> None:
    bad = {
        "profiles": {"a": {"extends": "b"}, "b": {"extends": "a"}, "c": {"extends": "nope"}},
        "default_profile": "missing",
    }
    known = "a, b, c, gb28181, gb28181-platform, rfc3261"
    assert problems_of(bad) == {
        "override 1: profiles.a.extends: profiles extend in a cycle: a -> b -> a",
        "override 1: profiles.b.extends: profiles extend in a cycle: b -> a -> b",
        "override 1: profiles.c.extends: unknown profile 'nope'; use one of: " + known,
        "override 1: default_profile: unknown profile 'missing'; use one of: " + known,
    }


def test_problems_in_several_documents_are_all_reported() -> None:
    base = builtin()
    del base["codes"]["486"]["severity"]
    problems = problems_of({"codes": {"503": {"severity": "bad"}}}, 7, base=base)
    assert problems == {
        "builtin catalog: codes.486.severity: missing",
        "override 1: codes.503.severity: 'bad' is not one of: critical, error, info, warning",
        "override 2: (top level): expected a mapping, got a number",
    }


def test_catalog_error_text_joins_its_problems() -> None:
    error = CatalogError(["a: b: first", "c: d: second"])
    assert str(error) == "a: b: first\nc: d: second"
    assert error.problems == ("a: b: first", "c: d: second")


def test_yaml_syntax_errors_name_the_file() -> None:
    with pytest.raises(CatalogError) as caught:
        Catalog.from_yaml(builtin_catalog_text(), ("/etc/sip/catalog.yaml", "codes: [\n"))
    (problem,) = caught.value.problems
    assert problem.startswith("/etc/sip/catalog.yaml: line 2, column 1: not valid YAML")


_YAML_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=8) | st.integers(), inner, max_size=3)
    ),
    max_leaves=12,
)
_OVERRIDES = st.fixed_dictionaries(
    {},
    optional={
        "version": _YAML_VALUES,
        "default_profile": st.sampled_from(PROFILES) | _YAML_VALUES,
        "profiles": st.dictionaries(st.sampled_from(PROFILES) | st.text(max_size=5), _YAML_VALUES),
        "codes": st.dictionaries(
            st.sampled_from(["486", "503", "10001", "abc"]) | st.integers(),
            st.dictionaries(
                st.sampled_from(
                    ["reason", "category", "severity", "user", "check_first", "profiles"]
                ),
                _YAML_VALUES,
            ),
        ),
    },
)


@pytest.mark.system  # slow
@given(_OVERRIDES | _YAML_VALUES)
def test_any_user_document_gives_a_catalog_or_a_catalog_error(override: object) -> None:
    try:
        merged = Catalog.from_documents(BUILTIN_DOCUMENT, override)
    except CatalogError as error:
        assert error.problems
        assert all(problem.startswith("override 1: ") for problem in error.problems)
    else:
        assert merged.classify("503", merged.default_profile)[0] == "503"
