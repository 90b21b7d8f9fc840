from exporter.formats.directions import Table

MAX_HEADER_BLOCK: int

def scan(
    data: bytes, end: int, methods: bytes, words: tuple[Table, bool] | None = None, /
) -> (
    list[
        tuple[
            int, int, int, bytes | None, bytes, bytes, int,
            bytes | None, bytes | None, bytes | None, bytes | None, bytes | None, bytes | None,
            int,
        ]
    ]
    | None
): ...  # fmt: skip
def dated_line(
    data: bytes, floor: int, line: int, /
) -> tuple[int, bytes | None, bytes | None] | None: ...
