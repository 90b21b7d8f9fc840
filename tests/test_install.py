"""Installing the exporter the ways the README says: the quick start's first command and
the systemd recipe's install on a stock Debian 12 (a `debootstrap` root with only
`python3` and `python3-venv` from apt, see tests/stock_debian.py), the wheel and the
sdist that `python -m build` makes, each in a fresh virtual environment, and the
container image's build stage.

The build backend and the dependencies come from PyPI, as they do for a user; so these
tests need the network. Building the Debian root needs root (debootstrap, chroot) and
takes about a minute once a day; it is kept outside the repository.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tarfile
import urllib.request
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.stock_debian import in_root, stock_root
from tests.support import REPO, free_port, parse_samples, value, wait_until

pytestmark = pytest.mark.system

UNIT = REPO / "config" / "systemd" / "sip-log-exporter.service"
DOCKERFILE = REPO / "config" / "docker" / "Dockerfile"
# What a user's checkout has: no build leftovers, no caches, no virtual environment.
NOT_IN_A_CHECKOUT = shutil.ignore_patterns(
    ".git", ".venv", "__pycache__", "build", "dist", "*.egg-info", ".*_cache", ".hypothesis", "*.so"
)


def checkout(into: Path) -> Path:
    target = into / "sip-log-exporter"
    shutil.copytree(REPO, target, ignore=NOT_IN_A_CHECKOUT)
    return target


def clean_env() -> dict[str, str]:
    """This environment without the test run's PYTHONPATH, so an installed program runs
    what was installed, not the worktree."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}


def run(command: list[str], timeout: float = 300, cwd: Path | None = None) -> str:
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, cwd=cwd, env=clean_env()
    )
    assert done.returncode == 0, f"{command}:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done.stdout


def shell_blocks(section: str) -> list[str]:
    """The ```sh blocks of one README section, in order."""
    readme = (REPO / "README.md").read_text()
    text = readme.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", text, re.S)


def explains_503(command: list[str]) -> None:
    """`command` (a `sip-log-exporter explain 503`) runs and explains the code."""
    out = run(command)
    assert out.startswith("503 Service Unavailable"), out
    assert "overload" in out


# python -m build ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The wheel and the sdist `python -m build` makes from a checkout (the wheel is built
    from the sdist, so the sdist is complete enough to build)."""
    work = tmp_path_factory.mktemp("build")
    source = checkout(work)
    run([sys.executable, "-m", "build", "--outdir", str(work / "dist"), str(source)])
    wheels, sdists = sorted((work / "dist").glob("*.whl")), sorted((work / "dist").glob("*.gz"))
    assert (len(wheels), len(sdists)) == (1, 1), sorted((work / "dist").iterdir())
    return wheels[0], sdists[0]


def test_the_wheel_declares_the_apache_license_by_spdx_and_carries_its_text(
    dist: tuple[Path, Path],
) -> None:
    with zipfile.ZipFile(dist[0]) as wheel:
        names = wheel.namelist()
        metadata = wheel.read(next(n for n in names if n.endswith(".dist-info/METADATA")))
        license_text = wheel.read(next(n for n in names if n.endswith("/licenses/LICENSE")))
    headers = metadata.decode().split("\n\n", 1)[0]
    assert "\nLicense-Expression: Apache-2.0\n" in headers
    assert "\nLicense-File: LICENSE\n" in headers
    assert "Classifier: License ::" not in headers  # the expression says it
    assert re.search(r"^Project-URL: Source, https://", headers, re.M)
    assert license_text == (REPO / "LICENSE").read_bytes()


def test_the_sdist_carries_the_license_the_tests_and_the_deployment_files(
    dist: tuple[Path, Path],
) -> None:
    with tarfile.open(dist[1]) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert {"LICENSE", "README.md", "pyproject.toml", "exporter/data/catalog.yaml"} <= names


@pytest.mark.parametrize("kind", ["wheel", "sdist"])
def test_the_built_package_installs_into_a_fresh_venv_and_explains_503(
    kind: str, dist: tuple[Path, Path], tmp_path: Path
) -> None:
    package = dist[0] if kind == "wheel" else dist[1]
    run([sys.executable, "-m", "venv", str(tmp_path / "venv")])
    run([str(tmp_path / "venv/bin/pip"), "install", "--quiet", str(package)])
    explains_503([str(tmp_path / "venv/bin/sip-log-exporter"), "explain", "503"])


# the container image's build stage ----------------------------------------------------


def build_stage_copies() -> list[str]:
    """The sources the Dockerfile's first stage copies from the build context."""
    stage = DOCKERFILE.read_text().split("\nFROM ", 2)[1]
    copies = re.findall(r"^COPY (?!--from)(.+)$", stage, re.M)
    return [source for line in copies for source in line.split()[:-1]]


