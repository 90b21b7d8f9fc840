"""Reading settings YAML within bounds, and the checker's shared wording."""

from __future__ import annotations

import pytest

from exporter.settings_yaml import MAX_DEPTH, load_yaml
from exporter.validation import Checker, ConfigError


def refused(text: str) -> tuple[str, ...]:
    with pytest.raises(ConfigError) as raised:
        load_yaml(text, "f.yml")
    return raised.value.lines


def test_aliases_that_share_a_few_values_are_read() -> None:
    assert load_yaml("a: &x [1, 2]\nb: *x\nc: [*x, *x]", "f.yml") == {
        "a": [1, 2],
        "b": [1, 2],
        "c": [[1, 2], [1, 2]],
    }


def test_an_alias_bomb_is_refused_at_the_key_where_it_grows() -> None:
    lines = ["p:", "  a: &a [" + ", ".join(["lol"] * 9) + "]"]
    lines += [
        f"  {n}: &{n} [" + ", ".join([f"*{b}"] * 10) + "]"
        for n, b in zip("bcdefghi", "abcdefgh", strict=True)
    ]
    (line,) = refused("\n".join(lines) + "\nx: *i\n")
    assert line.startswith("f.yml: p.") and "aliases expand to more than 100,000 values" in line


def test_an_alias_inside_its_own_value_is_refused() -> None:
    assert refused("a: &a [1, *a]") == (
        "f.yml: a[1]: an alias refers to a value that contains it; remove the loop",
    )


def test_nesting_deeper_than_the_limit_names_the_outer_keys() -> None:
    (line,) = refused("a: {b: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "}")
    assert line.startswith("f.yml: a.b[0][0]…: nested deeper than 64 levels")
    assert load_yaml("a: " + "[" * 60 + "]" * 60, "f.yml")


def test_a_yaml_syntax_error_names_the_line_and_column() -> None:
    assert refused("a: [1,\nb: 2") == (
        "f.yml: line 2, column 5: not valid YAML: while parsing a flow sequence expected ',' "
        "or ']', but got '<stream end>'; fix the file's syntax there",
    )


def test_a_value_is_quoted_short_in_a_message() -> None:
    check = Checker()
    check.choice("k", "x" * 10_000, ("a", "b"), "a")
    ((key, message),) = check.problems
    assert key == "k" and len(message) < 100 and message.endswith("is not one of: a, b")
