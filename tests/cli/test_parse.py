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


def test_999_and_277ca_print_as_their_segments_with_positions(corpus: Path) -> None:
    for name in ("imsweb__x12-parser/x12_999_rejected.txt", "api-examples/277CA-all-fields.edi"):
        code, out, err = run("parse", str(corpus / name))
        docs = [json.loads(line) for line in out.splitlines()]
        assert code == 0 and docs and all(d["modelled"] is False for d in docs), err
        segments = docs[0]["segments"]
        assert segments[0][0] == "ST" and segments[-1][0] == "SE"
        kind = docs[0]["transaction"]["kind"]
        assert kind in ("999", "277") and f"transaction set {kind} is not an 835 or 837; printed" in err
        data = (corpus / name).read_bytes()
        assert all(data[offset:offset + len(sid)] == sid.encode() for sid, _, _, offset in segments)
        code, out, _ = run("parse", "--format", "xml", str(corpus / name))
        assert etree.fromstring(out.encode()).find("transaction[@modelled='false']/segments/segment") is not None


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
    path = tmp_path / "bad-date.835"
    path.write_bytes(_835(bpr16="20261399") + _835().replace(b"000000001", b"000000002"))
    for fmt in ("json", "xml"):
        code, out, err = run("parse", "--format", fmt, str(path))
        assert code == 0 and "Traceback" not in err
        if fmt == "json":
            docs = [json.loads(line) for line in out.splitlines()]
            assert len(docs) == 2 and docs[0]["header"] is None and docs[0]["complete"] is False
            assert docs[1]["complete"] is True
        else:
            assert len(etree.fromstring(out.encode()).findall("transaction")) == 2


def test_xml_replaces_control_characters_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "control.835"
    path.write_bytes(_835(nte="\x01\x02"))
    code, out, err = run("parse", "--format", "xml", str(path))
    assert code == 0 and "[xml-control-character]" in err and "2 characters" in err
    root = etree.fromstring(out.encode())
    assert "DOE\ufffd\ufffd" in out.encode().decode() and root.tag == "transactions"
