"""Real SIP traffic for tests: SIPp as UAS and UAC on 127.0.0.1, each writing its
`-trace_msg` message log, playing the calls of tests/data/sipp/calls.csv.

The scenarios (uac.xml, uas.xml) give, in a few seconds: answered calls whose answers
take from milliseconds to over a second, hung up from either side; 486 and 503; a
CANCEL answered with 487; an INVITE and an OPTIONS the UAS ignores, so that the UAC
retransmits them over UDP (Timer A/E) past the tests' 2 s transaction timeout; MESSAGEs
answered after a delay (one after its retransmission); final responses retransmitted
by the UAS because the ACK comes late. Later calls keep both logs going well past the
unanswered requests' deadlines.

`python -m tests.sipp FOLDER` writes the two logs there (how the committed
tests/fixtures/sipp-uac-trace.log and sipp-uas-trace.log were made).
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.support import REPO, wait_until

SCENARIOS = REPO / "tests" / "data" / "sipp"
CALLS = SCENARIOS / "calls.csv"
# Calls started per second: the whole list in under 4 s, a few calls at a time.
RATE = 5
# Retransmissions before the UAC gives up on a request (Timer A/E: copies at 0, 0.5 and
# 1.5 s; the INVITE's ontimeout cancels it when the next would be due, at 3.5 s).
MAX_RETRANS = 2


@dataclass(frozen=True, slots=True)
class Traces:
    """The message logs of one run: what the UAC and the UAS sent and received."""

    uac: Path
    uas: Path


def sipp_binary() -> str | None:
    return shutil.which("sipp")


def call_count() -> int:
    """How many calls calls.csv holds (its first line says how to read it)."""
    lines = CALLS.read_text(encoding="ascii").splitlines()
    return sum(1 for line in lines[1:] if line.strip())


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def udp_port_bound(port: int) -> bool:
    """Whether a socket (the UAS's) is bound to UDP `port`, by the kernel's table: binding
    the port to find out could take it from SIPp at the wrong moment."""
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        with contextlib.suppress(FileNotFoundError), open(table, encoding="ascii") as rows:
            next(rows)  # the column names
            for row in rows:
                local = row.split()[1]  # address:port, in hex
                if int(local.rsplit(":", 1)[1], 16) == port:
                    return True
    return False


def run_calls(folder: Path, timeout: float = 60.0) -> Traces:
    """Play every call of calls.csv between a real SIPp UAS and UAC; return their message
    logs once both processes have exited successfully (else raise, with their logs)."""
    binary = sipp_binary()
    assert binary is not None, "sipp not found on PATH (Debian: apt-get install sip-tester)"
    folder.mkdir(parents=True, exist_ok=True)
    traces = Traces(folder / "uac-messages.log", folder / "uas-messages.log")
    uas_port, uac_port = free_udp_port(), free_udp_port()
    uas = _start(folder, "uas", _uas_command(binary, uas_port, traces.uas, folder))
    processes = [uas]
    try:
        wait_until(
            lambda: udp_port_bound(uas_port) or uas.poll() is not None,
            timeout=15,
            what="the SIPp UAS to listen",
        )
        assert uas.poll() is None, _failure(folder, "the UAS exited before any call")
        uac_command = _uac_command(binary, uac_port, uas_port, traces.uac, folder)
        uac = _start(folder, "uac", uac_command)
        processes.append(uac)
        for name, process in (("uac", uac), ("uas", uas)):
            try:
                status = process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                raise AssertionError(_failure(folder, f"the {name} ran over {timeout} s")) from None
            # 0: every call went through its scenario (1 would be a failed call).
            assert status == 0, _failure(folder, f"the {name} exited with status {status}")
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    return traces


def _common(trace: Path, errors: Path) -> list[str]:
    return [
        "-i", "127.0.0.1",
        "-m", str(call_count()),
        "-nostdin",
        "-trace_msg", "-message_file", str(trace),
        "-trace_err", "-error_file", str(errors),
    ]  # fmt: skip


def _uas_command(binary: str, port: int, trace: Path, folder: Path) -> list[str]:
    scenario = str(SCENARIOS / "uas.xml")
    return [binary, "-sf", scenario, "-p", str(port), *_common(trace, folder / "uas-errors.log")]


def _uac_command(binary: str, port: int, uas_port: int, trace: Path, folder: Path) -> list[str]:
    return [
        binary, f"127.0.0.1:{uas_port}",
        "-sf", str(SCENARIOS / "uac.xml"),
        "-p", str(port),
        *_common(trace, folder / "uac-errors.log"),
        "-r", str(RATE),
        "-inf", str(CALLS),
        "-max_invite_retrans", str(MAX_RETRANS),
        "-max_non_invite_retrans", str(MAX_RETRANS),
    ]  # fmt: skip


def _start(folder: Path, name: str, command: list[str]) -> subprocess.Popen[bytes]:
    # SIPp draws its statistics screen on stdout even without a terminal: keep it.
    with (folder / f"{name}-screen.log").open("wb") as screen:
        return subprocess.Popen(
            command, cwd=folder, stdin=subprocess.DEVNULL, stdout=screen, stderr=screen
        )


def _failure(folder: Path, what: str) -> str:
    """`what`, followed by every log SIPp left in `folder`, for the test's report."""
    logs = [
        f"--- {path.name}\n{path.read_text(errors='replace')[-4000:]}"
        for path in sorted(folder.glob("*.log"))
        if "messages" not in path.name
    ]
    return "\n".join([what, *logs])


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tests.sipp FOLDER", file=sys.stderr)
        return 2
    traces = run_calls(Path(argv[0]))
    print(f"{traces.uac}\n{traces.uas}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
