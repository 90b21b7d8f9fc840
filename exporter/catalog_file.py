"""Catalog documents: the built-in one and users' files, checked and merged.

Owns what a catalog document may hold (every problem reported with its document and key
path, in the words of every settings file, through the `Checker`), merging documents
field by field into one draft, and profiles' `extends` chains. `exporter.catalog` resolves
the draft into what each profile sees. Pure: texts or parsed values in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from exporter.settings_yaml import load_yaml
from exporter.validation import Checker, ConfigError, describe, not_one_of, shown

# The `category` label's closed set of values.
CATEGORIES: frozenset[str] = frozenset(
    {
        *("success", "provisional", "redirect", "auth", "not_found", "busy", "timeout"),
        *("cancelled", "device_offline", "media", "routing", "permission", "overload"),
        *("server_error", "protocol", "platform", "other"),
    }
)
SEVERITIES: frozenset[str] = frozenset({"info", "warning", "error", "critical"})
ORIGINS: frozenset[str] = frozenset({"seed", "iana", "platform"})
_CODE = re.compile(r"-?[1-9][0-9]{0,5}")
_PROFILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_CLOSED = {"category": CATEGORIES, "severity": SEVERITIES, "origin": ORIGINS}
_SCALARS = ("reason", "category", "severity", "origin", "reference")
_TEXTS = ("user", "engineer", "check_first")
_CODE_KEYS = frozenset({*_SCALARS, *_TEXTS, "profiles"})
_PROFILE_OVERRIDE_KEYS = frozenset({"reason", "category", "severity", "reference", *_TEXTS})
_REQUIRED = ("reason", "category", "severity", "user.zh", "user.en", "engineer.zh", "engineer.en")
# Codes a user's catalog adds may leave these out; the built-in catalog may not.
_NEW_CODE_DEFAULTS = {"origin": "platform"}
# Optional texts: a code may go without, but where one is given it has both languages.
_OPTIONAL_TEXTS = ("check_first",)


class CatalogError(Exception):
    """A catalog document is invalid; `problems` names every problem with its key path."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        super().__init__("\n".join(self.problems))


@dataclass(slots=True)
class Entry:
    # Flat field names ("reason", "user.zh", …) make field-by-field merging a dict update.
    fields: dict[str, str]
    profiles: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(slots=True)
class Draft:
    default_profile: str | None = None
    profiles: dict[str, dict[str, str | None]] = field(default_factory=dict)
    codes: dict[str, Entry] = field(default_factory=dict)


class _Reader(Checker):
    """The `Checker` for one document, with the catalog's own shapes: sections are
    required, text is trimmed, and a code's fields are read flat."""

    def __init__(self, document: str) -> None:
        super().__init__()
        self.document = document

    def section(self, value: object, path: str, allowed: Iterable[str] = ()) -> dict[str, Any]:
        return self.mapping(path, value, frozenset(allowed), optional=False)

    def trimmed(self, value: object, path: str) -> str | None:
        if value is None:
            self.fail(path, "expected a non-empty string, got nothing")
            return None
        given = self.text(path, value)
        return None if given is None else given.strip()

    def fields(self, value: object, path: str, allowed: frozenset[str]) -> dict[str, str]:
        """A code entry's (or profile override's) own fields, flattened."""
        result: dict[str, str] = {}
        for key, item in self.section(value, path, allowed).items():
            if key not in allowed:
                continue
            if key in _TEXTS:
                for lang, words in self.section(item, _join(path, key), ("zh", "en")).items():
                    if (checked := self.trimmed(words, _join(path, key, lang))) is not None:
                        result[f"{key}.{lang}"] = checked
            elif key in _SCALARS and (checked := self.trimmed(item, _join(path, key))) is not None:
                closed = _CLOSED.get(key)
                if closed is not None and checked not in closed:
                    self.fail(_join(path, key), not_one_of(checked, closed))
                else:
                    result[key] = checked
        return result


def _join(*parts: str) -> str:
    return ".".join(part for part in parts if part)


def _listing(names: Iterable[str]) -> str:
    return ", ".join(sorted(names))


# The built-in catalog is parsed at every start and every replay: libyaml's safe loader
# takes a tenth of the pure-Python one's time. Users' files go through `load_yaml`, which
# bounds nesting and aliases and says where the YAML is wrong.
_FAST_LOADER: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = getattr(
    yaml, "CSafeLoader", yaml.SafeLoader
)


def _merge_profiles(draft: Draft, reader: _Reader, value: object) -> set[str]:
    touched: set[str] = set()
    for name, spec in reader.section(value, "profiles").items():
        path = _join("profiles", name)
        if not _PROFILE_NAME.fullmatch(name):
            reader.fail(path, "a profile name is letters, digits, '_', '.' and '-'")
            continue
        current = draft.profiles.setdefault(name, {"description": "", "extends": None})
        for key, item in reader.section(spec, path, ("description", "extends")).items():
            if key == "extends" and item is None:
                current["extends"] = None
            elif (checked := reader.trimmed(item, _join(path, key))) is not None:
                current[key] = checked
        touched.add(name)
    return touched


def _check_profiles(draft: Draft, reader: _Reader, touched: set[str]) -> None:
    for name in sorted(touched):
        parent = draft.profiles[name]["extends"]
        if parent is not None and parent not in draft.profiles:
            reader.fail(_join("profiles", name, "extends"), _unknown_profile(parent, draft))
            continue
        seen = [name]
        while parent is not None and parent in draft.profiles and parent not in seen:
            seen.append(parent)
            parent = draft.profiles[parent]["extends"]
        if parent == name:
            cycle = " -> ".join([*seen, name])
            reader.fail(_join("profiles", name, "extends"), f"profiles extend in a cycle: {cycle}")


