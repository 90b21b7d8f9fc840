"""How long the landing page takes to render with 60 sources and 80 codes (target: < 50 ms).

Usage: python benchmarks/landing.py [--sources N] [--codes N] [--runs R]

Fills the page's memory as the reader does (a tally, counted batches with their failing
peers and kinds of device, a record a minute for an hour of traffic), then times, median
of R runs: the render alone (status to HTML, per language), the JSON twin, and the whole
request's work (the window taken from the history, the status built, the page rendered).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make this checkout importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from exporter import contract
from exporter.catalog import Catalog
from exporter.count.labels import Labeler
from exporter.count.tally import Tally
from exporter.data import builtin_catalog_text
from exporter.events import Direction, Event, Kind
from exporter.serve.families import SourceGauges
from exporter.serve.landing import render
from exporter.serve.recent import Recent
from exporter.serve.status import SourceInput, Status
from exporter.serve.status_build import build
from exporter.serve.status_json import as_json

PROFILE = "gb28181-platform"
METHODS = ("INVITE", "REGISTER", "MESSAGE", "BYE", "SUBSCRIBE", "NOTIFY")
KINDS = ("132", "131", "118", "111", "200", "500")
NOW = 1_700_003_600.0


def codes(catalog: Catalog, count: int) -> list[str]:
    """`count` codes of the catalog, failures first (the page's busiest case)."""
    known = sorted(e.code for e in catalog.entries(PROFILE))
    return sorted(known, key=lambda c: (c[:1] not in "456-", c))[:count]


def fill(sources: int, code_list: list[str], catalog: Catalog) -> tuple[Tally, Recent]:
    """An hour of traffic: every minute, each source answers 40 requests of three methods
    from many peers with 8 codes of its own (so that all the codes show on the page)."""
    rng = random.Random(28181)
    tally, recent = Tally({}), Recent()
    start = NOW - 3600
    recent.start(start, tally.snapshot())
    for minute in range(60):
        now = start + minute * 60 + 30
        for s in range(sources):
            name = f"platform-{s:02d}"
            labeler = Labeler(name, PROFILE, catalog.classify)
            own = [code_list[(s * 8 + i) % len(code_list)] for i in range(8)]
            events = [
                Event(
                    Kind.RESPONSE,
                    Direction.IN,
                    rng.choice(METHODS[:3]),
                    rng.choice(own),
                    "",
                    "",
                    "",
                    f"3402000000{rng.choice(KINDS)}{rng.randrange(500):07d}",
                )
                for _ in range(40)
            ]
            counted = labeler.count(events)
            tally.add(contract.RESPONSES.name, counted.responses)
            for method in METHODS[:3]:
                for _ in range(5):
                    labels = (name, "in", method, "2xx")
                    tally.observe(contract.RESPONSE_DURATION.name, labels, rng.random() * 2)
            recent.note(now, name, counted)
        recent.tick(now, tally.snapshot())
    return tally, recent


def inputs(sources: int) -> list[SourceInput]:
    return [
        SourceInput(
            f"platform-{s:02d}",
            "sip",
            (f"/var/log/platform-{s:02d}/*.log",),
            (f"/var/log/platform-{s:02d}/sip.log",),
            SourceGauges(1, 0, NOW - 2, 12, 3, (), "no_records" if s == 7 else ""),
            PROFILE,
        )
        for s in range(sources)
    ]


def median_ms(work: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        work()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=60)
    parser.add_argument("--codes", type=int, default=80)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    catalog = Catalog.from_yaml(builtin_catalog_text())
    tally, recent = fill(args.sources, codes(catalog, args.codes), catalog)
    given = inputs(args.sources)

    def status() -> Status:
        observed = recent.window(NOW, tally.snapshot(), 60, 1)
        return build(
            observed, given, catalog.lookup, version="bench", now=NOW, ready=True, window="1h"
        )

    page = status()
    figures = {
        "sources": len(page.sources),
        "codes": len(page.codes),
        "html_bytes_zh": len(render(page, "zh").encode()),
        "render_zh_ms": round(median_ms(lambda: render(page, "zh"), args.runs), 2),
        "render_en_ms": round(median_ms(lambda: render(page, "en"), args.runs), 2),
        "json_ms": round(median_ms(lambda: json.dumps(as_json(page)), args.runs), 2),
        "request_ms": round(median_ms(lambda: render(status(), "zh"), args.runs), 2),
    }
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
