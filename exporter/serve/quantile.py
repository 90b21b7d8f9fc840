"""Quantiles of a histogram's increase over a window, as Prometheus' histogram_quantile.

Owns the one estimate the page and its JSON twin show for response times and SRD, so that
they agree with `histogram_quantile(0.95, sum by (le) (increase(…_bucket[w])))` over the
same window: the bucket holding the rank is found in the cumulative counts, and the value
interpolated linearly inside it (from 0 in the first bucket; a rank in the +Inf bucket
gives the highest finite bound). Pure.
"""

from __future__ import annotations

from collections.abc import Sequence


def histogram_quantile(
    q: float, bounds: Sequence[float], cumulative: Sequence[int]
) -> float | None:
    """The q-quantile of observations counted in `cumulative` (one count per bound in
    `bounds`, then +Inf); None when there are none."""
    total = cumulative[-1] if cumulative else 0
    if total <= 0 or not bounds:
        return None
    rank = q * total
    # The first finite bucket whose cumulative count reaches the rank, else +Inf.
    index = next((i for i, n in enumerate(cumulative[:-1]) if n >= rank), len(bounds))
    if index == len(bounds):
        return bounds[-1]
    if index == 0 and bounds[0] <= 0:
        return bounds[0]
    start = bounds[index - 1] if index else 0.0
    below = cumulative[index - 1] if index else 0
    inside = cumulative[index] - below
    return start + (bounds[index] - start) * ((rank - below) / inside)
