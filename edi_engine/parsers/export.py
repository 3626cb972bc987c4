"""Typed models as JSON, JSON Lines or XML documents, one document per transaction set, streamed.

Owns the document shapes (README, "parse output") and their encoding; knows nothing of how the
models are read. Amounts are strings (exact decimals, never exponents), dates ISO 8601. Positions
(segment number, byte offset) are kept so a reader can find the segment behind every value. A
model field that is empty ("", an empty list or null) and has that as its default is left out: a
reader treats a missing field as empty. A set of a kind we do not model is a document of its
segments, every element kept (elements are positional). Output is well-formed whatever failed: a
set broken before its header is a document with no header, a failure mid-set closes the open
document as incomplete before it propagates, and characters XML 1.0 cannot hold are replaced
(counted in a warning), never a half-written element.

XML is written as text (no lxml: building an element per value cost more than the rest of the
export); `_text` escapes as lxml does, and tests parse every corpus document back with lxml.

Speed: each model type gets a msgspec Struct twin (same field names and order, empty defaults
omitted), built once from the dataclass; `msgspec.convert(..., from_attributes=True)` copies a
model into its twin and the encoder writes it, both in C. A model the twin cannot take (a value
not of its annotated type, a type msgspec cannot mirror) goes through `_builtins`, the same shape
built in Python.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import operator
import re
import types
import typing
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import IO, Any

import msgspec

from edi_engine.errors import Position, Problem
from edi_engine.parsers.transaction import InterchangeAck, TransactionEnd, TransactionStart, UnmodelledSet

__all__ = ["write_json", "write_jsonl", "write_xml"]

# The keys of a TransactionInfo a JSON Lines claim or trailer carries to name its set.
_SET_KEYS = ("file", "kind", "interchange_control", "group_control", "transaction_control", "segment")


# The key a tagged twin's builtins carry its class name under (no model field can be named so).
_TAG = "__model__"


def _is_empty_default(f: dataclasses.Field[Any]) -> bool:
    default = f.default
    return default is None or (type(default) in (str, tuple) and not default)


def _has_model(tp: Any) -> bool:
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return True
    return any(_has_model(a) for a in typing.get_args(tp))


def _twin_type(tp: Any, tagged: bool, twins: dict[type, Any]) -> Any:
    """The twin's annotation: Any where no model can be (convert then copies the value as it is)."""
    if not _has_model(tp):
        return Any
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _twin(tp, tagged, twins)
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        # Each member as it is unless it holds a model: Any in a union would swallow the twin.
        return functools.reduce(operator.or_, (_twin_type(a, tagged, twins) if _has_model(a) else a for a in args))
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple[_twin_type(args[0], tagged, twins), ...]  # type: ignore[misc]
        return tuple[tuple(_twin_type(a, tagged, twins) for a in args)]  # type: ignore[misc]
    return tp


def _twin(cls: type, tagged: bool, twins: dict[type, Any]) -> Any:
    """The Struct twin of dataclass `cls`: its fields in order, empty defaults omitted when encoded.

    Fields with a default that is not empty (a count of 0) have none in the twin, so they are
    always written. Twins are not tracked by the cycle collector (gc=False): they hold no cycles
    and live for one encode. `tagged` twins carry the class name (under _TAG), for XML's type="".
    """
    if cls in twins:
        return twins[cls]
    hints = typing.get_type_hints(cls)
    fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    for f in dataclasses.fields(cls):
        tp = _twin_type(hints[f.name], tagged, twins)
        fields.append((f.name, tp, f.default) if _is_empty_default(f) else (f.name, tp))
    twin = msgspec.defstruct(cls.__name__, fields, kw_only=True, omit_defaults=True, gc=False,
                             tag=cls.__name__ if tagged else None, tag_field=_TAG if tagged else None)
    twins[cls] = twin
    return twin


