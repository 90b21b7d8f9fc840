"""The single-file build (scripts/build_single_file.sh) on a host without Python: a bare
Debian 12 root as debootstrap leaves it (tests/stock_debian.py), where the one file
explains a code, replays a log exactly as the installed package does, and follows a log
behind basic auth (its bcrypt hashes checked by the packed dependency).

Building needs PyPI (PyInstaller) and takes about half a minute; the root needs root.
"""

from __future__ import annotations

import base64
import os
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import bcrypt
import pytest

from tests.stock_debian import bare_root, in_root
from tests.support import REPO, free_port, parse_samples, value, wait_until
from tests.test_install import checkout, explains_503, run

pytestmark = pytest.mark.system

FIXTURE = REPO / "tests" / "fixtures" / "sip-wvp.log"
USER, PASSWORD = "prometheus", "s3cret-for-the-test"


@pytest.fixture(scope="module")
def single_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The file the build script makes from a checkout, as its last line names it."""
    source = checkout(tmp_path_factory.mktemp("single"))
    out = run(["bash", "scripts/build_single_file.sh"], timeout=900, cwd=source)
    built = source / out.strip().splitlines()[-1]
    assert built.is_file() and os.access(built, os.X_OK), out
    return built


@pytest.fixture
def bare(single_file: Path) -> Iterator[tuple[Path, str]]:
    """Today's bare root with the file in a folder of its own (the path inside)."""
    assert os.geteuid() == 0, "debootstrap and chroot need root: run the tests as root"
    assert shutil.which("debootstrap"), "debootstrap not found: apt-get install debootstrap"
    root = bare_root()
    inside = f"/root/single-{uuid.uuid4().hex[:8]}"
    (root / inside.lstrip("/")).mkdir(parents=True)
    shutil.copy(single_file, root / inside.lstrip("/") / "sip-log-exporter")
    try:
        yield root, inside
    finally:
        shutil.rmtree(root / inside.lstrip("/"), ignore_errors=True)


def test_the_bare_root_has_no_python(bare: tuple[Path, str]) -> None:
    root, _ = bare
    done = subprocess.run(in_root(root, "command -v python3 python"), capture_output=True)
    assert done.returncode != 0 and not done.stdout.strip(), done.stdout


def test_the_single_file_explains_503_where_there_is_no_python(bare: tuple[Path, str]) -> None:
    root, inside = bare
    explains_503(in_root(root, f"{inside}/sip-log-exporter explain 503"))


def test_the_single_file_replays_a_log_exactly_as_the_installed_package(
    bare: tuple[Path, str],
) -> None:
    root, inside = bare
    shutil.copy(FIXTURE, root / inside.lstrip("/") / FIXTURE.name)
    packed = run(in_root(root, f"cd {inside} && ./sip-log-exporter replay {FIXTURE.name}"))
    installed = run([sys.executable, "-m", "exporter", "replay", str(FIXTURE)])
    counted = parse_samples(packed)
    assert value(counted, "sip_responses_total") > 0, packed
    assert counted == parse_samples(installed)


def scrape(port: int, authorization: str | None) -> tuple[int, str]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics")
    if authorization:
        request.add_header("Authorization", authorization)
    try:
        with urllib.request.urlopen(request, timeout=2) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, ""
    except OSError:
        return 0, ""


def write_settings(folder: Path) -> None:
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    (folder / "web.yml").write_text(f"basic_auth_users:\n  {USER}: '{hashed}'\n")
    (folder / "config.yml").write_text(
        "sources:\n  - name: wvp\n    format: sip\n    paths: [platform.log]\n"
    )
    (folder / "platform.log").write_bytes(b"")


def test_the_single_file_follows_a_log_behind_basic_auth(
    bare: tuple[Path, str], tmp_path: Path
) -> None:
    root, inside = bare
    folder = root / inside.lstrip("/")
    write_settings(folder)
    port = free_port()
    command = (
        f"cd {inside} && exec ./sip-log-exporter --config.file=config.yml"
        f" --web.config.file=web.yml --web.listen-address=127.0.0.1:{port}"
    )
    log = tmp_path / "exporter.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            in_root(root, command), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    try:
        wait_until(lambda: scrape(port, None)[0] == 401, 60, f"a 401 ({log})")
        (folder / "platform.log").write_bytes(FIXTURE.read_bytes())
        counted = wait_until(
            lambda: value(
                parse_samples(scrape(port, f"Basic {token}")[1] or "\n"), "sip_responses_total"
            ),
            30,
            "the log's responses counted",
        )
        assert counted > 0
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
