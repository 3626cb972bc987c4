"""Fuzzing in CI, bounded: mutated real X12 through parse, export (JSON and XML), validate and the
999/TA1 writer. The invariant, h11's: either a clean result or the project's own error
(edi_engine.errors.EdiEngineError), never another exception; and what was written is well-formed
JSON Lines or XML whatever happened.

Inputs are the fixtures' and the public corpus's 835s and 837s, mutated by byte flips,
truncation, delimiter swaps (whole file or from a point on), inserted junk and line breaks,
duplicated and deleted slices. Budget: about a minute on the project's machine in all; set
EDI_ENGINE_FUZZ_SCALE (e.g. 20) for a longer run by hand.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from edi_engine.errors import EdiEngineError, Position, Problem
from edi_engine.parsers import parse_file
from edi_engine.parsers.ack import acknowledge
from edi_engine.parsers.export import write_json, write_xml
from edi_engine.parsers.validation import validate_file
from tests.conftest import CORPUS

REPO = Path(__file__).resolve().parents[1]
_SCALE = int(os.environ.get("EDI_ENGINE_FUZZ_SCALE", "1"))
_MAX_SOURCE = 64 * 1024  # larger samples cost time per example without finding more


def _sources() -> list[bytes]:
    files = sorted(REPO.glob("fixtures/*/*.83[57]"))[:12]
    if CORPUS.is_dir():
        files += sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix.lower() not in (".md", ".json"))
    out = []
    for path in files:
        data = path.read_bytes()
        if b"ISA" in data[:4096] and len(data) <= _MAX_SOURCE:
            out.append(data)
    return out


SOURCES = _sources()


def _delimiters(data: bytes) -> list[bytes]:
    at = data.find(b"ISA")
    if at < 0 or len(data) < at + 106:
        return [b"*", b":", b"~", b"^"]
    return [data[at + 3 : at + 4], data[at + 104 : at + 105], data[at + 105 : at + 106], data[at + 82 : at + 83]]


_OPS = st.one_of(
    st.tuples(st.just("flip"), st.floats(0, 1), st.integers(0, 7)),
    st.tuples(st.just("byte"), st.floats(0, 1), st.integers(0, 255)),
    st.tuples(st.just("truncate"), st.floats(0, 1)),
    st.tuples(st.just("swap"), st.integers(0, 3), st.integers(0, 3), st.floats(0, 1)),
    st.tuples(st.just("junk"), st.floats(0, 1), st.binary(min_size=1, max_size=40)),
    st.tuples(st.just("text"), st.floats(0, 1), st.sampled_from([b"\n", b"\r\n", b" ", b"~", b"*", b":", b"^",
                                                                 b"ISA*", b"IEA*1*000000001~", b"SE*", b"ST*835*",
                                                                 b"HL*1**20*1~", b"CLP*", b"\x00", b"\xff\xfe"])),
    st.tuples(st.just("duplicate"), st.floats(0, 1), st.floats(0, 1)),
    st.tuples(st.just("delete"), st.floats(0, 1), st.integers(1, 200)),
)


def _apply(data: bytes, op: tuple[object, ...]) -> bytes:
    kind = op[0]
    n = len(data)

    def at(f: object) -> int:
        return int(float(f) * n)  # type: ignore[arg-type]

    if kind == "flip" and n:
        i = min(at(op[1]), n - 1)
        return data[:i] + bytes([data[i] ^ (1 << int(op[2]))]) + data[i + 1 :]  # type: ignore[call-overload]
    if kind == "byte" and n:
        i = min(at(op[1]), n - 1)
        return data[:i] + bytes([int(op[2])]) + data[i + 1 :]  # type: ignore[call-overload]
    if kind == "truncate":
        return data[: at(op[1])]
    if kind == "swap":
        d = _delimiters(data)
        a, b, start = d[int(op[1])], d[int(op[2])], at(op[3])  # type: ignore[call-overload]
        head, tail = data[:start], data[start:]
        return head + tail.replace(a, b"\x00SWAP\x00").replace(b, a).replace(b"\x00SWAP\x00", b)
    if kind in ("junk", "text"):
        i = at(op[1])
        return data[:i] + op[2] + data[i:]  # type: ignore[operator]
    if kind == "duplicate":
        i, j = sorted((at(op[1]), at(op[2])))
        return data[:j] + data[i:j] + data[j:]
    if kind == "delete":
        i = at(op[1])
        return data[:i] + data[i + int(op[2]) :]  # type: ignore[call-overload]
    return data


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = draw(st.sampled_from(SOURCES))
    for op in draw(st.lists(_OPS, min_size=1, max_size=6)):
        data = _apply(data, op)
    return data


def _own_errors_only(action: Callable[[], object]) -> EdiEngineError | None:
    """Run `action`; the project's error is a clean outcome, any other exception fails the test."""
    try:
        action()
    except EdiEngineError as exc:
        str(exc)  # the message itself must format
        return exc
    return None


