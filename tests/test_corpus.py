"""Every public sample in ../shared/corpus: it parses, or it is rejected with a clear error where
SOURCES.md marks it deliberately invalid; claim counts match the counts SOURCES.md gives."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edi_engine.errors import X12Error
from edi_engine.parsers import TransactionEnd, TransactionStart, parse_file
from edi_engine.parsers.validation import validate_file
from tests.conftest import CORPUS


def _sources_table() -> list[dict[str, str]]:
    sources = CORPUS / "SOURCES.md"
    if not sources.is_file():
        return []
    rows = []
    for line in sources.read_text(encoding="utf-8").splitlines():
        if not re.match(r"\| \d+ \| `", line):
            continue
        # Escaped pipes ("\|") appear inside the delimiter column.
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        rows.append({
            "path": cells[1].strip("`"),
            "type": cells[6],
            "features": cells[10],
            "invalid": cells[11].startswith("**yes"),
        })
    return rows


ROWS = _sources_table()


def _expected_claims(row: dict[str, str]) -> tuple[str, int] | None:
    match = re.match(r"(\d+) (CLP|CLM) \(", row["features"])
    return (match.group(2), int(match.group(1))) if match else None


def read_all(path: Path) -> tuple[list[object], list]:
    run = parse_file(path)
    items = list(run)
    return items, run.problems


def claims_of(items: list[object]) -> list[object]:
    return [i for i in items if not isinstance(i, (TransactionStart, TransactionEnd))]


@pytest.mark.parametrize("row", ROWS, ids=[r["path"] for r in ROWS])
def test_corpus_file_parses_or_is_rejected_clearly(corpus: Path, row: dict[str, str]) -> None:
    path = corpus / row["path"]
    try:
        items, problems = read_all(path)
    except X12Error as exc:
        assert row["invalid"], f"a file SOURCES.md calls valid was rejected: {exc}"
        assert row["path"].split("/")[-1] in str(exc) and "byte" in str(exc)
        return
    if row["invalid"]:
        # Lenient parsing may read it; strict validation (envelope, balancing, pyx12) must reject it.
        report = validate_file(path)
        assert not report.ok, "a deliberately invalid file passed validation"
        for problem in report.errors:
            assert problem.position.file == str(path)
            assert problem.position.offset is not None and problem.position.segment is not None
    is_claim_file = row["type"].startswith(("835", "837"))
    if is_claim_file and not row["invalid"]:
        assert any(isinstance(i, TransactionStart) for i in items)


COUNTED = [r for r in ROWS if _expected_claims(r) and not r["invalid"]]


@pytest.mark.parametrize("row", COUNTED, ids=[r["path"] for r in COUNTED])
def test_claim_counts_match_sources_md(corpus: Path, row: dict[str, str]) -> None:
    segment_id, expected = _expected_claims(row)  # type: ignore[misc]
    items, _ = read_all(corpus / row["path"])
    claims = claims_of(items)
    assert len(claims) == expected, f"{segment_id} count"


def test_at_least_ten_files_have_their_counts_checked(corpus: Path) -> None:
    assert len(COUNTED) >= 10


_MUTABLE = [r["path"] for r in ROWS if r["type"].startswith(("835", "837"))]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.sampled_from(_MUTABLE or ["none"]),
    edits=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255), st.sampled_from(["replace", "insert", "delete"])),
                   min_size=1, max_size=8),
)
def test_random_byte_mutations_raise_nothing_but_x12error(corpus: Path, name: str, edits: list) -> None:
    data = bytearray((corpus / name).read_bytes())
    for where, byte, how in edits:
        i = int(where * max(len(data) - 1, 0))
        if how == "replace" and data:
            data[i] = byte
        elif how == "insert":
            data.insert(i, byte)
        elif data:
            del data[i]
    with contextlib.suppress(X12Error):
        read_all_bytes(bytes(data))


def read_all_bytes(data: bytes) -> None:
    run = parse_file(data, name="mutated.edi")
    for _ in run:
        pass
