"""JSON, JSON Lines and XML export: the same documents as the reference implementation, faster.

The reference is the export as it was before msgspec, frozen in `_export_reference.py` and run on
the same models, so it follows the models and cannot drift. The one difference allowed: a field
that is empty ("", [] or null; an XML element with no text and no children) may be absent.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from edi_engine.errors import EdiEngineError, Problem
from edi_engine.parsers import TransactionEnd, TransactionStart, UnmodelledSet, parse_file
from edi_engine.parsers.export import _NOT_XML, _Models, write_json, write_jsonl, write_xml
from edi_engine.parsers.transaction import SegmentText
from edi_engine.parsers.x221a1_835_models import Adjustment, ClaimPayment, Party
from tests.conftest import CORPUS, REPO
from tests.parsers import _export_reference as reference


def _inputs() -> list[Path]:
    corpus = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name != "SOURCES.md") if CORPUS.is_dir() else []
    fixtures = sorted(p for p in (REPO / "fixtures").rglob("*") if p.suffix in (".835", ".837"))
    return corpus + fixtures


def _items(path: Path) -> list[object]:
    items: list[object] = []
    with contextlib.suppress(EdiEngineError):  # unreadable from some point on: compare what was read
        items.extend(parse_file(str(path), keep_unmodelled=True))
    return items


def _drop_empty(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_empty(v) for k, v in value.items() if v not in ("", [], None)}
    if isinstance(value, list):
        return [_drop_empty(v) for v in value]
    return value


def _within(new: Any, old: Any, where: str = "") -> None:
    """Every value `new` writes is the reference's, of the same JSON type."""
    assert type(new) is type(old), where
    if isinstance(new, dict):
        for k, v in new.items():
            assert k in old, f"{where}.{k}"
            _within(v, old[k], f"{where}.{k}")
    elif isinstance(new, list):
        assert len(new) == len(old), where
        for i, (a, b) in enumerate(zip(new, old, strict=True)):
            _within(a, b, f"{where}[{i}]")
    else:
        assert new == old, where


def _json_docs(text: str) -> list[Any]:
    return [json.loads(line) for line in text.splitlines()]


def _xml_tree(data: bytes) -> Any:
    def norm(el: Any) -> tuple[object, ...]:
        typed = "type" in el.attrib
        children = [norm(c) for c in el if not (typed and len(c) == 0 and not c.text)]
        return el.tag, sorted(el.attrib.items()), el.text or "", children
    return norm(etree.fromstring(data)) if data else None


@pytest.mark.parametrize("path", _inputs(), ids=lambda p: str(p.relative_to(p.parents[1])))
def test_documents_are_the_references_on_every_corpus_file_and_fixture(path: Path) -> None:
    items = _items(path)
    old = io.StringIO()
    old_count = reference.write_json(items, old)
    new = io.BytesIO()
    assert write_json(items, new) == old_count
    old_docs, new_docs = _json_docs(old.getvalue()), _json_docs(new.getvalue().decode())
    assert _drop_empty(new_docs) == _drop_empty(old_docs)
    _within(new_docs, old_docs)

    lines = io.BytesIO()
    assert write_jsonl(items, lines) == old_count
    assert _drop_empty(_from_jsonl(lines.getvalue().decode())) == _drop_empty(old_docs)

    old_xml, new_xml = io.BytesIO(), io.BytesIO()
    old_problems: list[Problem] = []
    new_problems: list[Problem] = []
    assert write_xml(items, new_xml, new_problems, "f") == reference.write_xml(items, old_xml, old_problems, "f")
    assert _xml_tree(new_xml.getvalue()) == _xml_tree(old_xml.getvalue())
    assert [str(p) for p in new_problems] == [str(p) for p in old_problems]
    models = [m for i in items for m in ([i.info, i.header] if isinstance(i, TransactionStart) else [i])
              if m is not None and not isinstance(m, (TransactionEnd, UnmodelledSet))]
    assert all(_Models().twin(m) is not None for m in models)  # the fast path, not the Python fallback