def test_the_images_build_stage_has_every_file_the_wheel_needs(tmp_path: Path) -> None:
    """The build context is what .dockerignore lets in; the stage builds from what it
    copies out of that. Without LICENSE there, setuptools only warns and the image's
    package goes without the license text."""
    lines = (REPO / ".dockerignore").read_text().splitlines()
    rules = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert rules[0] == "*", "the context is an allow list"
    allowed = {rule[1:].rstrip("/") for rule in rules if rule.startswith("!")}
    stage = tmp_path / "src"
    stage.mkdir()
    for source in build_stage_copies():
        assert source.rstrip("/") in allowed, f"{source} is left out by .dockerignore"
        found = REPO / source
        if found.is_dir():
            shutil.copytree(found, stage / source, ignore=NOT_IN_A_CHECKOUT)
        else:
            shutil.copy(found, stage / source)
    wheel = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", "../w", "."]
    run(wheel, cwd=stage)
    (built,) = (tmp_path / "w").glob("sip_log_exporter-*.whl")
    with zipfile.ZipFile(built) as archive:
        carried = [name for name in archive.namelist() if name.endswith("/licenses/LICENSE")]
    assert carried, "the image's package leaves the license text out"


# a stock Debian 12 --------------------------------------------------------------------


@pytest.fixture
def debian_checkout() -> Iterator[tuple[Path, str]]:
    """Today's stock Debian 12 root, and a checkout in it (as the path inside)."""
    assert os.geteuid() == 0, "debootstrap and chroot need root: run the tests as root"
    assert shutil.which("debootstrap"), "debootstrap not found: apt-get install debootstrap"
    root = stock_root()
    name = f"sip-log-exporter-{uuid.uuid4().hex[:8]}"
    target = root / "root" / name
    shutil.copytree(REPO, target, ignore=NOT_IN_A_CHECKOUT)
    try:
        yield root, f"/root/{name}"
    finally:
        shutil.rmtree(target, ignore_errors=True)


def demo_answers(port: int, process: subprocess.Popen[bytes], log: Path) -> bool:
    assert process.poll() is None, f"exited {process.returncode}:\n{log.read_text()[-4000:]}"
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as answer:
            samples = parse_samples(answer.read().decode())
    except OSError:
        return False
    return value(samples, "sip_responses_total") > 0


def test_the_quick_starts_first_command_serves_metrics_on_a_stock_debian_12(
    debian_checkout: tuple[Path, str], tmp_path: Path
) -> None:
    """The README's first command as it is, in the checkout, as root of a Debian 12 that
    has nothing but `python3` and `python3-venv` from apt; only the demo's port is
    chosen, so it cannot meet another test's."""
    root, inside = debian_checkout
    line = shell_blocks("Quick start")[0].strip()
    assert "\n" not in line and line.endswith("sip-log-exporter demo"), line
    port = free_port()
    log = tmp_path / "quick-start.log"
    script = f"cd {inside} && {line} --web.listen-address=127.0.0.1:{port}"
    with log.open("wb") as out:
        process = subprocess.Popen(
            in_root(root, script), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_until(lambda: demo_answers(port, process, log), 300, "the demo's /metrics")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def test_the_systemd_recipes_install_gives_the_units_program_on_a_stock_debian_12(
    debian_checkout: tuple[Path, str],
) -> None:
    """The Deploying section's install lines up to the unit (the venv under /opt), run in
    the checkout; then the program the unit's ExecStart names is there and works."""
    root, inside = debian_checkout
    recipe = shell_blocks("Deploying")[0].splitlines()
    install = [line for line in recipe if "/opt/sip-log-exporter" in line]
    assert install and all(line.startswith(("python3 ", "/opt/")) for line in install), recipe
    text = re.sub(r"\\\n\s*", " ", UNIT.read_text())
    program = shlex.split(re.findall(r"^ExecStart=(.+)$", text, re.M)[-1])[0]
    try:
        run(in_root(root, f"cd {inside} && " + " && ".join(install)), 300)
        explains_503(in_root(root, f"{program} explain 503"))
    finally:
        shutil.rmtree(root / "opt/sip-log-exporter", ignore_errors=True)
