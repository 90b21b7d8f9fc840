"""Sparklines: a series of counts as a small inline SVG, drawn on the server.

Owns the drawing: one bar per point, scaled to the largest, on a baseline, all bars one
`path` in a view box of whole units (two per point), so that a page of many sparklines
stays small; with a title that a reader (and a screen reader) gets the numbers from. No
script, no outside asset, nothing from a log in it but what `html.escape` has made text.
Pure.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

WIDTH = 120
HEIGHT = 24


def sparkline(points: Sequence[int], title: str, css_class: str = "spark") -> str:
    """The SVG for `points` (oldest first), titled `title` (escaped here)."""
    if not points:
        return ""
    label = html.escape(title)
    peak = max(points) or 1
    bars = "".join(
        f"M{2 * i} {HEIGHT}v-{max(1, round(HEIGHT * n / peak))}h1.6V{HEIGHT}z"
        for i, n in enumerate(points)
        if n > 0
    )
    width = 2 * len(points)
    return (
        f'<svg class="{css_class}" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {width} {HEIGHT}" preserveAspectRatio="none" role="img" '
        f'aria-label="{label}"><title>{label}</title>'
        f'<path class="base" d="M0 {HEIGHT - 0.5}H{width}"/><path class="bars" d="{bars}"/></svg>'
    )
