"""Segments and the delimiters and envelope they were read under.

Owns the value types every layer above sees. Knows nothing of 835/837 meaning.

A `Segment` is a NamedTuple rather than a frozen dataclass: a 50 MB remittance holds over a
million segments and tuple construction is several times cheaper, while staying immutable.
`elements[0]` is the segment id, so `seg.elements[4]` is the guide's CLP04.
"""

from __future__ import annotations

from typing import NamedTuple

from edi_engine.errors import Position

__all__ = ["Delimiters", "Envelope", "Segment", "DEFAULT_DELIMITERS"]


class Delimiters(NamedTuple):
    element: str
    component: str
    repetition: str | None  # None before 5010 (ISA11 was the standards id "U")
    segment: str  # the terminator; "\n" when newline itself terminates segments


DEFAULT_DELIMITERS = Delimiters(element="*", component=":", repetition="^", segment="~")


class Envelope(NamedTuple):
    """The envelope a segment was read under; shared by every segment of one transaction set."""

    file: str
    delimiters: Delimiters
    isa: Segment | None = None
    gs: Segment | None = None
    st: Segment | None = None

    @property
    def interchange_control(self) -> str | None:
        return self.isa.get(13) or None if self.isa else None

    @property
    def group_control(self) -> str | None:
        return self.gs.get(6) or None if self.gs else None

    @property
    def transaction_control(self) -> str | None:
        return self.st.get(2) or None if self.st else None

    @property
    def transaction_type(self) -> str | None:
        """ST01, e.g. '835' or '837'."""
        return self.st.get(1) or None if self.st else None

    @property
    def implementation(self) -> str:
        """The guide version: ST03 when present, else GS08, e.g. '005010X222A1'."""
        if self.st is not None and self.st.get(3):
            return self.st.get(3)
        return self.gs.get(8) if self.gs is not None else ""


class Segment(NamedTuple):
    id: str
    elements: tuple[str, ...]
    offset: int  # byte offset of the segment's first byte in the file
    # 1-based segment number in the file. The name shadows tuple.index, which mypy reports; a
    # segment is a NamedTuple because one is built per segment of every file (cheaper than a class).
    index: int  # type: ignore[assignment]
    envelope: Envelope

    def get(self, n: int) -> str:
        """Element n (1-based, as the guides number them), or '' when absent."""
        elements = self.elements
        return elements[n] if n < len(elements) else ""

    def components(self, n: int) -> tuple[str, ...]:
        """Element n split on the component separator (ISA16); () when absent."""
        value = self.get(n)
        if not value:
            return ()
        return tuple(value.split(self.envelope.delimiters.component))

    def component(self, n: int, m: int) -> str:
        """Component m (1-based) of composite element n, or ''."""
        parts = self.components(n)
        return parts[m - 1] if m - 1 < len(parts) else ""

    def repetitions(self, n: int) -> tuple[str, ...]:
        """Element n split on the repetition separator (ISA11); () when absent."""
        value = self.get(n)
        if not value:
            return ()
        rep = self.envelope.delimiters.repetition
        return tuple(value.split(rep)) if rep else (value,)

    @property
    def position(self) -> Position:
        env = self.envelope
        return Position(
            file=env.file,
            offset=self.offset,
            segment=self.index,
            interchange=env.interchange_control,
            group=env.group_control,
            transaction=env.transaction_control,
        )
