"""One pyx12 run for many interchanges gives the verdicts of one run per interchange.

`validate_file(..., batch=False)` is the path as it was before issue 14 (pyx12 started once per
interchange) and stays as the reference: every report, its problems in order and its ack model
(interchange, group and set codes, IK3/IK4 errors), must be equal.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from edi_engine.parsers import pyx12_bridge
from edi_engine.parsers.validation import ValidationReport, validate_file

REPO = Path(__file__).resolve().parents[2]
CORPUS = (REPO / ".." / "shared" / "corpus").resolve()
CORPUS_FILES = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name != "SOURCES.md") if CORPUS.is_dir() else []
# Files whose whole text is one or more readable interchanges: the ones a concatenation can take.
_BROKEN = {"unreadable", "isa-broken", "isa-width", "utf16", "no-envelope", "internal-error", "missing-iea",
           "missing-terminator", "bom"}


def _same(data: bytes, name: str = "multi.x12") -> ValidationReport:
    batched = validate_file(io.BytesIO(data), name=name)
    reference = validate_file(io.BytesIO(data), name=name, batch=False)
    assert batched.problems == reference.problems
    assert batched.interchanges == reference.interchanges
    return batched


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: str(p.relative_to(CORPUS)))
def test_every_corpus_file_has_the_same_verdict(path: Path) -> None:
    assert validate_file(path) == validate_file(path, batch=False)


def _whole_interchanges(paths: list[Path], most: int = 3) -> list[bytes]:
    """Each file that is whole interchanges (at most `most`: the long ones are compared alone)."""
    out = []
    for path in paths:
        data = path.read_bytes()
        report = validate_file(path)
        codes = {p.code for p in report.problems}
        if data.startswith(b"ISA") and 0 < len(report.interchanges) <= most and not codes & _BROKEN:
            out.append(data.rstrip(b"\r\n") + b"\n")
    return out


def test_the_corpus_concatenated_has_the_same_verdicts() -> None:
    if not CORPUS_FILES:
        pytest.skip(f"no sample corpus at {CORPUS}")
    parts = _whole_interchanges(CORPUS_FILES)
    report = _same(b"".join(parts))
    # Not a trivial file: several delimiter sets and guides, and pyx12 found errors in it.
    assert len(report.interchanges) > 40 and len({ic.delimiters for ic in report.interchanges}) > 1
    assert sum(p.code.startswith("guide-") for p in report.problems) > 200


def test_fixture_packs_concatenated_have_the_same_verdicts() -> None:
    packs = sorted(p for p in (REPO / "fixtures").iterdir() if p.is_dir())
    chosen = [f for pack in packs for suffix in (".835", ".837")
              for f in sorted(pack.glob(f"*{suffix}"))[:1]]
    report = _same(b"".join(_whole_interchanges(chosen)))
    assert len(report.interchanges) >= 40


def _interchange(isa13: str) -> bytes:
    data = (REPO / "fixtures" / "mixed" / "20241021-835-MCRB1-24102110117954.835").read_bytes().rstrip()
    return data.replace(b"*000000001*", f"*{isa13}*".encode(), 1).replace(b"IEA*1*000000001", f"IEA*1*{isa13}".encode())


def test_repeated_control_numbers_are_judged_as_alone() -> None:
    # pyx12 flags an ISA13 repeated within its input: a nine-digit one is renumbered in the text it
    # is given, any other repeat starts a new run. Either way each interchange is judged as alone.
    data = b"\n".join([_interchange("000000001")] * 3 + [_interchange("00000000A")] * 2
                      + [_interchange("000000002"), _interchange("000000001")]) + b"\n"
    report = _same(data)
    assert len(report.interchanges) == 7


def test_a_failed_run_is_redone_one_interchange_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    import pyx12.x12n_document

    real = pyx12.x12n_document.x12n_document
    runs: list[int] = []

    def fails_on_many(param: Any, src: io.StringIO, *args: Any) -> Any:
        text = src.getvalue()
        runs.append(text.count("IEA"))
        if text.count("IEA") > 1:
            raise RuntimeError("pyx12 broke")
        return real(param, io.StringIO(text), *args)

    monkeypatch.setattr(pyx12.x12n_document, "x12n_document", fails_on_many)
    data = b"\n".join([_interchange("000000001"), _interchange("000000002")]) + b"\n"
    assert validate_file(io.BytesIO(data), name="x") == validate_file(io.BytesIO(data), name="x", batch=False)
    assert runs[:3] == [2, 1, 1]


def test_runs_group_interchanges_by_delimiters_and_version() -> None:
    a = _interchange("000000001").decode()
    b = a.replace("*", "|")
    assert pyx12_bridge.batch_key(a) != pyx12_bridge.batch_key(b)
    assert pyx12_bridge.batch_key(a) == pyx12_bridge.batch_key(a.replace("000000001", "000000002"))
