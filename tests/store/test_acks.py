"""Acknowledgments: 999/277CA/TA1 ingested, linked to the 837 claims they answer, and a rejected
claim never matched to a payment; claims left unacknowledged are listed."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from edi_engine.cli import main
from edi_engine.ledger import iter_accounts, load_store_facts, match_account
from edi_engine.rules import detect, list_findings
from edi_engine.simulate import generate_world
from edi_engine.simulate.acks import render_277ca, render_999
from edi_engine.store import open_store
from edi_engine.store.acks import claim_acknowledgments, unacknowledged_claims
from edi_engine.store.ingest import ingest_file, ingest_paths
from edi_engine.store.packs import load_folder


def _world(tmp_path: Path) -> tuple[Path, str, bytes, list[str]]:
    """A small generated world: its folder, its first 837P file, the bytes, and its paid CLM01s."""
    out = tmp_path / "world"
    generate_world(12, 3, out=out, chunk_claims=50)
    first = sorted(out.glob("*-837P-*.837"))[0]
    data = first.read_bytes()
    paid = set()
    for path in out.glob("*.835"):
        for line in path.read_text().split("~"):
            if line.strip().startswith("CLP*"):
                paid.add(line.strip().split("*")[1])
    clm01s = [line.strip().split("*")[1] for line in data.decode().split("~") if line.strip().startswith("CLM*")]
    return out, first.name, data, [c for c in clm01s if c in paid]


def _rows(url: str, sql: str) -> list[tuple[object, ...]]:
    with open_store(url).connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


def test_generated_999_and_277ca_mark_the_rejected_claim_and_its_payment_is_not_matched(
        db_url: str, tmp_path: Path) -> None:
    out, _, data, paid = _world(tmp_path)
    assert len(paid) >= 2
    rejected = paid[0]
    day = date(2024, 10, 8)
    (out / "20241008-999-0001.999").write_bytes(render_999(data, day=day, control_number=901))
    (out / "20241009-277CA-0001.277").write_bytes(render_277ca(data, day=day, control_number=902,
                                                               rejected={rejected}))
    engine = open_store(db_url)
    loaded = load_folder(engine, out)
    assert all(r.ok for r in loaded.ingest.results), [r.error for r in loaded.ingest.results if not r.ok]
    kinds = {r.kind for r in loaded.ingest.results}
    assert {"999", "277CA"} <= kinds
    with engine.connect() as conn:
        facts = load_store_facts(conn)
        accounts = {a.clm01: a for a in iter_accounts(conn, facts)}
        verdicts = claim_acknowledgments(conn, "c.patient_control_number IS NOT NULL", {})
    marked = {c.clm01 for a in accounts.values() for c in a.claims if c.rejected}
    assert marked == {rejected}
    by_claim = {c.clm01: verdicts[c.id] for a in accounts.values() for c in a.claims if c.id in verdicts}
    assert by_claim[rejected].kind == "277CA" and by_claim[rejected].code == "A7"
    assert {v.disposition for k, v in by_claim.items() if k != rejected} == {"accepted"}
    m = match_account(accounts[rejected], facts)
    assert not m.claim_of and [p.cause for p in m.problems if p.subject == "claim_payment"] == ["claim-rejected"]
    other = accounts[paid[1]]
    assert match_account(other, facts).claim_of  # the accepted claims still match
    detect(engine, as_of=date(2025, 1, 31))
    with engine.connect() as conn:
        unmatched = [f for f in list_findings(conn, "all") if f.category == "unmatched_payment"]
    assert any(f.claim_id == rejected and "claim-rejected" in str(f.evidence) for f in unmatched)


def _837(control: int, clm01: str = "PCN1", charge: str = "150", st02: str = "0001") -> bytes:
    segs = [f"ISA*00*          *00*          *ZZ*SBS0001        *ZZ*CLRHSE01       *240102*1200*^*00501*"
            f"{control:09d}*0*P*:", f"GS*HC*SBS0001*CLRHSE01*20240102*1200*{control}*X*005010X222A1",
            f"ST*837*{st02}*005010X222A1", "BHT*0019*00*B1*20240102*1200*CH", "NM1*41*2*BILLING*****46*SBS0001",
            "NM1*40*2*CLEARINGHOUSE*****46*CLRHSE01", "HL*1**20*1", "NM1*85*2*CLINIC*****XX*1234567893",
            "HL*2*1*22*0", "SBR*P*18*******CI", "NM1*IL*1*DOE*JANE****MI*M1", "NM1*PR*2*PAYER*****PI*PAYER1",
            f"CLM*{clm01}*{charge}***11:B:1*Y*A*Y*Y", "LX*1", f"SV1*HC:99213*{charge}*UN*1***1",
            "DTP*472*D8*20240101"]
    segs += [f"SE*{len(segs) - 1}*{st02}", f"GE*1*{control}", f"IEA*1*{control:09d}"]
    return "".join(s + "~\n" for s in segs).encode()


def _999(ak102: str, ak202: str, ik5: str, *, ta1: str = "", sender: str = "CLRHSE01") -> bytes:
    segs = [f"ISA*00*          *00*          *ZZ*{sender:<15}*ZZ*SBS0001        *240103*1200*^*00501*000000501*0*P*:"]
    if ta1:
        segs.append(ta1)
    segs += [f"GS*FA*{sender}*SBS0001*20240103*1200*501*X*005010X231A1", "ST*999*0001*005010X231A1",
             f"AK1*HC*{ak102}*005010X222A1", f"AK2*837*{ak202}*005010X222A1"]
    if ik5 == "R":
        segs += ["IK3*CLM*13**8", "IK4*2*782*1"]
    segs += [f"IK5*{ik5}" + ("*5" if ik5 == "R" else ""), f"AK9*{ik5}*1*1*{0 if ik5 == 'R' else 1}"]
    segs += [f"SE*{len(segs) - 1}*0001", "GE*1*501", "IEA*1*000000501"]
    return "".join(s + "~\n" for s in segs).encode()


def _277(clm01: str, category: str, charge: str, day: str = "20240105", control: int = 601) -> bytes:
    segs = [f"ISA*00*          *00*          *ZZ*CLRHSE01       *ZZ*SBS0001        *240105*1200*^*00501*"
            f"{control:09d}*0*P*:", f"GS*HN*CLRHSE01*SBS0001*{day}*1200*{control}*X*005010X214",
            "ST*277*0001*005010X214", f"BHT*0085*08*R1*{day}*1200*TH", "HL*1**20*1",
            "NM1*PR*2*PAYER*****PI*PAYER1", "TRN*1*R1", f"DTP*050*D8*{day}", f"DTP*009*D8*{day}",
            "HL*2*1*21*1", "NM1*41*2*BILLING*****46*SBS0001", "TRN*2*B1", "HL*3*2*19*1",
            "NM1*85*2*CLINIC*****XX*1234567893", "HL*4*3*PT", "NM1*QC*1*DOE*JANE****MI*M1", f"TRN*2*{clm01}",
            f"STC*{category}:21*{day}*U*{charge}", "REF*1K*ICN1", "DTP*472*D8*20240101"]
    segs += [f"SE*{len(segs) - 2}*0001", f"GE*1*{control}", f"IEA*1*{control:09d}"]
    return "".join(s + "~\n" for s in segs).encode()


def _rejected(url: str) -> set[str]:
    with open_store(url).connect() as conn:
        facts = load_store_facts(conn)
        return {c.clm01 for a in iter_accounts(conn, facts) for c in a.claims if c.rejected}


def _ingest(url: str, tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    result = ingest_file(open_store(url), path)
    assert result.ok, result.error
    return result.kind


def test_a_999_rejecting_an_837_set_marks_every_claim_of_that_set(db_url: str, tmp_path: Path) -> None:
    _ingest(db_url, tmp_path, "a.837", _837(7, "PCN1"))
    _ingest(db_url, tmp_path, "b.837", _837(8, "PCN2"))
    assert _ingest(db_url, tmp_path, "a.999", _999("7", "0001", "R")) == "999"
    assert _rejected(db_url) == {"PCN1"}
    rows = _rows(db_url, "SELECT level, disposition, code, detail_codes, acknowledged_group_control, "
                         "acknowledged_set_control FROM acknowledgment ORDER BY id")
    assert rows == [("transaction_set", "rejected", "R", "5 CLM:13:8", "7", "0001"),
                    ("group", "rejected", "R", "", "7", None)]


def test_a_999_from_another_sender_or_for_another_group_links_nothing(db_url: str, tmp_path: Path) -> None:
    _ingest(db_url, tmp_path, "a.837", _837(7, "PCN1"))
    _ingest(db_url, tmp_path, "x.999", _999("7", "0001", "R", sender="OTHERCH"))
    _ingest(db_url, tmp_path, "y.999", _999("0000009", "0001", "R").replace(b"000000501", b"000000502"))
    assert _rejected(db_url) == set()
    _ingest(db_url, tmp_path, "z.999", _999("0000007", "0001", "R").replace(b"000000501", b"000000503"))
    assert _rejected(db_url) == {"PCN1"}  # GS06 is numeric: leading zeros do not matter


def test_a_277ca_links_by_clm01_and_charge_whatever_the_order_of_ingest(db_url: str, tmp_path: Path) -> None:
    _ingest(db_url, tmp_path, "r.277", _277("PCN1", "A7", "150"))  # before its 837
    _ingest(db_url, tmp_path, "other.277", _277("PCN2", "A7", "99", control=602))  # CLM02 is 150: not this one
    _ingest(db_url, tmp_path, "a.837", _837(7, "PCN1"))
    _ingest(db_url, tmp_path, "b.837", _837(8, "PCN2"))
    assert _rejected(db_url) == {"PCN1"}
    row = _rows(db_url, "SELECT kind, level, disposition, code, detail_codes, charge, payer_claim_control_number,"
                        " ack_date FROM acknowledgment WHERE patient_control_number = 'PCN1'")
    assert row == [("277CA", "claim", "rejected", "A7", "A7:21:", 15000, "ICN1", row[0][7])]


def test_a_later_acceptance_wins_and_a_resubmission_does_not_inherit_an_old_rejection(
        db_url: str, tmp_path: Path) -> None:
    _ingest(db_url, tmp_path, "a.837", _837(7, "PCN1"))
    _ingest(db_url, tmp_path, "r.277", _277("PCN1", "A7", "150", day="20240105"))
    assert _rejected(db_url) == {"PCN1"}
    # The claim goes out again, unchanged, after the rejection: one claim with two submissions (store
    # ingest), and the old 277CA is not about the new submission, so the claim waits for its answer.
    resent = _837(9, "PCN1").replace(b"*240102*", b"*240110*").replace(b"*20240102*", b"*20240110*")
    _ingest(db_url, tmp_path, "b.837", resent)
    assert _rows(db_url, "SELECT count(*) FROM claim_submission") == [(1,)]
    with open_store(db_url).connect() as conn:
        facts = load_store_facts(conn)
        (account,) = iter_accounts(conn, facts)
    assert [c.rejected for c in account.claims] == [False]
    _ingest(db_url, tmp_path, "a.277", _277("PCN1", "A2", "150", day="20240112", control=603))
    with open_store(db_url).connect() as conn:
        facts = load_store_facts(conn)
        (account,) = iter_accounts(conn, facts)
    assert [c.rejected for c in account.claims] == [False]
    # A rejection of the new submission rejects the claim again.
    _ingest(db_url, tmp_path, "c.277", _277("PCN1", "A7", "150", day="20240115", control=604))
    assert _rejected(db_url) == {"PCN1"}
    # A corrected claim (another charge) is a claim of its own, not answered by the old 277CAs.
    corrected = _837(10, "PCN1", charge="175").replace(b"*240102*", b"*240120*").replace(b"*20240102*", b"*20240120*")
    _ingest(db_url, tmp_path, "d.837", corrected)
    with open_store(db_url).connect() as conn:
        facts = load_store_facts(conn)
        (account,) = iter_accounts(conn, facts)
    assert [c.rejected for c in sorted(account.claims, key=lambda c: c.id)] == [True, False]


def test_ta1_is_read_inside_a_999_interchange_and_alone(db_url: str, tmp_path: Path) -> None:
    _ingest(db_url, tmp_path, "a.999", _999("7", "0001", "A", ta1="TA1*000000007*240102*1200*A*000"))
    alone = ("ISA*00*          *00*          *ZZ*CLRHSE01       *ZZ*SBS0001        *240103*1200*^*00501*"
             "000000777*0*P*:~TA1*000000008*240102*1200*R*022~IEA*0*000000777~")
    assert _ingest(db_url, tmp_path, "t.ta1", alone.encode()) == "TA1"
    rows = _rows(db_url, "SELECT disposition, code, detail_codes, acknowledged_interchange_control FROM "
                         "acknowledgment WHERE kind = 'TA1' ORDER BY id")
    assert rows == [("accepted", "A", "000", "000000007"), ("rejected", "R", "022", "000000008")]
    _ingest(db_url, tmp_path, "a.837", _837(7, "PCN1"))
    _ingest(db_url, tmp_path, "b.837", _837(8, "PCN2"))
    assert _rejected(db_url) == {"PCN2"}  # the TA1 rejected interchange 8 whole


def test_claims_without_acknowledgment_after_n_days_are_listed(db_url: str, tmp_path: Path) -> None:
    _ingest(db_url, tmp_path, "a.837", _837(7, "PCN1"))  # sent 2024-01-02; 999 accepts it, no 277CA
    _ingest(db_url, tmp_path, "b.837", _837(8, "PCN2"))  # 277CA accepts it
    _ingest(db_url, tmp_path, "c.837", _837(10, "PCN3"))  # 999 rejects its set: rejected, not waiting
    _ingest(db_url, tmp_path, "d.837", _837(11, "PCN4"))  # nothing at all
    _ingest(db_url, tmp_path, "a.999", _999("7", "0001", "A"))
    _ingest(db_url, tmp_path, "c.999", _999("10", "0001", "R").replace(b"000000501", b"000000504"))
    _ingest(db_url, tmp_path, "b.277", _277("PCN2", "A2", "150"))
    with open_store(db_url).connect() as conn:
        listed = unacknowledged_claims(conn, date(2024, 1, 20), 14)
        assert unacknowledged_claims(conn, date(2024, 1, 10), 14) == []
    assert [(u.patient_control_number, u.days, u.set_acknowledgment) for u in listed] == [
        ("PCN1", 18, "accepted"), ("PCN4", 18, "")]
    assert listed[0].sent == date(2024, 1, 2) and date(2024, 1, 20) - timedelta(days=18) == listed[0].sent
    result = CliRunner().invoke(main, ["--db", db_url, "report", "unacknowledged", "--days", "14", "--as-of",
                                       "2024-01-20", "--format", "csv"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    # No payers imported: the payer_name column is empty.
    assert lines[0] == "claim_id,payer_id,payer_name,charge,sent,days,set_999" and lines[1:3] == [
        "PCN1,PAYER1,,150.00,2024-01-02,18,accepted", "PCN4,PAYER1,,150.00,2024-01-02,18,none"]


ACK_SAMPLES = ["imsweb__x12-parser/x12_999_rejected.txt", "staedi/simple999.edi", "X12Parser/DHS_Wisconsin_Sample.txt",
               "pyx12/834_lui_id_5010.999.txt", "pyx12/834_ls_le_ls_5010.999.txt", "X12Parser/FromAlexbrodsky.txt",
               "imsweb__x12-parser/x12_277CA_accepted.txt", "imsweb__x12-parser/x12_277CA_rejected.txt",
               "api-examples/277CA-all-fields.edi", "api-examples/277CA-receiver-rejected.edi"]


@pytest.mark.parametrize("name", ACK_SAMPLES)
def test_corpus_acknowledgments_parse_and_ingest(corpus: Path, db_url: str, name: str) -> None:
    engine = open_store(db_url)
    summary = ingest_paths(engine, [corpus / name])
    (result,) = summary.results
    assert result.ok, result.error
    assert result.kind in ("999", "277CA")
    rows = _rows(db_url, "SELECT kind, level, disposition FROM acknowledgment")
    assert rows and all(k == result.kind for k, _, _ in rows)
    if "rejected" in name:
        assert any(d == "rejected" for _, _, d in rows)
