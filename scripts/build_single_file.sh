#!/usr/bin/env bash
# Builds one self-contained executable, dist/sip-log-exporter-VERSION-linux-ARCH, for hosts
# without a usable Python (none at all, or older than 3.11): PyInstaller packs the
# interpreter, the exporter, its dependencies and its data (the catalog, the recipes)
# into a single file that unpacks itself into a temporary folder at each start.
#
# Needs Python 3.11+ with venv and access to PyPI on the building machine only. The file
# runs on Linux with the same CPU architecture and a glibc at least as new as the
# building machine's (Debian 12 builds run on Debian 12, Ubuntu 22.04 and newer):
# build on the oldest system you deploy to.
set -euo pipefail
cd "$(dirname "$0")/.."

build=build/single-file
python3 -m venv "$build/venv"
"$build/venv/bin/python" -m pip install -q --upgrade pip
"$build/venv/bin/python" -m pip install -q "pyinstaller>=6.10,<7" .

version=$("$build/venv/bin/python" -c 'import exporter; print(exporter.__version__)')
name="sip-log-exporter-$version-linux-$(uname -m)"
"$build/venv/bin/pyinstaller" --onefile --noconfirm --log-level WARN \
  --name "$name" --collect-data exporter \
  --distpath dist --workpath "$build/work" --specpath "$build" \
  scripts/single_file_entry.py
echo "dist/$name"
