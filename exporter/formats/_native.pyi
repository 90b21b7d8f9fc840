from exporter.formats.native import Framed, Maker, SourceWords

MAX_HEADER_BLOCK: int

def scan(
    data: bytes,
    end: int,
    methods: bytes,
    words: SourceWords | None = None,
    maker: Maker | None = None,
    /,
) -> list[Framed] | None: ...
def dated_line(
    data: bytes, floor: int, line: int, /
) -> tuple[int, bytes | None, bytes | None] | None: ...
