"""The page's words: every label value the exporter shows has a word in Chinese and English."""

from __future__ import annotations

import pytest

from exporter import vocabulary
from exporter.catalog import CATEGORIES, SEVERITIES, Catalog
from exporter.count.gb28181 import PEER_TYPES
from exporter.count.silence import REASONS
from exporter.data import builtin_catalog_text
from exporter.events import METHOD_OTHER, METHOD_UNKNOWN, SIP_METHODS, Direction, Kind
from exporter.vocabulary import LANGUAGES, word, words

CATALOG = Catalog.from_yaml(builtin_catalog_text())
# A source that reads is waiting for its files, catching up or following (the landing
# page's states); one that reads nothing says why, as `sip_exporter_source_silent` does.
SOURCE_STATES = {"waiting", "catching_up", "following", *REASONS}
WINDOWS = {"15m", "1h", "6h"}


def in_both_languages(kind: str, expected: set[str]) -> None:
    for lang in LANGUAGES:
        named = words(kind, lang)
        assert expected <= set(named), f"{kind} in {lang}: {sorted(expected - set(named))}"
        assert all(named[value].strip() for value in expected)


def test_every_category_has_a_word_in_both_languages() -> None:
    in_both_languages("category", set(CATEGORIES))


def test_every_category_and_severity_the_catalog_uses_has_a_word() -> None:
    used = [info for profile in CATALOG.profiles for info in CATALOG.entries(profile)]
    in_both_languages("category", {info.category for info in used})
    in_both_languages("severity", {info.severity for info in used})


def test_every_severity_has_a_word_in_both_languages() -> None:
    in_both_languages("severity", set(SEVERITIES))


def test_every_source_state_has_a_word_in_both_languages() -> None:
    in_both_languages("state", SOURCE_STATES)


def test_every_direction_has_a_word_in_both_languages() -> None:
    in_both_languages("direction", {direction.value for direction in Direction})


def test_every_method_label_value_has_a_description_in_both_languages() -> None:
    in_both_languages("method", {*SIP_METHODS, METHOD_OTHER, METHOD_UNKNOWN})


def test_every_peer_type_has_a_word_in_both_languages() -> None:
    in_both_languages("peer_type", set(PEER_TYPES))


def test_every_window_has_a_word_in_both_languages() -> None:
    in_both_languages("window", WINDOWS)


def test_every_kind_of_message_has_a_word_in_both_languages() -> None:
    in_both_languages("kind", {kind.value for kind in Kind})


@pytest.mark.parametrize("kind", vocabulary.KINDS)
def test_no_value_is_left_in_english_on_the_chinese_page(kind: str) -> None:
    chinese = words(kind, "zh")
    assert all(any("\u4e00" <= char <= "\u9fff" for char in said) for said in chinese.values())


@pytest.mark.parametrize("kind", vocabulary.KINDS)
def test_the_tables_hold_the_same_values_in_both_languages(kind: str) -> None:
    assert set(words(kind, "zh")) == set(words(kind, "en")) == vocabulary.values(kind)


def test_word_gives_the_value_in_the_language_asked() -> None:
    assert word("severity", "critical", "zh") == "严重"
    assert word("category", "overload", "zh") == "过载"
    assert word("direction", "in", "en") == "received"


def test_a_value_the_table_lacks_comes_back_unchanged() -> None:
    assert word("method", "<script>", "zh") == "<script>"


def test_an_unknown_kind_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="colour"):
        word("colour", "red", "en")


def test_an_unknown_language_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="fr"):
        word("severity", "critical", "fr")
