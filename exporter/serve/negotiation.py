"""Which exposition format a scrape gets, from its `Accept` header.

Owns content negotiation, done as the Prometheus Go toolkit does it (`expfmt.Negotiate`):
the media ranges the client accepts, best q-value first (ties in the client's order), and
the first this exporter writes: OpenMetrics 1.0.0 for `application/openmetrics-text` with
version 1.0.0 or none, the Prometheus text format 0.0.4 for `text/plain` with version
0.0.4 or none. Anything else (another version, a malformed range) is passed over, and when
nothing fits the answer is the text format, which every scraper reads: a header never
makes a scrape fail. Pure.
"""

from __future__ import annotations

from collections.abc import Iterator

TEXT = "text/plain; version=0.0.4; charset=utf-8"
OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8"
# media type -> (versions we write, content type)
_WRITTEN = {
    "application/openmetrics-text": (("", "1.0.0"), OPENMETRICS),
    "text/plain": (("", "0.0.4"), TEXT),
}


def negotiate(accept: str | None) -> str:
    """The content type to answer with: `TEXT` or `OPENMETRICS`."""
    ranges = sorted(_ranges(accept or ""), key=lambda each: -each[1])  # stable
    for media, quality, version in ranges:
        versions, content_type = _WRITTEN.get(media, ((), ""))
        if quality > 0 and version in versions:
            return content_type
    return TEXT


def _ranges(accept: str) -> Iterator[tuple[str, float, str]]:
    """(media type, q-value, version) of each media range; a bad q-value counts as 0."""
    for part in accept.split(","):
        media, *parameters = (token.strip() for token in part.split(";"))
        quality, version = 1.0, ""
        for parameter in parameters:
            name, _, given = parameter.partition("=")
            name, given = name.strip().lower(), given.strip().strip('"')
            if name == "q":
                quality = _quality(given)
            elif name == "version":
                version = given
        yield media.lower(), quality, version


def _quality(given: str) -> float:
    try:
        quality = float(given)
    except ValueError:
        return 0.0
    return quality if 0.0 <= quality <= 1.0 else 0.0
