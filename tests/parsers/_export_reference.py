"""The JSON/XML export as it was before msgspec (edi_engine/parsers/export.py on main at 79c89b8, last changed in 6a21cc0).

Frozen on purpose: tests/parsers/test_export.py compares today's documents with these, read from
the same models, so the reference follows any change to the models and cannot drift from them.
Do not edit (a deliberate change of the documents changes the comparison's rules, not this file).
"""

# ruff: noqa
# mypy: ignore-errors
from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from typing import IO, Any

from edi_engine.errors import Position, Problem
from edi_engine.parsers.transaction import (
    InterchangeAck,
    SegmentText,
    TransactionEnd,
    TransactionStart,
    UnmodelledSet,
)

__all__ = ["to_jsonable", "write_json", "write_xml"]


def to_jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (tuple, list)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    return value


def _documents(items: Iterable[object]) -> Iterator[tuple[str, object]]:
    """('start', TransactionStart) / ('claim', model) / ('end', TransactionEnd) / ('raw', UnmodelledSet)
    / ('ta1', InterchangeAck).

    A set that failed before its header has an end and no start: a start with no header is made
    for it here, so every document opens and closes.
    """
    open_set = False
    for item in items:
        if isinstance(item, TransactionStart):
            open_set = True
            yield "start", item
        elif isinstance(item, TransactionEnd):
            if not open_set:
                yield "start", TransactionStart(item.info, None)  # type: ignore[arg-type]  # header unread
            open_set = False
            yield "end", item
        elif isinstance(item, UnmodelledSet):
            yield "raw", item
        elif isinstance(item, InterchangeAck):
            yield "ta1", item
        else:
            yield "claim", item


def _segment_json(seg: SegmentText) -> list[object]:
    return [seg.id, list(seg.elements), seg.segment, seg.offset]


def write_json(items: Iterable[object], out: IO[str]) -> int:
    """JSON Lines: one document per transaction set, its claims written as they arrive."""
    documents = 0
    first = True
    for kind, item in _documents(items):
        if kind == "start":
            assert isinstance(item, TransactionStart)
            out.write('{"transaction": ' + json.dumps(to_jsonable(item.info)))
            out.write(', "header": ' + json.dumps(to_jsonable(item.header)) + ', "claims": [')
            first = True
        elif kind == "claim":
            out.write(("" if first else ", ") + json.dumps(to_jsonable(item)))
            first = False
        elif kind == "raw":
            assert isinstance(item, UnmodelledSet)
            out.write('{"transaction": ' + json.dumps(to_jsonable(item.info)) + ', "modelled": false, "segments": ')
            out.write(json.dumps([_segment_json(seg) for seg in item.segments]))
            out.write(', "complete": ' + json.dumps(item.complete) + "}\n")
            documents += 1
        elif kind == "ta1":
            assert isinstance(item, InterchangeAck)
            fields = {k: v for k, v in to_jsonable(item).items() if k != "info"}
            out.write('{"transaction": ' + json.dumps(to_jsonable(item.info)) + ', "interchange_acknowledgment": ')
            out.write(json.dumps(fields) + "}\n")
            documents += 1
        else:
            assert isinstance(item, TransactionEnd)
            out.write('], "trailer": ' + json.dumps(to_jsonable(item.trailer)))
            out.write(', "complete": ' + json.dumps(item.complete) + "}\n")
            documents += 1
    return documents


# What XML 1.0 cannot carry: C0 controls other than tab, LF, CR; surrogates; U+FFFE/U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class _Xml:
    def __init__(self, xf: Any, etree: Any) -> None:
        self.xf, self.etree = xf, etree
        self.replaced = 0

    def text(self, value: str) -> str:
        cleaned, n = _NOT_XML.subn("\ufffd", value)
        self.replaced += n
        return cleaned

    def value(self, name: str, value: Any) -> None:
        xf = self.xf
        if value is None:
            return
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            with xf.element(name, type=type(value).__name__):
                for f in dataclasses.fields(value):
                    self.value(f.name, getattr(value, f.name))
        elif isinstance(value, (tuple, list)):
            with xf.element(name):
                for v in value:
                    self.value("item", v)
        else:
            el = self.etree.Element(name)
            el.text = self.text(str(to_jsonable(value)))
            xf.write(el)

    def segment(self, seg: SegmentText) -> None:
        with self.xf.element("segment", id=seg.id, number=str(seg.segment), offset=str(seg.offset)):
            for element in seg.elements:
                self.value("element", element)


def write_xml(items: Iterable[object], out: IO[bytes], problems: list[Problem] | None = None,
              name: str = "") -> int:
    """<transactions><transaction>...</transaction>...</transactions>, streamed with lxml.

    Characters XML cannot hold become U+FFFD; `problems` gets one warning with their count.
    """
    from lxml import etree

    documents = 0
    with etree.xmlfile(out, encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element("transactions"):
            x = _Xml(xf, etree)
            ctx = None
            claims_ctx = None
            for kind, item in _documents(items):
                if kind == "start":
                    assert isinstance(item, TransactionStart)
                    ctx = xf.element("transaction")
                    ctx.__enter__()
                    x.value("info", item.info)
                    x.value("header", item.header)
                    claims_ctx = xf.element("claims")
                    claims_ctx.__enter__()
                elif kind == "claim":
                    x.value("claim", item)
                elif kind == "raw":
                    assert isinstance(item, UnmodelledSet)
                    with xf.element("transaction", modelled="false"):
                        x.value("info", item.info)
                        with xf.element("segments"):
                            for seg in item.segments:
                                x.segment(seg)
                        x.value("complete", item.complete)
                    documents += 1
                elif kind == "ta1":
                    assert isinstance(item, InterchangeAck)
                    with xf.element("transaction", kind="TA1"):
                        x.value("info", item.info)
                        with xf.element("interchange_acknowledgment"):
                            for f in dataclasses.fields(item):
                                if f.name != "info":
                                    x.value(f.name, getattr(item, f.name))
                    documents += 1
                else:
                    assert isinstance(item, TransactionEnd)
                    if claims_ctx is not None:
                        claims_ctx.__exit__(None, None, None)
                    x.value("trailer", item.trailer)
                    x.value("complete", item.complete)
                    if ctx is not None:
                        ctx.__exit__(None, None, None)
                    ctx = claims_ctx = None
                    documents += 1
    if x.replaced and problems is not None:
        problems.append(Problem("warning", "xml-control-character",
                                f"{x.replaced} characters XML cannot hold were written as U+FFFD", Position(name)))
    return documents
