"""Check the package's import rules and print its layer graph.

Usage: python3 scripts/check_imports.py [PACKAGE_FOLDER]   (default: exporter/)

The layers are DESIGN §2's table, top first: a module may import from its own layer or any
layer below it, never above, and no modules may import each other in a circle. The pure
core (the modules in PURE) imports nothing that touches files, threads, clocks, sockets,
processes or prometheus-client, calls neither `open` nor a clock (converting a given time
is fine), and imports no exporter module outside the pure core, so that purity holds all
the way down. Every import counts, including those inside functions: a late import still
runs up the layers when it runs.

Prints the graph of layers (which layer imports which) and every violation; exits 1 if
there is one, else 0. tests/test_architecture.py runs the same checks.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "exporter"

# DESIGN §2, top first. `config` sits above `formats`: it reads each format's options through
# the format table in `formats/__init__.py`.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "top",
        (
            "cli",
            "service",
            "replay",
            "reader",
            "restore",
            "demo",
            "probe",
            "detect",
            "logfmt",
            "__main__",
        ),
    ),
    ("serve", ("serve",)),
    ("backfill", ("backfill",)),
    ("count", ("count",)),
    ("ingest", ("ingest",)),
    ("config", ("config",)),
    ("formats", ("formats",)),
    (
        "vocabulary",
        (
            "validation",
            "settings_yaml",
            "catalog",
            "catalog_file",
            "data",
            "explain",
            "contract",
            "events",
            "recipes",
            "vocabulary",
            "",
        ),
    ),
)

# The pure core: folders (every module in them) and single modules, relative to the package.
PURE = (
    "formats",
    "count",
    "config",
    "catalog",
    "catalog_file",
    "settings_yaml",
    "validation",
    "events",
    "contract",
    "serve.families",
    "serve.exposition",
    "serve.landing",
    "serve.oncall_codes",
    "serve.oncall_sources",
    "serve.page_text",
    "serve.sparkline",
    "serve.status",
    "serve.status_json",
    "serve.status_build",
    "serve.quantile",
    "serve.history",
    "serve.recent",
    "ingest.decode",
    "recipes",
    "vocabulary",
    "",  # the package itself: its version
)
# Pure modules that may still need one of the forbidden things, with the reason.
EXEMPT: Mapping[str, str] = {
    "exporter.formats.native": "reads SIP_LOG_EXPORTER_NATIVE once, the switch that forces "
    "the Python framing",
}

# What touches files, threads, clocks, sockets, processes or prometheus-client. A dotted
# entry forbids that module and its submodules (`urllib.parse` stays allowed).
FORBIDDEN_IMPORTS = frozenset(
    {
        "os",
        "io",
        "threading",
        "socket",
        "time",
        "prometheus_client",
        "watchdog",
        "pathlib",
        "shutil",
        "tempfile",
        "glob",
        "gzip",
        "mmap",
        "fcntl",
        "subprocess",
        "signal",
        "select",
        "selectors",
        "asyncio",
        "multiprocessing",
        "concurrent",
        "queue",
        "ssl",
        "http",
        "urllib.request",
        "importlib.resources",
    }
)
# Calls that read the clock (converting a given time is fine) or open a file.
FORBIDDEN_CALLS = frozenset(
    {
        "open",
        "time.time",
        "time.time_ns",
        "time.monotonic",
        "time.monotonic_ns",
        "time.perf_counter",
        "datetime.now",
        "datetime.utcnow",
        "datetime.today",
        "date.today",
        "datetime.datetime.now",
        "datetime.datetime.utcnow",
        "datetime.datetime.today",
        "datetime.date.today",
    }
)


@dataclass(frozen=True, slots=True)
class Module:
    """One module of the package: its dotted name, what it imports and what it calls."""

    name: str
    path: Path
    imports: frozenset[str]  # every imported module, dotted, as written (resolved)
    calls: tuple[tuple[int, str], ...]  # (line, dotted name) of every call of a name


def modules(folder: Path) -> dict[str, Module]:
    """Every module of the package in `folder` (the folder named `exporter`)."""
    found = {}
    for path in sorted(folder.rglob("*.py")):
        parts = path.relative_to(folder.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return {name: _read(name, path, set(found)) for name, path in found.items()}


def _read(name: str, path: Path, known: set[str]) -> Module:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    imports: set[str] = set()
    calls = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imports.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imports.update(_from_import(node, package, known))
        elif isinstance(node, ast.Call) and (called := _dotted(node.func)):
            calls.append((node.lineno, called))
    return Module(name, path, frozenset(imports), tuple(calls))


def _from_import(node: ast.ImportFrom, package: str, known: set[str]) -> Iterator[str]:
    """`from a import b` imports module `a.b` if there is one, else a name of module `a`."""
    base = node.module or ""
    if node.level:
        anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
        base = ".".join([*anchor, base] if base else anchor)
    submodules = [f"{base}.{alias.name}" for alias in node.names]
    yield from (name for name in submodules if name in known)
    if not all(name in known for name in submodules):
        yield base


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and (owner := _dotted(node.value)):
        return f"{owner}.{node.attr}"
    return None


def _relative(module: str) -> str | None:
    """The module's name inside the package ('' for the package), None if outside it."""
    if module == PACKAGE:
        return ""
    if module.startswith(PACKAGE + "."):
        return module[len(PACKAGE) + 1 :]
    return None


