"""The response-code catalog: what each code means in each profile, and how it is labeled.

Owns validating catalog documents (the built-in one and users' overrides, every problem
reported with its key path), merging overrides field by field, resolving profiles along
their `extends` chain, and `classify`, which maps any code text to a bounded
(code, category) label pair. Pure: parsed values or text in, frozen values out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

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
OTHER = "other"

_OTHER_LABELS = (OTHER, OTHER)
_CODE = re.compile(r"-?[1-9][0-9]{0,5}")
_PROFILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_CLOSED = {"category": CATEGORIES, "severity": SEVERITIES, "origin": ORIGINS}
_SCALARS = ("reason", "category", "severity", "origin", "reference")
_TEXTS = ("user", "engineer")
_CODE_KEYS = frozenset({*_SCALARS, *_TEXTS, "profiles"})
_PROFILE_OVERRIDE_KEYS = frozenset({"reason", "category", "severity", "reference", *_TEXTS})
_REQUIRED = ("reason", "category", "severity", "user.zh", "user.en", "engineer.zh", "engineer.en")
# Codes a user's catalog adds may leave these out; the built-in catalog may not.
_NEW_CODE_DEFAULTS = {"origin": "platform"}
# Used only when a catalog lacks a class's x00 code (RFC 3261 §8.1.3.2: xyz is treated as x00).
_CLASS_FALLBACK = {"1": "provisional", "2": "success", "3": "redirect"}


class CatalogError(Exception):
    """A catalog document is invalid; `problems` names every problem with its key path."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True, slots=True)
class Explanation:
    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class CodeInfo:
    """One code as a profile sees it."""

    code: str
    profile: str
    reason: str
    category: str
    severity: str
    origin: str
    reference: str
    user: Explanation
    engineer: Explanation


@dataclass(slots=True)
class _Entry:
    # Flat field names ("reason", "user.zh", …) make field-by-field merging a dict update.
    fields: dict[str, str]
    profiles: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(slots=True)
class _Draft:
    default_profile: str | None = None
    profiles: dict[str, dict[str, str | None]] = field(default_factory=dict)
    codes: dict[str, _Entry] = field(default_factory=dict)


@dataclass(slots=True)
class _Reader:
    """Type checks for one document, recording problems prefixed with its name."""

    document: str
    problems: list[str]

    def problem(self, path: str, message: str) -> None:
        self.problems.append(f"{self.document}: {path or 'document'}: {message}")

    def mapping(self, value: object, path: str, allowed: Iterable[str] = ()) -> dict[str, object]:
        if not isinstance(value, Mapping):
            self.problem(path, f"expected a mapping, got {_kind(value)}")
            return {}
        result: dict[str, object] = {}
        for key, item in value.items():
            # YAML reads an unquoted 486 as an int: keep it as the text it was written as.
            result[key if isinstance(key, str) else repr(key)] = item
        known = frozenset(allowed)
        for key in sorted(result.keys() - known) if known else ():
            self.problem(_join(path, key), f"unknown key (expected one of {_listing(known)})")
        return result

    def text(self, value: object, path: str) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.problem(path, f"expected a non-empty string, got {_kind(value)}")
            return None
        return value.strip()

    def fields(self, value: object, path: str, allowed: frozenset[str]) -> dict[str, str]:
        """A code entry's (or profile override's) own fields, flattened."""
        result: dict[str, str] = {}
        for key, item in self.mapping(value, path, allowed).items():
            if key not in allowed:
                continue
            if key in _TEXTS:
                for lang, words in self.mapping(item, _join(path, key), ("zh", "en")).items():
                    if (checked := self.text(words, _join(path, key, lang))) is not None:
                        result[f"{key}.{lang}"] = checked
            elif key in _SCALARS and (checked := self.text(item, _join(path, key))) is not None:
                closed = _CLOSED.get(key)
                if closed is not None and checked not in closed:
                    self.problem(_join(path, key), f"{checked!r} is not one of {_listing(closed)}")
                else:
                    result[key] = checked
        return result


def _kind(value: object) -> str:
    return "nothing" if value is None else type(value).__name__


def _join(*parts: str) -> str:
    return ".".join(part for part in parts if part)


def _listing(names: Iterable[str]) -> str:
    return ", ".join(sorted(names))


# The built-in catalog is parsed at every start and every replay: libyaml's safe loader
# takes a tenth of the pure-Python one's time. Users' files keep the pure-Python loader,
# whose error messages `_yaml_problem` was written for.
_FAST_LOADER: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = getattr(
    yaml, "CSafeLoader", yaml.SafeLoader
)


def _yaml_problem(error: yaml.YAMLError) -> str:
    if isinstance(error, yaml.MarkedYAMLError) and error.problem_mark is not None:
        mark = error.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}"
        what = " ".join(part for part in (error.context, error.problem) if part)
        return f"{where}: not valid YAML: {what}"
    return f"not valid YAML: {error}"


