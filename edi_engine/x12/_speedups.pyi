# The optional C extension (_speedups.c, built by setup.py when a compiler is there).
from edi_engine.x12.segment import Segment

API: int
MAX_SEGMENT_BYTES: int

def scan(buf: bytes, pos: int, base: int, index: int, terminator: int, separator: int, envelope: object,
         segment_type: type, valid_ids: set[str], envelope_ids: frozenset[str], out: list[Segment],
         /) -> tuple[int, int]: ...