def _builtins(value: Any, tagged: bool = False) -> Any:
    """The twin's shape built in Python: dataclasses as dicts without their empty defaults."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        doc: dict[str, Any] = {_TAG: type(value).__name__} if tagged else {}
        for f in dataclasses.fields(value):
            v = getattr(value, f.name)
            if not (_is_empty_default(f) and v == f.default):
                doc[f.name] = _builtins(v, tagged)
        return doc
    if isinstance(value, (tuple, list)):
        return [_builtins(v, tagged) for v in value]
    if isinstance(value, dict):
        return {str(k): _builtins(v, tagged) for k, v in value.items()}
    return value


# A Decimal msgspec would write with an exponent (str() gives 1E-7 for 0.0000001): an output
# holding one is written again with format(d, "f"), in Python, so amounts are never exponents.
_EXPONENT = re.compile(rb'"-?\d+(?:\.\d+)?E[-+]\d+"')
_plain_decimal: Callable[[Decimal], str] = operator.methodcaller("__format__", "f")


class _Models:
    """Models to twins (cached per type) and twins to bytes."""

    def __init__(self, tagged: bool = False) -> None:
        self.tagged = tagged
        self._twins: dict[type, Any] = {}
        self._fast = msgspec.json.Encoder()
        self._exact = msgspec.json.Encoder(decimal_format=_plain_decimal)

    def twin(self, model: object) -> object | None:
        """The model as its Struct twin, or None when it has none (then use `_builtins`)."""
        cls = type(model)
        twin = self._twins.get(cls)
        if twin is None:
            try:
                twin = _twin(cls, self.tagged, self._twins)
            except (TypeError, NameError, ValueError):  # msgspec cannot mirror it (e.g. an untagged union)
                self._twins[cls] = twin = False
        if twin is False:
            return None
        try:
            return msgspec.convert(model, twin, from_attributes=True)  # type: ignore[no-any-return]
        except msgspec.ValidationError:  # this model holds a value not of its annotated type
            return None
        except TypeError:  # msgspec refuses the twin's types only when first used
            self._twins[cls] = False
            return None

    def json(self, model: object) -> bytes:
        if model is None:
            return b"null"
        twin = self.twin(model)
        if twin is None:
            return self._exact.encode(_builtins(model))
        out = self._fast.encode(twin)
        if (b"E-" in out or b"E+" in out) and _EXPONENT.search(out):
            out = self._exact.encode(twin)
        return out

    def value(self, value: object) -> bytes:
        return self._exact.encode(value)


def _documents(items: Iterable[object]) -> Iterator[tuple[str, Any]]:
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


def _ta1_fields(item: InterchangeAck, tagged: bool = False) -> dict[str, Any]:
    """A TA1's fields but its envelope (one a file at most: the Python path is fast enough)."""
    fields: dict[str, Any] = _builtins(item, tagged)
    del fields["info"]
    fields.pop(_TAG, None)
    return fields


def _segments_json(m: _Models, item: UnmodelledSet) -> bytes:
    return m.value([[seg.id, seg.elements, seg.segment, seg.offset] for seg in item.segments])


def write_json(items: Iterable[object], out: IO[bytes]) -> int:
    """JSON Lines of whole documents: one per transaction set, its claims written as they arrive.

    {"transaction": info, "header": ..., "claims": [...], "trailer": ..., "complete": bool}, or
    {"transaction": info, "modelled": false, "segments": [[id, [elements], segment, offset]...],
    "complete": bool}, or for a TA1 {"transaction": info, "interchange_acknowledgment": {...}}. A
    failure mid-set ends the open document with "trailer": null and "complete": false, then
    propagates.
    """
    m = _Models()
    documents = 0
    open_doc = False
    first = True
    try:
        for kind, item in _documents(items):
            if kind == "claim":
                out.write(m.json(item) if first else b"," + m.json(item))
                first = False
            elif kind == "start":
                out.write(b'{"transaction":' + m.json(item.info) + b',"header":' + m.json(item.header)
                          + b',"claims":[')
                open_doc, first = True, True
            elif kind == "end":
                out.write(b'],"trailer":' + m.json(item.trailer) + b',"complete":' + m.value(item.complete) + b"}\n")
                open_doc = False
                documents += 1
            elif kind == "ta1":
                out.write(b'{"transaction":' + m.json(item.info) + b',"interchange_acknowledgment":'
                          + m.value(_ta1_fields(item)) + b"}\n")
                documents += 1
            else:
                out.write(b'{"transaction":' + m.json(item.info) + b',"modelled":false,"segments":'
                          + _segments_json(m, item) + b',"complete":' + m.value(item.complete) + b"}\n")
                documents += 1
    except BaseException:
        if open_doc:
            _close_quietly(out, b'],"trailer":null,"complete":false}\n')
        raise
    return documents


