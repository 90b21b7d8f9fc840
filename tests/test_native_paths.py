"""Both framings of SIP dumps from the outside: replay's exposition, the start-up log and
build info, and `pip install .` with and without a C compiler.

The installs fetch the build backend and the dependencies from PyPI, as a user's do.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import REPO, free_port, running_exporter, stop_process, wait_until
from tests.test_install import checkout, clean_env, run

pytestmark = pytest.mark.system

FIXTURES = sorted((REPO / "tests" / "fixtures").glob("*.log"))
SWITCH = "SIP_LOG_EXPORTER_NATIVE"


def replay(path: Path, *, compiled: bool, program: tuple[str, ...] = ()) -> bytes:
    """The exposition `replay` prints for `path`, read as SIP dumps."""
    env = {**os.environ, "PYTHONPATH": str(REPO), SWITCH: "1" if compiled else "0"}
    if program:  # an installed program: its own package, not this checkout's
        env = {**clean_env(), SWITCH: "1" if compiled else "0"}
    command = program or (sys.executable, "-m", "exporter")
    done = subprocess.run(
        [*command, "replay", "--format", "sip", str(path)],
        capture_output=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_replay_prints_the_same_exposition_on_both_framings(path: Path) -> None:
    assert replay(path, compiled=True) == replay(path, compiled=False)


def config_for(folder: Path) -> Path:
    log = folder / "sip.log"
    shutil.copy(REPO / "tests" / "fixtures" / "sip-wvp.log", log)
    config = folder / "config.yml"
    config.write_text(
        f"sources: [{{name: wvp, paths: ['{log}'], format: sip}}]\n"
        f"checkpoint: {{file: '{folder / 'state.json'}'}}\n"
    )
    return config


PATHS = [("1", "native", "true"), ("0", "pure Python", "false")]


@pytest.mark.parametrize(("switch", "said", "label"), PATHS)
def test_the_exporter_says_which_framing_runs_in_its_log_and_build_info(
    switch: str, said: str, label: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SWITCH, switch)
    with running_exporter(config_for(tmp_path)) as exporter:
        assert f'native="{label}"' in exporter.metrics_text()
        wait_until(lambda: f"framing SIP dumps: {said}" in exporter.output(), what="the log")


# pip install . ------------------------------------------------------------------------


def installed(folder: Path, *, compiler: bool) -> Path:
    """A fresh venv with the checkout installed by `pip install .`; without `compiler`,
    on a machine whose C compiler and linker fail on everything."""
    source = checkout(folder)
    run([sys.executable, "-m", "venv", str(folder / "venv")])
    env = clean_env()
    if not compiler:
        env |= {"CC": "/bin/false", "LDSHARED": "/bin/false"}
    pip = [str(folder / "venv/bin/pip"), "install", "--quiet", "--no-cache-dir", str(source)]
    done = subprocess.run(pip, capture_output=True, text=True, env=env, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-4000:]
    return folder / "venv"


def built_extensions(venv: Path) -> list[Path]:
    return sorted(venv.glob("lib/python*/site-packages/exporter/formats/_native*.so"))


@pytest.fixture(scope="module")
def without_compiler(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return installed(tmp_path_factory.mktemp("no-compiler"), compiler=False)


def test_pip_install_without_a_compiler_installs_the_pure_python_package(
    without_compiler: Path,
) -> None:
    assert built_extensions(without_compiler) == []


def test_without_a_compiler_replay_prints_what_the_c_framing_prints(without_compiler: Path) -> None:
    fixture = REPO / "tests" / "fixtures" / "sip-wvp-2024.log"
    program = (str(without_compiler / "bin" / "sip-log-exporter"),)
    assert replay(fixture, compiled=False, program=program) == replay(fixture, compiled=True)


@pytest.fixture
def installed_exporter(without_compiler: Path, tmp_path: Path) -> Iterator[tuple[int, Path]]:
    port, log = free_port(), tmp_path / "exporter.log"
    command = [
        str(without_compiler / "bin" / "sip-log-exporter"),
        f"--config.file={config_for(tmp_path)}", f"--web.listen-address=127.0.0.1:{port}",
    ]  # fmt: skip
    with log.open("w") as output:
        process = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, env=clean_env()
        )
    try:
        yield port, log
    finally:
        stop_process(process)


def metrics(port: int) -> str | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
            text: str = answer.read().decode()
            return text
    except OSError:
        return None


def test_without_a_compiler_the_exporter_logs_pure_python_and_says_native_false(
    installed_exporter: tuple[int, Path],
) -> None:
    port, log = installed_exporter
    text = wait_until(lambda: metrics(port), timeout=30, what="/metrics")
    assert 'native="false"' in text
    said = "framing SIP dumps: pure Python (no C extension built)"
    wait_until(lambda: said in log.read_text(), what="the start-up log line")


def test_pip_install_with_a_compiler_builds_and_runs_the_c_framing(tmp_path: Path) -> None:
    venv = installed(tmp_path, compiler=True)
    assert len(built_extensions(venv)) == 1
    check = "from exporter.formats import native; print(native.path_name())"
    said = run([str(venv / "bin" / "python"), "-c", check], cwd=tmp_path)
    assert said.strip() == "native (C extension)"
