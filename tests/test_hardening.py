"""Hardening: request limits, slow and idle clients, the connection cap, no root needed,
and nothing from config or logs ever evaluated."""

from __future__ import annotations

import ast
import os
import pwd
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from exporter.serve.server import HEAD_TIMEOUT, MAX_CONNECTIONS, MAX_HEAD_BYTES
from tests import sipmsg
from tests.support import (
    REPO,
    Exporter,
    one_source_config,
    raw_answer,
    running_exporter,
    value,
    wait_until,
)

pytestmark = pytest.mark.system

ROOT_WARNING = "running as root"


@pytest.fixture
def exporter(tmp_path: Path) -> Iterator[Exporter]:
    with running_exporter(one_source_config(tmp_path)) as running:
        yield running


def connect(exporter: Exporter) -> socket.socket:
    return socket.create_connection(("127.0.0.1", exporter.port), timeout=HEAD_TIMEOUT + 10)


def answer(exporter: Exporter, request: bytes) -> bytes:
    """What the exporter sends back to a raw request, up to its closing the connection."""
    return raw_answer(exporter, request, HEAD_TIMEOUT + 10)


def scrape_time(exporter: Exporter) -> float:
    start = time.monotonic()
    assert exporter.get("/metrics")[0] == 200
    return time.monotonic() - start


def test_stalled_clients_do_not_block_scrapes_and_are_let_go(exporter: Exporter) -> None:
    stalled = [connect(exporter) for _ in range(8)]
    stalled[0].sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")  # headers never finished
    stalled[1].sendall(b"GET /met")  # request line never finished
    try:
        assert max(scrape_time(exporter) for _ in range(5)) < 2.0
        # Each stalled connection is closed once its time to send a request is up.
        started = time.monotonic()
        for client in stalled:
            client.settimeout(HEAD_TIMEOUT + 5)
            assert client.recv(1024) == b""
        assert time.monotonic() - started < HEAD_TIMEOUT + 5
    finally:
        for client in stalled:
            client.close()
    assert value(exporter.scrape(), "sip_responses_total", code="503") == 1


def test_a_client_that_never_reads_does_not_block_scrapes(exporter: Exporter) -> None:
    with connect(exporter) as greedy:
        greedy.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        greedy.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n" * 200)  # and reads nothing
        assert max(scrape_time(exporter) for _ in range(5)) < 2.0


def test_request_heads_over_the_limit_are_refused(exporter: Exporter) -> None:
    big = b"X-Padding: " + b"a" * MAX_HEAD_BYTES + b"\r\n"
    assert answer(exporter, b"GET /metrics HTTP/1.1\r\n" + big + b"\r\n").startswith(
        b"HTTP/1.1 431"
    )
    many = b"".join(b"X-%d: 1\r\n" % n for n in range(150))
    assert answer(exporter, b"GET /metrics HTTP/1.1\r\n" + many + b"\r\n").startswith(
        b"HTTP/1.1 431"
    )
    long_line = b"GET /" + b"a" * MAX_HEAD_BYTES + b" HTTP/1.1\r\n\r\n"
    assert answer(exporter, long_line).startswith(b"HTTP/1.1 414")
    assert exporter.get("/metrics")[0] == 200


def test_request_bodies_are_refused(exporter: Exporter) -> None:
    reply = answer(exporter, b"POST /-/reload HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello")
    assert reply.startswith(b"HTTP/1.1 413")
    chunked = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
    assert answer(exporter, chunked).startswith(b"HTTP/1.1 413")


def test_a_connection_beyond_the_cap_pushes_out_the_one_that_waited_longest(
    exporter: Exporter,
) -> None:
    held = [connect(exporter) for _ in range(MAX_CONNECTIONS)]
    try:
        assert exporter.get("/-/healthy")[0] == 200  # one more, and it is answered
        held[0].settimeout(5)
        assert held[0].recv(1024) == b""  # the first idle one made room for it
        for client in held[1:]:  # the others are still open
            client.setblocking(False)
            with pytest.raises(BlockingIOError):
                client.recv(1024)
    finally:
        for client in held:
            client.close()


def test_started_as_root_it_warns(exporter: Exporter) -> None:
    assert os.geteuid() == 0, "this test needs root (CI runs the suite as root)"
    assert ROOT_WARNING in exporter.output()


