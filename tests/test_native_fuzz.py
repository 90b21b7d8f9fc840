"""Coverage-guided fuzzing of the C framing, under AddressSanitizer and UBSan.

Builds fuzz/sip_scan_fuzzer.c with clang's libFuzzer and runs it for a bounded time on
seeds cut from every fixture: any sanitizer report, crash or difference from the Python
framing fails the run (the fuzzer aborts with both answers printed).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

pytestmark = pytest.mark.system

ROOT = Path(__file__).resolve().parent.parent
SECONDS = int(os.environ.get("SIP_FUZZ_SECONDS", "60"))


def build_fuzzer(folder: Path) -> Path:
    clang = shutil.which("clang") or shutil.which("clang-14")
    assert clang, "the fuzzer needs clang and libFuzzer: apt-get install clang libclang-rt-14-dev"
    config = [sys.executable, "-c", "import sysconfig; print(sysconfig.get_config_var('LIBDIR'))"]
    libdir = subprocess.run(config, capture_output=True, text=True, check=True).stdout.strip()
    version = sysconfig.get_config_var("LDVERSION")
    target = folder / "sip_scan_fuzzer"
    command = [
        clang, "-g", "-O1", "-fsanitize=fuzzer,address,undefined",
        "-fno-sanitize-recover=undefined", f"-DROOT=\"{ROOT}\"",
        "-I", sysconfig.get_paths()["include"], str(ROOT / "fuzz" / "sip_scan_fuzzer.c"),
        f"-L{libdir}", f"-Wl,-rpath,{libdir}", f"-lpython{version}", "-ldl", "-lm",
        "-o", str(target),
    ]  # fmt: skip
    built = subprocess.run(command, capture_output=True, text=True, check=False)
    assert built.returncode == 0, built.stderr
    return target


def seeds(folder: Path) -> Path:
    """Pieces of every fixture, the fuzzer's starting corpus."""
    folder.mkdir()
    count = 0
    for fixtures in (ROOT / "tests" / "fixtures", ROOT / "tests" / "data"):
        for path in sorted(p for p in fixtures.rglob("*") if p.is_file()):
            data = path.read_bytes()
            for at in range(0, len(data), 2000):
                (folder / f"{count:04d}").write_bytes(data[at : at + 4000])
                count += 1
    return folder


def test_the_fuzzer_finds_no_sanitizer_report_and_no_difference(tmp_path: Path) -> None:
    fuzzer = build_fuzzer(tmp_path)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    run = subprocess.run(
        [
            str(fuzzer), f"-max_total_time={SECONDS}", "-max_len=8192", "-print_final_stats=1",
            str(corpus), str(seeds(tmp_path / "seeds")),
        ],
        capture_output=True, text=True, timeout=SECONDS + 120, check=False,
        env={**os.environ, "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=1"},
    )  # fmt: skip
    report = run.stderr[-4000:]
    assert run.returncode == 0, report
    assert "ERROR:" not in run.stderr and "runtime error" not in run.stderr, report
    assert "stat::number_of_executed_units" in run.stderr, report
