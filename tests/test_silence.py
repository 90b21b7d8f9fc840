"""No silent zero: a source whose globs match nothing, or whose files give lines but no
record, says so in the log, on the landing page and in a self-metric."""

from __future__ import annotations

from pathlib import Path

import pytest

from exporter.count.silence import NO_FILES, NO_RECORDS, Silence
from tests.support import Samples, running_exporter, value, wait_until


def test_a_source_with_no_file_is_silent_at_once_and_told_once() -> None:
    silence = Silence(after=60, repeat=600)
    assert silence.update(files=0, lines=0, records=0, now=0) == NO_FILES
    assert silence.reason == NO_FILES
    assert silence.update(files=0, lines=0, records=0, now=30) is None


def test_silence_that_lasts_is_told_again_after_the_repeat_interval() -> None:
    silence = Silence(after=60, repeat=600)
    silence.update(files=0, lines=0, records=0, now=0)
    assert silence.update(files=0, lines=0, records=0, now=599) is None
    assert silence.update(files=0, lines=0, records=0, now=600) == NO_FILES


def test_lines_without_a_record_since_the_start_are_silent_once_that_lasted() -> None:
    silence = Silence(after=60)
    assert silence.update(files=1, lines=10, records=0, now=0) is None
    assert silence.update(files=1, lines=10, records=0, now=59) is None
    assert silence.update(files=1, lines=10, records=0, now=60) == NO_RECORDS


def test_a_source_that_read_a_record_is_not_silent_when_its_log_is_quiet() -> None:
    silence = Silence(after=60)
    silence.update(files=1, lines=10, records=1, now=0)
    assert silence.update(files=1, lines=500, records=0, now=3600) is None
    assert silence.reason == ""


def test_a_quiet_log_with_no_lines_at_all_is_not_silent() -> None:
    silence = Silence(after=60)
    assert silence.update(files=1, lines=0, records=0, now=3600) is None


def test_the_end_of_a_silence_is_told_once() -> None:
    silence = Silence(after=60)
    silence.update(files=0, lines=0, records=0, now=0)
    assert silence.update(files=1, lines=3, records=1, now=5) == "reading again"
    assert silence.update(files=1, lines=3, records=1, now=6) is None


@pytest.mark.system
def test_a_source_whose_paths_match_nothing_says_so_in_log_metric_and_page(
    tmp_path: Path,
) -> None:
    config = tmp_path / "config.yml"
    config.write_text(
        f"sources:\n"
        f"  - {{name: typo, paths: ['{tmp_path}/wpv-*.log'], format: wvp}}\n"
        f"  - {{name: fine, paths: ['{tmp_path}/wvp-*.log'], format: wvp}}\n"
    )
    (tmp_path / "wvp-2024-05-02.0.log").write_text(
        "2024-05-02 10:00:00.000 [main] INFO  started\n" * 3
    )
    with running_exporter(config) as exporter:

        def silent_typo() -> Samples | None:
            samples = exporter.scrape()
            flagged = value(samples, "sip_exporter_source_silent", source="typo", reason="no_files")
            return samples if flagged == 1 else None

        samples = wait_until(silent_typo, what="the silent source's metric")
        assert value(samples, "sip_exporter_source_silent", source="fine", reason="no_files") == 0
        assert value(samples, "sip_exporter_source_silent", source="typo", reason="no_records") == 0
        wait_until(lambda: "no file matches" in exporter.output(), what="the log line")
        assert exporter.output().count("source typo: no file matches") == 1
        assert "source fine" not in exporter.output()
        page = exporter.get("/?lang=en")[1]
        assert "no file matches its patterns" in page
        assert exporter.ready()


@pytest.mark.system
def test_a_source_whose_files_give_lines_but_no_record_says_so(tmp_path: Path) -> None:
    config = tmp_path / "config.yml"
    log = tmp_path / "wvp.log"
    # A wvp log given to a source that expects key=value records: lines, no record.
    config.write_text(
        f"no_records_after: 1s\n"
        f"sources: [{{name: wrong, paths: ['{log}'], format: kv, start_at: beginning}}]\n"
    )
    log.write_text(
        "2024-05-02 10:00:01.121 [wvp-2] WARN  c.g.iot.vmp.gb28181.transmit.SIPProcessorObserver"
        ":119 - 接收到失败的response响应！status：503,message:Service Unavailable\n" * 5
    )
    with running_exporter(config) as exporter:

        def silent() -> bool:
            samples = exporter.scrape()
            reason = "no_records"
            return value(samples, "sip_exporter_source_silent", source="wrong", reason=reason) == 1

        wait_until(silent, what="no_records")
        wait_until(
            lambda: "its files give lines but no record" in exporter.output(), what="the log line"
        )
        assert "sip-log-exporter detect" in exporter.output()
        assert "lines but no record" in exporter.get("/?lang=en")[1]
