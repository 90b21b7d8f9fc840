"""Reading a YAML settings file into values: what the config and the web config share.

Owns `ConfigError` (every problem of a file, each with its key), loading the YAML with a
line-numbered message instead of a traceback, and the `Checker` that collects problems
while values are read, so that a user sees all of them at once. Pure: it takes the file's
text, never the file.
"""

from __future__ import annotations

import yaml


class ConfigError(Exception):
    """Everything wrong with a config file, one line per problem."""

    def __init__(self, filename: str, problems: list[tuple[str, str]]) -> None:
        self.filename = filename
        self.problems = tuple(problems)
        lines = [
            f"{filename}: {key}: {message}" if key else f"{filename}: {message}"
            for key, message in problems
        ]
        super().__init__("\n".join(lines))


def load_yaml(text: str, filename: str) -> object:
    """The YAML document in `text`; `ConfigError` naming the line if it is not YAML."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ConfigError(
            filename, [("", f"{where}not valid YAML ({getattr(error, 'problem', error)})")]
        ) from None


def kind(value: object) -> str:
    """What a value is, in a user's words."""
    names: dict[type, str] = {dict: "a mapping", list: "a list", str: "a string"}
    return names.get(type(value), repr(value))


class Checker:
    """Collects problems while reading values; each reader returns a usable default."""

    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []

    def fail(self, key: str, message: str) -> None:
        self.problems.append((key, message))

    def boolean(self, key: str, value: object, default: bool) -> bool:
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        self.fail(key, f"{value!r} is not true or false")
        return default
