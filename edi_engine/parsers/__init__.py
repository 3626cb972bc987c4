"""Loop walking per implementation guide: typed 835, 837 (P/I/D), 999 and 277CA models from the segments.

Public entry point: `parse_file(source)` yields, for each transaction set, a TransactionStart,
the claims (835 ClaimPayment or 837 Claim837; 999 and 277CA verdicts) as each completes, and a
TransactionEnd, and an InterchangeAck per TA1; the
problems found on the way (envelope, structure, balancing) collect in `run.problems`.
Knows nothing of storage or matching.
"""

from __future__ import annotations

from collections.abc import Iterator

from edi_engine.errors import Problem
from edi_engine.parsers.items import ParseItem, TransactionHeader, TransactionTrailer
from edi_engine.parsers.transaction import (
    TransactionEnd,
    TransactionInfo,
    TransactionStart,
    UnmodelledSet,
    Walker,
    split_transactions,
)
from edi_engine.x12.reader import CHUNK_SIZE, SegmentStream, Source, read_segments

__all__ = [
    "ParseItem",
    "ParseRun",
    "TransactionEnd",
    "TransactionInfo",
    "TransactionHeader",
    "TransactionStart",
    "TransactionTrailer",
    "UnmodelledSet",
    "parse_file",
    "walkers",
]


def walkers() -> dict[str, Walker]:
    """The guide walkers by transaction kind (imported here, late, to keep this package light)."""
    from edi_engine.parsers.x214_277ca import walk_277ca
    from edi_engine.parsers.x221a1_835 import walk_835
    from edi_engine.parsers.x231a1_999 import walk_999
    from edi_engine.parsers.x837 import walk_837

    return {"835": walk_835, "837": walk_837, "837P": walk_837, "837I": walk_837, "837D": walk_837,
            "999": walk_999, "277": walk_277ca}


class ParseRun:
    """One pass over one file. Iterate for the items; `problems` is complete once iteration ends."""

    def __init__(self, source: Source, name: str | None = None, chunk_size: int = CHUNK_SIZE,
                 keep_unmodelled: bool = False) -> None:
        self.stream: SegmentStream = read_segments(source, name=name, chunk_size=chunk_size)
        self.keep_unmodelled = keep_unmodelled
        self.problems: list[Problem] = self.stream.problems
        self.transactions = 0

    @property
    def name(self) -> str:
        return self.stream.name

    def __iter__(self) -> Iterator[ParseItem]:
        for item in split_transactions(iter(self.stream), walkers(), self.problems, self.keep_unmodelled):
            if isinstance(item, (TransactionEnd, UnmodelledSet)):
                self.transactions += 1
            yield item


def parse_file(source: Source, name: str | None = None, chunk_size: int = CHUNK_SIZE,
               keep_unmodelled: bool = False) -> ParseRun:
    """Parse one file; `keep_unmodelled` also yields sets no guide here reads (270, 834, ...) as segments."""
    return ParseRun(source, name=name, chunk_size=chunk_size, keep_unmodelled=keep_unmodelled)
