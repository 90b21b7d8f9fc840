"""What wakes the reader, and when it searches for files again, on real files with real file
events: inotify read by the reader itself and, where there is none, a watchdog observer.

The poll runs once an hour here, so only a file event can explain a pass or a search.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from exporter.ingest.walk import watch_folders
from exporter.ingest.watch import Waker
from exporter.reader import Reader
from exporter.restore import load_settings
from exporter.service import follow
from tests import sipmsg
from tests.support import wait_until

BACKENDS = [pytest.param(True, id="inotify"), pytest.param(False, id="watchdog")]


def settings(tmp_path: Path, pattern: str) -> Path:
    config = tmp_path / "config.yml"
    config.write_text(f"""
poll_interval: 1h
sources:
  - name: platform
    paths: ["{tmp_path}/{pattern}"]
    start_at: beginning
""")
    return config


@contextmanager
def following(config: Path, native: bool) -> Iterator[Reader]:
    """The reader's loop on a thread of its own, as the service runs it."""
    loaded, catalog = load_settings(str(config))
    reader = Reader(loaded, catalog)
    waker = Waker(loaded.poll_interval, native=native)
    assert waker.native == native
    stop, watching = threading.Event(), threading.Event()

    def between() -> bool:  # called once the folders are watched
        watching.set()
        return False

    loop = threading.Thread(target=follow, args=(reader, waker, stop.is_set, between))
    loop.start()
    try:
        wait_until(watching.is_set, what="the first pass")
        yield reader
    finally:
        stop.set()
        waker.wake()
        loop.join(timeout=10)
        waker.stop()


def responses(reader: Reader, code: str) -> float:
    series = reader.view().tally.counters.get("sip_responses_total", {})
    return sum(n for labels, n in series.items() if code in labels)


def counted(reader: Reader, code: str, expected: int) -> bool:
    return responses(reader, code) == expected


@pytest.mark.parametrize("native", BACKENDS)
def test_a_burst_of_a_hundred_appends_is_read_in_a_few_passes(tmp_path: Path, native: bool) -> None:
    log = tmp_path / "platform.log"
    log.touch()
    with following(settings(tmp_path, "*.log"), native) as reader:
        before = reader.passes
        with log.open("a", encoding="utf-8", newline="") as out:
            for _ in range(100):
                out.write(sipmsg.response(503))
                out.flush()
        wait_until(lambda: counted(reader, "503", 100), what="the hundred records")
        assert reader.passes - before <= 10


@pytest.mark.parametrize("native", BACKENDS)
def test_an_append_is_read_without_searching_for_files_again(tmp_path: Path, native: bool) -> None:
    log = tmp_path / "platform.log"
    log.touch()
    with following(settings(tmp_path, "*.log"), native) as reader:
        searches = reader.searches
        log.write_text(sipmsg.response(503), encoding="utf-8")
        wait_until(lambda: counted(reader, "503", 1), what="the record")
        assert reader.searches == searches


@pytest.mark.parametrize("native", BACKENDS)
def test_a_file_created_in_a_watched_folder_is_found_without_waiting_for_the_poll(
    tmp_path: Path, native: bool
) -> None:
    with following(settings(tmp_path, "*.log"), native) as reader:
        searches = reader.searches
        (tmp_path / "new.log").write_text(sipmsg.response(408), encoding="utf-8")
        wait_until(lambda: counted(reader, "408", 1), what="the new file's record")
        assert reader.searches > searches


@pytest.mark.parametrize("native", BACKENDS)
def test_a_file_in_a_new_folder_under_a_star_is_found_without_waiting_for_the_poll(
    tmp_path: Path, native: bool
) -> None:
    (tmp_path / "a").mkdir()
    with following(settings(tmp_path, "*/sip.log"), native) as reader:
        (tmp_path / "a" / "sip.log").write_text(sipmsg.response(486), encoding="utf-8")
        wait_until(lambda: counted(reader, "486", 1), what="a file in a folder there before")
        (tmp_path / "b").mkdir()
        (tmp_path / "b" / "sip.log").write_text(sipmsg.response(486), encoding="utf-8")
        wait_until(lambda: counted(reader, "486", 2), what="a file in a new folder")


@pytest.mark.parametrize("native", BACKENDS)
def test_files_no_source_matches_neither_wake_the_reader_nor_make_it_search(
    tmp_path: Path, native: bool
) -> None:
    logs, elsewhere = tmp_path / "logs", tmp_path / "elsewhere"
    logs.mkdir()
    elsewhere.mkdir()
    log = logs / "platform.log"
    log.touch()
    with following(settings(tmp_path, "logs/*.log"), native) as reader:
        passes, searches = reader.passes, reader.searches
        for n in range(20):
            (logs / f"other-{n}.txt").write_text("another program's file\n")
            (elsewhere / f"{n}.log").write_text(sipmsg.response(503), encoding="utf-8")
            with (logs / "other-0.txt").open("a") as other:
                other.write("and its appends\n")
        # File events arrive in order: once this append is read, the others have come.
        log.write_text(sipmsg.response(408), encoding="utf-8")
        wait_until(lambda: counted(reader, "408", 1), what="the followed file's record")
        assert reader.searches == searches
        assert reader.passes - passes <= 2
        assert responses(reader, "503") == 0


def test_a_pattern_without_a_star_folder_is_watched_in_its_own_folder_alone(
    tmp_path: Path,
) -> None:
    (tmp_path / "logs" / "old").mkdir(parents=True)
    assert watch_folders(f"{tmp_path}/logs/*.log", 100) == {f"{tmp_path}/logs"}


def test_a_pattern_with_star_folders_is_watched_in_each_folder_they_reach(
    tmp_path: Path,
) -> None:
    for folder in ("a/x", "b/y", "c"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "a" / "file").touch()
    assert watch_folders(f"{tmp_path}/*/*/sip.log", 100) == {
        str(tmp_path),
        *(str(tmp_path / f) for f in ("a", "b", "c", "a/x", "b/y")),
    }
    assert watch_folders(f"{tmp_path}/**/sip.log", 100) == {
        str(tmp_path),
        *(str(tmp_path / f) for f in ("a", "b", "c", "a/x", "b/y")),
    }


@pytest.mark.parametrize("native", BACKENDS)
def test_an_append_to_the_target_of_a_linked_log_wakes_the_reader(
    tmp_path: Path, native: bool
) -> None:
    (tmp_path / "logs").mkdir()
    (tmp_path / "data").mkdir()
    target = tmp_path / "data" / "wvp-2024-01-08.log"
    target.touch()
    (tmp_path / "logs" / "current.log").symlink_to(target)
    with following(settings(tmp_path, "logs/current.log"), native) as reader:
        with target.open("a", encoding="utf-8", newline="") as out:
            out.write(sipmsg.response(503))
        wait_until(lambda: counted(reader, "503", 1), what="the record, woken by its append")


def test_a_wake_after_the_waker_stopped_is_harmless(tmp_path: Path) -> None:
    waker = Waker(1.0)
    waker.watch([str(tmp_path)], [f"{tmp_path}/*.log"])
    waker.stop()
    waker.wake()  # a signal or a reload arriving while the service shuts down
