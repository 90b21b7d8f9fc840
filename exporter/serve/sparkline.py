"""Sparklines: a series of counts as a small inline SVG, drawn on the server.

Owns the drawing: one bar per point, scaled to the largest, on a baseline, with a title
that a reader (and a screen reader) gets the numbers from. No script, no outside asset,
nothing from a log in it but what `html.escape` has made text. Pure.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

WIDTH = 120
HEIGHT = 24


def sparkline(points: Sequence[int], title: str, css_class: str = "spark") -> str:
    """The SVG for `points` (oldest first), titled `title` (escaped here)."""
    label = html.escape(title)
    if not points:
        return ""
    peak = max(points)
    step = WIDTH / len(points)
    bar = max(step - (1 if step > 3 else 0), 0.5)
    bars = "".join(
        f'<rect x="{i * step:.1f}" y="{HEIGHT - h:.1f}" width="{bar:.1f}" height="{h:.1f}"/>'
        for i, n in enumerate(points)
        if n and (h := max(1.0, HEIGHT * n / peak))
    )
    return (
        f'<svg class="{css_class}" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{label}">'
        f"<title>{label}</title>"
        f'<line x1="0" y1="{HEIGHT - 0.5}" x2="{WIDTH}" y2="{HEIGHT - 0.5}"/>{bars}</svg>'
    )
