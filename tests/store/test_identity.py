"""Payment identity, claim submissions and whole files, with real X12 (the scenario packs' files and the
public corpus) as senders re-send and cut them: a re-delivered ERA under new control numbers changes no
finding, two checks sharing an ISA13 both post, a resubmitted 837 adds no charge, a file cut short
stores nothing and never blocks the complete file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from edi_engine.rules import categories, detect, list_findings
from edi_engine.store import open_store
from edi_engine.store.ingest import ingest_file, ingest_paths
from edi_engine.store.packs import load_folder
from tests.store.test_ingest import TABLES, _cli, counts
from tests.store.x12copies import VARIANTS, Delims, cut, interchange_of_sets, reenvelope, segments

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
AS_OF = "2026-06-30"
POSTED = ["claim", "claim_line", "claim_payment", "service_payment", "adjustment", "provider_adjustment"]


def _findings(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return sorted((f.category, f.claim_id, f.payer_id, f.line, f"{f.amount:.2f}", f.refund_to, f.status,
                       json.dumps(f.evidence, sort_keys=True)) for f in list_findings(conn, "all"))


def _loaded(db_url: str, pack: str) -> Engine:
    engine = open_store(db_url)
    load = load_folder(engine, FIXTURES / pack)
    assert all(r.ok for r in load.ingest.results)
    detect(engine, as_of=AS_OF)
    return engine


def _posted(db_url: str) -> dict[str, int]:
    c = counts(db_url)
    return {t: c[t] for t in POSTED}


def _scalar(engine: Engine, sql: str) -> object:
    with engine.connect() as conn:
        return conn.execute(text(sql)).scalar()


@pytest.mark.parametrize("variant", range(len(VARIANTS)), ids=lambda i: repr(VARIANTS[i].element + VARIANTS[i].component
                                                                             + VARIANTS[i].terminator))
def test_every_era_delivered_again_under_new_control_numbers_changes_no_finding(
        db_url: str, tmp_path: Path, variant: int) -> None:
    engine = _loaded(db_url, "duplicate_payment")  # holds a true duplicate: it must stay the one finding
    before, posted = _findings(engine), _posted(db_url)
    assert [f[0] for f in before] == ["duplicate_payment"]
    eras = sorted((FIXTURES / "duplicate_payment").glob("*.835"))
    copies = []
    for i, era in enumerate(eras):
        copies.append(tmp_path / f"again_{i}.835")
        copies[-1].write_bytes(reenvelope(era.read_bytes(), 700_000 + i, VARIANTS[variant]))
    summary = ingest_paths(engine, copies)
    for era, r in zip(eras, summary.results, strict=True):
        assert (r.status, r.redelivered, r.payments, r.redelivered_from) == ("ingested", 1, 0, [str(era)]), r
    assert summary.totals()["redelivered"] == len(eras)
    run = detect(engine, as_of=AS_OF)
    assert (run.inserted, run.updated, run.resolved) == (0, 0, 0)
    assert _findings(engine) == before and _posted(db_url) == posted
    assert _scalar(engine, "SELECT count(*) FROM remittance_delivery") == len(eras)
    assert _scalar(engine, "SELECT count(*) FROM payment") == len(eras)


def test_the_issue_example_patient_exact_copy_with_a_new_isa13_is_no_duplicate(db_url: str, tmp_path: Path) -> None:
    engine = _loaded(db_url, "patient_exact")
    assert _findings(engine) == []
    era = sorted((FIXTURES / "patient_exact").glob("*.835"))[0]
    data = era.read_bytes()
    copy = tmp_path / "copy.835"
    copy.write_bytes(data.replace(b"*000000001*", b"*000000002*", 1).replace(b"IEA*1*000000001", b"IEA*1*000000002"))
    code, out = _cli(db_url, str(copy))
    assert code == 0
    assert f"{copy}: ingested (1 remittance re-delivered, already stored from {era})" in out
    assert "1 remittances re-delivered" in out
    detect(engine, as_of=AS_OF)
    assert _findings(engine) == []


def test_redelivery_inside_a_file_of_several_interchanges(db_url: str, tmp_path: Path) -> None:
    pack = FIXTURES / "duplicate_payment"
    reference = _loaded("sqlite:///" + str(tmp_path / "ref.db"), "duplicate_payment")
    eras = sorted(pack.glob("*.835"))
    held_back = eras[-1]
    engine = open_store(db_url)
    for path in sorted(pack.glob("*.837")) + eras[:-1]:
        assert ingest_file(engine, path).status == "ingested"
    # Two ERAs already stored, re-sent under new numbers and other delimiters, then the one not seen yet.
    combined = tmp_path / "batch.835"
    combined.write_bytes(reenvelope(eras[0].read_bytes(), 9001, Delims("|", ">", "~\n", "^"))
                         + reenvelope(eras[1].read_bytes(), 9002) + held_back.read_bytes())
    r = ingest_file(engine, combined)
    assert (r.status, r.transactions, r.redelivered) == ("ingested", 3, 2), r
    assert r.redelivered_from == [str(eras[0]), str(eras[1])]
    assert r.payments == _scalar(reference, "SELECT count(*) FROM claim_payment c JOIN payment p ON p.id = c.payment_id"
                                            " JOIN source_file f ON f.id = p.source_file_id"
                                            f" WHERE f.name = '{held_back}'")
    detect(engine, as_of=AS_OF)
    strip = [f[:7] for f in _findings(engine)]
    assert strip == [f[:7] for f in _findings(reference)]


def test_two_different_checks_sharing_an_isa13_both_post(db_url: str, tmp_path: Path) -> None:
    eras = sorted((FIXTURES / "mixed").glob("*.835"))[:2]
    (_, first), (_, second) = segments(eras[0].read_bytes())[0], segments(eras[1].read_bytes())[0]
    assert first[0][13] == second[0][13] == "000000001"  # the generator's ISA13, the same in every file
    trn = [next(s[2] for s in segs if s[0] == "TRN") for segs in (first, second)]
    assert trn[0] != trn[1]
    data = eras[1].read_bytes().replace(f"*{second[0][6]}*".encode(), f"*{first[0][6]}*".encode(), 1)
    same_sender = tmp_path / "same_sender_and_isa13.835"
    same_sender.write_bytes(data)
    engine = open_store(db_url)
    a, b = ingest_file(engine, eras[0]), ingest_file(engine, same_sender)
    assert a.status == b.status == "ingested" and a.payments > 0 and b.payments > 0
    assert b.redelivered == b.remittance_conflicts == 0
    assert b.warnings and "ISA13 000000001 from this sender was used before by" in b.warnings[0]
    assert _scalar(engine, "SELECT count(*) FROM payment WHERE conflict_of IS NULL") == 2
    assert _scalar(engine, "SELECT count(*) FROM interchange") == 2


def test_a_resubmitted_837_adds_no_charge(db_url: str, tmp_path: Path) -> None:
    engine = _loaded(db_url, "duplicate_payment")
    before, posted = _findings(engine), _posted(db_url)
    charges = _scalar(engine, "SELECT sum(charge) FROM claim")
    for i, claims in enumerate(sorted((FIXTURES / "duplicate_payment").glob("*.837"))):
        again = tmp_path / f"again_{i}.837"
        again.write_bytes(reenvelope(claims.read_bytes(), 5000 + i, VARIANTS[1]))
        r = ingest_file(engine, again)
        n = sum(1 for s in segments(claims.read_bytes())[0][1] if s[0] == "CLM")
        assert (r.status, r.claims, r.resubmitted) == ("ingested", 0, n), r
        assert r.notes() == [f"{n} claims submitted again, already stored"]
    detect(engine, as_of=AS_OF)
    assert _scalar(engine, "SELECT sum(charge) FROM claim") == charges
    assert _posted(db_url) == posted and _findings(engine) == before
    assert _scalar(engine, "SELECT count(*) FROM claim_submission") == posted["claim"]


def _changed_check(era: bytes) -> bytes:
    """The same check (TRN02, payer) re-issued with a claim paid 10.00 less: BPR02 and the CLP04/SVC03 follow."""
    delims, segs = segments(era)[0]
    clp = next(s for s in segs if s[0] == "CLP")
    svc = next(s for s in segs if s[0] == "SVC")
    bpr = next(s for s in segs if s[0] == "BPR")
    for seg, i in ((clp, 4), (svc, 3), (bpr, 2)):
        seg[i] = f"{float(seg[i]) - 10:.2f}"
    segs.insert(segs.index(svc) + 1, ["CAS", "CO", "45", "10.00"])
    st = next(i for i, s in enumerate(segs) if s[0] == "ST")
    se = next(i for i, s in enumerate(segs) if s[0] == "SE")
    segs[se][1] = str(se - st + 1)
    return reenvelope(delims.terminator.join(delims.element.join(s) for s in segs).encode("latin-1")
                      + delims.terminator.encode(), 31)


def test_same_check_with_other_amounts_is_held_for_review_never_a_refund(db_url: str, tmp_path: Path) -> None:
    engine = _loaded(db_url, "patient_exact")
    posted = _posted(db_url)
    era = sorted((FIXTURES / "patient_exact").glob("*.835"))[0]
    other = tmp_path / "reissued.835"
    other.write_bytes(_changed_check(era.read_bytes()))
    code, out = _cli(db_url, str(other), "--json")
    assert code == 0
    result = json.loads(out)["files"][0]
    assert (result["status"], result["remittance_conflicts"], result["redelivered"]) == ("ingested", 1, 0)
    assert "held for review (remittance_conflict)" in result["warnings"][0]
    # Stored, but posted nowhere: the ledger reads only posted remittances.
    assert _scalar(engine, "SELECT count(*) FROM payment WHERE conflict_of IS NOT NULL") == 1
    assert _posted(db_url)["claim_payment"] > posted["claim_payment"]
    detect(engine, as_of=AS_OF)
    found = _findings(engine)
    assert [(f[0], f[5], f[6]) for f in found] == [("remittance_conflict", None, "open")]
    evidence = json.loads(str(found[0][7]))
    assert [r["role"] for r in evidence["records"]] == ["posted", "held"]
    assert "amount (BPR02)" in evidence["summary"]
    held_bpr02 = next(s for s in segments(other.read_bytes())[0][1] if s[0] == "BPR")[2]
    assert found[0][4] == held_bpr02
    category = categories.get("remittance_conflict")
    assert (category.refund, category.letter, category.owed.value, category.pool) == (False, None, "none", None)
    # The same re-issued remittance once more: a re-delivery of the held one, not another conflict.
    again = tmp_path / "reissued_again.835"
    again.write_bytes(reenvelope(other.read_bytes(), 77))
    r = ingest_file(engine, again)
    assert (r.redelivered, r.remittance_conflicts, r.redelivered_from) == (1, 0, [str(other)])
    detect(engine, as_of=AS_OF)
    assert _findings(engine) == found


def _multi_set(kind: str, n: int = 6) -> bytes:
    pattern = "*.835" if kind == "835" else "*-837P-*.837"
    # the pack's largest files: sets of several claims each
    files = [p.read_bytes() for p in sorted((FIXTURES / "mixed").glob(pattern),
                                            key=lambda p: (-p.stat().st_size, p.name))[:n]]
    return interchange_of_sets(files, 424)


@pytest.mark.parametrize("kind", ["835", "837"])
def test_a_file_cut_at_ten_points_stores_nothing_and_never_blocks_the_complete_file(
        db_url: str, tmp_path: Path, kind: str) -> None:
    whole = _multi_set(kind)
    sets = sum(1 for s in segments(whole)[0][1] if s[0] == "ST")
    assert sets == 6
    engine = open_store(db_url)
    for k, part in enumerate(cut(whole)):
        path = tmp_path / f"cut_{k}.{kind}"
        path.write_bytes(part)
        r = ingest_file(engine, path)
        assert r.status == "failed", (k, len(part), r)
        assert r.error and ("incomplete" in r.error or "ISA" in r.error), r.error
        assert "CLP*" not in r.error and "CLM*" not in r.error and "NM1" not in r.error
        c = counts(db_url)
        assert {t: c[t] for t in TABLES if t != "source_file"} == dict.fromkeys(TABLES[1:], 0)
        assert _scalar(engine, "SELECT count(*) FROM payment_identity") == 0
    failed = _scalar(engine, "SELECT count(*) FROM source_file WHERE status = 'failed'")
    assert failed == 10
    path = tmp_path / f"whole.{kind}"
    path.write_bytes(whole)
    r = ingest_file(engine, path)
    assert (r.status, r.transactions, r.redelivered, r.resubmitted) == ("ingested", 6, 0, 0), r
    assert (r.payments if kind == "835" else r.claims) > 6


def test_missing_se_ge_or_iea_each_fail_the_file_with_the_element_named(db_url: str, tmp_path: Path) -> None:
    whole = _multi_set("835", 2)
    text_ = whole.decode("latin-1")
    se = text_.index("~SE*")
    cases = {"no SE": text_[:se + 1] + text_[text_.index("~", se + 1) + 1:],
             "no GE": text_.replace(text_[text_.index("GE*"):text_.index("IEA*")], ""),
             "no IEA": text_[:text_.index("IEA*")]}
    engine = open_store(db_url)
    for name, body in cases.items():
        path = tmp_path / f"{name.replace(' ', '_')}.835"
        path.write_text(body, encoding="latin-1")
        r = ingest_file(engine, path)
        assert r.status == "failed" and r.error is not None, name
        assert name.split()[1] in r.error and "segment" in r.error, (name, r.error)
    assert counts(db_url)["payment"] == 0


@pytest.mark.parametrize("name", ["TigerShark/5010-835-example-1.txt",
                                  "api-examples/835-provider-level-adjustment.dat"])
def test_corpus_era_re_sent_with_other_delimiters_is_recognised(tmp_path: Path, corpus: Path, name: str) -> None:
    era = corpus / name
    engine = open_store("sqlite:///" + str(tmp_path / "c.db"))
    first = ingest_file(engine, era)
    assert first.status == "ingested" and first.redelivered == 0
    detect(engine, as_of=AS_OF)
    before = _findings(engine)
    for i, variant in enumerate(VARIANTS):
        copy = tmp_path / f"copy_{i}.txt"
        copy.write_bytes(reenvelope(era.read_bytes(), 123 + i, variant))
        r = ingest_file(engine, copy)
        assert (r.status, r.redelivered, r.payments) == ("ingested", first.transactions, 0), (variant, r)
    detect(engine, as_of=AS_OF)
    assert _findings(engine) == before


def test_a_rebuilt_era_with_added_references_and_names_is_still_a_redelivery(db_url: str, tmp_path: Path) -> None:
    """A payer that rebuilt defective 835s re-sent them with REF*6R added and corrected member data
    (domain.md 1.11, BCBSOK): the money is the same, so it is the same payment."""
    engine = _loaded(db_url, "patient_exact")
    era = sorted((FIXTURES / "patient_exact").glob("*.835"))[0]
    delims, segs = segments(era.read_bytes())[0]
    rebuilt: list[list[str]] = []
    for seg in segs:
        if seg[0] == "NM1" and seg[1] == "QC":
            seg = [*seg[:3], "CORRECTED", *seg[4:]]
        rebuilt.append(seg)
        if seg[0] == "SVC":
            rebuilt.append(["REF", "6R", "ADDED1"])
    se = next(s for s in rebuilt if s[0] == "SE")
    se[1] = str(sum(1 for s in rebuilt[rebuilt.index(next(s for s in rebuilt if s[0] == "ST")):] if s[0] != "GE"
                    and s[0] != "IEA"))
    path = tmp_path / "rebuilt.835"
    path.write_bytes(reenvelope((delims.terminator.join(delims.element.join(s) for s in rebuilt)
                                 + delims.terminator).encode("latin-1"), 55))
    r = ingest_file(engine, path)
    assert (r.status, r.redelivered, r.remittance_conflicts, r.payments) == ("ingested", 1, 0, 0), r
    detect(engine, as_of=AS_OF)
    assert _findings(engine) == []
