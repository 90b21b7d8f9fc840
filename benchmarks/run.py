"""The benchmark: sip-log-exporter beside mtail and grep, and its follow-mode figures.

Usage: python benchmarks/run.py [--quick] [--runs N] [--out FILE] [--skip-follow]

Installs what is missing (Debian's mtail; the exporter's Python dependencies), generates
a seeded corpus (wvp-GB28181-pro SIP dumps with noise lines, about 200,000 messages and
2.75 million lines; --quick: a small one), times `sip-log-exporter replay`, `mtail
--one_shot` and `grep -c` on it in alternating runs and reports medians and ratios,
checks that the exporter's counts equal the generator's ground truth and mtail's, then
measures follow mode: sustained ingest, freshness and /metrics response time with 5,000
series. Prints a table and writes every figure as JSON (default
benchmarks/results/latest.json). Exits 1 if a count is wrong.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make this checkout importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import corpus, follow, paced, side_by_side, tools

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"


def _size(quick: bool) -> dict[str, int]:
    if quick:
        return {
            "messages": 5_000,
            "runs": 1,
            "copies": 1,
            "samples": 10,
            "series": 500,
            "paced_s": 2,
        }
    return {
        "messages": 200_000,
        "runs": 5,
        "copies": 3,
        "samples": 200,
        "series": 5_000,
        "paced_s": 30,
    }


RATES = [5_000, 50_000, 500_000]  # lines per second: a platform of ~10k, ~100k, ~1M devices


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def measure(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    size = _size(args.quick)
    runs = args.runs or size["runs"]
    tools.ensure_exporter_dependencies()
    tools.compile_exporter()
    mtail = tools.ensure_mtail()
    log = work / "corpus.log"
    _say(f"generating the corpus ({size['messages']:,} messages) …")
    truth = corpus.generate(log, size["messages"])
    results: dict[str, Any] = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "quick": args.quick,
        "machine": tools.machine(),
        "versions": {
            "mtail": tools.tool_version([mtail, "--version"]),
            "grep": tools.tool_version(["grep", "--version"]),
        },
        "corpus": {
            "seed": corpus.SEED,
            "messages": truth.messages,
            "responses": truth.codes().total(),
            "lines": truth.lines,
            "noise_lines": truth.noise_lines,
            "bytes": truth.bytes,
        },
    }
    _say(f"timing replay, mtail and grep, {runs} alternating runs …")
    results["one_shot"] = side_by_side.compare(log, truth, mtail, runs, _say)
    _say(f"timing backfill, {runs} runs …")
    results["backfill"] = backfill(log, truth.bytes, runs, work / "backfill")
    if not args.skip_follow:
        _say("follow mode: sustained ingest …")
        results["sustained"] = follow.sustained(log, truth.lines, size["copies"], work / "s")
        results["sustained"]["responses_expected"] = truth.codes().total() * size["copies"]
        _say(f"follow mode beside mtail at {', '.join(f'{r:,}' for r in RATES)} lines/s …")
        results["paced"] = paced.compare(log, mtail, RATES, size["paced_s"], work / "p")
        _say("follow mode: freshness …")
        results["freshness"] = follow.freshness(size["samples"], work / "f")
        _say(f"follow mode: /metrics with {size['series']:,} series …")
        results["metrics"] = follow.scrape_time(size["series"], 50, work / "m")
    results["targets"] = targets(results)
    return results


def backfill(log: Path, size: int, runs: int, output: Path) -> dict[str, Any]:
    """`sip-log-exporter backfill` on the corpus (UTC, 60 s steps): median wall and CPU
    seconds and MB/s."""
    command = [
        *("python3", "-m", "exporter", "backfill", str(log)),
        *("--timezone", "UTC", "--output", str(output)),
    ]
    command[0] = sys.executable
    timed = [tools.timed(command, tools.exporter_env()) for _ in range(runs)]
    wall = statistics.median(t.wall for t in timed)
    return {
        "command": " ".join(command),
        "wall_s": [t.wall for t in timed],
        "median_wall_s": wall,
        "median_cpu_s": statistics.median(t.cpu for t in timed),
        "mb_per_s": size / 1e6 / wall,
    }


def targets(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The issue's targets, each with its figure and whether it is met."""
    figures = results["one_shot"]["tools"]
    ours = figures["sip-log-exporter replay"]["median_wall_s"]
    mtail_ratio = figures["mtail --one_shot"]["median_wall_s"] / ours
    met: dict[str, dict[str, Any]] = {
        "replay_vs_mtail_at_least_5x": {"value": mtail_ratio, "met": mtail_ratio >= 5},
        **framing_targets(figures),
    }
    if "sustained" in results:
        rate = results["sustained"]["lines_per_s"]
        p99 = results["freshness"]["p99_ms"]
        scrape = results["metrics"]["prometheus"]["median_ms"]
        met["sustained_at_least_200k_lines_per_s"] = {"value": rate, "met": rate >= 200_000}
        met["freshness_p99_under_100ms"] = {"value": p99, "met": p99 < 100}
        met["metrics_5000_series_median_under_20ms"] = {"value": scrape, "met": scrape < 20}
        met["freshness_p99_under_50ms"] = {"value": p99, "met": p99 < 50}
        met.update(paced_targets(results["paced"]))
    return met


