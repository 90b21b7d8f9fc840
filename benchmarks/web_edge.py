"""The HTTP edge under attack: unauthenticated scrapes while the web config is rewritten
in place, and scrapes under a flood of slow connections.

Usage: python benchmarks/web_edge.py [--requests N] [--slow C …]

Starts the real exporter with basic auth, and a writer process that truncates and writes
the web config in a loop, then counts the answers to N scrapes without credentials (a 200
means the door was open). Then starts it without a web config and, for each C, holds C
connections that send a request head a byte at a time (or nothing), opened again as the
server closes them, and times 20 scrapes, each on a new connection.
"""

from __future__ import annotations

import argparse
import collections
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support import running_exporter  # noqa: E402
from tests.test_http_edge import Slowloris, timed_scrape, write_config  # noqa: E402
from tests.test_web_config_reload import (  # noqa: E402
    CREDENTIALS,
    GUARDED,
    REWRITER,
    anonymous_status,
)


def during_rewrites(base: Path, requests: int) -> dict[int, int]:
    """Statuses of `requests` scrapes without credentials while the web config is
    rewritten in place."""
    web = base / "web.yml"
    web.write_text(GUARDED)
    config = write_config(base)
    with running_exporter(config, f"--web.config.file={web}", headers=CREDENTIALS) as exporter:
        writer = subprocess.Popen([sys.executable, "-c", REWRITER, str(web), GUARDED])
        try:
            return dict(collections.Counter(anonymous_status(exporter) for _ in range(requests)))
        finally:
            writer.kill()
            writer.wait()


def under_slow_connections(base: Path, count: int) -> list[float | None]:
    """Seconds for each of 20 scrapes (None: not answered) under `count` slow connections."""
    with running_exporter(write_config(base), "--log.level=info") as exporter:
        attack = Slowloris(exporter.port, count)
        try:
            return [timed_scrape(exporter) for _ in range(20)]
        finally:
            attack.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--slow", type=int, nargs="*", default=[80, 300, 1000])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        statuses = during_rewrites(Path(folder), args.requests)
    print(f"{args.requests} scrapes without credentials during rewrites: {statuses}")
    for count in args.slow:
        with tempfile.TemporaryDirectory() as folder:
            times = under_slow_connections(Path(folder), count)
        answered = sorted(t for t in times if t is not None)
        figures = (
            f", median {statistics.median(answered) * 1000:.1f} ms, "
            f"max {answered[-1] * 1000:.1f} ms"
            if answered
            else ""
        )
        print(f"{count} slow connections: {len(answered)} of 20 scrapes answered{figures}")


if __name__ == "__main__":
    main()
