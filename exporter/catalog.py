"""The response-code catalog: what each code means in each profile, and how it is labeled.

Owns resolving the merged catalog documents (`exporter.catalog_file` checks and merges
them) for every profile along its `extends` chain, and `classify`, which maps any code
text to a bounded (code, category) label pair. Pure: parsed values or text in, frozen
values out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from exporter.catalog_file import (
    CATEGORIES,
    ORIGINS,
    SEVERITIES,
    CatalogError,
    Draft,
    Entry,
    merge,
    parse,
)

__all__ = [
    "CATEGORIES",
    "ORIGINS",
    "OTHER",
    "SEVERITIES",
    "Catalog",
    "CatalogError",
    "CodeInfo",
    "Explanation",
]

OTHER = "other"

_OTHER_LABELS = (OTHER, OTHER)
# Used only when a catalog lacks a class's x00 code (RFC 3261 §8.1.3.2: xyz is treated as x00).
_CLASS_FALLBACK = {"1": "provisional", "2": "success", "3": "redirect"}


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
    # What to look at first when the code fails, for the engineer on call; not every code
    # has one. Defaults to None so that code building a CodeInfo by hand may leave it out.
    check_first: Explanation | None = None


def _chain(draft: Draft, profile: str) -> list[str]:
    """The profile and its ancestors, root first."""
    chain: list[str] = []
    current: str | None = profile
    while current is not None:
        chain.insert(0, current)
        current = draft.profiles[current]["extends"]
    return chain


def _resolve(draft: Draft, entry: Entry, code: str, profile: str) -> CodeInfo:
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
        check_first=_optional(fields, "check_first"),
    )


def _optional(fields: Mapping[str, str], key: str) -> Explanation | None:
    zh, en = fields.get(f"{key}.zh"), fields.get(f"{key}.en")
    return Explanation(zh=zh, en=en) if zh is not None and en is not None else None


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
        return cls._resolved(merge(named, []))

    @classmethod
    def from_yaml(cls, builtin_text: str, *override_texts: tuple[str, str]) -> Catalog:
        """Like `from_documents`, from YAML texts; overrides are (name for messages, text)."""
        return cls._resolved(parse(builtin_text, override_texts))

    @classmethod
    def _resolved(cls, draft: Draft) -> Catalog:
        assert draft.default_profile is not None  # `merge` refuses a draft without one
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
            f"unknown catalog profile {profile!r} (known: {', '.join(sorted(self._by_profile))})"
        )