# The interpreter on the test machine may live where an unprivileged user cannot read it
# (under /root), so this launcher loads the exporter and every module it imports first,
# then gives up root for good before the exporter starts: everything the exporter does
# (listening, reading the logs, writing the checkpoint) it does as `nobody`.
AS_NOBODY = """
import os, sys
import bcrypt, encodings.idna, prometheus_client, ssl, watchdog.observers
import exporter.cli, exporter.data, exporter.formats.sip
# The interpreter's own files may be out of nobody's reach (a Python under /root): what
# reading the package's data imports later is imported now, while still root.
exporter.data.builtin_catalog_text(), exporter.data.recipe_texts()
nobody = {uid}
os.setgroups([])
os.setgid({gid})
os.setuid(nobody)
sys.exit(exporter.cli.main(sys.argv[1:]))
"""


def test_as_an_unprivileged_user_it_runs_and_does_not_warn() -> None:
    assert os.geteuid() == 0, "this test needs root to become nobody (CI runs as root)"
    nobody = pwd.getpwnam("nobody")
    base = Path(tempfile.mkdtemp(prefix="sip-exporter-nobody-"))
    try:
        base.chmod(0o755)
        logs, state = base / "logs", base / "state"
        logs.mkdir(mode=0o755)
        state.mkdir(mode=0o700)
        os.chown(state, nobody.pw_uid, nobody.pw_gid)
        log = logs / "wvp.log"
        log.write_text(sipmsg.response(503) * 2)
        log.chmod(0o644)
        config = base / "config.yml"
        config.write_text(
            f"checkpoint: {{file: {state / 'checkpoint.json'}, interval: 200ms}}\n"
            f"poll_interval: 100ms\n"
            f"sources: [{{name: p, paths: ['{logs}/*.log'], start_at: beginning}}]\n"
        )
        launch = ("-c", AS_NOBODY.format(uid=nobody.pw_uid, gid=nobody.pw_gid))
        with running_exporter(config, launch=launch) as exporter:
            assert process_uids(exporter.process.pid) == {nobody.pw_uid}
            wait_until(
                lambda: value(exporter.scrape(), "sip_responses_total", code="503") == 2,
                what="the records, read as nobody",
            )
            wait_until(
                lambda: (state / "checkpoint.json").exists(), what="a checkpoint written as nobody"
            )
            assert (state / "checkpoint.json").stat().st_uid == nobody.pw_uid
            assert exporter.stop() == 0
        assert ROOT_WARNING not in exporter.output()
    finally:
        shutil.rmtree(base, ignore_errors=True)


def process_uids(pid: int) -> set[int]:
    status = Path(f"/proc/{pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("Uid:"))
    return {int(uid) for uid in line.split()[1:]}


# What would evaluate text as code or objects, or run a program: none of it is in the
# package, so nothing from the config, the web config or the logs can be executed.
FORBIDDEN_BUILTINS = {"eval", "exec", "compile", "__import__", "breakpoint"}
FORBIDDEN_CALLS = {
    "os.system", "os.popen", "os.execv", "os.execvp", "os.spawnv", "importlib.import_module",
    "yaml.load", "yaml.load_all", "yaml.unsafe_load", "yaml.full_load", "yaml.Loader",
}  # fmt: skip
FORBIDDEN_MODULES = {"pickle", "marshal", "shelve", "subprocess", "dill", "code", "codeop"}
UNSAFE_YAML = {"load", "load_all", "unsafe_load", "full_load", "Loader", "UnsafeLoader"}


def test_the_package_never_evaluates_anything_from_config_or_logs() -> None:
    found = []
    for path in sorted((REPO / "exporter").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            where = f"{path.relative_to(REPO)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Call):
                name = ast.unparse(node.func)
                if name in FORBIDDEN_BUILTINS or name in FORBIDDEN_CALLS:
                    found.append(f"{where}: calls {name}")
            elif isinstance(node, ast.Import | ast.ImportFrom):
                modules = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                modules += [node.module or ""] if isinstance(node, ast.ImportFrom) else []
                for module in modules:
                    if module.split(".")[0] in FORBIDDEN_MODULES:
                        found.append(f"{where}: imports {module}")
                if isinstance(node, ast.ImportFrom) and node.module == "yaml":
                    unsafe = {a.name for a in node.names} & UNSAFE_YAML
                    found += [f"{where}: imports yaml.{name}" for name in sorted(unsafe)]
            elif isinstance(node, ast.keyword) and node.arg == "shell":
                found.append(f"{where}: shell=")
    assert found == []
