"""What the benchmark needs from the machine: the tools it compares, timing, CPU, identity.

Owns installing what is missing (Debian's mtail package, as root or through sudo; the
exporter's own Python dependencies, with pip), timing one command (wall and CPU seconds
of the child), reading a running process's CPU seconds from /proc, and describing the
machine the figures were taken on.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def ensure_mtail() -> str:
    """The mtail binary, installed from Debian's package first if it is missing."""
    found = shutil.which("mtail")
    if found:
        return found
    _apt("update", "-qq")
    _apt("install", "-y", "-qq", "--no-install-recommends", "mtail")
    found = shutil.which("mtail")
    if not found:
        raise RuntimeError("mtail is still missing after apt-get install mtail")
    return found


def ensure_exporter_dependencies() -> None:
    """The exporter's Python dependencies (pyproject.toml), installed with pip if one is
    missing. The benchmark runs this checkout's exporter, never an installed copy."""
    if all(importlib.util.find_spec(m) for m in ("prometheus_client", "watchdog", "yaml")):
        return
    with (REPO / "pyproject.toml").open("rb") as project:
        dependencies = tomllib.load(project)["project"]["dependencies"]
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *dependencies], check=True)


def compile_exporter() -> None:
    """Byte-compile the checkout's exporter, as pip does when it installs a package: with
    PYTHONDONTWRITEBYTECODE set, every timed start would compile it again."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(REPO / "exporter")],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def _apt(*args: str) -> None:
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run(
        [*sudo, "apt-get", *args],
        check=True,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )


def tool_version(command: list[str]) -> str:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    text = (result.stdout or result.stderr).strip().splitlines()
    return text[0] if text else "?"


@dataclass(frozen=True, slots=True)
class Timed:
    """One run of a command: wall seconds, CPU seconds of the child, what it printed."""

    wall: float
    cpu: float
    stdout: bytes


def timed(command: list[str], env: dict[str, str] | None = None) -> Timed:
    """Run `command` to its end and time it. Its output goes to a pipe, never /dev/null:
    GNU grep stops at the first match when its output is /dev/null."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    result = subprocess.run(command, check=False, capture_output=True, env=env)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if result.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({result.returncode}): {result.stderr[-2000:]!r}")
    return Timed(wall, cpu, result.stdout)


def process_cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds a running process has used so far (Linux /proc)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    # After the command name: state is field 3, utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine() -> dict[str, str | int]:
    """What the figures were taken on."""
    model = "?"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count() or 0,
        "cpu_model": model,
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def exporter_env() -> dict[str, str]:
    """The environment that runs this checkout's exporter, whatever else is installed."""
    return {**os.environ, "PYTHONPATH": str(REPO)}
