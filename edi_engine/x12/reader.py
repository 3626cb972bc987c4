"""Files to segments: opening, encodings (UTF-8 BOM, UTF-16) and chunked reads around the Tokenizer.

Owns I/O so that the tokenizer stays sans-I/O. Memory is bounded by the chunk size and the
longest segment, whatever the file size.
"""

from __future__ import annotations

import codecs
import dataclasses
import io
import os
from collections.abc import Iterator
from functools import partial
from itertools import chain, takewhile
from typing import BinaryIO

from edi_engine.errors import InputError, Position, Problem, ProblemLog
from edi_engine.x12.segment import Delimiters, Segment
from edi_engine.x12.tokenizer import Tokenizer

__all__ = ["CHUNK_SIZE", "SegmentStream", "read_segments"]

# Small reads keep each batch of segments in the CPU cache while the parser consumes it: measured
# here, 16 KiB chunks read twice as fast as 1 MiB ones (bench/parse.py).
CHUNK_SIZE = 16 * 1024

Source = str | os.PathLike[str] | bytes | BinaryIO


class SegmentStream:
    """Iterate to get segments; `problems` fills as the stream is read."""

    def __init__(self, source: Source, name: str | None = None, chunk_size: int = CHUNK_SIZE) -> None:
        self.source = source
        if name is None:
            name = os.fspath(source) if isinstance(source, (str, os.PathLike)) else "<input>"
        self.name = name
        self.chunk_size = chunk_size
        self.problems: list[Problem] = ProblemLog()
        self.tokenizer: Tokenizer | None = None
        self.encoding = "utf-8"

    @property
    def delimiters(self) -> Delimiters | None:
        return self.tokenizer.delimiters if self.tokenizer else None

    @property
    def segments_read(self) -> int:
        return self.tokenizer.segments_read if self.tokenizer else 0

    @property
    def transactions_seen(self) -> int:
        return self.tokenizer.tracker.transactions_seen if self.tokenizer else 0

    def __iter__(self) -> Iterator[Segment]:
        source = self.source
        if isinstance(source, (str, os.PathLike)):
            try:
                handle: BinaryIO = open(source, "rb")  # noqa: SIM115 - closed below
            except OSError as exc:
                raise InputError(f"cannot open: {exc.strerror}", Position(self.name)) from None
            with handle:
                yield from self._read(handle)
        elif isinstance(source, bytes):
            yield from self._read(io.BytesIO(source))
        else:
            yield from self._read(source)

    def _read(self, handle: BinaryIO) -> Iterator[Segment]:
        first = handle.read(self.chunk_size)
        bom, codec = _sniff(first)
        # UTF-16 offsets are mapped back to the file by remap() below, from a transcoded base of 0.
        self.tokenizer = tokenizer = Tokenizer(self.name, self.problems, base_offset=bom if codec is None else 0)
        first = first[bom:]
        if codec is None:
            # The segments of each chunk's feed(), chained in C: a generator between the tokenizer
            # and the parser would cost a resumption per segment. close() runs once they are used up.
            # Up to the first empty read (b"", or None from a non-blocking stream), as `while chunk` would.
            rest = takewhile(bool, iter(partial(handle.read, self.chunk_size), b""))
            chunks = chain((first,), rest) if first else iter(())
            return chain(chain.from_iterable(map(tokenizer.feed, chunks)), _closing(tokenizer))
        return self._transcoded(handle, first, bom, codec, tokenizer)

    def _transcoded(self, handle: BinaryIO, first: bytes, bom: int, codec: str,
                    tokenizer: Tokenizer) -> Iterator[Segment]:
        # UTF-16: transcode to UTF-8. X12 text is ASCII, so a transcoded offset maps back exactly.
        self.encoding = codec
        self.problems.append(Problem("warning", "utf16", f"file is {codec.upper()}; read as text",
                                     Position(self.name, offset=0)))
        decoder = codecs.getincrementaldecoder(codec)("replace")

        def remap(segments: list[Segment]) -> Iterator[Segment]:
            for seg in segments:
                yield seg._replace(offset=bom + 2 * seg.offset)

        chunk = first
        while chunk:
            yield from remap(tokenizer.feed(decoder.decode(chunk).encode("utf-8")))
            chunk = handle.read(self.chunk_size)
        yield from remap(tokenizer.feed(decoder.decode(b"", final=True).encode("utf-8")))
        try:
            yield from remap(tokenizer.close())
        finally:
            self.problems[:] = [_remap_problem(p, bom) for p in self.problems]


def _closing(tokenizer: Tokenizer) -> Iterator[Segment]:
    yield from tokenizer.close()


def _remap_problem(problem: Problem, bom: int) -> Problem:
    pos = problem.position
    if pos.offset is None or problem.code == "utf16":
        return problem
    return dataclasses.replace(problem, position=dataclasses.replace(pos, offset=bom + 2 * pos.offset))


def _sniff(head: bytes) -> tuple[int, str | None]:
    """(BOM length, codec to transcode from or None for bytes as they are)."""
    if head.startswith(codecs.BOM_UTF8):
        return 3, None
    if head.startswith(codecs.BOM_UTF16_LE):
        return 2, "utf-16-le"
    if head.startswith(codecs.BOM_UTF16_BE):
        return 2, "utf-16-be"
    body = head.lstrip(b" \t\r\n\x00")
    if body.startswith(b"I\x00S\x00A\x00") or (head[:1] == b"\x00" and b"\x00I\x00S\x00A" in head[:16]):
        return 0, "utf-16-le" if body.startswith(b"I\x00") else "utf-16-be"
    return 0, None


def read_segments(source: Source, name: str | None = None, chunk_size: int = CHUNK_SIZE) -> SegmentStream:
    """Stream the segments of an X12 file (path, bytes or binary file object)."""
    return SegmentStream(source, name=name, chunk_size=chunk_size)
