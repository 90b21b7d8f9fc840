"""Log content alone can never grow the number of series past the documented bound."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exporter.catalog import Catalog
from exporter.config import Config
from exporter.count.account import series_limits
from exporter.count.labels import RESPONSES, Labeler
from exporter.count.tally import OVERFLOW, Tally
from exporter.data import builtin_catalog_text
from exporter.events import SIP_METHODS, Direction, Event, Kind

CATALOG = Catalog.from_yaml(builtin_catalog_text())
LIMIT = 50

hostile_text = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["INVITE", "invite", "FOO", "", "503", "-1024", "0503", " 408", "700"]),
    st.integers(-(10**6), 10**6).map(str),
)
events = st.builds(
    Event,
    kind=st.sampled_from(list(Kind)),
    direction=st.sampled_from(list(Direction)),
    method=hostile_text,
    code=hostile_text,
)


@pytest.mark.system  # slow
@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(events, max_size=200), max_size=8), st.sampled_from(["src-a", "src-b"]))
def test_no_stream_of_events_makes_more_series_than_the_limit_plus_one_per_source(
    batches: list[list[Event]], source: str
) -> None:
    tally = Tally(series_limits(Config(sources=(), max_series_per_metric=LIMIT)))
    labeler = Labeler(source, CATALOG.default_profile, CATALOG.classify)
    for batch in batches:
        tally.add(RESPONSES, labeler.count(batch).responses)
    series = tally.snapshot().counters.get(RESPONSES, {})
    assert len(series) <= LIMIT + 1
    for _source, direction, method, code, _category in series:
        if direction == OVERFLOW:
            continue
        assert direction in {"in", "out", "unknown"}
        assert method in SIP_METHODS | {"OTHER", "unknown"}
        assert code == "other" or (
            CATALOG.lookup(code, CATALOG.default_profile) is not None
            or (code.isdigit() and 100 <= int(code) <= 699)
        )


def test_every_possible_label_set_fits_the_documented_count() -> None:
    # 3 directions x 16 methods x (600 codes 100-699 + -1024 + other): what a source can reach.
    codes = {CATALOG.classify(str(n), CATALOG.default_profile)[0] for n in range(-2000, 2000)}
    assert len(codes) == 600 + 2