def write_jsonl(items: Iterable[object], out: IO[bytes]) -> int:
    """JSON Lines of records, one claim a line, for pipelines (`jq 'select(.record == "claim")'`).

    Per transaction set: {"record": "header", "transaction": info, "header": ...}, then one
    {"record": "claim", "transaction": {file, kind, interchange_control, group_control,
    transaction_control, segment}, "claim": ...} per claim, then {"record": "trailer",
    "transaction": {...}, "trailer": ..., "complete": bool}. A set we do not model is one
    {"record": "segments", ...} line shaped as its `write_json` document, a TA1 one {"record": "ta1",
    ...} line. Returns the documents written.
    """
    m = _Models()
    documents = 0
    ref = b"null"
    open_doc = False
    try:
        for kind, item in _documents(items):
            if kind == "claim":
                out.write(b'{"record":"claim","transaction":' + ref + b',"claim":' + m.json(item) + b"}\n")
            elif kind == "start":
                ref = m.value({k: getattr(item.info, k) for k in _SET_KEYS})
                out.write(b'{"record":"header","transaction":' + m.json(item.info) + b',"header":'
                          + m.json(item.header) + b"}\n")
                open_doc = True
            elif kind == "end":
                out.write(b'{"record":"trailer","transaction":' + ref + b',"trailer":' + m.json(item.trailer)
                          + b',"complete":' + m.value(item.complete) + b"}\n")
                open_doc = False
                documents += 1
            elif kind == "ta1":
                out.write(b'{"record":"ta1","transaction":' + m.json(item.info) + b',"interchange_acknowledgment":'
                          + m.value(_ta1_fields(item)) + b"}\n")
                documents += 1
            else:
                out.write(b'{"record":"segments","transaction":' + m.json(item.info) + b',"modelled":false,'
                          b'"segments":' + _segments_json(m, item) + b',"complete":' + m.value(item.complete)
                          + b"}\n")
                documents += 1
    except BaseException:
        if open_doc:
            _close_quietly(out, b'{"record":"trailer","transaction":' + ref + b',"trailer":null,"complete":false}\n')
        raise
    return documents


def _close_quietly(out: IO[bytes], text: bytes) -> None:
    with contextlib.suppress(OSError, ValueError):  # the output itself failed (a closed pipe)
        out.write(text)


# What XML 1.0 cannot carry: C0 controls other than tab, LF, CR; surrogates; U+FFFE/U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(value: str) -> str:
    """Character data as lxml writes it (CR kept as a reference, so a parser does not fold it)."""
    if "&" in value or "<" in value or ">" in value or "\r" in value:
        value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    return value


def _attribute(value: str) -> str:
    return _text(value).replace('"', "&quot;").replace("\t", "&#9;").replace("\n", "&#10;")


def _markup(parts: list[str], name: str, value: Any) -> None:
    """One field as XML: a model an element with type="ClassName", a list of <item>s, a value as text."""
    if value is None:
        return
    if isinstance(value, str):
        parts.append(f"<{name}>{_text(value)}</{name}>")
    elif isinstance(value, dict):
        kind = value.pop(_TAG, None)
        parts.append(f'<{name} type="{kind}">' if kind is not None else f"<{name}>")
        for k, v in value.items():
            _markup(parts, k, v)
        parts.append(f"</{name}>")
    elif isinstance(value, (list, tuple)):
        parts.append(f"<{name}>")
        for v in value:
            _markup(parts, "item", v)
        parts.append(f"</{name}>")
    elif isinstance(value, Decimal):
        parts.append(f"<{name}>{format(value, 'f')}</{name}>")
    else:
        parts.append(f"<{name}>{_text(str(value))}</{name}>")