def _merge_profiles(draft: _Draft, reader: _Reader, value: object) -> set[str]:
    touched: set[str] = set()
    for name, spec in reader.mapping(value, "profiles").items():
        path = _join("profiles", name)
        if not _PROFILE_NAME.fullmatch(name):
            reader.problem(path, "a profile name is letters, digits, '_', '.' and '-'")
            continue
        current = draft.profiles.setdefault(name, {"description": "", "extends": None})
        for key, item in reader.mapping(spec, path, ("description", "extends")).items():
            if key == "extends" and item is None:
                current["extends"] = None
            elif (checked := reader.text(item, _join(path, key))) is not None:
                current[key] = checked
        touched.add(name)
    return touched


def _check_profiles(draft: _Draft, reader: _Reader, touched: set[str]) -> None:
    for name in sorted(touched):
        parent = draft.profiles[name]["extends"]
        if parent is not None and parent not in draft.profiles:
            reader.problem(_join("profiles", name, "extends"), f"unknown profile {parent!r}")
            continue
        seen = [name]
        while parent is not None and parent in draft.profiles and parent not in seen:
            seen.append(parent)
            parent = draft.profiles[parent]["extends"]
        if parent == name:
            cycle = " -> ".join([*seen, name])
            reader.problem(
                _join("profiles", name, "extends"), f"profiles extend in a cycle: {cycle}"
            )


def _check_default(draft: _Draft, reader: _Reader) -> None:
    if draft.default_profile is not None and draft.default_profile not in draft.profiles:
        reader.problem("default_profile", f"unknown profile {draft.default_profile!r}")


def _present(value: Mapping[object, object], name: str) -> bool:
    """Whether a document gives a (flat-named) field, valid or not."""
    head, _, lang = name.partition(".")
    item = value.get(head)
    return lang in item if lang and isinstance(item, Mapping) else head in value


def _merge_code(draft: _Draft, reader: _Reader, code: str, value: object, builtin: bool) -> None:
    path = _join("codes", code)
    fields = reader.fields(value, path, _CODE_KEYS)
    overrides: dict[str, dict[str, str]] = {}
    raw = value.get("profiles") if isinstance(value, Mapping) else None
    if raw is not None:
        for name, spec in reader.mapping(raw, _join(path, "profiles")).items():
            where = _join(path, "profiles", name)
            if name not in draft.profiles:
                reader.problem(where, f"unknown profile (known: {_listing(draft.profiles)})")
            overrides[name] = reader.fields(spec, where, _PROFILE_OVERRIDE_KEYS)
    entry = draft.codes.get(code)
    if entry is None:
        required = (*_REQUIRED, "origin", "reference") if builtin else _REQUIRED
        why = "missing" if builtin else "missing (required for a new code)"
        for name in required:
            if isinstance(value, Mapping) and not _present(value, name):
                reader.problem(_join(path, name), why)
        defaults = {} if builtin else {**_NEW_CODE_DEFAULTS, "reference": reader.document}
        entry = draft.codes[code] = _Entry({**defaults})
    entry.fields.update(fields)
    for name, override in overrides.items():
        entry.profiles.setdefault(name, {}).update(override)


def _merge_document(
    draft: _Draft, document: str, value: object, problems: list[str], *, builtin: bool
) -> None:
    reader = _Reader(document, problems)
    top = reader.mapping(value, "", ("version", "default_profile", "profiles", "codes"))
    if builtin and isinstance(value, Mapping):
        for key in ("version", "default_profile", "profiles", "codes"):
            if key not in top:
                reader.problem(key, "missing")
    if "version" in top and (top["version"] != 1 or isinstance(top["version"], bool)):
        reader.problem("version", f"unsupported version {top['version']!r} (expected 1)")
    touched = _merge_profiles(draft, reader, top["profiles"]) if "profiles" in top else set()
    if "default_profile" in top:
        draft.default_profile = reader.text(top["default_profile"], "default_profile")
    _check_profiles(draft, reader, touched)
    if "default_profile" in top:
        _check_default(draft, reader)
    for code, item in reader.mapping(top.get("codes", {}), "codes").items():
        if _CODE.fullmatch(code):
            _merge_code(draft, reader, code, item, builtin)
        else:
            reader.problem(_join("codes", code), 'not a code (expected text such as "486")')


def _chain(draft: _Draft, profile: str) -> list[str]:
    """The profile and its ancestors, root first."""
    chain: list[str] = []
    current: str | None = profile
    while current is not None:
        chain.insert(0, current)
        current = draft.profiles[current]["extends"]
    return chain


