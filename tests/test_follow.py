"""Following files: discovery, rotation, truncation, copies and resuming, on real files."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from exporter.formats.options import SipOptions
from exporter.formats.sip import SipParser
from exporter.formats.stream import RecordStream
from exporter.ingest.follow import SavedFile, SourceFollower
from tests import sipmsg


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def follower(
    patterns: Iterable[str],
    clock: FakeClock,
    *,
    saved: list[SavedFile] | None = None,
    start_at_end: bool = False,
    exclude: Iterable[str] = (),
) -> SourceFollower:
    return SourceFollower(
        patterns,
        exclude,
        lambda: RecordStream(SipParser(SipOptions()), 65536),
        clock,
        saved=saved,
        start_at_end=start_at_end,
        rotate_wait=5.0,
        flush_after=1.0,
    )


def append(path: Path, codes: Iterable[int]) -> None:
    with path.open("a", encoding="utf-8", newline="") as out:
        out.write("".join(sipmsg.response(code) for code in codes))


def codes(source: SourceFollower) -> list[str]:
    return [event.code for event in source.poll().batch.events]


def test_files_already_there_at_the_first_start_are_read_from_their_end(tmp_path: Path) -> None:
    old = tmp_path / "a.log"
    append(old, [200, 200])
    source = follower([f"{tmp_path}/*.log"], FakeClock(), start_at_end=True)
    assert codes(source) == []
    append(old, [503])
    append(tmp_path / "b.log", [408])  # new after the start: read from its beginning
    assert sorted(codes(source)) == ["408", "503"]


def test_double_star_matches_files_at_any_depth(tmp_path: Path) -> None:
    deep = tmp_path / "2024" / "01" / "08"
    deep.mkdir(parents=True)
    append(deep / "wvp.log", [486])
    append(tmp_path / "top.log", [200])
    source = follower([f"{tmp_path}/**/*.log"], FakeClock())
    assert sorted(codes(source)) == ["200", "486"]


def test_excluded_files_are_never_read(tmp_path: Path) -> None:
    append(tmp_path / "wvp.log", [200])
    append(tmp_path / "wvp.log.1.gz", [503])
    source = follower([f"{tmp_path}/wvp.log*"], FakeClock(), exclude=["*.gz"])
    assert codes(source) == ["200"]


def test_a_rotated_file_that_still_matches_the_glob_is_not_read_twice(tmp_path: Path) -> None:
    current = tmp_path / "wvp.log"
    append(current, [200, 200])
    clock = FakeClock()
    source = follower([f"{tmp_path}/wvp.log*"], clock)
    assert codes(source) == ["200", "200"]
    current.rename(tmp_path / "wvp.log.1")
    append(tmp_path / "wvp.log.1", [503])  # written before the writer reopened
    append(current, [408])
    assert codes(source) == ["503", "408"]  # the old file first, then its successor


def test_a_file_renamed_away_is_read_to_its_end_then_closed(tmp_path: Path) -> None:
    current = tmp_path / "wvp.log"
    append(current, [200])
    clock = FakeClock()
    source = follower([f"{tmp_path}/*.log"], clock)
    assert codes(source) == ["200"]
    current.rename(tmp_path / "wvp.log.1")
    append(tmp_path / "wvp.log.1", [503])
    read = source.poll()
    assert [e.code for e in read.batch.events] == ["503"]
    assert read.rotations == 1
    assert source.file_count == 1  # kept open for lines its writer may still append
    clock.now += 6
    assert codes(source) == []
    assert source.file_count == 0


def test_truncation_reads_the_file_again_from_the_start(tmp_path: Path) -> None:
    current = tmp_path / "wvp.log"
    append(current, [200, 200, 200])
    source = follower([f"{tmp_path}/*.log"], FakeClock())
    assert len(codes(source)) == 3
    os.truncate(current, 0)
    append(current, [408])
    read = source.poll()
    assert [e.code for e in read.batch.events] == ["408"]
    assert read.truncations == 1


def test_truncation_and_a_longer_rewrite_is_noticed_by_the_first_bytes(tmp_path: Path) -> None:
    current = tmp_path / "wvp.log"
    append(current, [200])
    source = follower([f"{tmp_path}/*.log"], FakeClock())
    assert codes(source) == ["200"]
    with current.open("w", encoding="utf-8", newline="") as out:  # truncate and rewrite
        out.write(sipmsg.noise(3) + "".join(sipmsg.response(503) for _ in range(3)))
    read = source.poll()
    assert [e.code for e in read.batch.events] == ["503"] * 3
    assert read.truncations == 1


def test_a_copytruncate_copy_matching_the_glob_is_not_read_again(tmp_path: Path) -> None:
    current = tmp_path / "wvp.log"
    append(current, [200, 200])
    source = follower([f"{tmp_path}/wvp.log*"], FakeClock())
    assert codes(source) == ["200", "200"]
    append(current, [486])  # written after the last read, before the copy
    shutil.copyfile(current, tmp_path / "wvp.log.1")
    os.truncate(current, 0)
    append(current, [408])
    assert sorted(codes(source)) == ["408", "486"]


def test_a_copy_made_before_the_truncation_is_seen_adds_nothing(tmp_path: Path) -> None:
    current = tmp_path / "wvp.log"
    append(current, [200])
    source = follower([f"{tmp_path}/wvp.log*"], FakeClock())
    assert codes(source) == ["200"]
    append(current, [486])
    shutil.copyfile(current, tmp_path / "wvp.log.1")
    assert codes(source) == ["486"]  # read from the original; the copy starts past it
    os.truncate(current, 0)
    append(current, [408])
    assert codes(source) == ["408"]


def test_an_unterminated_last_line_waits_for_its_newline(tmp_path: Path) -> None:
    current = tmp_path / "wvp.log"
    text = sipmsg.response(503)
    cut = text.index("CSeq") + 4
    current.write_text(text[:cut], encoding="utf-8")
    source = follower([f"{tmp_path}/*.log"], FakeClock())
    assert codes(source) == []
    with current.open("a", encoding="utf-8", newline="") as out:
        out.write(text[cut:])
    assert codes(source) == ["503"]


def test_saved_offsets_resume_where_the_last_run_stopped(tmp_path: Path) -> None:
    current = tmp_path / "wvp.log"
    append(current, [200, 200])
    first = follower([f"{tmp_path}/*.log"], FakeClock())
    assert codes(first) == ["200", "200"]
    saved = first.saved()
    append(current, [503])
    second = follower([f"{tmp_path}/*.log"], FakeClock(), saved=saved, start_at_end=True)
    assert codes(second) == ["503"]


def test_a_saved_offset_is_not_trusted_for_a_different_file(tmp_path: Path) -> None:
    current = tmp_path / "wvp.log"
    append(current, [200, 200])
    first = follower([f"{tmp_path}/*.log"], FakeClock())
    codes(first)
    saved = [
        SavedFile(s.path, s.dev, s.ino, b"another file's first bytes", s.offset)
        for s in first.saved()
    ]
    second = follower([f"{tmp_path}/*.log"], FakeClock(), saved=saved)
    assert codes(second) == ["200", "200"]


def test_a_missing_folder_is_picked_up_when_it_appears(tmp_path: Path) -> None:
    source = follower([f"{tmp_path}/later/*.log"], FakeClock())
    assert codes(source) == []
    (tmp_path / "later").mkdir()
    append(tmp_path / "later" / "wvp.log", [408])
    assert codes(source) == ["408"]


def test_a_copy_still_empty_when_first_seen_is_not_read_from_its_start(tmp_path: Path) -> None:
    current = tmp_path / "wvp.log"
    append(current, [200, 200])
    clock = FakeClock()
    source = follower([f"{tmp_path}/wvp.log*"], clock)
    assert codes(source) == ["200", "200"]
    copy = tmp_path / "wvp.log.1"
    copy.touch()  # cp has created the copy but written nothing yet
    assert codes(source) == []
    shutil.copyfile(current, copy)
    os.truncate(current, 0)
    append(current, [408])
    assert codes(source) == ["408"]


def test_a_copy_growing_in_pieces_is_read_only_past_its_originals_offset(tmp_path: Path) -> None:
    current = tmp_path / "wvp.log"
    append(current, [200, 200, 200])
    source = follower([f"{tmp_path}/wvp.log*"], FakeClock())
    assert len(codes(source)) == 3
    append(current, [486])
    content = current.read_bytes()
    copy = tmp_path / "wvp.log.1"
    copy.write_bytes(content[:300])  # the first piece of the copy
    os.truncate(current, 0)
    assert codes(source) == []
    with copy.open("ab") as out:
        out.write(content[300:])
    assert codes(source) == ["486"]


def test_a_short_new_file_is_read_once_it_has_waited_flush_after(tmp_path: Path) -> None:
    clock = FakeClock()
    source = follower([f"{tmp_path}/*.log"], clock)
    assert codes(source) == []
    (tmp_path / "tiny.log").write_text("SIP/2.0 503 X\nCSeq: 1 BYE\n\n")
    assert codes(source) == []
    clock.now += 1.5
    assert codes(source) == ["503"]


def test_lines_appended_while_the_copy_is_being_written_are_read_once(tmp_path: Path) -> None:
    current = tmp_path / "wvp.log"
    append(current, [200, 200])
    source = follower([f"{tmp_path}/wvp.log*"], FakeClock())
    assert codes(source) == ["200", "200"]
    copy = tmp_path / "wvp.log.1"
    copy.write_bytes(current.read_bytes()[:300])  # cp's first block
    assert codes(source) == []
    append(current, [486])  # the writer goes on while cp copies
    assert codes(source) == ["486"]  # read from the original
    append(current, [503])  # written after that read, and copied by cp
    with copy.open("ab") as out:
        out.write(current.read_bytes()[300:])  # cp's last blocks
    os.truncate(current, 0)
    append(current, [408])
    assert sorted(codes(source)) == ["408", "503"]


def test_a_copy_of_a_file_still_written_is_read_only_from_its_original(tmp_path: Path) -> None:
    current = tmp_path / "wvp.log"
    append(current, [200])
    source = follower([f"{tmp_path}/wvp.log*"], FakeClock())
    assert codes(source) == ["200"]
    shutil.copyfile(current, tmp_path / "wvp.log.1")
    append(current, [486])
    assert codes(source) == ["486"]
    shutil.copyfile(current, tmp_path / "wvp.log.1")  # the copy catches up with it
    append(current, [503])
    assert codes(source) == ["503"]


def test_a_new_file_sharing_only_its_first_bytes_with_another_is_read_whole(
    tmp_path: Path,
) -> None:
    banner = "=" * 300 + "\n"  # a start-up banner longer than the fingerprint
    first = tmp_path / "a.log"
    first.write_text(banner)
    append(first, [200, 200])
    source = follower([f"{tmp_path}/*.log"], FakeClock())
    assert codes(source) == ["200", "200"]
    second = tmp_path / "b.log"
    second.write_text(banner)
    append(second, [503])
    assert codes(source) == ["503"]


def test_a_copy_that_cp_is_still_writing_at_a_restart_is_read_once(tmp_path: Path) -> None:
    current = tmp_path / "wvp.log"
    append(current, [200, 200])
    first = follower([f"{tmp_path}/wvp.log*"], FakeClock())
    assert codes(first) == ["200", "200"]
    copy = tmp_path / "wvp.log.1"
    copy.write_bytes(current.read_bytes()[:300])  # cp's first block
    append(current, [486])
    assert codes(first) == ["486"]
    second = follower([f"{tmp_path}/wvp.log*"], FakeClock(), saved=first.saved())
    assert codes(second) == []
    append(current, [503])
    with copy.open("ab") as out:
        out.write(current.read_bytes()[300:])  # cp's last blocks, after the restart
    os.truncate(current, 0)
    append(current, [408])
    assert sorted(codes(second)) == ["408", "503"]


def test_after_a_restart_a_backup_copy_named_first_is_not_read_again(tmp_path: Path) -> None:
    current = tmp_path / "wvp.log"
    append(current, [200, 200])
    first = follower([f"{tmp_path}/*.log"], FakeClock())
    assert codes(first) == ["200", "200"]
    shutil.copyfile(current, tmp_path / "a.log")  # a copy whose name sorts first
    append(current, [486])
    assert codes(first) == ["486"]
    second = follower([f"{tmp_path}/*.log"], FakeClock(), saved=first.saved())
    append(current, [503])
    assert codes(second) == ["503"]
