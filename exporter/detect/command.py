"""The `detect` and `recipes` subcommands: their flags, their runs, what they print.

Owns trying the candidates on each file given and printing the ranking, the source block
to paste and, with `--write-config`, writing a whole config that the exporter, `replay
--config.file` and `backfill` take as it is; and listing the recipes or showing one.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from datetime import datetime
from typing import Any, TextIO

from exporter.config import parse_config
from exporter.data import recipe_texts
from exporter.detect.fit import Report, detect
from exporter.detect.report import block_text, config_text, render, source_blocks
from exporter.recipes import Recipe, parse_recipe


class DetectUsageError(ValueError):
    """A detect or recipes argument the user can fix."""


def builtin_recipes() -> list[Recipe]:
    """The recipes shipped with the package, in name order."""
    return [parse_recipe(text, name) for name, text in recipe_texts()]


def add_detect_commands(commands: Any) -> None:
    """The `detect` and `recipes` subcommands and their flags."""
    detect_cmd = commands.add_parser(
        "detect",
        help="which format or recipe reads these logs best (tried on a sample of each)",
    )
    detect_cmd.add_argument("files", nargs="+", metavar="FILE")
    detect_cmd.add_argument(
        "--write-config", metavar="FILE", help="write a config reading the files given"
    )
    detect_cmd.add_argument(
        "--year", type=int, default=None, help="year of yearless (syslog) stamps"
    )
    recipes_cmd = commands.add_parser(
        "recipes", help="the recipes for real platforms' logs; with a name, that recipe whole"
    )
    recipes_cmd.add_argument("name", nargs="?")


def run_detect(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    """Exit status 0 when a candidate reads every file given, 1 otherwise."""
    recipes = builtin_recipes()
    year = args.year or datetime.now().year
    reports = [_detect_one(path, recipes, year) for path in args.files]
    for report in reports:
        out.write(render(report) + "\n")
    blocks = source_blocks(reports)
    if blocks:
        out.write("Paste under `sources:` in your config (or use --write-config FILE):\n\n")
        out.write(_indented(block_text(blocks)) + "\n")
    if args.write_config:
        _write_config(args.write_config, reports, out)
    unfit = [r.path for r in reports if r.best is None]
    if unfit:
        out.write(
            "Nothing reads " + ", ".join(unfit) + ": if these are SIP logs, a `regex` source "
            "can (README: Log formats); the lines above show what they look like.\n"
        )
    return 1 if unfit else 0


def _detect_one(path: str, recipes: list[Recipe], year: int) -> Report:
    if os.path.isdir(path):
        raise DetectUsageError(f"{path}: a folder; name its log files (e.g. {path}/*.log)")
    try:
        return detect(path, recipes, year)
    except (OSError, EOFError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        raise DetectUsageError(f"cannot read {path}: {reason}") from None


def _indented(text: str) -> str:
    return "\n".join("  " + line if line else line for line in text.splitlines())


def _write_config(path: str, reports: list[Report], out: TextIO) -> None:
    text = config_text(reports)
    # What it writes must be a config the exporter takes: checked before it is written.
    parse_config(text, path)
    partial = path + ".partial"
    try:
        with open(partial, "w", encoding="utf-8") as written:
            written.write(text)
        os.replace(partial, path)
    except OSError as error:
        raise DetectUsageError(f"--write-config {path}: {error.strerror or error}") from None
    out.write(f"Wrote {path}. Try each source on its files:\n")
    for block in source_blocks(reports):
        files = " ".join(r.path for r in reports if os.path.abspath(r.path) in _unescaped(block))
        out.write(f"  sip-log-exporter replay --config.file={path} --source {block['name']} "
                  f"{files}\n")  # fmt: skip


def _unescaped(block: dict[str, Any]) -> set[str]:
    """The paths of a source block that detect wrote (exact paths, glob-escaped)."""
    return {re.sub(r"\[(.)\]", r"\1", path) for path in block["paths"]}


def run_recipes(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    """Every recipe in a line, or one whole (its annotated source block)."""
    recipes = builtin_recipes()
    if args.name is None:
        width = max((len(r.name) for r in recipes), default=0)
        for recipe in recipes:
            out.write(f"{recipe.name.ljust(width)}  {recipe.program}: {recipe.summary}\n")
        out.write("\n`sip-log-exporter recipes NAME` shows one whole; `detect FILE` picks one.\n")
        return 0
    for recipe in recipes:
        if recipe.name == args.name:
            out.write(recipe.text)
            return 0
    names = ", ".join(r.name for r in recipes)
    raise DetectUsageError(f"no recipe named {args.name!r}; there are: {names}")