def _unknown_profile(name: str, draft: Draft) -> str:
    return f"unknown profile {name!r}; use one of: {_listing(draft.profiles)}"


def _check_default(draft: Draft, reader: _Reader) -> None:
    if draft.default_profile is not None and draft.default_profile not in draft.profiles:
        reader.fail("default_profile", _unknown_profile(draft.default_profile, draft))


def _present(value: Mapping[object, object], name: str) -> bool:
    """Whether a document gives a (flat-named) field, valid or not."""
    head, _, lang = name.partition(".")
    item = value.get(head)
    return lang in item if lang and isinstance(item, Mapping) else head in value


def _merge_code(draft: Draft, reader: _Reader, code: str, value: object, builtin: bool) -> None:
    path = _join("codes", code)
    fields = reader.fields(value, path, _CODE_KEYS)
    raw = value.get("profiles") if isinstance(value, Mapping) else None
    specs = {} if raw is None else reader.section(raw, _join(path, "profiles"))
    overrides = {name: _override(draft, reader, path, name, spec) for name, spec in specs.items()}
    entry = draft.codes.get(code)
    if entry is None:
        required = (*_REQUIRED, "origin", "reference") if builtin else _REQUIRED
        why = "missing" if builtin else "missing (required for a new code)"
        for name in required:
            if isinstance(value, Mapping) and not _present(value, name):
                reader.fail(_join(path, name), why)
        defaults = {} if builtin else {**_NEW_CODE_DEFAULTS, "reference": reader.document}
        entry = draft.codes[code] = Entry({**defaults})
    entry.fields.update(fields)
    for name, override in overrides.items():
        entry.profiles.setdefault(name, {}).update(override)
    _check_pairs(reader, path, value, entry.fields)
    for name in overrides:
        merged = {**entry.fields, **entry.profiles[name]}
        _check_pairs(reader, _join(path, "profiles", name), specs[name], merged)


def _override(draft: Draft, reader: _Reader, path: str, name: str, spec: object) -> dict[str, str]:
    """One profile's override of a code's fields."""
    where = _join(path, "profiles", name)
    if name not in draft.profiles:
        reader.fail(where, _unknown_profile(name, draft))
    return reader.fields(spec, where, _PROFILE_OVERRIDE_KEYS)


def _check_pairs(reader: _Reader, path: str, value: object, merged: Mapping[str, str]) -> None:
    """An optional text a document gives must then be there in both languages: given
    with it, or already in the fields it is merged onto (for a profile override, the
    base entry's). A language given but invalid is reported where it is read."""
    for key in _OPTIONAL_TEXTS:
        given = value.get(key) if isinstance(value, Mapping) else None
        if not isinstance(given, Mapping):
            continue
        for lang in ("zh", "en"):
            if lang not in given and f"{key}.{lang}" not in merged:
                reader.fail(_join(path, key, lang), f"missing ({key} needs both zh and en)")


def _merge_document(
    draft: Draft, document: str, value: object, problems: list[str], *, builtin: bool
) -> None:
    reader = _Reader(document)
    _merge_top(draft, reader, value, builtin)
    problems.extend(describe(document, key, message) for key, message in reader.problems)


def _merge_top(draft: Draft, reader: _Reader, value: object, builtin: bool) -> None:
    top = reader.section(value, "", ("version", "default_profile", "profiles", "codes"))
    if builtin and isinstance(value, Mapping):
        for key in ("version", "default_profile", "profiles", "codes"):
            if key not in top:
                reader.fail(key, "missing")
    if "version" in top and (top["version"] != 1 or isinstance(top["version"], bool)):
        reader.fail("version", f"unsupported version {shown(top['version'])} (expected 1)")
    touched = _merge_profiles(draft, reader, top["profiles"]) if "profiles" in top else set()
    if "default_profile" in top:
        draft.default_profile = reader.trimmed(top["default_profile"], "default_profile")
    _check_profiles(draft, reader, touched)
    if "default_profile" in top:
        _check_default(draft, reader)
    for code, item in reader.section(top.get("codes", {}), "codes").items():
        if _CODE.fullmatch(code):
            _merge_code(draft, reader, code, item, builtin)
        else:
            reader.fail(_join("codes", code), 'not a code (expected text such as "486")')


def merge(named: list[tuple[str, object]], problems: list[str]) -> Draft:
    """Documents (name for messages, parsed value), built-in first, merged into a draft;
    `CatalogError` listing every problem, `problems` given included."""
    draft = Draft()
    for number, (name, document) in enumerate(named):
        _merge_document(draft, name, document, problems, builtin=number == 0)
    if problems or draft.default_profile is None:
        raise CatalogError(problems or ["builtin catalog: default_profile: missing"])
    return draft


def parse(builtin_text: str, override_texts: Iterable[tuple[str, str]]) -> Draft:
    """Like `merge`, from YAML texts; overrides are (name for messages, text)."""
    problems: list[str] = []
    try:
        named: list[tuple[str, object]] = [("builtin catalog", _safe_load(builtin_text))]
    except yaml.YAMLError as error:
        raise CatalogError([describe("builtin catalog", "", str(error))]) from None
    for name, text in override_texts:
        try:
            named.append((name, load_yaml(text, name)))
        except ConfigError as error:
            problems.extend(error.lines)
    return merge(named, problems)


def _safe_load(text: str) -> object:
    """The built-in catalog with libyaml's safe loader when present (a tenth of the
    pure-Python one's time, and the larger part of start-up); spelled out so that no
    general `yaml.load` is called."""
    parser = _FAST_LOADER(text)
    try:
        return parser.get_single_data()
    finally:
        parser.dispose()