def _under(relative: str, prefix: str) -> bool:
    return relative == prefix or relative.startswith(prefix + ".") if prefix else relative == ""


def layer_of(module: str) -> int | None:
    """The index in LAYERS (0 is the top) of a module of the package; None if in none."""
    relative = _relative(module)
    for index, (_, members) in enumerate(LAYERS):
        if relative is not None and any(_under(relative, m) for m in members):
            return index
    return None


def is_pure(module: str) -> bool:
    relative = _relative(module)
    return relative is not None and any(_under(relative, p) for p in PURE)


def graph(found: Mapping[str, Module]) -> dict[str, set[str]]:
    """Which modules of the package each module imports."""
    return {
        name: {target for target in module.imports if target in found and target != name}
        for name, module in found.items()
    }


def unplaced(found: Mapping[str, Module]) -> list[str]:
    """Every module that is in no layer."""
    return [f"{name} is in no layer: add it to LAYERS" for name in found if layer_of(name) is None]


def upward(found: Mapping[str, Module]) -> list[str]:
    """Every import that runs up the layers."""
    problems = []
    for name, targets in sorted(graph(found).items()):
        for target in sorted(targets):
            low, high = layer_of(name), layer_of(target)
            if low is not None and high is not None and high < low:
                problems.append(
                    f"{name} imports {target}: {LAYERS[high][0]} is above {LAYERS[low][0]}"
                )
    return problems


def cycles(found: Mapping[str, Module]) -> list[list[str]]:
    """Each group of modules that import each other in a circle (Tarjan's algorithm)."""
    edges = graph(found)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(name: str) -> None:
        index[name] = low[name] = len(index)
        stack.append(name)
        for target in sorted(edges[name]):
            if target not in index:
                visit(target)
                low[name] = min(low[name], low[target])
            elif target in stack:
                low[name] = min(low[name], index[target])
        if low[name] == index[name]:
            group = []
            while (member := stack.pop()) != name:
                group.append(member)
            if group:
                groups.append(sorted([name, *group]))

    for name in sorted(edges):
        if name not in index:
            visit(name)
    return groups


def impure(found: Mapping[str, Module]) -> list[str]:
    """Every forbidden import or call in a pure module, and every import of a module outside
    the pure core."""
    problems = []
    for name, module in sorted(found.items()):
        if not is_pure(name) or name in EXEMPT:
            continue
        for target in sorted(module.imports):
            if _forbidden(target):
                problems.append(f"{name} imports {target}, which a pure module may not")
            elif target in found and not is_pure(target):
                problems.append(f"{name} imports {target}, which is not pure")
        problems.extend(
            f"{module.path}:{line}: {name} calls {called}(), which a pure module may not"
            for line, called in module.calls
            if called in FORBIDDEN_CALLS
        )
    return problems


def _forbidden(target: str) -> bool:
    parts = target.split(".")
    return any(".".join(parts[:n]) in FORBIDDEN_IMPORTS for n in range(1, len(parts) + 1))


def layer_graph(found: Mapping[str, Module]) -> list[str]:
    """One line per layer: its modules' count and the layers it imports from."""
    lines = []
    edges = graph(found)
    for index, (layer, _) in enumerate(LAYERS):
        members = [name for name in found if layer_of(name) == index]
        below = {layer_of(t) for m in members for t in edges[m]} - {index, None}
        names = ", ".join(LAYERS[i][0] for i in sorted(i for i in below if i is not None)) or "-"
        lines.append(f"{layer:<10} ({len(members):2} modules) -> {names}")
    return lines


def main(argv: Sequence[str]) -> int:
    folder = Path(argv[0]) if argv else Path(__file__).resolve().parent.parent / PACKAGE
    found = modules(folder)
    print("\n".join(layer_graph(found)))
    problems = [
        *unplaced(found),
        *upward(found),
        *(f"cycle: {' <-> '.join(group)}" for group in cycles(found)),
        *impure(found),
    ]
    for problem in problems:
        print(f"violation: {problem}")
    print(f"{len(found)} modules, {len(problems)} violation(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
