#!/usr/bin/env bash
# Install what the tests need on a fresh machine, then run every check and test.
# Usage: bash scripts/test.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# Debian packages: prometheus (promtool: rules, exposition lint; the server: integration
# tests), mtail (the benchmark's generic contender, run by tests/test_benchmark.py),
# chromium and a CJK font (the landing page in a real browser), systemd
# (systemd-analyze verify on the unit), sip-tester (SIPp: real SIP traffic for the
# transaction matching tests), debootstrap (a stock Debian 12 root for the install test),
# victoria-metrics (VictoriaMetrics and vmalert: the remote-write path of the multi-site test),
# jsonnet (the monitoring mixin's generator), gcc and python3-dev (the C framing of SIP
# dumps), clang and libFuzzer (its fuzzer).
missing=()
for package in prometheus mtail chromium fonts-wqy-microhei systemd sip-tester debootstrap \
  jsonnet victoria-metrics gcc python3-dev clang libclang-rt-14-dev; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

# The Python packages go into the project's own virtual environment: a stock Debian or
# Ubuntu refuses `pip install` into the system Python (PEP 668). Debian's python3 needs
# python3-venv for that; a Python of its own (pyenv, python.org) has venv built in.
if [ ! -x .venv/bin/python ] && ! python3 -m venv .venv >/dev/null 2>&1; then
  rm -rf .venv
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    python3-venv >/dev/null
  python3 -m venv .venv
fi
python=.venv/bin/python
"$python" -m pip install --quiet --disable-pip-version-check -e '.[test]'
# The C framing in place (the editable install may leave it out); the suite then runs on
# it, and its fast part runs again on the Python framing, the reference.
"$python" scripts/build_native.py

echo "== ruff";  "$python" -m ruff check . && "$python" -m ruff format --check .
echo "== mypy";  "$python" -m mypy
echo "== pytest (C framing)"; "$python" -m pytest "$@"
echo "== pytest (Python framing)"
SIP_LOG_EXPORTER_NATIVE=0 "$python" -m pytest -m "not system" "$@"
