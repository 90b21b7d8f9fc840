"""The package's shape: imports run down DESIGN §2's layers, in no circle, and the pure core
touches no file, thread, clock, socket or prometheus-client (scripts/check_imports.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from scripts import check_imports

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "exporter"


def package(tmp_path: Path, files: dict[str, str]) -> Path:
    """A package named `exporter` in a temporary folder, with these modules."""
    folder = tmp_path / "exporter"
    for name, text in {"__init__.py": "", **files}.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


def test_every_module_is_in_a_layer() -> None:
    assert check_imports.unplaced(check_imports.modules(PACKAGE)) == []


def test_no_import_runs_up_the_layers() -> None:
    assert check_imports.upward(check_imports.modules(PACKAGE)) == []


def test_no_modules_import_each_other_in_a_circle() -> None:
    assert check_imports.cycles(check_imports.modules(PACKAGE)) == []


def test_the_pure_core_touches_no_file_thread_clock_socket_or_prometheus_client() -> None:
    assert check_imports.impure(check_imports.modules(PACKAGE)) == []


def test_the_pure_core_has_one_exemption_the_native_switch() -> None:
    # An exemption needs its reason written beside it in EXEMPT. The one there is: the
    # framing's switch reads an environment variable (and nothing else) when imported.
    assert set(check_imports.EXEMPT) == {"exporter.formats.native"}


def test_the_pure_core_is_what_design_names() -> None:
    found = check_imports.modules(PACKAGE)
    pure = {name for name in found if check_imports.is_pure(name)}
    assert {"exporter.config", "exporter.catalog", "exporter.formats.sip"} <= pure
    assert {"exporter.count.tally", "exporter.serve.exposition", "exporter.serve.landing"} <= pure
    assert not pure & {"exporter.reader", "exporter.serve.http", "exporter.ingest.follow"}


def test_the_script_prints_the_layer_graph_and_passes() -> None:
    run = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check_imports.py")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout
    layers = [line.split()[0] for line in run.stdout.splitlines()[: len(check_imports.LAYERS)]]
    assert layers == [name for name, _ in check_imports.LAYERS]
    assert run.stdout.rstrip().endswith("0 violation(s)")


def test_the_checker_finds_an_import_up_the_layers(tmp_path: Path) -> None:
    folder = package(tmp_path, {"events.py": "from exporter import cli\n", "cli.py": ""})
    assert check_imports.upward(check_imports.modules(folder)) == [
        "exporter.events imports exporter.cli: top is above vocabulary"
    ]


def test_the_checker_finds_an_import_up_the_layers_inside_a_function(tmp_path: Path) -> None:
    folder = package(
        tmp_path,
        {
            "config.py": "def f() -> None:\n    from exporter.count import tally\n",
            "count/tally.py": "",
        },
    )
    assert check_imports.upward(check_imports.modules(folder)) == [
        "exporter.config imports exporter.count.tally: count is above config"
    ]


def test_the_checker_finds_a_circle_within_a_layer(tmp_path: Path) -> None:
    folder = package(
        tmp_path, {"cli.py": "import exporter.service\n", "service.py": "from . import cli\n"}
    )
    assert check_imports.cycles(check_imports.modules(folder)) == [
        ["exporter.cli", "exporter.service"]
    ]


def test_the_checker_finds_a_pure_module_that_opens_a_file(tmp_path: Path) -> None:
    folder = package(tmp_path, {"catalog.py": "def f() -> None:\n    open('x')\n"})
    (problem,) = check_imports.impure(check_imports.modules(folder))
    assert problem.endswith("exporter.catalog calls open(), which a pure module may not")


def test_the_checker_finds_a_pure_module_that_reads_the_clock(tmp_path: Path) -> None:
    code = "import datetime\n\ndef f() -> object:\n    return datetime.datetime.now()\n"
    folder = package(tmp_path, {"formats/__init__.py": "", "formats/timestamps.py": code})
    (problem,) = check_imports.impure(check_imports.modules(folder))
    assert "calls datetime.datetime.now()" in problem


def test_the_checker_lets_a_pure_module_convert_a_given_time(tmp_path: Path) -> None:
    code = (
        "import datetime\n\ndef f(t: float) -> object:\n    return datetime.date.fromtimestamp(t)\n"
    )
    folder = package(tmp_path, {"formats/__init__.py": "", "formats/timestamps.py": code})
    assert check_imports.impure(check_imports.modules(folder)) == []


def test_the_checker_finds_a_forbidden_import_in_a_pure_module(tmp_path: Path) -> None:
    folder = package(
        tmp_path, {"count/__init__.py": "", "count/tally.py": "from time import monotonic\n"}
    )
    assert check_imports.impure(check_imports.modules(folder)) == [
        "exporter.count.tally imports time, which a pure module may not"
    ]


def test_the_checker_finds_a_pure_module_importing_one_that_is_not(tmp_path: Path) -> None:
    folder = package(
        tmp_path,
        {
            "serve/__init__.py": "",
            "serve/landing.py": "from exporter.serve import http\n",
            "serve/http.py": "",
        },
    )
    assert check_imports.impure(check_imports.modules(folder)) == [
        "exporter.serve.landing imports exporter.serve.http, which is not pure"
    ]


def test_the_script_exits_non_zero_on_a_violation(tmp_path: Path) -> None:
    folder = package(tmp_path, {"events.py": "import exporter.reader\n", "reader.py": ""})
    run = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check_imports.py"), str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1
    assert "violation: exporter.events imports exporter.reader" in run.stdout


def test_the_checker_tells_a_parser_of_addresses_from_a_client(tmp_path: Path) -> None:
    code = "import urllib.parse\nimport urllib.request\n"
    folder = package(tmp_path, {"serve/__init__.py": "", "serve/landing.py": code})
    assert check_imports.impure(check_imports.modules(folder)) == [
        "exporter.serve.landing imports urllib.request, which a pure module may not"
    ]