def _from_jsonl(text: str) -> list[dict[str, Any]]:
    """The JSON documents again, from the JSON Lines records."""
    docs: list[dict[str, Any]] = []
    for record in _json_docs(text):
        kind = record.pop("record")
        if kind == "header":
            docs.append({"transaction": record["transaction"], "header": record["header"], "claims": []})
        elif kind == "claim":
            assert record["transaction"].items() <= docs[-1]["transaction"].items()
            docs[-1]["claims"].append(record["claim"])
        elif kind == "trailer":
            assert record["transaction"].items() <= docs[-1]["transaction"].items()
            docs[-1].update(trailer=record["trailer"], complete=record["complete"])
        else:
            assert kind in ("segments", "ta1")
            docs.append(record)
    return docs


def _835() -> bytes:
    isa = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *260101*1200*^*00501*000000001*0*P*:"
    body = ["BPR*I*100*C*CHK************20260105", "TRN*1*CHECK1*1999999999", "N1*PR*PAYER",
            "N1*PE*CLINIC*XX*1999999999", "LX*1", "CLP*PCN1*1*150*100*50*12*PAYERCN1", "NM1*QC*1*DOE*JANE",
            "SVC*HC:99213*150*100", "CAS*PR*1*50"]
    segs = [isa, "GS*HP*S*R*20260101*1200*1*X*005010X221A1", "ST*835*0001*005010X221A1", *body,
            f"SE*{len(body) + 2}*0001", "GE*1*1", "IEA*1*000000001"]
    return "".join(s + "~" for s in segs).encode()


def _claim(**changes: Any) -> ClaimPayment:
    claim = ClaimPayment("PCN1", "1", Decimal("150.00"), Decimal("100"), patient=Party("QC", "DOE", "JANE"),
                         adjustments=(Adjustment("PR", "1", Decimal("50"), segment=9, offset=200),),
                         statement_from=date(2026, 1, 5), segment=7, offset=120)
    return replace(claim, **changes)


def _one(model: object) -> Any:
    out = io.BytesIO()
    write_json([model], out)
    return json.loads(out.getvalue())


def test_amounts_are_exact_decimal_strings_never_exponents() -> None:
    claim = _claim(charge=Decimal("0.0000001"), paid=Decimal("0E-7"), drg_weight=Decimal("1E+2"),
                   patient_control_number="1E-7")
    doc = _one(claim)
    assert (doc["charge"], doc["paid"], doc["drg_weight"]) == ("0.0000001", "0.0000000", "100")
    assert doc["patient_control_number"] == "1E-7"  # text that looks like an exponent stays as read
    assert doc == _drop_empty(reference.to_jsonable(claim))


def test_empty_fields_are_left_out_and_positions_kept() -> None:
    doc = _one(_claim())
    assert "drg_code" not in doc and "insured" not in doc and "services" not in doc
    assert doc["patient"] == {"entity": "QC", "last_or_organization": "DOE", "first": "JANE"}
    assert (doc["segment"], doc["offset"]) == (7, 120)
    assert doc["adjustments"] == [{"group": "PR", "reason": "1", "amount": "50", "segment": 9, "offset": 200}]
    assert list(doc) == [k for k in reference.to_jsonable(_claim()) if k in doc]  # the models' field order


@pytest.mark.parametrize("claim", [
    _claim(charge=150, patient=Party("QC", "DOE", first=None)),  # type: ignore[arg-type]  # leaves copied as they are
    _claim(patient="DOE", services=[_claim()]),  # type: ignore[arg-type]  # no twin takes it: the Python path
])
def test_a_model_holding_a_value_not_of_its_type_is_still_written_as_the_reference(claim: ClaimPayment) -> None:
    assert (_Models().twin(claim) is None) is (claim.patient == "DOE")
    new, old = _one(claim), reference.to_jsonable(claim)
    assert _drop_empty(new) == _drop_empty(old)
    _within(new, old)
    new_xml, old_xml = io.BytesIO(), io.BytesIO()
    write_xml([claim], new_xml)
    reference.write_xml([claim], old_xml)
    assert _xml_tree(new_xml.getvalue()) == _xml_tree(old_xml.getvalue())