def paced_targets(paced: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Following at 5k and 50k lines/s for at most mtail's CPU; 500k lines/s kept up with."""
    met = {}
    for rate in ("5000", "50000"):
        ratio = paced[rate]["cpu_ratio"]
        met[f"follow_{rate}_cpu_at_most_mtail"] = {"value": ratio, "met": ratio <= 1}
    kept = paced["500000"]["tools"]["sip-log-exporter"]
    met["follow_500000_kept_up"] = {"value": kept["caught_up_after_s"], "met": kept["kept_up"]}
    return met


def framing_targets(figures: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Replay on the C framing (the default) against mtail and grep -c, and what the C
    framing gains over the Python one."""
    ours = figures["sip-log-exporter replay"]["median_wall_s"]
    grep = ours / figures["grep -c"]["median_wall_s"]
    mtail = figures["mtail --one_shot"]["median_wall_s"] / ours
    python = figures[side_by_side.PYTHON_FRAMING]["median_wall_s"] / ours
    return {
        "replay_native_vs_mtail_at_least_10x": {"value": mtail, "met": mtail >= 10},
        "replay_native_within_5x_of_grep": {"value": grep, "met": grep <= 5},
        "replay_python_framing_vs_native": {"value": python, "met": python >= 1},
    }


def table(results: dict[str, Any]) -> str:
    """The figures as the README's Markdown table."""
    shot = results["one_shot"]["tools"]
    ours = shot["sip-log-exporter replay"]
    rows = [
        "| tool | median s | CPU s | lines/s | MB/s | time ÷ replay's |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, f in shot.items():
        rows.append(
            f"| `{name}` | {f['median_wall_s']:.3f} | {f['median_cpu_s']:.3f} "
            f"| {f['lines_per_s']:,.0f} | {f['mb_per_s']:,.1f} | {f['time_vs_replay']:.2f} |"
        )
    rows.append("")
    mtail = shot["mtail --one_shot"]["median_wall_s"] / ours["median_wall_s"]
    grep = ours["median_wall_s"] / shot["grep -c"]["median_wall_s"]
    rows.append(
        f"mtail takes {mtail:.1f}× as long as replay; replay takes {grep:.1f}× as long as grep -c."
    )
    if "backfill" in results:
        b = results["backfill"]
        rows.append(
            f"backfill: {b['median_wall_s']:.3f} s ({b['median_cpu_s']:.3f} CPU s), "
            f"{b['mb_per_s']:.1f} MB/s."
        )
    if "sustained" in results:
        s, f, m = results["sustained"], results["freshness"], results["metrics"]
        rows += [
            "",
            "| follow mode | figure |",
            "|---|---:|",
            f"| sustained ingest, lines/s | {s['lines_per_s']:,.0f} |",
            f"| CPU s per million lines | {s['cpu_s_per_million_lines']:.2f} |",
            f"| freshness p50 / p99, ms ({f['samples']} samples) "
            f"| {f['p50_ms']:.1f} / {f['p99_ms']:.1f} |",
            f"| /metrics, {m['series']:,} series, median ms (Prometheus / plain) "
            f"| {m['prometheus']['median_ms']:.1f} / {m['plain']['median_ms']:.1f} |",
            "",
            *paced_table(results["paced"]),
        ]
    return "\n".join(rows)


def paced_table(paced: dict[str, Any]) -> list[str]:
    """Follow mode beside mtail, one row per rate and tool."""
    rows = [
        "| lines/s | tool | lines | CPU s per million lines | CPU ÷ mtail's "
        "| lag at the end, lines | all counted after, s | kept up |",
        "|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for rate, figures in paced.items():
        for name, f in figures["tools"].items():
            ratio = f"{figures['cpu_ratio']:.2f}" if name == "sip-log-exporter" else ""
            rows.append(
                f"| {int(rate):,} | {name} | {f['lines_written']:,} "
                f"| {f['cpu_s_per_million_lines']:.2f} | {ratio} | {f['lag_lines_at_end']:,.0f} "
                f"| {f['caught_up_after_s']:.2f} | {'yes' if f['kept_up'] else 'no'} |"
            )
    return rows


def correct(results: dict[str, Any]) -> bool:
    checks = dict(results["one_shot"]["correct"])
    if "sustained" in results:
        s = results["sustained"]
        checks["follow_counts_equal_truth"] = s["responses_counted"] == s["responses_expected"]
        for rate, figures in results["paced"].items():
            checks[f"paced_{rate}_counts_equal_mtail"] = figures["same_counts"]
    results["correct"] = checks
    return all(checks.values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small corpus, one run")
    parser.add_argument("--runs", type=int, default=0, help="timed runs per tool")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the JSON")
    parser.add_argument("--skip-follow", action="store_true", help="only the one-shot tools")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sip-bench-") as folder:
        results = measure(args, Path(folder))
    ok = correct(results)
    machine = results["machine"]
    print(
        f"{machine['cpus']} × {machine['cpu_model']}, Python {machine['python']}; corpus: "
        f"{results['corpus']['messages']:,} messages, {results['corpus']['lines']:,} lines, "
        f"{results['corpus']['bytes'] / 1e6:.0f} MB\n"
    )
    print(table(results))
    print("\ncorrect:", ", ".join(f"{k}={v}" for k, v in results["correct"].items()))
    print("targets:", ", ".join(f"{k}={v['met']}" for k, v in results["targets"].items()))
    if args.quick:
        print("(--quick: a corpus too small for the figures to mean much; counts are checked)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
