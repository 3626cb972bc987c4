"""Typed models as JSON or XML documents, one document per transaction set, streamed.

Amounts are strings (exact decimals), dates ISO 8601. Positions (segment number, byte offset)
are kept so a reader can find the segment behind every value.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from typing import IO, Any

from edi_engine.parsers.transaction import TransactionEnd, TransactionStart

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
    """('start', TransactionStart) / ('claim', model) / ('end', TransactionEnd) events."""
    for item in items:
        if isinstance(item, TransactionStart):
            yield "start", item
        elif isinstance(item, TransactionEnd):
            yield "end", item
        else:
            yield "claim", item


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
        else:
            assert isinstance(item, TransactionEnd)
            out.write('], "trailer": ' + json.dumps(to_jsonable(item.trailer)))
            out.write(', "complete": ' + json.dumps(item.complete) + "}\n")
            documents += 1
    return documents


def _xml_value(xf: Any, etree: Any, name: str, value: Any) -> None:
    if value is None:
        return
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        with xf.element(name, type=type(value).__name__):
            for f in dataclasses.fields(value):
                _xml_value(xf, etree, f.name, getattr(value, f.name))
    elif isinstance(value, (tuple, list)):
        with xf.element(name):
            for v in value:
                _xml_value(xf, etree, "item", v)
    else:
        el = etree.Element(name)
        el.text = str(to_jsonable(value))
        xf.write(el)


def write_xml(items: Iterable[object], out: IO[bytes]) -> int:
    """<transactions><transaction>...</transaction>...</transactions>, streamed with lxml."""
    from lxml import etree

    documents = 0
    with etree.xmlfile(out, encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element("transactions"):
            ctx = None
            claims_ctx = None
            for kind, item in _documents(items):
                if kind == "start":
                    assert isinstance(item, TransactionStart)
                    ctx = xf.element("transaction")
                    ctx.__enter__()
                    _xml_value(xf, etree, "info", item.info)
                    _xml_value(xf, etree, "header", item.header)
                    claims_ctx = xf.element("claims")
                    claims_ctx.__enter__()
                elif kind == "claim":
                    _xml_value(xf, etree, "claim", item)
                else:
                    assert isinstance(item, TransactionEnd)
                    if claims_ctx is not None:
                        claims_ctx.__exit__(None, None, None)
                    _xml_value(xf, etree, "trailer", item.trailer)
                    _xml_value(xf, etree, "complete", item.complete)
                    if ctx is not None:
                        ctx.__exit__(None, None, None)
                    ctx = claims_ctx = None
                    documents += 1
    return documents
