"""Recipes: how to read a real platform's logs, one annotated YAML file per program.

Owns reading a recipe's text into a `Recipe`: its name, the program it is for, what it
sees and what it cannot, the signature that tells its program's lines (a regular
expression, for `detect`), and the source block to paste into a config. The recipe files
themselves are data (`exporter/data/recipes/`, shown from `config/recipes/`); their
comments are the annotations a person reads. Pure: it takes the text, never the file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from exporter.settings_yaml import load_yaml
from exporter.validation import ConfigError

_KEYS = {"recipe", "program", "summary", "signature", "specific", "source", "cannot_see"}


@dataclass(frozen=True, slots=True)
class Recipe:
    name: str
    program: str
    summary: str
    signature: re.Pattern[bytes] | None
    source: Mapping[str, Any]
    cannot_see: str
    text: str
    # For one build of a program that another recipe reads too: ranked before it where
    # its signature is found.
    specific: bool = False


def parse_recipe(text: str, filename: str) -> Recipe:
    """A recipe file's text as a `Recipe`; `ConfigError` naming what is wrong."""
    document = load_yaml(text, filename)
    if not isinstance(document, dict):
        raise ConfigError(filename, [("", "a recipe is a mapping with recipe, program, source")])
    problems = [(str(k), "unknown key") for k in document if k not in _KEYS]
    problems += [(k, "required") for k in ("recipe", "program", "summary") if not document.get(k)]
    source = document.get("source")
    if not isinstance(source, dict) or "format" not in source:
        problems.append(("source", "required: a source block with its format"))
    signature = _signature(document.get("signature"), problems)
    if problems:
        raise ConfigError(filename, problems)
    assert isinstance(source, dict)  # checked above
    return Recipe(
        str(document["recipe"]),
        str(document["program"]),
        " ".join(str(document["summary"]).split()),
        signature,
        source,
        str(document.get("cannot_see") or "").strip(),
        text,
        document.get("specific") is True,
    )


def _signature(value: object, problems: list[tuple[str, str]]) -> re.Pattern[bytes] | None:
    if value is None:
        return None
    try:
        # Multi-line: a signature may anchor at any line's start (`^tag: rcv`).
        return re.compile(str(value).encode("utf-8"), re.MULTILINE)
    except re.error as error:
        problems.append(("signature", f"not a regular expression: {error}"))
        return None
