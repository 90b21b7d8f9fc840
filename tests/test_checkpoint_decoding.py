"""Decoding a checkpoint: one set of shape checks for its files, counters, histograms and
open transactions, each refusal naming the place in the document."""

from __future__ import annotations

import json

import pytest

from exporter import contract
from exporter.config import TransactionSettings
from exporter.count.tally import OVERFLOW, Tally
from exporter.count.transactions import Tracker
from exporter.ingest import checkpoint
from exporter.ingest.checkpoint import Checkpoint, CheckpointError
from exporter.ingest.follow import SavedFile

RESPONSES = contract.RESPONSES.name
ROW = ["wvp", "in", "INVITE", "503", "overload"]


def document(**parts: object) -> bytes:
    head = {"format": checkpoint.FORMAT, "version": checkpoint.VERSION, "files": {}}
    return json.dumps({**head, **parts}).encode()


def refusal(error: pytest.ExceptionInfo[CheckpointError]) -> str:
    return str(error.value)


def test_a_checkpoint_comes_back_as_it_was_saved() -> None:
    saved = Checkpoint(
        {"wvp": [SavedFile("/var/log/wvp.log", 2049, 131, b"\x00SIP", 4096)]},
        {RESPONSES: [[*ROW, 3]]},
        {"wvp": {"latest": 1.5, "clock": 1.5, "transactions": [], "sessions": []}},
    )
    assert checkpoint.decode(checkpoint.encode(saved, 0.0)) == saved


def test_a_negative_offset_is_refused_by_its_place() -> None:
    entry = {"path": "/a.log", "dev": 1, "ino": 2, "fingerprint": "00", "offset": -5}
    with pytest.raises(CheckpointError) as error:
        checkpoint.decode(document(files={"wvp": [entry]}))
    assert refusal(error) == "files.wvp[0].offset: expected an integer ≥ 0, got -5"


def test_a_fingerprint_that_is_not_hex_is_refused() -> None:
    entry = {"path": "/a.log", "dev": 1, "ino": 2, "fingerprint": "zz", "offset": 0}
    with pytest.raises(CheckpointError, match=r"files\.wvp\[0\]\.fingerprint"):
        checkpoint.decode(document(files={"wvp": [entry]}))


def test_json_nested_too_deep_to_read_is_a_checkpoint_error() -> None:
    with pytest.raises(CheckpointError, match="nested too deep"):
        checkpoint.decode(b"[" * 200_000 + b"]" * 200_000)


def test_true_is_not_a_count() -> None:
    with pytest.raises(CheckpointError) as error:
        Tally.load({}, {contract.CHECKPOINT_SAVES.name: [[True]]})
    assert refusal(error).endswith("expected an integer ≥ 0, got True")


def test_a_counter_row_with_the_wrong_number_of_labels_for_its_metric_is_refused() -> None:
    with pytest.raises(CheckpointError) as error:
        Tally.load({}, {RESPONSES: [[*ROW, 1], [*ROW[:4], 1]]})
    assert refusal(error).startswith(f"counters.{RESPONSES}[1]: expected 5 label values")


def test_rows_of_a_metric_this_version_does_not_serve_must_agree_on_their_width() -> None:
    assert Tally.load({}, {"old": [["a", 1], ["b", 2]]}).snapshot().get("old", ("b",)) == 2
    with pytest.raises(CheckpointError, match=r"counters\.old\[1\]"):
        Tally.load({}, {"old": [["a", 1], ["b", "c", 2]]})


def test_more_series_than_the_limit_are_refused() -> None:
    rows = [[*ROW[:3], str(code), "x", 1] for code in range(400, 411)]
    with pytest.raises(CheckpointError) as error:
        Tally.load({RESPONSES: 10}, {RESPONSES: rows})
    assert refusal(error) == f"counters.{RESPONSES}: 11 series, more than the limit of 10"


def test_overflow_series_do_not_count_against_the_limit() -> None:
    rows = [[*ROW[:3], str(code), "x", 1] for code in range(400, 410)]
    rows += [[source, *[OVERFLOW] * 4, 5] for source in ("wvp", "kamailio")]
    tally = Tally.load({RESPONSES: 10}, {RESPONSES: rows})
    assert tally.snapshot().get(RESPONSES, ("wvp", *[OVERFLOW] * 4)) == 5


def test_a_histogram_sum_that_is_not_finite_is_refused() -> None:
    metric = contract.RESPONSE_DURATION.name
    row = ["wvp", "in", "REGISTER", "4xx", [[0] * 13, float("nan")]]
    with pytest.raises(CheckpointError, match=rf"counters\.{metric}\[0\]\.sum"):
        Tally.load({}, json.loads(json.dumps({metric: [row]})))


def test_an_open_transaction_is_refused_by_its_source_and_place() -> None:
    row = ["c", "1", "INVITE", "b", "out", 0.0, 1.0, "INVITE", [], "no", False, ""]
    with pytest.raises(CheckpointError) as error:
        Tracker.load(TransactionSettings(), {"transactions": [row]}, "transactions.wvp")
    assert (
        refusal(error)
        == "transactions.wvp.transactions[0].answered: expected true or false, got 'no'"
    )