@dataclass(frozen=True, slots=True)
class _Left:
    a: str = ""


@dataclass(frozen=True, slots=True)
class _Right:
    b: Decimal | None = None


@dataclass(frozen=True, slots=True)
class _NewGuideClaim:
    """A model no twin can mirror: msgspec refuses a union of two untagged Structs."""

    side: _Left | _Right
    sides: tuple[_Left | _Right, ...] = ()


def test_a_model_type_msgspec_cannot_mirror_is_written_through_the_python_path() -> None:
    claim = _NewGuideClaim(_Right(Decimal("0.0000001")), (_Left("x"), _Left()))
    assert _Models().twin(claim) is None
    assert _one(claim) == {"side": {"b": "0.0000001"}, "sides": [{"a": "x"}, {}]}
    assert _one(claim) == _drop_empty(reference.to_jsonable(claim))
    new_xml, old_xml = io.BytesIO(), io.BytesIO()
    write_xml([claim], new_xml)
    reference.write_xml([claim], old_xml)
    assert _xml_tree(new_xml.getvalue()) == _xml_tree(old_xml.getvalue())


def _failing(items: list[object]) -> Iterator[object]:
    yield from items
    raise RuntimeError("walker bug")


def _start_and_claim() -> list[object]:
    path = REPO / "fixtures" / "carc18_denial"
    items = _items(next(p for p in sorted(path.iterdir()) if p.suffix == ".835"))
    start = next(i for i in items if isinstance(i, TransactionStart))
    claim = next(i for i in items if isinstance(i, ClaimPayment))
    return [start, claim]


@pytest.mark.parametrize("writer", [write_json, write_jsonl])
def test_a_failure_mid_set_closes_the_json_document_as_incomplete(writer: Any) -> None:
    out = io.BytesIO()
    with pytest.raises(RuntimeError):
        writer(_failing(_start_and_claim()), out)
    lines = _json_docs(out.getvalue().decode())
    assert lines[-1]["complete"] is False and lines[-1]["trailer"] is None
    if writer is write_json:
        assert len(lines) == 1 and len(lines[0]["claims"]) == 1


def test_a_failure_mid_set_closes_the_xml_document_as_incomplete() -> None:
    out = io.BytesIO()
    with pytest.raises(RuntimeError):
        write_xml(_failing(_start_and_claim()), out)
    root = etree.fromstring(out.getvalue())
    assert root.findtext("transaction/complete") == "False" and len(root.findall("transaction/claims/claim")) == 1


def test_a_set_with_no_end_is_an_incomplete_xml_document() -> None:
    out = io.BytesIO()
    assert write_xml(_start_and_claim(), out) == 1
    assert etree.fromstring(out.getvalue()).findtext("transaction/complete") == "False"


def test_lxml_refuses_exactly_what_xml_cannot_hold() -> None:
    """write_xml replaces what _NOT_XML matches: exactly what lxml will not hold."""
    points = [*range(0x100), *range(0xD7F0, 0xE010), *range(0xFFF0, 0x10010), 0x10FFFF]
    for cp in points:
        el = etree.Element("a")
        try:
            el.text = "x" + chr(cp)
            refused = False
        except ValueError:
            refused = True
        assert refused == bool(_NOT_XML.search(chr(cp))), hex(cp)


