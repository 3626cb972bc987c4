"""`edi-engine validate`: exit codes, one positioned message per defect, no PHI, --ack output."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from edi_engine.cli import main
from edi_engine.x12 import read_segments
from tests.parsers.test_ack import BROKEN_SET, GOOD_SET, PHI_MEMBER_ID, interchange

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"


def run(*args: str):
    return CliRunner().invoke(main, ["validate", *args])


def corpus_file(name: str) -> Path:
    path = CORPUS / name
    if not path.is_file():
        pytest.skip(f"sample corpus not found at {CORPUS}")
    return path


def test_clean_corpus_file_exits_0() -> None:
    path = corpus_file("badX12/X221-multiple-claims-single-check.edi")
    result = run(str(path))
    assert result.exit_code == 0, result.output
    assert "valid" in result.output and "error" not in result.output


@pytest.mark.parametrize("name, expected", [
    ("badX12/error_validation.edi", "SE01 says 30 segments"),
    ("api-examples/835-validation-issues.edi", "TRN (Reassociation Trace Number): required segment missing"),
    ("api-examples/837P-validation-issues.edi", "CLM05-1 (Place of Service Code)"),
    ("badX12/bad_file.edi", "not X12"),
    ("x12-edi-parser/malformed_files/CC_837I_EDI.txt", "GS without ISA"),
])
def test_invalid_corpus_files_exit_1_with_positions(name: str, expected: str) -> None:
    path = corpus_file(name)
    result = run(str(path))
    assert result.exit_code == 1, result.output
    assert expected in result.output
    lines = [line for line in result.output.splitlines() if ": error: " in line]
    assert lines and all(line.startswith(f"{path}, segment ") and ", byte " in line for line in lines)
    assert "Traceback" not in result.output


def test_837d_reports_no_pyx12_map_and_still_runs_our_checks(tmp_path: Path) -> None:
    path = corpus_file("api-examples/837D-all-fields.dat")
    result = run(str(path))
    assert "pyx12 has no map for GS08 005010X224A2" in result.output
    assert "[se01-count]" not in result.output
    # The same file with SE01 off by one: our envelope check still fails it.
    data = path.read_bytes()
    se = data.rindex(b"SE*")
    count = data[se + 3 : data.index(b"*", se + 3)]
    broken = tmp_path / "837d-se01.dat"
    broken.write_bytes(data[: se + 3] + str(int(count) + 1).encode() + data[se + 3 + len(count) :])
    result = run(str(broken))
    assert result.exit_code == 1 and "[se01-count]" in result.output and "no map" in result.output


def _bad_inputs() -> dict[str, bytes]:
    good = interchange(GOOD_SET)
    return {
        "empty": b"",
        "not-x12": b"hello world\nthis is not x12\n",
        "binary": bytes(range(256)) * 4,
        "cut-mid-segment": good[:400],
        "short-isa": good[:60],
        "100kB-segment": good.replace(b"REF*EV*FAC", b"REF*EV*" + b"A" * 100_000),
        "double-terminator": good.replace(b"REF*EV*FAC~", b"REF*EV*FAC~~"),
        "no-final-terminator": good.rstrip(b"~\n"),
        "se01-off-by-one": interchange(GOOD_SET, se_delta=1),
        "missing-iea": interchange(GOOD_SET, iea=False),
        "gs-without-isa": good[good.index(b"GS*"):],
    }


EXPECTED = {
    "empty": "empty", "not-x12": "not X12", "binary": "binary", "cut-mid-segment": "no segment terminator",
    "short-isa": "ISA segment is incomplete", "100kB-segment": "longer than", "double-terminator": "empty segment",
    "no-final-terminator": "no segment terminator",
    "se01-off-by-one": "SE01 says 22 segments, the transaction set has 21",
    "missing-iea": "no IEA", "gs-without-isa": "GS without ISA",
}


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_bad_input_gives_a_clear_positioned_message(case: str, tmp_path: Path) -> None:
    path = tmp_path / f"{case}.x12"
    path.write_bytes(_bad_inputs()[case])
    result = run(str(path))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    errors = [line for line in result.output.splitlines() if ": error: " in line]
    assert any(EXPECTED[case] in line for line in errors), result.output
    assert all(line.startswith(f"{path}, segment ") and ", byte " in line for line in errors)
    if case == "100kB-segment":  # and the set it sits in cannot be trusted past it
        assert len(errors) == 2 and "[unreadable-value]" in errors[1], result.output
    elif case != "cut-mid-segment":  # a cut file also lacks its SE, GE and IEA
        assert len(errors) == 1, result.output


def test_messages_never_quote_phi(tmp_path: Path) -> None:
    path = tmp_path / "phi.835"
    path.write_bytes(interchange(GOOD_SET, BROKEN_SET))
    result = run(str(path))
    assert result.exit_code == 1
    assert "NM109" in result.output and "[pyx12 5]" in result.output
    assert PHI_MEMBER_ID not in result.output and "DOE" not in result.output


def test_ack_option_writes_a_999_our_reader_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "mixed.835"
    path.write_bytes(interchange(GOOD_SET, BROKEN_SET))
    out = tmp_path / "mixed.999"
    result = run(str(path), "--ack", str(out))
    assert result.exit_code == 1
    segments = [seg.elements for seg in read_segments(out)]
    assert [s[1] for s in segments if s[0] == "ST"] == ["999"]
    assert [s for s in segments if s[0] == "AK9"] == [("AK9", "P", "2", "2", "1")]
    again = run(str(out))  # pyx12's 999 map and our checks accept what we wrote
    assert again.exit_code == 0, again.output


def test_ack_has_ta1_for_iea02_mismatch(tmp_path: Path) -> None:
    path = tmp_path / "iea.835"
    path.write_bytes(interchange(GOOD_SET, iea02="000000906"))
    out = tmp_path / "iea.ack"
    result = run(str(path), "--ack", str(out))
    assert result.exit_code == 1 and "IEA02 does not match ISA13" in result.output
    assert [s.elements for s in read_segments(out) if s.id == "TA1"] == [
        ("TA1", "000000905", "200101", "1253", "E", "001")]


def test_usage_errors_exit_2() -> None:
    assert run().exit_code == 2
    assert run("--ack").exit_code == 2
