"""The C tokenizer loop (edi_engine/x12/_speedups.c) against the pure-Python one: the same segments,
positions and problems, or the same error, on every corpus and fixture file and on generated input.

Skipped where the extension is not built (no compiler at install time); in CI, which has one,
EDI_ENGINE_REQUIRE_COMPILED makes its absence a failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import edi_engine.x12.tokenizer as tokenizer_module
from edi_engine.errors import X12Error
from edi_engine.parsers import parse_file
from edi_engine.x12 import MAX_SEGMENT_BYTES, Tokenizer
from tests.conftest import CORPUS
from tests.test_fuzz import mutated

try:
    from edi_engine.x12 import _speedups as speedups
except ImportError:
    if os.environ.get("EDI_ENGINE_REQUIRE_COMPILED"):  # set by .ci/run: CI has a compiler, so it must build
        raise
    pytest.skip("the C tokenizer loop is not built (no compiler at install time)", allow_module_level=True)

REPO = Path(__file__).resolve().parents[2]


def _tokenize(data: bytes, compiled: bool, chunk: int) -> tuple[object, ...]:
    """Segments (with their envelopes), problems and any error, reading `data` in `chunk`-byte feeds."""
    problems: list[object] = []
    tok = Tokenizer("t.edi", problems, compiled=compiled)  # type: ignore[arg-type]
    segments: list[object] = []
    try:
        for i in range(0, len(data), chunk):
            segments += tok.feed(data[i : i + chunk])
        segments += tok.close()
    except X12Error as exc:
        return tuple(segments), tuple(problems), (exc.message, exc.position)
    return tuple(segments), tuple(problems), None


def _same(data: bytes, chunks: tuple[int, ...] = (1 << 20, 16 * 1024, 7, 1)) -> None:
    for chunk in chunks:
        pure = _tokenize(data, False, chunk)
        assert _tokenize(data, True, chunk) == pure, f"chunk {chunk}"


def _files() -> list[Path]:
    files = sorted(REPO.glob("fixtures/**/*.83[57]")) + sorted(REPO.glob("fixtures/**/*.edi"))
    if CORPUS.is_dir():
        files += sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix.lower() not in (".md", ".json"))
    return files


def test_the_c_loop_is_used_when_built() -> None:
    wanted = os.environ.get(tokenizer_module.PURE_ENV, "") in ("", "0")
    assert tokenizer_module.COMPILED is wanted
    assert speedups.MAX_SEGMENT_BYTES == MAX_SEGMENT_BYTES
    assert speedups.API == tokenizer_module._SPEEDUPS_API


def test_the_environment_variable_forces_the_pure_loop() -> None:
    code = "import edi_engine.x12.tokenizer as t; print(t.COMPILED)"
    env = {**os.environ, tokenizer_module.PURE_ENV: "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_every_corpus_and_fixture_file_tokenizes_the_same(corpus: Path) -> None:
    files = _files()
    assert any(CORPUS in p.parents for p in files)
    for path in files:
        data = path.read_bytes()
        _same(data, (1 << 20, 16 * 1024, 1000, 3) if len(data) < 200_000 else (16 * 1024,))


def test_every_corpus_file_parses_to_the_same_models_and_problems(corpus: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def parsed(path: Path) -> tuple[object, ...]:
        run = parse_file(path, keep_unmodelled=True)
        try:
            items = tuple(run)
        except X12Error as exc:
            return (exc.message, exc.position, tuple(run.problems))
        return items, tuple(run.problems)

    for path in _files():
        with monkeypatch.context() as m:
            m.setattr(tokenizer_module, "_scan", None)
            pure = parsed(path)
        assert parsed(path) == pure, path.name


_ISA = b"ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *260110*1200*^*00501*000000001*0*P*:~"
_PIECES = [b"ST*835*0001", b"SE*5*0001", b"GS*HP*A*B*20260110*1200*1*X*005010X221A1", b"GE*1*1", b"IEA*1*000000001",
           b"CLP*PCN1*1*100*80", b"CAS*CO*45*20", b"SVC*HC:99213*100*80", b"DTM*472*20260105", b"REF*6R*L1",
           b"clp*x", b"CLP", b"CL", b"C", b"", b" ", b"\n", b"\r\n", b"\t", b"\x1c", b"\x0b", b"NM1*QC*1*DO\xc3\xa9",
           b"NM1*QC*1*DO\xe9", b"NM1*QC*1*\xa0", b"TA1*000000001*260110*1200*A*000", _ISA[:-1],
           b"ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *260110*1200*^*00501*000000002*0*P*>",
           b"CAS*" + b"*" * 1100, b"MSG*" + b"X" * (MAX_SEGMENT_BYTES + 5), b"LQ*HE*N130", b"*", b"**", b"\x00"]


@st.composite
def segment_soup(draw: st.DrawFn) -> bytes:
    """An ISA and GS and ST, then any mix of plain, envelope, odd and damaged segments."""
    body = draw(st.lists(st.one_of(st.sampled_from(_PIECES), st.binary(max_size=12)), max_size=40))
    terms = draw(st.lists(st.sampled_from([b"~", b"~\n", b"~\r\n", b"\n~", b""]), min_size=1, max_size=3))
    head = [_ISA[:-1], _PIECES[2], _PIECES[0]] if draw(st.booleans()) else [_PIECES[0]]
    out = b""
    for i, piece in enumerate(head + body):
        out += piece + terms[i % len(terms)]
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(segment_soup(), st.sampled_from([1, 2, 5, 64, 4096]))
def test_generated_segments_tokenize_the_same(data: bytes, chunk: int) -> None:
    assert _tokenize(data, True, chunk) == _tokenize(data, False, chunk)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated(), st.sampled_from([3, 100, 16 * 1024]))
def test_mutated_files_tokenize_the_same(data: bytes, chunk: int) -> None:
    assert _tokenize(data, True, chunk) == _tokenize(data, False, chunk)
