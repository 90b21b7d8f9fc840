"""What basic auth and TLS cost a scrape: the first request with given credentials (bcrypt
runs) against the following ones (the cached result), without and with TLS.

Usage: python benchmarks/scrape_auth.py [--cost C] [--runs R]

Starts the real exporter on a small log three times (no web config; basic auth; TLS and
basic auth), and times full scrapes of /metrics with urllib, one new connection each,
as Prometheus makes when its keep-alive connection has been closed.
"""

from __future__ import annotations

import argparse
import ssl
import statistics
import sys
import tempfile
import time
from pathlib import Path

import bcrypt

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests import sipmsg  # noqa: E402
from tests.certs import authority  # noqa: E402
from tests.support import Exporter, basic_auth, running_exporter  # noqa: E402


def scrape(exporter: Exporter, headers: dict[str, str] | None = None) -> float:
    began = time.perf_counter()
    status, _ = exporter.get("/metrics", headers)
    assert status == 200, status
    return time.perf_counter() - began


def measure(exporter: Exporter, runs: int, fresh: list[dict[str, str]]) -> tuple[float, float]:
    """Median milliseconds of a first request with new credentials, and of cached ones."""
    first = statistics.median(scrape(exporter, headers) for headers in fresh)
    cached = statistics.median(scrape(exporter) for _ in range(runs))
    return first * 1000, cached * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cost", type=int, default=10, help="bcrypt cost (default 10)")
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="scrape-auth-"))
    (base / "logs").mkdir()
    (base / "logs" / "wvp.log").write_text(sipmsg.response(503) * 100 + sipmsg.response(200) * 900)
    config = base / "config.yml"
    config.write_text(
        f"sources: [{{name: wvp, paths: ['{base}/logs/*.log'], start_at: beginning}}]\n"
    )
    users = [f"user{n}" for n in range(5)]
    hashed = bcrypt.hashpw(b"pw", bcrypt.gensalt(args.cost)).decode()
    auth = "basic_auth_users:\n" + "".join(f"  {user}: '{hashed}'\n" for user in users)
    ca = authority(base / "pki")
    server = ca.issue("server", server=True)
    tls = f"tls_server_config: {{cert_file: {server.cert}, key_file: {server.key}}}\n"
    trusting = ssl.create_default_context(cafile=str(ca.cert))
    print(f"/metrics, {args.runs} scrapes, bcrypt cost {args.cost}, milliseconds (median)")
    with running_exporter(config) as plain:
        bare = statistics.median(scrape(plain) for _ in range(args.runs)) * 1000
        print(f"  no web config:      {bare:.1f}")
    for name, text, context in (
        ("basic auth", auth, None),
        ("TLS + basic auth", tls + auth, trusting),
    ):
        web = base / f"{name.replace(' ', '')}.yml"
        web.write_text(text)
        headers = basic_auth(users[0], "pw")
        with running_exporter(
            config, f"--web.config.file={web}", tls=context, headers=headers
        ) as exporter:
            first, cached = measure(
                exporter, args.runs, [basic_auth(user, "pw") for user in users[1:]]
            )
            print(f"  {name + ':':19} first {first:.1f}, cached {cached:.1f}")


if __name__ == "__main__":
    main()