def _resolve(draft: _Draft, entry: _Entry, code: str, profile: str) -> CodeInfo:
    fields = dict(entry.fields)
    for name in _chain(draft, profile):
        fields.update(entry.profiles.get(name, {}))
    return CodeInfo(
        code=code,
        profile=profile,
        reason=fields["reason"],
        category=fields["category"],
        severity=fields["severity"],
        origin=fields["origin"],
        reference=fields["reference"],
        user=Explanation(zh=fields["user.zh"], en=fields["user.en"]),
        engineer=Explanation(zh=fields["engineer.zh"], en=fields["engineer.en"]),
    )


def _labels(infos: Mapping[str, CodeInfo]) -> dict[str, tuple[str, str]]:
    """Every label pair `classify` can return for one profile, keyed by code text."""
    labels: dict[str, tuple[str, str]] = {}
    for number in range(100, 700):
        code = str(number)
        head = infos.get(code[0] + "00")
        labels[code] = (code, head.category if head else _CLASS_FALLBACK.get(code[0], OTHER))
    labels.update((code, (code, info.category)) for code, info in infos.items())
    return labels


class Catalog:
    """The merged, validated catalog, resolved for every profile."""

    __slots__ = ("_by_profile", "_default", "_labels")

    def __init__(
        self, default_profile: str, by_profile: Mapping[str, Mapping[str, CodeInfo]]
    ) -> None:
        self._default = default_profile
        self._by_profile = {name: dict(infos) for name, infos in by_profile.items()}
        self._labels = {name: _labels(infos) for name, infos in by_profile.items()}

    @classmethod
    def from_documents(cls, builtin: object, *overrides: object) -> Catalog:
        """Validate and merge parsed YAML documents; raise `CatalogError` listing every problem."""
        named = [("builtin catalog", builtin)]
        named += [(f"override {number}", doc) for number, doc in enumerate(overrides, 1)]
        return cls._build(named, [])

    @classmethod
    def from_yaml(cls, builtin_text: str, *override_texts: tuple[str, str]) -> Catalog:
        """Like `from_documents`, from YAML texts; overrides are (name for messages, text)."""
        problems: list[str] = []
        named: list[tuple[str, object]] = []
        texts = [("builtin catalog", builtin_text, _FAST_LOADER)]
        texts += [(name, text, yaml.SafeLoader) for name, text in override_texts]
        for name, text, loader in texts:
            try:
                named.append((name, _safe_load(text, loader)))
            except yaml.YAMLError as error:
                problems.append(f"{name}: {_yaml_problem(error)}")
                if not named:  # nothing to merge overrides into
                    raise CatalogError(problems) from None
        return cls._build(named, problems)

    @classmethod
    def _build(cls, named: list[tuple[str, object]], problems: list[str]) -> Catalog:
        draft = _Draft()
        for number, (name, document) in enumerate(named):
            _merge_document(draft, name, document, problems, builtin=number == 0)
        if problems or draft.default_profile is None:
            raise CatalogError(problems or ["builtin catalog: default_profile: missing"])
        by_profile = {
            profile: {
                code: _resolve(draft, entry, code, profile) for code, entry in draft.codes.items()
            }
            for profile in draft.profiles
        }
        return cls(draft.default_profile, by_profile)

    @property
    def default_profile(self) -> str:
        return self._default

    @property
    def profiles(self) -> tuple[str, ...]:
        """Profile names in the order the catalogs declare them."""
        return tuple(self._by_profile)

    def has_profile(self, profile: str) -> bool:
        return profile in self._by_profile

    def lookup(self, code: str, profile: str) -> CodeInfo | None:
        """The code as `profile` sees it, or None when the catalog does not list it."""
        return self._infos(profile).get(code)

    def entries(self, profile: str) -> tuple[CodeInfo, ...]:
        """Every code resolved for `profile`, in numeric order."""
        infos = self._infos(profile)
        return tuple(infos[code] for code in sorted(infos, key=int))

    def classify(self, code: str, profile: str) -> tuple[str, str]:
        """The (code, category) labels for a code seen in a log; never raises for any text.

        Catalog codes keep their category; other codes 100-699 take their class's x00
        category; anything else is ("other", "other"), so label values stay bounded.
        """
        try:
            labels = self._labels[profile]
        except KeyError:
            raise self._unknown(profile) from None
        return labels.get(code, _OTHER_LABELS)

    def _infos(self, profile: str) -> dict[str, CodeInfo]:
        try:
            return self._by_profile[profile]
        except KeyError:
            raise self._unknown(profile) from None

    def _unknown(self, profile: str) -> ValueError:
        return ValueError(
            f"unknown catalog profile {profile!r} (known: {_listing(self._by_profile)})"
        )


def _safe_load(text: str, loader: Any) -> object:
    """One YAML document with a safe loader (libyaml's when present: the built-in catalog
    is the larger part of start-up); spelled out so no general `yaml.load` is called."""
    parser = loader(text)
    try:
        return parser.get_single_data()
    finally:
        parser.dispose()
