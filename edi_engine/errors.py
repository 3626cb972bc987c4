"""The engine's one error tree, and where in a file an error happened.

    EdiEngineError                 base; the CLI prints it and exits with its exit_code
    ├── InputError                 the data is wrong (exit 1); carries a Position when it has one
    │   └── X12Error               bytes that cannot be read as X12
    └── UsageError                 the caller asked for something illegal (exit 2)
        └── NotPermitted           ... that this person may not do: their role, or four eyes (HTTP 403)

Problems that do not stop reading (an SE01 count off by one, an unbalanced claim) are not
exceptions: they are `Problem` values collected beside what was read, so a lenient `parse`
can report them and a strict `validate` can fail on them.

Messages name the file, segment number and byte offset, never element values that may be PHI.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar, Literal, SupportsIndex

__all__ = [
    "EdiEngineError",
    "InputError",
    "NotPermitted",
    "Position",
    "Problem",
    "ProblemLog",
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
        # Control numbers are numeric (ISA13 and GS06 are N0, ST02 is numeric in practice); anything
        # else in them is not shown, since a sender's junk there may be PHI.
        controls = [
            f"{name} {value}" if value.isdecimal() and value.isascii() else f"{name} (not numeric)"
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


# Problems of one code kept with their positions; past this they are only counted. A file of junk
# gives a problem per "segment", and keeping them all would unbound the reader's memory.
PROBLEMS_PER_CODE = 100


class ProblemLog(list[Problem]):
    """The problems of one read: the first PROBLEMS_PER_CODE of each code, then a count.

    When a code passes its limit, one warning of code `more-problems` takes the place of the rest
    and keeps their count; `suppressed` has the counts by code.
    """

    def __init__(self, limit: int = PROBLEMS_PER_CODE) -> None:
        super().__init__()
        self.limit = limit
        self.kept: Counter[str] = Counter()
        self.suppressed: Counter[str] = Counter()
        self._summary_at: dict[str, int] = {}

    def append(self, problem: Problem) -> None:
        code = problem.code
        if self.kept[code] < self.limit:
            self.kept[code] += 1
            super().append(problem)
            return
        self.suppressed[code] += 1
        count = self.suppressed[code]
        summary = Problem(problem.severity, "more-problems",
                          f"{count} more {code} problems not listed (the first {self.limit} are)", problem.position)
        at = self._summary_at.get(code)
        if at is None:
            self._summary_at[code] = len(self)
            super().append(summary)
        else:
            self[at] = dataclasses.replace(self[at], message=summary.message)

    def extend(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            self.append(problem)

    def insert(self, index: SupportsIndex, problem: Problem) -> None:
        raise TypeError("a ProblemLog only appends")


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


class NotPermitted(UsageError):
    """The request is possible, but not for this person: their role does not reach the step, or
    they took another step of the same finding (four eyes). The web app answers 403, not 409."""
