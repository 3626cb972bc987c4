"""The engine's one error tree, and where in a file an error happened.

    EdiEngineError                 base; the CLI prints it and exits with its exit_code
    ├── InputError                 the data is wrong (exit 1); carries a Position when it has one
    │   └── X12Error               bytes that cannot be read as X12
    └── UsageError                 the caller asked for something illegal (exit 2)

Problems that do not stop reading (an SE01 count off by one, an unbalanced claim) are not
exceptions: they are `Problem` values collected beside what was read, so a lenient `parse`
can report them and a strict `validate` can fail on them.

Messages name the file, segment number and byte offset, never element values that may be PHI.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

__all__ = [
    "EdiEngineError",
    "InputError",
    "Position",
    "Problem",
    "Severity",
    "UsageError",
    "X12Error",
]


@dataclass(frozen=True, slots=True)
class Position:
    """Where a segment sits: enough to find it again in the file and in its envelope."""

    file: str
    offset: int | None = None  # byte offset of the segment's first byte in the file
    segment: int | None = None  # 1-based segment number in the file
    interchange: str | None = None  # ISA13
    group: str | None = None  # GS06
    transaction: str | None = None  # ST02

    def __str__(self) -> str:
        parts = [self.file or "<input>"]
        if self.segment is not None:
            parts.append(f"segment {self.segment}")
        if self.offset is not None:
            parts.append(f"byte {self.offset}")
        controls = [
            f"{name} {value}"
            for name, value in (
                ("ISA13", self.interchange),
                ("GS06", self.group),
                ("ST02", self.transaction),
            )
            if value
        ]
        if controls:
            parts.append("(" + ", ".join(controls) + ")")
        return ", ".join(parts[:3]) + (" " + parts[3] if len(parts) > 3 else "")


Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    """A defect found while reading; `error` fails validation, `warning` does not."""

    severity: Severity
    code: str  # stable machine name, e.g. "se01-count", "clp-unbalanced"
    message: str
    position: Position

    def __str__(self) -> str:
        return f"{self.position}: {self.severity}: {self.message} [{self.code}]"


class EdiEngineError(Exception):
    exit_code: ClassVar[int] = 1

    def __init__(self, message: str, position: Position | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position

    def __str__(self) -> str:
        return f"{self.position}: {self.message}" if self.position else self.message


class InputError(EdiEngineError):
    """The input is wrong: a file, a CSV row, a database that is newer than the code."""


class X12Error(InputError):
    """The bytes cannot be read as X12 (not X12, truncated ISA, binary)."""


class UsageError(EdiEngineError):
    exit_code: ClassVar[int] = 2
