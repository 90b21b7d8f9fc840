"""What backfill shows while it reads: a progress line on a terminal, nothing elsewhere."""

from __future__ import annotations

import io

from exporter.backfill.progress import ProgressBar


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_nothing_is_written_when_the_output_is_not_a_terminal() -> None:
    out = io.StringIO()
    bar = ProgressBar(out, 2, 4 << 20, Clock())
    bar(1, 2 << 20, 10)
    bar(2, 4 << 20, 20)
    bar.close()
    assert out.getvalue() == ""


def test_the_line_shows_files_bytes_records_rate_and_time_left() -> None:
    out, clock = Terminal(), Clock()
    bar = ProgressBar(out, 2, 4 << 20, clock)
    clock.now += 2.0
    bar(1, 1 << 20, 1234)
    assert out.getvalue() == (
        "\r[######..................] files 1/2  1.0/4.0 MiB  records 1234  "
        "0.5 MiB/s  left 0:00:06 "
    )


def test_the_line_is_redrawn_at_most_ten_times_a_second_but_always_at_the_end() -> None:
    out, clock = Terminal(), Clock()
    bar = ProgressBar(out, 1, 100, clock)
    bar(0, 10, 1)
    bar(0, 20, 2)  # same instant: skipped
    bar(1, 100, 3)  # the last file done: always drawn
    bar.close()
    lines = out.getvalue().split("\r")[1:]
    assert [line.split("records ")[1].split()[0] for line in lines] == ["1", "3"]
    assert out.getvalue().endswith("\n")
