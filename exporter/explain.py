"""What `sip-log-exporter explain CODE` prints: a code's meaning, per profile, zh and en.

Owns rendering catalog entries as terminal text. Pure: returns text, prints nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import TypeVar

from exporter.catalog import OTHER, Catalog, CodeInfo

_T = TypeVar("_T")

_ORIGINS = {
    "seed": "listed in the platform manual's code table",
    "iana": "registered with IANA, not in the platform manual's table",
    "platform": "a platform's own code, not a SIP response",
}


def explain_known(catalog: Catalog, code: str) -> bool:
    """Whether the catalog lists `code` (surrounding whitespace ignored, as `explain` does)."""
    return catalog.lookup(code.strip(), catalog.default_profile) is not None


def explain(catalog: Catalog, code: str, profiles: Sequence[str] | None = None) -> str:
    """The meaning of `code` in each profile (default: all, the default profile first).

    A code that means the same in every profile is shown once. Raises ValueError for a
    profile the catalog does not have.
    """
    code = code.strip()
    selected = _selected(catalog, profiles)
    # Profiles only override fields of a code, so a code is known in all of them or none.
    known = [(name, info) for name in selected if (info := catalog.lookup(code, name))]
    if not known:
        return _unknown(catalog, code, selected)
    groups = _grouped((name, dataclasses.replace(info, profile="")) for name, info in known)
    if len(groups) == 1:
        (names, info), every = groups[0], set(selected) == set(catalog.profiles)
        where = _where(catalog, names, selected, every)
        return "\n".join([f"{_title(info)}: {where}", *_details(info)])
    lines = [f"{code}: the meaning depends on the profile"]
    for names, info in groups:
        lines += ["", f"{_profiles_label(catalog, names)}: {_title(info)}", *_details(info)]
    return "\n".join(lines)


class ExplainError(ValueError):
    """A profile the catalog does not have: the user's to fix."""


def _selected(catalog: Catalog, profiles: Sequence[str] | None) -> list[str]:
    if profiles is None:
        default = catalog.default_profile
        return [default, *(name for name in catalog.profiles if name != default)]
    for profile in profiles:
        if not catalog.has_profile(profile):
            known = ", ".join(catalog.profiles)
            raise ExplainError(f"--profile {profile!r}: not a catalog profile; use one of: {known}")
    return list(dict.fromkeys(profiles))


def _grouped(pairs: Iterable[tuple[str, _T]]) -> list[tuple[list[str], _T]]:
    """Profiles with equal values put together, in first-seen order."""
    groups: list[tuple[list[str], _T]] = []
    for name, value in pairs:
        for names, seen in groups:
            if seen == value:
                names.append(name)
                break
        else:
            groups.append(([name], value))
    return groups


def _title(info: CodeInfo) -> str:
    return f"{info.code} {info.reason}"


def _where(catalog: Catalog, names: list[str], selected: list[str], every: bool) -> str:
    if len(selected) == 1:
        return _profiles_label(catalog, names)
    scope = "all profiles" if every else "profiles"
    return f"same in {scope} ({', '.join(names)})"


def _profiles_label(catalog: Catalog, names: list[str]) -> str:
    marked = [f"{name} (default)" if name == catalog.default_profile else name for name in names]
    return ("profile " if len(names) == 1 else "profiles ") + ", ".join(marked)


def _details(info: CodeInfo) -> list[str]:
    origin = _ORIGINS.get(info.origin)
    return [
        f"  category:  {info.category}",
        f"  severity:  {info.severity}",
        f"  origin:    {info.origin}" + (f" ({origin})" if origin else ""),
        f"  reference: {info.reference}",
        "  for the user:",
        f"    zh: {info.user.zh}",
        f"    en: {info.user.en}",
        "  for the engineer:",
        f"    zh: {info.engineer.zh}",
        f"    en: {info.engineer.en}",
        *_check_first(info),
    ]


def _check_first(info: CodeInfo) -> list[str]:
    given = info.check_first
    if given is None:
        return []
    return ["  check first:", f"    zh: {given.zh}", f"    en: {given.en}"]


def _unknown(catalog: Catalog, code: str, selected: list[str]) -> str:
    shown = code if code.isascii() and code.lstrip("-").isdigit() else repr(code)
    fallbacks = _grouped((profile, _fallback(catalog, code, profile)) for profile in selected)
    lines = [f"{shown} is not in the catalog."]
    if len(fallbacks) == 1:
        return "\n".join([*lines, fallbacks[0][1]])
    for names, text in fallbacks:
        lines.append(f"{_profiles_label(catalog, names)}: {text}")
    return "\n".join(lines)


def _fallback(catalog: Catalog, code: str, profile: str) -> str:
    label, category = catalog.classify(code, profile)
    counted = f'counted as code="{label}", category="{category}"'
    if label == OTHER:
        return f"not a SIP response code (100-699): {counted}"
    head = catalog.lookup(code[0] + "00", profile)
    like = f"treated like {_title(head)}" if head else f"no {code[0]}00 in the catalog"
    return f"unregistered {code[0]}xx: {like}; {counted}"
