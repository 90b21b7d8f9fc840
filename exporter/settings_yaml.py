"""A settings file's text read as YAML, within bounds.

Owns the safe loader that every settings file (config, web config, users' catalog files)
is read with: documents nested deeper than `MAX_DEPTH` and documents whose aliases expand
to more than `MAX_ALIASED` extra values are refused with the key where it happens, and a
YAML syntax error is named by line and column, all as `ConfigError` instead of a
traceback or a hang. Pure: it takes text, never the file.
"""

from __future__ import annotations

from collections.abc import Iterator

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from exporter.validation import ConfigError

# No settings file needs more: the deepest key of a catalog is six levels down.
MAX_DEPTH = 64
# Values that aliases may add to a document once expanded ("billion laughs" stops here);
# a settings file has no use for more than a few shared sections.
MAX_ALIASED = 100_000


class _Refused(yaml.YAMLError):
    def __init__(self, path: list[str], message: str) -> None:
        super().__init__(message)
        self.key = _key(path)
        self.message = message


def _key(path: list[str]) -> str:
    """A node's path as a key (`sources[0].name`), cut after a few steps."""
    shown = "".join(step if step.startswith("[") else f".{step}" for step in path[:4] if step)
    return shown.lstrip(".") + ("…" if len(path) > 4 else "")


def _step(parent: Node | None, index: object) -> str:
    if isinstance(parent, SequenceNode):
        return f"[{index}]"
    if isinstance(parent, MappingNode):
        return str(index.value) if isinstance(index, ScalarNode) else "?"
    return ""


class _Loader(yaml.SafeLoader):
    """The safe loader, refusing documents nested deeper than `MAX_DEPTH`: the composer
    recurses once per level, and Python's stack ends long before a file does."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.path: list[str] = []

    # `index` is the key node under a mapping, the position under a sequence.
    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        self.path.append(_step(parent, index))
        try:
            if len(self.path) > MAX_DEPTH:
                raise _Refused(
                    self.path[1:],
                    f"nested deeper than {MAX_DEPTH} levels; no setting needs more than a few",
                )
            return super().compose_node(parent, index)
        finally:
            self.path.pop()


def _children(node: Node) -> Iterator[tuple[str, Node]]:
    if isinstance(node, SequenceNode):
        yield from ((f"[{i}]", child) for i, child in enumerate(node.value))
    elif isinstance(node, MappingNode):
        for key, child in node.value:
            name = str(key.value) if isinstance(key, ScalarNode) else "?"
            yield "?", key
            yield name, child


def _distinct(root: Node) -> int:
    """How many nodes a document has, each alias counted once."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen.add(id(node))
            stack.extend(child for _, child in _children(node))
    return len(seen)


def _measure(
    node: Node, path: list[str], sizes: dict[int, int], open_: set[int], limit: int
) -> int:
    """How many nodes `node` stands for once aliases are expanded, refusing more than
    `limit` (each shared node is measured once, so this is quick whatever the answer)."""
    known = sizes.get(id(node))
    if known is not None:
        return known
    if id(node) in open_:
        raise _Refused(path, "an alias refers to a value that contains it; remove the loop")
    open_.add(id(node))
    total = 1
    for step, child in _children(node):
        total += _measure(child, [*path, step], sizes, open_, limit)
        if total > limit:
            raise _Refused(
                [*path, step],
                f"its aliases expand to more than {MAX_ALIASED:,} values; "
                "write the values out instead of nesting aliases",
            )
    open_.discard(id(node))
    sizes[id(node)] = total
    return total


def load_yaml(text: str, filename: str) -> object:
    """The YAML document in `text`; `ConfigError` naming the line or key if it is not YAML
    or exceeds the bounds above."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _measure(node, [], {}, set(), _distinct(node) + MAX_ALIASED)
        return loader.construct_document(node)
    except _Refused as refused:
        raise ConfigError(filename, [(refused.key, refused.message)]) from None
    except yaml.YAMLError as error:
        raise ConfigError(filename, [("", yaml_problem(error))]) from None
    finally:
        loader.dispose()


def yaml_problem(error: yaml.YAMLError) -> str:
    """What is wrong with a YAML text, where: `line 3, column 4: not valid YAML: …`."""
    what = str(error)
    where = ""
    if isinstance(error, yaml.MarkedYAMLError):
        what = " ".join(part for part in (error.context, error.problem) if part)
        mark = error.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    return f"{where}not valid YAML: {what}; fix the file's syntax there"
