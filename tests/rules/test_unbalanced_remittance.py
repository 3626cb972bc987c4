"""unbalanced_remittance on a real ERA (badX12/X221-era-sample.edi: one dental claim, five lines,
balanced) and damaged copies of it: the finding carries the amount the remittance misses by, the
ledger's claim-level difference is booked as "unbalanced", and parse/validate warn with positions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from edi_engine.errors import Problem
from edi_engine.parsers.validation import validate_file
from edi_engine.parsers.x221a1_835 import iter_remittances
from edi_engine.rules import detect, explain, list_findings
from edi_engine.store import open_store
from tests.ledger.build import Store

ERA = "badX12/X221-era-sample.edi"
LINE = b"SVC*AD:D0120*46*25~"


@pytest.fixture
def era(corpus: Path) -> bytes:
    data = (corpus / ERA).read_bytes()
    assert data.count(LINE) == 1 and b"BPR*I*132*C*" in data
    return data


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> Store:
    return Store(open_store(db_url), tmp_path)


def findings(store: Store, data: bytes) -> list[tuple[str, str | None, str, str]]:
    store.ingest(store.add("era.835", data))
    detect(store.engine, as_of="2024-03-01")
    with store.engine.connect() as conn:
        return sorted((f.category, f.claim_id, f"{f.amount:.2f}", f.evidence.get("summary", ""))
                      for f in list_findings(conn, "all") if f.category == "unbalanced_remittance")


def parse_codes(data: bytes) -> list[Problem]:
    problems: list[Problem] = []
    list(iter_remittances(data, problems=problems))
    return problems


def validate_codes(tmp_path: Path, data: bytes) -> dict[str, list[Problem]]:
    path = tmp_path / "check.835"
    path.write_bytes(data)
    out: dict[str, list[Problem]] = {}
    for p in validate_file(path).problems:
        out.setdefault(p.code, []).append(p)
    return out


def test_the_real_era_balances(store: Store, era: bytes) -> None:
    assert [p.code for p in parse_codes(era) if "unbalanced" in p.code or p.code == "bpr02-negative"] == []
    assert findings(store, era) == []


def test_lines_paying_742_more_than_clp04_are_not_plugged_silently(store: Store, era: bytes, tmp_path: Path) -> None:
    # The first line's charge and payment both raised by 742: the line and the claim equations still
    # hold, but the lines now pay 874.00 against CLP04 132.00, with no claim-level CAS.
    bad = era.replace(LINE, b"SVC*AD:D0120*788*767~")
    (warning,) = [p for p in parse_codes(bad) if p.code == "clp-svc-unbalanced"]
    assert "CLP04 132.00" in warning.message and "874.00" in warning.message and "-742.00" in warning.message
    clp = bad.index(b"CLP*7722337")
    assert warning.position.offset == clp
    assert validate_codes(tmp_path, bad)["clp-svc-unbalanced"][0].position.offset == clp
    (finding,) = findings(store, bad)
    assert finding[:3] == ("unbalanced_remittance", "7722337", "742.00")
    assert "CLP04 - sum(SVC03) = -7.42" not in finding[3] and "CLP04 - sum(SVC03) = -742.00" in finding[3]
    with store.engine.connect() as conn:
        (f,) = [f for f in list_findings(conn, "all") if f.category == "unbalanced_remittance"]
        ledger = explain(conn, f.id).ledger
    (plug,) = [ln for ln in ledger if ln.kind == "unbalanced"]
    assert f"{plug.amount:.2f}" == "742.00" and plug.code == "CLP04-SVC03"
    assert not [ln for ln in ledger if ln.kind == "payment" and f"{ln.amount:.2f}" == "742.00"]


def test_a_line_out_by_21253_50_is_a_finding_of_21253_50(store: Store, era: bytes) -> None:
    # SVC02 raised by 21,253.50: only the line equation fails (the claim's uses CLP03, not SVC02).
    bad = era.replace(LINE, b"SVC*AD:D0120*21299.5*25~")
    assert [p.code for p in parse_codes(bad) if "unbalanced" in p.code] == ["svc-unbalanced"]
    (finding,) = findings(store, bad)
    assert finding[:3] == ("unbalanced_remittance", "7722337", "21253.50")
    assert "1 service line(s) out by 21253.50" in finding[3]


def _negated(data: bytes) -> bytes:
    """The same claim as a reversal (CLP02 22, every amount negated, RFI 2442), sent with BPR02 -132."""
    def neg(match: re.Match[bytes]) -> bytes:
        return b"*-" + match.group(1)
    out = []
    for seg in data.split(b"~"):
        body = seg.strip()
        if body.startswith(b"CLP*"):
            e = body.split(b"*")
            e[2], e[3], e[4] = b"22", b"-" + e[3], b"-" + e[4]
            seg = b"*".join(e)
        elif body.startswith((b"SVC*", b"CAS*")):
            e = body.split(b"*")
            for i in ((2, 3) if body.startswith(b"SVC") else (3,)):
                e[i] = b"-" + e[i]
            seg = b"*".join(e)
        elif body.startswith(b"AMT*"):
            seg = re.sub(rb"\*(\d)", neg, body)
        out.append(seg)
    return b"~".join(out).replace(b"BPR*I*132*C*", b"BPR*I*-132*C*")


def test_a_negative_bpr02_is_flagged_everywhere(store: Store, era: bytes, tmp_path: Path) -> None:
    bad = _negated(era)
    problems = parse_codes(bad)
    assert [p.code for p in problems if "unbalanced" in p.code] == []  # it balances, only the sign is wrong
    (warning,) = [p for p in problems if p.code == "bpr02-negative"]
    assert warning.position.offset == bad.index(b"BPR*")
    assert "bpr02-negative" in validate_codes(tmp_path, bad)
    (finding,) = findings(store, bad)
    assert finding[1] is None and finding[2] == "132.00" and "BPR02 is negative (-132.00)" in finding[3]


def test_a_claim_with_neither_cas_nor_lines_is_flagged_by_validate_as_by_detect(store: Store, era: bytes,
                                                                                 tmp_path: Path) -> None:
    # Keep the CLP (226 charged, 132 paid) and drop its lines: 94.00 is explained by nothing.
    head, _, tail = era.partition(b"SVC*")
    bare = head + b"SE*" + tail.partition(b"SE*")[2]
    assert b"SVC" not in bare and b"CAS" not in bare
    found = validate_codes(tmp_path, bare)
    (warning,) = found["clp-unbalanced"]
    assert warning.position.offset == bare.index(b"CLP*") and "neither CAS nor service lines" in warning.message
    (finding,) = findings(store, bare)
    assert finding[:3] == ("unbalanced_remittance", "7722337", "94.00")
