"""Generate the monitoring mixin's files from config/prometheus/mixin.

Usage: python3 scripts/build_mixin.py [--config FILE] [--output DIR] [--check]

Runs `jsonnet` (Debian: apt-get install jsonnet) on config/prometheus/mixin/files.jsonnet,
which builds every file from the mixin's `_config`, and writes them under DIR (default:
the repository): config/prometheus/{thresholds,rules,alerts}.yml, the Grafana dashboards
in grafana/dashboards/ and the prometheus-operator manifests in config/kubernetes/monitoring/.
`--config FILE` merges a jsonnet object into `_config` (for example
`{ sipExporterSelector: 'job="sip"' }`); `--check` writes nothing and exits 1 when a
committed file differs from what the mixin generates.

This module owns the text of the files: YAML in the style of hand-written rule files
(literal blocks for multi-line PromQL and templates, folded summaries, the rule groups'
comments from the mixin's hidden `comment` fields) and JSON as Grafana exports it. Every
YAML document it writes is read back and compared with what jsonnet produced, so the
styling can never change a value.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
MIXIN = REPO / "config" / "prometheus" / "mixin"
ENTRY = MIXIN / "files.jsonnet"
WIDTH = 92  # folded summaries wrap here, as the hand-written files did

# Keys come out in this order, the order people write them in; others follow sorted.
KEY_ORDER = (
    *("apiVersion", "kind", "metadata", "name", "namespace", "alert", "record", "expr"),
    *("for", "labels", "annotations", "runbook_url", "dashboard_url", "summary"),
    *("description", "spec", "rules", "groups"),
)
COMMENT, GAP = "#comment", "#gap"
BLOCK_STARTS = re.compile(r"\{\{-?\s*(?:if|with|range|define|block)\b")
BLOCK_ENDS = re.compile(r"\{\{-?\s*end\b")


class MixinError(Exception):
    """jsonnet is missing or the mixin (or the given config) does not evaluate."""


def evaluate(config: Path | None) -> dict[str, Any]:
    """The files.jsonnet object: repository path -> {header, yaml} or {json}."""
    binary = shutil.which("jsonnet")
    if binary is None:
        raise MixinError("jsonnet not found on PATH (Debian: apt-get install jsonnet)")
    override = "{}" if config is None else f"import {json.dumps(str(config.resolve()))}"
    result = subprocess.run(
        [binary, "-J", str(MIXIN), "--tla-code", f"config={override}", str(ENTRY)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        where = f" with --config {config}" if config else ""
        raise MixinError(f"jsonnet failed on {ENTRY}{where}:\n{result.stderr.strip()}")
    files = json.loads(result.stdout)
    assert isinstance(files, dict)
    return files


def render(spec: dict[str, Any]) -> str:
    """The text of one generated file."""
    if "text" in spec:
        return str(spec["text"])
    if "json" in spec:
        return json.dumps(spec["json"], indent=2, ensure_ascii=False) + "\n"
    text = spec["header"] + "\n".join(mapping_lines(spec["yaml"], 0)) + "\n"
    if yaml.safe_load(text) != without_comments(spec["yaml"]):
        raise MixinError("the YAML written differs from the mixin's value (a styling bug)")
    return str(text)


def without_comments(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_comments(v) for k, v in value.items() if k not in (COMMENT, GAP)}
    if isinstance(value, list):
        return [without_comments(item) for item in value]
    return value


def ordered(mapping: dict[str, Any]) -> list[tuple[str, Any]]:
    def rank(key: str) -> tuple[int, str]:
        return (KEY_ORDER.index(key) if key in KEY_ORDER else len(KEY_ORDER), key)

    keys = sorted((k for k in mapping if k not in (COMMENT, GAP)), key=rank)
    return [(key, mapping[key]) for key in keys]


def mapping_lines(mapping: dict[str, Any], indent: int) -> list[str]:
    lines: list[str] = []
    for key, value in ordered(mapping):
        lines.extend(entry_lines(key_text(key) + ":", value, indent))
    return lines


def entry_lines(lead: str, value: Any, indent: int) -> list[str]:
    """`lead` (a key and its colon, or a sequence dash) followed by `value`."""
    pad = " " * indent
    if isinstance(value, dict) and value:
        return [pad + lead, *mapping_lines(value, indent + 2)]
    if isinstance(value, list) and value:
        return [pad + lead, *sequence_lines(value, indent + 2)]
    return scalar_lines(pad + lead, value, indent)


def sequence_lines(items: list[Any], indent: int) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    for position, item in enumerate(items):
        if isinstance(item, dict):
            if item.get(GAP) and position > 0:
                lines.append("")
            for comment in (item.get(COMMENT) or "").splitlines():
                lines.append((pad + "# " + comment).rstrip())
            first, *rest = mapping_lines(item, indent + 2)
            lines.extend([pad + "- " + first.lstrip(), *rest])
        elif isinstance(item, list):
            raise MixinError("a list directly inside a list is not supported")
        else:
            lines.extend(scalar_lines(pad + "-", item, indent))
    return lines


def scalar_lines(lead: str, value: Any, indent: int) -> list[str]:
    if isinstance(value, str) and "\n" in value:
        return block_lines(lead, value, indent + 2)
    text = scalar_text(value)
    if isinstance(value, str) and len(lead) + 1 + len(text) > 100 and foldable(value):
        return [lead + " >-", *fold(value, indent + 2)]
    return [lead + " " + text]


def block_lines(lead: str, value: str, indent: int) -> list[str]:
    if value.startswith((" ", "\n")) or value.endswith("\n\n"):
        raise MixinError(f"cannot write as a YAML block: {value[:40]!r}")
    chomp = "" if value.endswith("\n") else "-"
    body = value.removesuffix("\n").split("\n")
    return [f"{lead} |{chomp}", *((" " * indent + line).rstrip() for line in body)]


def words(value: str) -> list[str]:
    """`value` split at spaces outside template actions and their blocks: a folded line
    never breaks inside `{{ … }}` or between `{{ if … }}` and its `{{ end }}`."""
    found, word, depth, at = [], "", 0, 0
    while at < len(value):
        if value.startswith("{{", at):
            close = value.find("}}", at)
            close = len(value) if close < 0 else close + 2
            action = value[at:close]
            depth += BLOCK_STARTS.match(action) is not None
            depth -= BLOCK_ENDS.match(action) is not None
            word, at = word + action, close
        elif value[at] == " " and depth <= 0:
            found.append(word)
            word, at = "", at + 1
        else:
            word, at = word + value[at], at + 1
    return [*found, word]


def foldable(value: str) -> bool:
    return len(words(value)) > 1 and "  " not in value and value == value.strip()


def fold(value: str, indent: int) -> list[str]:
    """`value` wrapped at single spaces, which a folded block turns back into spaces."""
    lines: list[str] = []
    line = ""
    for word in words(value):
        if line and indent + len(line) + 1 + len(word) > WIDTH:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return [" " * indent + text for text in [*lines, line]]


def scalar_text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str) and plain(value):
        return value
    return json.dumps(value, ensure_ascii=False)


def plain(value: str) -> bool:
    """Whether `value` reads back as itself without quotes."""
    if not value or value != value.strip() or re.search(r": |\s#", value):
        return False
    if value[0] in "!&*?|>%@`{}[],-#":
        return False
    try:
        return bool(yaml.safe_load(f"k: {value}") == {"k": value})
    except yaml.YAMLError:
        return False


def key_text(key: str) -> str:
    return key if plain(key) else json.dumps(key, ensure_ascii=False)


def generated(config: Path | None) -> dict[str, str]:
    """Repository path -> text of every generated file."""
    return {path: render(spec) for path, spec in evaluate(config).items()}


def write(files: dict[str, str], output: Path) -> None:
    for path, text in files.items():
        target = output / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def differing(files: dict[str, str], output: Path) -> list[str]:
    def same(path: str, text: str) -> bool:
        target = output / path
        return target.is_file() and target.read_text(encoding="utf-8") == text

    return [path for path, text in files.items() if not same(path, text)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, help="jsonnet object merged into _config")
    parser.add_argument("--output", type=Path, default=REPO, help="where to write")
    parser.add_argument("--check", action="store_true", help="compare, write nothing")
    args = parser.parse_args(argv)
    if args.config is not None and not args.config.is_file():
        print(f"build_mixin: --config {args.config}: no such file", file=sys.stderr)
        return 2
    try:
        files = generated(args.config)
    except MixinError as error:
        print(f"build_mixin: {error}", file=sys.stderr)
        return 2
    if args.check:
        stale = differing(files, args.output)
        for path in stale:
            print(f"{path}: differs from the mixin; run python3 scripts/build_mixin.py")
        return 1 if stale else 0
    write(files, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