def _messages_format(problems: list[Problem]) -> None:
    for problem in problems:
        assert isinstance(problem.position, Position)
        str(problem)


def _check_json(data: bytes) -> None:
    run = parse_file(data, name="fuzz.x12", keep_unmodelled=True)
    out = io.BytesIO()
    error = _own_errors_only(lambda: write_json(run, out))
    text = out.getvalue().decode("utf-8")  # the export writes UTF-8 bytes
    for line in text.splitlines():
        json.loads(line)  # every document written is whole JSON
    if error is None:
        assert text == "" or text.endswith("\n")
    _messages_format(run.problems)


def _check_xml(data: bytes) -> None:
    run = parse_file(data, name="fuzz.x12", keep_unmodelled=True)
    out = io.BytesIO()
    if _own_errors_only(lambda: write_xml(run, out, run.problems, run.name)) is None:
        etree.fromstring(out.getvalue())  # well-formed, or lxml raises XMLSyntaxError
    _messages_format(run.problems)


def _check_validate(data: bytes) -> None:
    report = validate_file(io.BytesIO(data), name="fuzz.x12")
    # validate_file reports a bug in a walker as a problem rather than stopping: here it is a failure.
    assert not [p for p in report.problems if p.code == "internal-error"], [str(p) for p in report.problems]
    _messages_format(report.problems)
    import datetime as dt

    ack = acknowledge([report], control_start=1, when=dt.datetime(2026, 1, 1, 12, 0))
    if ack:  # our own acknowledgement reads back as X12
        for _ in parse_file(ack, name="ack.999", keep_unmodelled=True):
            pass


_FAST = settings(max_examples=120 * _SCALE, deadline=None, derandomize=_SCALE == 1,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
_SLOW = settings(max_examples=30 * _SCALE, deadline=None, derandomize=_SCALE == 1,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

pytestmark = pytest.mark.skipif(not SOURCES, reason="no X12 samples to mutate")


@_FAST
@given(mutated())
def test_parse_to_json_raises_only_our_error_and_writes_whole_documents(data: bytes) -> None:
    _check_json(data)


@_FAST
@given(mutated())
def test_parse_to_xml_raises_only_our_error_and_writes_well_formed_xml(data: bytes) -> None:
    _check_xml(data)


@_SLOW
@given(mutated())
def test_validate_and_ack_raise_only_our_error(data: bytes) -> None:
    _own_errors_only(lambda: _check_validate(data))


@settings(max_examples=40 * _SCALE, deadline=None, derandomize=_SCALE == 1)
@given(st.binary(max_size=400), st.sampled_from([b"", b"ISA*00*", b"junk\n"]))
def test_any_bytes_give_models_or_our_error(junk: bytes, prefix: bytes) -> None:
    data = prefix + junk
    _check_json(data)
    _check_xml(data)


def test_the_mutation_sources_include_the_corpus() -> None:
    if not CORPUS.is_dir():
        pytest.skip("no corpus")
    assert len(SOURCES) >= 20
