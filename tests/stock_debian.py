"""A stock Debian 12 root filesystem for the install tests: `debootstrap --variant=minbase
bookworm` from the mirror this machine's apt uses, plus what the quick start asks the OS
for (`python3`, `python3-venv`), installed by apt inside it. Nothing else: no pip
configuration, no wheels, no compiler; pip inside reaches PyPI as a user's would. And the
bare root that one starts from, as debootstrap leaves it: no Python at all, the host the
single-file build is for.

The network is this machine's: the root gets its /etc/resolv.conf and, when pip here is
told to trust a certificate bundle (`PIP_CERT`, as behind a TLS-inspecting proxy), that
bundle too, given to pip inside by `PIP_CERT` alone. Nothing else of the host goes in.

Building takes about a minute, so the root is kept outside the repository, one per day
(`$XDG_CACHE_HOME/sip-log-exporter-tests/debian-bookworm-YYYY-MM-DD`, or under
`~/.cache`). Commands run in it through `chroot` in a private mount namespace (`unshare`)
with its own /proc and /dev, so nothing stays mounted when they end.
"""

from __future__ import annotations

import datetime
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

SUITE = "bookworm"
OS_PACKAGES = ("python3", "python3-venv")
DEFAULT_MIRROR = "http://deb.debian.org/debian"
HOST_BUNDLE = "/etc/ssl/host-network-ca.pem"
# What a login shell on Debian has: the host's PYTHONPATH, pip settings and the rest of
# its environment stay outside.
STOCK_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME": "/root",
    "LANG": "C.UTF-8",
    "TERM": "dumb",
}


def apt_mirror(sources: Path = Path("/etc/apt")) -> str:
    """The Debian archive this machine's apt uses (deb822 or one-line sources)."""
    files = [*sorted(sources.glob("sources.list.d/*.sources")), sources / "sources.list"]
    for path in files:
        text = path.read_text() if path.is_file() else ""
        for stanza in text.split("\n\n"):
            if re.search(rf"^Suites:.*\b{SUITE}\b", stanza, re.M):
                found = re.search(r"^URIs:\s*(\S+/debian)/?\s*$", stanza, re.M)
                if found:
                    return found.group(1)
        found = re.search(rf"^deb\s+(?:\[[^]]*\]\s+)?(\S+/debian)/?\s+{SUITE}\s", text, re.M)
        if found:
            return found.group(1)
    return DEFAULT_MIRROR


def cache_folder() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return Path(base) / "sip-log-exporter-tests"


def stock_root(today: datetime.date | None = None) -> Path:
    """Today's root filesystem with the quick start's OS packages, built first if it is
    not there yet."""
    return _today(f"debian-{SUITE}", today, _build)


def bare_root(today: datetime.date | None = None) -> Path:
    """Today's root filesystem as debootstrap leaves it: no Python at all."""
    return _today(f"debian-{SUITE}-bare", today, _build_bare)


def _today(name: str, today: datetime.date | None, build: Callable[[Path], None]) -> Path:
    day = (today or datetime.date.today()).isoformat()
    root = cache_folder() / f"{name}-{day}"
    if not root.is_dir():
        _replace(root, build)
    _carry_network(root)
    return root


def _carry_network(root: Path) -> None:
    shutil.copy("/etc/resolv.conf", root / "etc/resolv.conf")
    bundle = root / HOST_BUNDLE.lstrip("/")
    if os.environ.get("PIP_CERT"):
        bundle.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(os.environ["PIP_CERT"], bundle)
    else:
        bundle.unlink(missing_ok=True)


def _replace(root: Path, build: Callable[[Path], None]) -> None:
    """Build into a scratch folder and rename it at the end, so an interrupted build is
    never taken for a finished one; older days' roots of the same kind go."""
    scratch = root.with_name(root.name + ".building")
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.parent.mkdir(parents=True, exist_ok=True)
    build(scratch)
    shutil.rmtree(root, ignore_errors=True)
    scratch.rename(root)
    kind = root.name.rsplit("-", 3)[0]
    for stale in root.parent.glob(f"{kind}-[0-9]*"):
        if stale != root and not stale.name.endswith(".building"):
            shutil.rmtree(stale, ignore_errors=True)


def _build_bare(scratch: Path) -> None:
    _check(["debootstrap", "--variant=minbase", SUITE, str(scratch), apt_mirror()], 900)


def _build(scratch: Path) -> None:
    """The bare root (copied, so both are built once a day) plus the OS packages."""
    _check(["cp", "-a", "--reflink=auto", str(bare_root()), str(scratch)], 900)
    _carry_network(scratch)
    apt = "apt-get update -qq && apt-get install -y -qq --no-install-recommends"
    _check(in_root(scratch, f"{apt} {' '.join(OS_PACKAGES)} && apt-get clean"), 900)


def in_root(root: Path, script: str) -> list[str]:
    """The command that runs `script` with /bin/sh as root inside `root`, with a stock
    environment, in a mount namespace that takes its /proc and /dev with it."""
    env = dict(STOCK_ENV)
    if (root / HOST_BUNDLE.lstrip("/")).is_file():
        env["PIP_CERT"] = HOST_BUNDLE
    mounts = (
        f"mount -t proc proc {root}/proc && mount --rbind /dev {root}/dev"
        f" && exec chroot {root} /usr/bin/env -i "
        + " ".join(f"{key}={value}" for key, value in env.items())
    )
    inner = f'{mounts} /bin/sh -c "$0"'
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", inner, script]


def _check(command: list[str], timeout: float) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, (
        f"{command[:3]} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
