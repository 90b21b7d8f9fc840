"""The catalog's "check first" texts: what the engineer on call looks at first, per code.

Every code of the platform manual's table and every code an alert selects has one, in
Chinese and English, in every profile, saying something the explanations do not.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from exporter.catalog import Catalog, CodeInfo, Explanation
from exporter.data import builtin_catalog_text
from tests.test_catalog import PLATFORM, PROFILES, SEED_CODES

CATALOG = Catalog.from_yaml(builtin_catalog_text())
ALERTS = Path(__file__).resolve().parents[1] / "config" / "prometheus" / "alerts.yml"


def alert_codes() -> tuple[str, ...]:
    """Every SIP code an alert's expression selects (`code="503"`, `code=~"431|434|499"`)."""
    document = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    found: set[str] = set()
    for group in document["groups"]:
        for rule in group["rules"]:
            for selected in re.findall(r'code=~?"([^"]+)"', str(rule.get("expr", ""))):
                found.update(selected.split("|"))
    return tuple(sorted(found, key=int))


ALERT_CODES = alert_codes()
EXPECTED = tuple(sorted({*SEED_CODES, *ALERT_CODES}, key=int))


def check_first(code: str, profile: str) -> tuple[CodeInfo, Explanation]:
    info = CATALOG.lookup(code, profile)
    assert info is not None, f"{code} is not in the catalog"
    assert info.check_first is not None, f"{code} has no check_first in {profile}"
    return info, info.check_first


def test_the_alerts_select_the_codes_they_are_known_to() -> None:
    assert {"503", "408", "301", "431", "434", "499", "403", "433"} <= set(ALERT_CODES)


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("code", EXPECTED)
def test_seed_and_alert_codes_say_what_to_check_first_in_zh_and_en(code: str, profile: str) -> None:
    _, given = check_first(code, profile)
    assert given.zh.strip() and given.en.strip()
    assert re.search(r"[\u4e00-\u9fff]", given.zh), "the Chinese text is in Chinese"


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("code", EXPECTED)
def test_check_first_says_more_than_the_explanations(code: str, profile: str) -> None:
    info, given = check_first(code, profile)
    for lang in ("zh", "en"):
        said = getattr(given, lang)
        assert said not in (getattr(info.user, lang), getattr(info.engineer, lang))


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("code", EXPECTED)
def test_check_first_is_short(code: str, profile: str) -> None:
    _, given = check_first(code, profile)
    assert len(given.en) <= 320
    assert len(given.zh) <= 160


@pytest.mark.parametrize("code", ["301", "302", "433"])
def test_codes_whose_meaning_depends_on_the_profile_say_what_to_check_per_profile(
    code: str,
) -> None:
    (_, rfc), (_, platform) = check_first(code, "rfc3261"), check_first(code, PLATFORM)
    assert rfc.zh != platform.zh
    assert rfc.en != platform.en


def test_302_checks_the_registration_redirect_in_gb28181() -> None:
    _, redirect = check_first("302", "gb28181")
    assert "SIP server" in redirect.en
    assert redirect != check_first("302", "rfc3261")[1]


def test_codes_that_mean_the_same_everywhere_check_the_same_everywhere() -> None:
    for code in set(EXPECTED) - {"301", "302", "433"}:
        assert len({check_first(code, profile)[1] for profile in PROFILES}) == 1, code


def test_device_offline_checks_what_the_offline_devices_share_first() -> None:
    _, given = check_first("301", PLATFORM)
    assert given.en.startswith("Whether the offline devices share a site")
    assert "交换机" in given.zh


def test_408_checks_the_device_and_its_network_path() -> None:
    _, given = check_first("408", PLATFORM)
    assert "keepalive" in given.en and "firewalls" in given.en
    assert "心跳" in given.zh and "网闸" in given.zh
