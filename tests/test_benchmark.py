"""The benchmark harness keeps working: every tool counts what the generator wrote.

It checks correctness only; speed is the benchmark's business (benchmarks/run.py), never a
timed test's.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import side_by_side
from tests.support import REPO

pytestmark = pytest.mark.system


def test_the_quick_benchmark_counts_exactly_the_ground_truth_with_every_tool(
    tmp_path: Path,
) -> None:
    out = tmp_path / "latest.json"
    result = subprocess.run(
        [sys.executable, "benchmarks/run.py", "--quick", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr[-4000:]
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert figures["correct"] == {
        "ours_responses_equal_truth": True,
        "transactions_off_counts_the_same": True,
        "python_framing_prints_the_same": True,
        "ours_requests_equal_truth": True,
        "ours_code_method_equal_mtail": True,
        "mtail_code_method_equal_truth": True,
        "grep_count_equals_truth": True,
        "follow_counts_equal_truth": True,
        "paced_5000_counts_equal_mtail": True,
        "paced_50000_counts_equal_mtail": True,
        "paced_500000_counts_equal_mtail": True,
    }
    assert set(figures["one_shot"]["tools"]) == {
        "sip-log-exporter replay",
        "sip-log-exporter replay, Python framing",
        "sip-log-exporter replay, transactions off",
        "mtail --one_shot",
        "grep -c",
    }
    assert {"sustained", "paced", "freshness", "metrics", "machine", "corpus"} <= set(figures)
    assert set(figures["paced"]) == {"5000", "50000", "500000"}


def test_the_benchmarks_mtail_runs_while_its_default_port_3903_is_taken(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.log"
    corpus.write_text("SIP/2.0 503 Service Unavailable\r\nCSeq: 1 INVITE\r\n\r\n")
    (mtail,) = [t for t in side_by_side.tools_for(corpus, "mtail") if t.name.startswith("mtail")]
    with contextlib.ExitStack() as held:
        try:
            taken = held.enter_context(socket.socket())
            taken.bind(("0.0.0.0", 3903))
            taken.listen()
        except OSError:
            pass  # already held by something else: taken all the same
        result = subprocess.run(mtail.command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    (port,) = re.findall(r"Listening on 127\.0\.0\.1:(\d+)", result.stderr)
    assert port != "3903"
