"""What `detect` prints and writes: the ranking of each file, and the config of the best fits.

Owns the words and layout of the report (a table per file, the lines that no candidate
reads, the source block to paste), and turning the best fits into one config whose
sources read the files given: files that the same candidate reads best share a source.
Pure: it takes reports, returns text.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from typing import Any

import yaml

from exporter.detect.fit import Fit, Report

_HEAD = ("rank", "candidate", "reads", "responses", "requests", "in/out/unknown", "methods",
         "stamps", "top codes")  # fmt: skip


def render(report: Report) -> str:
    """One file's ranking as text."""
    lines = [
        f"{report.path} ({report.encoding}; {report.evidence} lines look like SIP "
        "statuses or requests)"
    ]
    if not report.fits:
        lines.append("  no format or recipe reads a record in it")
    rows = [_HEAD] + [_row(n, f, report.evidence) for n, f in enumerate(report.fits[:8], 1)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_HEAD))]
    if report.fits:
        lines += ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                  for r in rows]  # fmt: skip
    if report.unread:
        lines.append("  lines that look like a status or request but that the best fit does "
                     "not read (a few):")  # fmt: skip
        lines += [f"    {line}" for line in report.unread]
    return "\n".join(lines) + "\n"


def _row(rank: int, fit: Fit, evidence: int) -> tuple[str, ...]:
    directions = "/".join(str(fit.directions[d]) for d in ("in", "out", "unknown"))
    codes = " ".join(f"{code}×{n}" for code, n in fit.codes.most_common(4))
    return (
        str(rank),
        fit.candidate.name,
        f"{fit.covered}/{evidence}",
        str(fit.responses),
        str(fit.requests),
        directions,
        f"{fit.methods_known}/{fit.records}",
        f"{fit.stamped}/{fit.records}",
        codes,
    )


def source_blocks(reports: Sequence[Report]) -> list[dict[str, Any]]:
    """One source per best candidate, reading the files it fits best (as globs matching
    exactly those files). Files that nothing reads are left out."""
    groups: dict[str, tuple[Fit, list[Report]]] = {}
    for report in reports:
        best = report.best
        if best is not None:
            key = f"{best.candidate.name} {report.encoding}"
            groups.setdefault(key, (best, []))[1].append(report)
    blocks: list[dict[str, Any]] = []
    names: set[str] = set()
    for best, members in groups.values():
        block = dict(best.candidate.block)
        block["name"] = _unique(str(block.get("name", "logs")), names)
        block["paths"] = [glob.escape(os.path.abspath(r.path)) for r in members]
        if members[0].encoding != "utf-8":
            block["encoding"] = members[0].encoding
        blocks.append(_ordered(block))
    return blocks


def _unique(name: str, taken: set[str]) -> str:
    chosen, number = name, 2
    while chosen in taken:
        chosen, number = f"{name}-{number}", number + 1
    taken.add(chosen)
    return chosen


def _ordered(block: dict[str, Any]) -> dict[str, Any]:
    """name, paths and format first, as people write a source."""
    first = {k: block[k] for k in ("name", "paths", "format") if k in block}
    return first | {k: v for k, v in block.items() if k not in first}


def block_text(blocks: Sequence[dict[str, Any]]) -> str:
    """The source blocks as YAML to paste under `sources:`."""
    return yaml.safe_dump(list(blocks), allow_unicode=True, sort_keys=False)


def config_text(reports: Sequence[Report]) -> str:
    """A whole config reading the files given, as the exporter, replay and backfill take it."""
    notes = [
        f"#   {r.path}: {r.best.candidate.name if r.best else 'nothing fits'}" for r in reports
    ]
    head = ["# Written by `sip-log-exporter detect`: the best fit for each file.", *notes]
    document = yaml.safe_dump(
        {"sources": source_blocks(reports)}, allow_unicode=True, sort_keys=False
    )
    return "\n".join(head) + "\n" + document
