"""No element value reaches a message: marker "PHI" through every error path, found nowhere.

Each case puts a distinct marker (ZZPHIMARK...) where a sender's junk or a patient's data can sit:
envelope counts and control numbers (SE01, GE01, IEA01, ST01, ST02, SE02, GE02, IEA02, GS06, ISA13),
HL01-03, patient names and member ids beside a value that fails its set, money and dates that
cannot be read, a junk segment id, an over-long segment, control characters, and CSV rows without
a header or with bad values. They go through `parse` (JSON and XML), `validate --ack`, `ingest`,
the drop-folder watcher (an incomplete file too) and both CSV imports, on both databases. The
markers must not be in stdout and stderr (parse's stdout is the data asked for, and is not
checked), in source_file.error, in failed/*.error.txt, or in any log record.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from edi_engine.cli import main
from edi_engine.store import open_store
from edi_engine.store.watch import watch

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "patient_exact"
R835 = (FIXTURES / "20241018-835-NSB02-24101850128452.835").read_bytes()
R837 = (FIXTURES / "20241007-837P-0001.837").read_bytes()
MARK = "ZZPHIMARK"


def _set(data: bytes, segment: bytes, element: int, value: bytes, nth: int = 0) -> bytes:
    """`data` with element `element` of the nth `segment` replaced by `value` (delimiters * and ~)."""
    segments = data.split(b"~")
    seen = 0
    for i, seg in enumerate(segments):
        elements = seg.strip().split(b"*")
        if elements[0] != segment:
            continue
        if seen == nth:
            elements += [b""] * (element + 1 - len(elements))
            elements[element] = value
            segments[i] = seg[: len(seg) - len(seg.lstrip())] + b"*".join(elements)
            return b"~".join(segments)
        seen += 1
    raise AssertionError(f"no {segment!r} number {nth}")


def _m(n: str) -> bytes:
    return f"{MARK}{n}".encode()


def _both(data: bytes, *changes: tuple[bytes, int, bytes, int]) -> bytes:
    for segment, element, value, nth in changes:
        data = _set(data, segment, element, value, nth)
    return data


X12_CASES: dict[str, bytes] = {
    "se01": _set(R835, b"SE", 1, _m("SE01")),
    "se02": _set(R835, b"SE", 2, _m("SE02")),
    "ge01": _set(R835, b"GE", 1, _m("GE01")),
    "ge02": _set(R835, b"GE", 2, _m("GE02")),
    "iea01": _set(R835, b"IEA", 1, _m("IEA01")),
    "iea02": _set(R835, b"IEA", 2, _m("IEA02")),
    "st01": _set(R835, b"ST", 1, _m("ST01")),
    "st02": _set(R835, b"ST", 2, _m("ST02")),
    "gs06": _set(R835, b"GS", 6, _m("GS06")),
    "isa13": R835.replace(b"*000000001*0*P*", b"*ZZPHIMRK*0*P*"),  # nine characters: ISA is fixed length
    "hl01": _set(R837, b"HL", 1, _m("HL01"), nth=1),
    "hl02": _set(R837, b"HL", 2, _m("HL02"), nth=1),
    "hl03": _set(R837, b"HL", 3, _m("HL03"), nth=1),
    "hl03-first": _set(R837, b"HL", 3, _m("HL03A")),
    "name-and-bad-clp03": _both(R835, (b"NM1", 3, _m("NAME"), 0), (b"NM1", 9, _m("MEMBER"), 0),
                                (b"CLP", 3, _m("CLP03"), 0)),
    "member-and-bad-svc02": _both(R835, (b"NM1", 9, _m("MEMBER2"), 0), (b"SVC", 2, _m("SVC02"), 0)),
    "cas03": _set(R835, b"CAS", 3, _m("CAS03")),
    "dtm02": _set(R835, b"DTM", 2, _m("DTM02")),
    "bpr02": _set(R835, b"BPR", 2, _m("BPR02")),
    "bpr16": _set(R835, b"BPR", 16, _m("BPR16")),
    "plb": R835.replace(b"\nSE*", b"\nPLB*ZZPHIMARKPLB1*ZZPHIMARKPLB2*L6:X*ZZPHIMARKPLB3~\nSE*"),
    "svc01-separator": _set(R835, b"SVC", 1, b"HC>" + _m("SVC01")),
    "patient-837": _both(R837, (b"NM1", 3, _m("LAST"), 3), (b"NM1", 4, _m("FIRST"), 3),
                         (b"NM1", 9, _m("MEMBER3"), 3), (b"DMG", 2, _m("DOB"), 0), (b"CLM", 2, _m("CLM02"), 0)),
    "sv102": _set(R837, b"SV1", 2, _m("SV102")),
    "segment-id": R835.replace(b"\nNM1*QC", b"\nZZPHIMARKSEG*QC"),
    "over-long": _set(R835, b"NM1", 3, _m("LONG") * 7000),
    "control-characters": _set(R835, b"NM1", 3, _m("CTL") + b"\x01\x02\x1b"),
    "truncated": _set(R837, b"NM1", 3, _m("CUT"), 3)[: len(R837) * 2 // 3],
}

CSV_CASES: dict[str, tuple[str, str]] = {
    "no-header": ("patient-payments", "ZZPHIMARKC1,2024-01-01,10.00,card,ZZPHIMARKC2\nPCN2,2024-01-02,5,card,R\n"),
    "bad-values": ("patient-payments", "claim_id,payment_date,amount,method,reference\n"
                                       "ZZPHIMARKC3,ZZPHIMARKC4,ZZPHIMARKC5,card,R\n"
                                       "PCN1,2024-01-01,1.005,ZZPHIMARKC6,ZZPHIMARKC7,ZZPHIMARKC8\n"),
    "header-with-extra": ("patient-payments", "claim_id,payment_date,amount,method,reference,ZZPHIMARKC9\n"),
    "fee-no-header": ("fee-schedule", "ZZPHIMARKF1,99213,,80.00\n"),
    "fee-bad": ("fee-schedule", "payer_id,procedure_code,modifier,allowed_amount,effective_from,effective_to\n"
                                "P1,99213,,-ZZPHIMARKF2,ZZPHIMARKF3,2024-01-01\n"
                                "P1,99213,,80.00,2024-12-31,2024-01-01\n"
                                "P1,,,1e999999,,\n"),
    "fee-not-utf8": ("fee-schedule", "payer_id,procedure_code,modifier,allowed_amount\nZZPHIMARKF4,\udcff\n"),
}


class Findings:
    """Everything a run said, with where it said it."""

    def __init__(self) -> None:
        self.places: list[tuple[str, str]] = []

    def add(self, where: str, said: str) -> None:
        self.places.append((where, said))

    def leaks(self) -> list[str]:
        return [f"{where}: ...{said[max(0, said.find(MARK) - 80): said.find(MARK) + 40]}..."
                for where, said in self.places if MARK in said]


@pytest.fixture
def seen(caplog: pytest.LogCaptureFixture) -> Findings:
    caplog.set_level(logging.DEBUG)
    return Findings()


def _invoke(seen: Findings, argv: list[str], *, check_stdout: bool = True) -> None:
    result = CliRunner().invoke(main, argv)
    assert result.exception is None or isinstance(result.exception, SystemExit), (argv, result.exception)
    seen.add(f"{argv[:3]} stderr", result.stderr)
    if check_stdout:
        seen.add(f"{argv[:3]} stdout", result.stdout)


def _stored_errors(db_url: str) -> list[str]:
    with open_store(db_url).connect() as conn:
        return [e for (e,) in conn.execute(text("SELECT error FROM source_file WHERE error IS NOT NULL"))]


def _write_cases(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in X12_CASES.items():
        path = folder / f"{name}.x12"
        path.write_bytes(data)
        paths.append(path)
    return paths


def _assert_no_leak(seen: Findings, caplog: pytest.LogCaptureFixture) -> None:
    for record in caplog.records:
        seen.add(f"log {record.name}", record.getMessage() + (record.exc_text or ""))
    leaks = seen.leaks()
    assert not leaks, "\n".join(leaks)


def test_the_markers_are_where_the_cases_say() -> None:
    for name, data in X12_CASES.items():
        assert MARK.encode() in data or name == "isa13", name
        assert data not in (R835, R837), name


def test_parse_and_validate_quote_no_value(seen: Findings, caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    for path in _write_cases(tmp_path / "in"):
        for fmt in ("json", "xml"):
            _invoke(seen, ["parse", str(path), "--format", fmt], check_stdout=False)
        _invoke(seen, ["validate", str(path), "--ack", str(tmp_path / "ack.999")])
    _assert_no_leak(seen, caplog)


def test_ingest_quotes_no_value_and_stores_none(db_url: str, seen: Findings, caplog: pytest.LogCaptureFixture,
                                                tmp_path: Path) -> None:
    paths = _write_cases(tmp_path / "in")
    for path in paths:
        _invoke(seen, ["--db", db_url, "ingest", str(path)])
    _invoke(seen, ["--db", db_url, "ingest", "--json", *map(str, paths)])
    errors = _stored_errors(db_url)
    assert errors, "no failure was recorded: the cases do not exercise the error paths"
    for error in errors:
        seen.add("source_file.error", error)
    _assert_no_leak(seen, caplog)


def test_the_watcher_quotes_no_value(db_url: str, seen: Findings, caplog: pytest.LogCaptureFixture,
                                     tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    _write_cases(drop)
    results = watch(open_store(db_url), drop, poll_interval=0.02, settle=0.1, incomplete_timeout=0.3,
                    stop_when_idle=True).results
    assert {Path(r.file).name for r in results} == {f"{n}.x12" for n in X12_CASES}
    notes = list((drop / "failed").glob("*.error.txt"))
    assert any("incomplete" in n.read_text() for n in notes)
    for note in notes:
        seen.add(f"failed/{note.name}", note.read_text())
    for r in results:
        seen.add(f"result {r.file}", str(r.error))
    for error in _stored_errors(db_url):
        seen.add("source_file.error", error)
    _assert_no_leak(seen, caplog)


@pytest.mark.parametrize("case", sorted(CSV_CASES))
def test_csv_imports_name_lines_and_columns_not_values(db_url: str, case: str, seen: Findings,
                                                       caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    kind, content = CSV_CASES[case]
    path = tmp_path / f"{case}.csv"
    path.write_bytes(content.encode("utf-8", "surrogateescape"))
    result = CliRunner().invoke(main, ["--db", db_url, "import", kind, str(path)])
    assert result.exit_code == 1, result.output
    assert "line " in result.stderr or "UTF-8" in result.stderr, result.stderr
    seen.add("stderr", result.stderr)
    seen.add("stdout", result.stdout)
    _assert_no_leak(seen, caplog)


@pytest.mark.parametrize(("content", "expected"), [
    ("ZZPHIMARKC1,2024-01-01,10.00,card,R\n", "line 1 has none of these names (is the header row missing?)"),
    ("claim_id,payment_date,amount,method,reference\nP,2024-01-01,ten,card,R\n",
     "line 2: amount (column 3) is not an amount"),
    ("claim_id,payment_date,amount,method,reference\nP,2024-13-01,1,card,R,x\n", "line 2: has 6 fields, the header 5"),
    ("claim_id,payment_date,amount,method,reference,ZZPHIMARK\n", "line 1, column(s) 6: not a column name"),
    ("claim_id,amount,payment_date,method,reference,amount\n", "line 1, column(s) 6: a repeated name"),
])
def test_csv_messages(db_url: str, tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "pp.csv"
    path.write_text(content)
    result = CliRunner().invoke(main, ["--db", db_url, "import", "patient-payments", str(path)])
    assert result.exit_code == 1 and expected in result.stderr, result.stderr


