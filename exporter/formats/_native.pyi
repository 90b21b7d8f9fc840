MAX_HEADER_BLOCK: int

def scan(
    data: bytes, end: int, methods: bytes
) -> (
    list[
        tuple[
            int, int, int, bytes | None, bytes, bytes, int,
            bytes | None, bytes | None, bytes | None, bytes | None, bytes | None, bytes | None,
        ]
    ]
    | None
): ...  # fmt: skip
def dated_line(
    data: bytes, floor: int, line: int
) -> tuple[int, bytes | None, bytes | None] | None: ...
