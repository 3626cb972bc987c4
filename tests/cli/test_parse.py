"""`edi-engine parse`: typed models as JSON or XML, lenient, problems on stderr."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from lxml import etree

from edi_engine.cli import main


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_json_is_one_document_per_transaction_set_with_string_amounts(corpus: Path) -> None:
    code, out, err = run("parse", str(corpus / "x12-edi-parser" / "sample.txt"))
    assert code == 0
    docs = [json.loads(line) for line in out.splitlines()]
    assert len(docs) == 3 and [d["transaction"]["transaction_control"] for d in docs] == ["0001", "0002", "0003"]
    claim = docs[0]["claims"][0]
    assert isinstance(claim["charge"], str) and isinstance(claim["paid"], str)
    assert "se01-count" in err and "Traceback" not in err  # lenient: problems reported, output still printed


def test_837_json_carries_claims_and_lines(corpus: Path) -> None:
    code, out, _ = run("parse", str(corpus / "x12-edi-parser" / "Molina_Mock_UP_837P_File.txt"))
    (doc,) = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and doc["transaction"]["kind"] == "837P"
    assert len(doc["claims"]) == 4 and sum(len(c["lines"]) for c in doc["claims"]) == 5


def test_xml_output_parses_and_holds_the_claims(corpus: Path) -> None:
    code, out, _ = run("parse", "--format", "xml", str(corpus / "badX12" / "X221-multiple-claims-single-check.edi"))
    assert code == 0
    root = etree.fromstring(out.encode())
    assert root.tag == "transactions" and len(root.findall("transaction/claims/claim")) == 9


def test_unreadable_file_exits_1_with_one_positioned_message(tmp_path: Path) -> None:
    bad = tmp_path / "letter.txt"
    bad.write_text("Dear billing office, please find the remittance attached.")
    code, out, err = run("parse", str(bad))
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "letter.txt" in err and "byte 0" in err and "Traceback" not in err


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run("parse")[0] == 2
    assert run("parse", "--format", "csv", str(tmp_path))[0] == 2


def _corpus_files(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.rglob("*") if p.is_file() and p.name != "SOURCES.md")


def test_every_corpus_file_gives_well_formed_json_and_xml(corpus: Path) -> None:
    for path in _corpus_files(corpus):
        code, out, err = run("parse", str(path))
        assert "Traceback" not in err, path
        for line in out.splitlines():
            json.loads(line)  # each line one whole document, whatever failed
        code, out, err = run("parse", "--format", "xml", str(path))
        assert "Traceback" not in err, path
        if out:
            etree.fromstring(out.encode())


def test_a_set_we_do_not_model_prints_as_its_segments_with_positions(corpus: Path) -> None:
    name = "X12Parser/Example1_IG_0x1D.txt"  # a 270
    code, out, err = run("parse", str(corpus / name))
    docs = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and docs and all(d["modelled"] is False for d in docs), err
    segments = docs[0]["segments"]
    assert segments[0][0] == "ST" and segments[-1][0] == "SE"
    assert "transaction set 270 is not an 835, 837, 999 or 277CA; printed" in err
    data = (corpus / name).read_bytes()
    assert all(data[offset:offset + len(sid)] == sid.encode() for sid, _, _, offset in segments)
    code, out, _ = run("parse", "--format", "xml", str(corpus / name))
    assert etree.fromstring(out.encode()).find("transaction[@modelled='false']/segments/segment") is not None


def test_999_and_277ca_print_typed(corpus: Path) -> None:
    code, out, err = run("parse", str(corpus / "imsweb__x12-parser/x12_999_rejected.txt"))
    (doc,) = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and doc["transaction"]["kind"] == "999" and doc["header"]["group_control"] == "28"
    (ak2,) = doc["claims"]
    assert (ak2["set_id"], ak2["control_number"], ak2["code"]) == ("837", "0028", "R")
    assert ak2["errors"][0]["segment_id"] == "NM" and doc["trailer"]["code"] == "R"
    code, out, err = run("parse", str(corpus / "imsweb__x12-parser/x12_277CA_rejected.txt"))
    (doc,) = [json.loads(line) for line in out.splitlines()]
    assert doc["transaction"]["kind"] == "277CA" and "not an 835" not in err
    claim = doc["claims"][-1]
    assert claim["statuses"][0]["category"] == "A7" and claim["payer_claim_control_number"]
    code, out, _ = run("parse", "--format", "xml", str(corpus / "X12Parser/FromAlexbrodsky.txt"))
    assert etree.fromstring(out.encode()).find("transaction/claims/claim[@type='ClaimStatus277']") is not None


def _835(bpr16: str = "20260105", nte: str = "") -> bytes:
    isa = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *260101*1200*^*00501*000000001*0*P*:"
    body = [f"BPR*I*100*C*CHK************{bpr16}", "TRN*1*CHECK1*1999999999", "N1*PR*PAYER",
            "N1*PE*CLINIC*XX*1999999999",
            "LX*1", "CLP*PCN1*1*150*100*50*12*PAYERCN1", f"NM1*QC*1*DOE{nte}*JANE", "SVC*HC:99213*150*100",
            "CAS*PR*1*50"]
    segs = [isa, "GS*HP*S*R*20260101*1200*1*X*005010X221A1", "ST*835*0001*005010X221A1", *body,
            f"SE*{len(body) + 2}*0001", "GE*1*1", "IEA*1*000000001"]
    return "".join(s + "~" for s in segs).encode()


def test_a_set_broken_in_its_header_is_still_a_whole_document(tmp_path: Path) -> None:
    # BPR02 (the money) unreadable breaks the set in its header; a bad BPR16 no longer would (issue 10).
    path = tmp_path / "bad-amount.835"
    path.write_bytes(_835().replace(b"BPR*I*100*", b"BPR*I*1O0*") + _835().replace(b"000000001", b"000000002"))
    for fmt in ("json", "xml"):
        code, out, err = run("parse", "--format", fmt, str(path))
        assert code == 0 and "Traceback" not in err
        if fmt == "json":
            docs = [json.loads(line) for line in out.splitlines()]
            assert len(docs) == 2 and docs[0]["header"] is None and docs[0]["complete"] is False
            assert docs[1]["complete"] is True
        else:
            assert len(etree.fromstring(out.encode()).findall("transaction")) == 2


def test_a_bad_bpr16_is_a_warning_and_the_set_is_whole(tmp_path: Path) -> None:
    path = tmp_path / "bad-date.835"
    path.write_bytes(_835(bpr16="20261399"))
    code, out, err = run("parse", "--format", "json", str(path))
    (doc,) = [json.loads(line) for line in out.splitlines()]
    # An empty field is left out of the document (README, "Parse output"): absent means null.
    assert code == 0 and doc["complete"] is True and "payment_date" not in doc["header"] and len(doc["claims"]) == 1
    assert "[unreadable-element]" in err and "BPR16" in err and "20261399" not in err + out


def test_xml_replaces_control_characters_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "control.835"
    path.write_bytes(_835(nte="\x01\x02"))
    code, out, err = run("parse", "--format", "xml", str(path))
    assert code == 0 and "[xml-control-character]" in err and "2 characters" in err
    root = etree.fromstring(out.encode())
    assert "DOE\ufffd\ufffd" in out.encode().decode() and root.tag == "transactions"
