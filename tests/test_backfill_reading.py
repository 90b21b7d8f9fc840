"""Backfill reads each log as replay reads it: cutting a file where the logged time
changes step never changes which records are found, nor their labels."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import UTC
from pathlib import Path

import pytest

from exporter import contract
from exporter.backfill.read import Outcome, read_logs
from exporter.backfill.steps import StepCounts
from exporter.catalog import Catalog
from exporter.config import Config
from exporter.count.account import replay
from exporter.count.tally import Labels
from exporter.data import builtin_catalog_text
from exporter.formats.timestamps import NO_DATE, NO_STAMP, TimeSettings
from exporter.ingest import once
from tests.support import FIXTURES

# Before the import, as the format tests do, so that its checks keep their rewritten asserts.
pytest.register_assert_rewrite("tests.formatcheck")

from tests.formatcheck import EXPECTED, PARTLY_DATED, UNDATED, config_for  # noqa: E402

CATALOG = Catalog.from_yaml(builtin_catalog_text())
SETTINGS = TimeSettings(UTC, 2024)


def totals(counts: StepCounts, metric: str) -> Counter[Labels]:
    """Each series' count summed over every step (the series' last sample)."""
    found: Counter[Labels] = Counter()
    for labels, steps in counts._counts[metric].items():
        found[labels] += sum(steps.values())
    return found


def backfilled(paths: list[str], config: Config, step: int = 1) -> Outcome:
    return read_logs(paths, config.sources[0], CATALOG, config, SETTINGS, step)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_record_replay_counts_is_counted_or_skipped_with_a_reason(name: str) -> None:
    config = config_for(name)
    path = str(FIXTURES / name)
    # Backfill writes every copy of a message, as replay counts them without transaction
    # matching (which counts a retransmission once).
    source = dataclasses.replace(config.sources[0], transactions=False)
    live = replay([once.blocks(path)], source, CATALOG, config, 2024).tally.snapshot().counters
    outcome = backfilled([path], config)
    for metric in (contract.RESPONSES.name, contract.REQUESTS.name):
        expected = Counter({k: v for k, v in live.get(metric, {}).items() if v})
        if not outcome.skipped:
            assert +totals(outcome.counts, metric) == expected
    replayed = sum(
        sum(live.get(m.name, {}).values()) for m in (contract.RESPONSES, contract.REQUESTS)
    )
    assert outcome.records + sum(outcome.skipped.values()) == replayed
    assert set(outcome.skipped) <= {NO_STAMP, NO_DATE}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_only_a_log_without_dates_has_records_skipped(name: str) -> None:
    """Logs that write no date (see `UNDATED`): none of their records has a time."""
    outcome = backfilled([str(FIXTURES / name)], config_for(name))
    if name in UNDATED:
        assert outcome.records == 0
        assert set(outcome.skipped) == {UNDATED[name]}
    elif name in PARTLY_DATED:
        assert outcome.records > 0
        assert set(outcome.skipped) == {PARTLY_DATED[name]}
    else:
        assert not outcome.skipped


def test_records_before_the_first_stamp_of_a_file_are_skipped_not_placed(
    tmp_path: Path,
) -> None:
    log = tmp_path / "kamailio.log"
    log.write_text(
        "method=INVITE;code=503;reason=Service Unavailable\n"
        "Nov  6 10:23:55 proxy1 kamailio[1]: ACC: method=INVITE;code=408;reason=Timeout\n",
        encoding="utf-8",
    )
    config = config_for("kamailio-acc.log")
    outcome = backfilled([str(log)], config, step=60)
    assert outcome.records == 1
    assert outcome.skipped == Counter({NO_STAMP: 1})