def test_xml_text_is_escaped_and_cleaned_as_the_reference() -> None:
    name = 'A&B <C> x\r\ny\t"q\' \u00e9\u4e2d\x01\x1f]]>'
    claim = _claim(patient=Party("QC", name, "JANE"), patient_control_number="&amp;")
    new_xml, old_xml = io.BytesIO(), io.BytesIO()
    new_problems: list[Problem] = []
    old_problems: list[Problem] = []
    write_xml([claim], new_xml, new_problems, "f")
    reference.write_xml([claim], old_xml, old_problems, "f")
    assert _xml_tree(new_xml.getvalue()) == _xml_tree(old_xml.getvalue())
    root = etree.fromstring(new_xml.getvalue())
    cleaned = name.replace("\x01", "\ufffd").replace("\x1f", "\ufffd")
    assert root.findtext("claim/patient/last_or_organization") == cleaned
    assert [str(p) for p in new_problems] == [str(p) for p in old_problems] and "2 characters" in str(new_problems[0])


def test_unmodelled_segments_keep_every_element_and_escape_attributes() -> None:
    info = _start_and_claim()[0].info  # type: ignore[attr-defined]
    segments = (SegmentText('S"&<T', ("a", "", "b&c"), 4, 99), SegmentText("SE", ("2", "1"), 5, 120))
    raw = UnmodelledSet(info, segments, True)
    new_xml, old_xml = io.BytesIO(), io.BytesIO()
    write_xml([raw], new_xml)
    reference.write_xml([raw], old_xml)
    assert _xml_tree(new_xml.getvalue()) == _xml_tree(old_xml.getvalue())
    segment = etree.fromstring(new_xml.getvalue()).find("transaction/segments/segment")
    assert segment.get("id") == 'S"&<T' and [e.text or "" for e in segment] == ["a", "", "b&c"]


_TA1_ALONE = ("ISA*00*          *00*          *ZZ*CLRHSE01       *ZZ*SBS0001        *240103*1200*^*00501*"
              "000000777*0*P*:~TA1*000000008*240102*1200*R*022~IEA*0*000000777~")


def test_a_ta1_is_the_references_document_in_json_jsonl_and_xml(tmp_path: Path) -> None:
    path = tmp_path / "t.ta1"
    path.write_bytes(_TA1_ALONE.encode() + _835().replace(b"000000001", b"000000002"))
    items = _items(path)
    assert any(type(i).__name__ == "InterchangeAck" for i in items)
    old, new, lines = io.StringIO(), io.BytesIO(), io.BytesIO()
    assert write_json(items, new) == reference.write_json(items, old) == write_jsonl(items, lines) == 2
    old_docs, new_docs = _json_docs(old.getvalue()), _json_docs(new.getvalue().decode())
    assert new_docs[0]["interchange_acknowledgment"]["code"] == "R"
    assert _drop_empty(new_docs) == _drop_empty(old_docs) == _drop_empty(_from_jsonl(lines.getvalue().decode()))
    _within(new_docs, old_docs)
    old_xml, new_xml = io.BytesIO(), io.BytesIO()
    assert write_xml(items, new_xml) == reference.write_xml(items, old_xml) == 2
    assert _xml_tree(new_xml.getvalue()) == _xml_tree(old_xml.getvalue())


def test_jsonl_is_one_record_a_line_naming_its_set() -> None:
    items = [*_start_and_claim(), TransactionEnd(_start_and_claim()[0].info, None, True, 12)]  # type: ignore[attr-defined]
    out = io.BytesIO()
    assert write_jsonl(items, out) == 1
    header, claim, trailer = _json_docs(out.getvalue().decode())
    assert [r["record"] for r in (header, claim, trailer)] == ["header", "claim", "trailer"]
    assert set(claim["transaction"]) == {"file", "kind", "interchange_control", "group_control",
                                         "transaction_control", "segment"}
    assert claim["transaction"]["segment"] == header["transaction"]["segment"]
    assert claim["claim"]["patient_control_number"] and trailer["complete"] is True
    assert re.fullmatch(r'\{"record":"claim",.*\}\n', out.getvalue().decode().splitlines(keepends=True)[1])