class _Xml:
    """Models to XML text: the twin's builtins walked (one C pass), then one string per model.

    Tags are field and class names and every text goes through `_text`, so each string is
    well-formed on its own; characters XML cannot hold are replaced in the whole string at once
    (tags never hold them), counted for the warning.
    """

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.models = _Models(tagged=True)
        self.replaced = 0

    def write(self, text: str) -> None:
        if _NOT_XML.search(text) is not None:
            text, n = _NOT_XML.subn("\ufffd", text)
            self.replaced += n
        self.out.write(text.encode("utf-8"))

    def model(self, name: str, model: object) -> None:
        twin = self.models.twin(model)
        doc = _builtins(model, tagged=True) if twin is None else msgspec.to_builtins(twin, builtin_types=(Decimal,))
        parts: list[str] = []
        _markup(parts, name, doc)
        self.write("".join(parts))

    def ta1(self, item: InterchangeAck) -> None:
        self.write('<transaction kind="TA1">')
        self.model("info", item.info)
        parts: list[str] = []
        _markup(parts, "interchange_acknowledgment", _ta1_fields(item, tagged=True))
        parts.append("</transaction>")
        self.write("".join(parts))

    def unmodelled(self, item: UnmodelledSet) -> None:
        self.write('<transaction modelled="false">')
        self.model("info", item.info)
        parts = ["<segments>"]
        for seg in item.segments:
            parts.append(f'<segment id="{_attribute(seg.id)}" number="{seg.segment}" offset="{seg.offset}">')
            for element in seg.elements:
                _markup(parts, "element", element)
            parts.append("</segment>")
        parts.append(f"</segments><complete>{item.complete}</complete></transaction>")
        self.write("".join(parts))


_NO_MORE: tuple[str, Any] = ("", None)


def _xml_set(x: _Xml, start: TransactionStart, docs: Iterator[tuple[str, Any]]) -> tuple[str, Any] | None:
    """One <transaction>: info, header, claims until its end; returns an item that came instead of the end.

    A failure inside closes it as incomplete (`<complete>False</complete>`) and propagates.
    """
    end: TransactionEnd | None = None
    pending: tuple[str, Any] | None = None
    x.write("<transaction>")
    closing = "</transaction>"
    try:
        x.model("info", start.info)
        if start.header is not None:
            x.model("header", start.header)
        x.write("<claims>")
        closing = "</claims><complete>False</complete></transaction>"
        for kind, item in docs:
            if kind == "claim":
                x.model("claim", item)
                continue
            if kind == "end":
                end = item
            else:
                pending = kind, item
            break
        x.write("</claims>")
        closing = "<complete>False</complete></transaction>"
        if end is not None and end.trailer is not None:
            x.model("trailer", end.trailer)
        x.write(f"<complete>{end is not None and end.complete}</complete></transaction>")
    except BaseException:
        with contextlib.suppress(Exception):  # the output itself failed (a closed pipe)
            x.write(closing)
        raise
    return pending


def write_xml(items: Iterable[object], out: IO[bytes], problems: list[Problem] | None = None,
              name: str = "") -> int:
    """<transactions><transaction>...</transaction>...</transactions>, streamed as each model is read.

    Characters XML cannot hold become U+FFFD; `problems` gets one warning with their count. A
    failure mid-set closes the open elements, the set as incomplete, and propagates.
    """
    documents = 0
    x = _Xml(out)
    docs = _documents(items)
    x.write("<?xml version='1.0' encoding='utf-8'?>\n<transactions>")
    try:
        pending: tuple[str, Any] | None = None
        while True:
            kind, item = pending if pending is not None else next(docs, _NO_MORE)
            pending = None
            if kind == "claim":  # only outside a set when the stream has no start
                x.model("claim", item)
            elif kind == "start":
                pending = _xml_set(x, item, docs)
                documents += 1
            elif kind == "raw":
                x.unmodelled(item)
                documents += 1
            elif kind == "ta1":
                x.ta1(item)
                documents += 1
            elif kind == "":
                break
    finally:
        with contextlib.suppress(Exception):
            x.write("</transactions>")
    if x.replaced and problems is not None:
        problems.append(Problem("warning", "xml-control-character",
                                f"{x.replaced} characters XML cannot hold were written as U+FFFD", Position(name)))
    return documents
