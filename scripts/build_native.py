"""Build the C framing step in place (exporter/formats/_native*.so), for working on it.

`pip install .` builds it too (setup.py); this is the quick way in a checkout, and the
way `scripts/test.sh` builds it before running the suite on both framings. Usage:
python3 scripts/build_native.py (CC picks the compiler; gcc by default).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "exporter" / "formats" / "_native.c"
FLAGS = ["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-fPIC", "-shared"]


def target() -> Path:
    return SOURCE.with_name("_native" + str(sysconfig.get_config_var("EXT_SUFFIX")))


def main() -> int:
    compiler = shlex.split(os.environ.get("CC", "gcc"))
    include = ["-I", sysconfig.get_paths()["include"]]
    command = [*compiler, *FLAGS, *include, str(SOURCE), "-o", str(target())]
    return subprocess.run(command, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
