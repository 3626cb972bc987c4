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
