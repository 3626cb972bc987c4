"""Bank deposits end to end (issue 12 acceptance): a BAI2 file made from a world's 835s, with one
deposit missing and one extra, reassociates all but those two; each of the two is its own
non-refund finding with its evidence, resolved by itself when the missing side arrives."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from edi_engine.cli import main
from edi_engine.errors import UsageError
from edi_engine.rules import categories, detect, list_findings
from edi_engine.simulate.bank import BankCredit, BankPayment, bank_credits, payments_in, write_bai2
from edi_engine.simulate.world import generate_world
from edi_engine.store import import_deposits, ingest_paths, open_store, tables
from edi_engine.store.packs import load_folder

AS_OF = "2026-01-15"
DEPOSITS = ("era_without_deposit", "deposit_without_era")


@lru_cache(maxsize=1)
def _world() -> dict[str, bytes]:
    world = generate_world(40, 12)
    assert world.contents is not None
    return dict(world.contents)


def _needing(payments: list[BankPayment]) -> list[int]:
    return [i for i, p in enumerate(payments) if p.method in ("ACH", "CHK") and p.amount > 0]


def _setup(tmp_path: Path, hold_back: str | None = None, *, missing_last: bool = False
           ) -> tuple[list[BankPayment], int, BankCredit]:
    files = _world()
    for name, data in files.items():
        if name != hold_back:
            (tmp_path / name).write_bytes(data)
    payments = payments_in(files)
    needing = _needing(payments)
    eft = [i for i in needing if payments[i].method == "ACH"]
    # The last EFT for a run dated just after it (no run may be dated before money it counts), else the middle one.
    missing = max(eft, key=lambda i: payments[i].payment_date) if missing_last else eft[len(eft) // 2]
    extra = BankCredit(payments[missing].payment_date, Decimal("777.77"), "165", "BEXTRA", "",
                       "HCCLAIMPMT TRN*1*EXTRA0001*1999999999\\")
    statement = write_bai2(bank_credits(payments, drop={missing}, extra=[extra]), created=date(2025, 3, 1))
    (tmp_path / "bank").mkdir()
    (tmp_path / "bank" / "statement.bai2").write_bytes(statement)
    return payments, missing, extra


def _findings(engine: object, status: str = "all") -> list[tuple[str, str, str, object, str]]:
    with engine.connect() as conn:  # type: ignore[attr-defined]
        return sorted((f.category, f"{f.amount:.2f}", f.status, f.refund_to, f.evidence["summary"])
                      for f in list_findings(conn, status) if f.category in DEPOSITS)


def test_a_statement_from_the_835s_reassociates_all_but_the_missing_and_the_extra(db_url: str, tmp_path: Path
                                                                                  ) -> None:
    payments, missing, extra = _setup(tmp_path)
    engine = open_store(db_url)
    assert not [r for r in load_folder(engine, tmp_path).ingest.results if not r.ok]
    result = CliRunner().invoke(main, ["--db", db_url, "import", "deposits", str(tmp_path / "bank" / "statement.bai2")])
    assert result.exit_code == 0, result.output
    summary = detect(engine, as_of=AS_OF)
    needing = _needing(payments)
    assert summary.deposits_matched == len(needing) - 1

    with engine.connect() as conn:
        m, p, d = tables.deposit_match, tables.payment, tables.deposit
        rows = conn.execute(select(p.c.trace_number, d.c.amount, p.c.amount, m.c.method)
                            .join(p, p.c.id == m.c.payment_id).join(d, d.c.id == m.c.deposit_id)).all()
        unmatched_deposits = conn.execute(select(d.c.amount).where(d.c.id.not_in(select(m.c.deposit_id)))).all()
    assert all(r[1] == r[2] for r in rows)
    assert {r[0] for r in rows} == {payments[i].trace for i in needing} - {payments[missing].trace}
    assert {r[3] for r in rows} == {"trn02", "check_number", "amount+date"}
    assert [r[0] for r in unmatched_deposits] == [extra.amount]

    lost = payments[missing]
    assert [(c, a, s, to) for c, a, s, to, _ in _findings(engine)] == [
        ("deposit_without_era", "777.77", "open", None), ("era_without_deposit", f"{lost.amount:.2f}", "open", None)]
    for name in DEPOSITS:
        category = categories.get(name)
        assert not category.refund and category.letter is None and category.cms838 is None

    with engine.connect() as conn:
        era = next(f for f in list_findings(conn, "open") if f.category == "era_without_deposit")
        extra_found = next(f for f in list_findings(conn, "open") if f.category == "deposit_without_era")
    bpr, trn = era.evidence["records"][:2]
    assert (bpr["record"], bpr["trn02"], bpr["bpr02"], bpr["bpr16"]) == (
        "BPR", lost.trace, str(lost.amount), lost.payment_date.isoformat())
    assert trn["record"] == "TRN" and trn["segment"] == bpr["segment"] + 1
    source = Path(bpr["file"]).read_bytes()
    assert source[bpr["offset"]:bpr["offset"] + 4] == b"BPR*"
    assert source[trn["offset"]:trn["offset"] + 4] == b"TRN*"
    (deposit,) = extra_found.evidence["records"]
    assert (deposit["file"], deposit["line"], deposit["amount"], deposit["trace"]) == (
        str(tmp_path / "bank" / "statement.bai2"), deposit["line"], "777.77", "EXTRA0001")
    lines = (tmp_path / "bank" / "statement.bai2").read_text().splitlines()
    assert lines[deposit["line"] - 1].startswith("16,165,77777,")
    assert deposit["account"].endswith("4502") and "88234502" not in str(extra_found.evidence)

    again = detect(engine, as_of=AS_OF)
    assert (again.inserted, again.updated, again.resolved, again.matches_written) == (0, 0, 0, 0)

    # The missing deposit turns up (here as a CSV line): the ERA's finding resolves by itself.
    csv = tmp_path / "bank" / "late.csv"
    csv.write_text(f"deposit_date,amount,reference,account\n{lost.payment_date},{lost.amount},{lost.trace},88234502\n")
    assert import_deposits(engine, csv).rows == 1
    detect(engine, as_of=AS_OF)
    assert [(c, s) for c, _a, s, _t, _ in _findings(engine)] == [
        ("deposit_without_era", "open"), ("era_without_deposit", "resolved")]


def test_a_deposit_waits_for_its_era_and_resolves_when_it_arrives(tmp_path: Path) -> None:
    files = _world()
    payments = payments_in(files)
    eft = [i for i in _needing(payments) if payments[i].method == "ACH"]
    # One the bank reports with its HCCLAIMPMT addenda (bank_credits leaves every fourth EFT credit bare,
    # and a bare credit is no claim payment to wait for), and not the one whose deposit is missing.
    reported = [i for n, i in enumerate((i for i in eft if payments[i].credit_debit != "D"), 1) if n % 4]
    late = payments[next(i for i in reported if i > eft[len(eft) // 2])]
    _setup(tmp_path, hold_back=late.file)
    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    load_folder(engine, tmp_path)
    import_deposits(engine, tmp_path / "bank" / "statement.bai2")
    detect(engine, as_of=AS_OF)
    open_now = [(c, a) for c, a, *_ in _findings(engine, "open")]
    assert ("deposit_without_era", f"{late.amount:.2f}") in open_now
    assert len(open_now) == 3  # the held-back 835's deposit, the missing deposit's ERA, the extra deposit

    later = tmp_path / "later" / late.file
    later.parent.mkdir()
    later.write_bytes(files[late.file])
    assert not ingest_paths(engine, [later]).failed
    detect(engine, as_of=AS_OF)
    assert ("deposit_without_era", f"{late.amount:.2f}", "resolved") in [(c, a, s) for c, a, s, *_ in
                                                                          _findings(engine)]


def test_without_bank_data_no_era_is_judged(tmp_path: Path) -> None:
    for name, data in _world().items():
        (tmp_path / name).write_bytes(data)
    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    load_folder(engine, tmp_path)
    detect(engine, as_of=AS_OF)
    assert _findings(engine) == []


def test_a_wait_not_over_reports_nothing_yet(tmp_path: Path) -> None:
    payments, missing, _extra = _setup(tmp_path, missing_last=True)
    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    load_folder(engine, tmp_path)
    import_deposits(engine, tmp_path / "bank" / "statement.bai2")
    day = payments[missing].payment_date
    detect(engine, as_of=date.fromordinal(day.toordinal() + 3))
    assert "era_without_deposit" not in [c for c, *_ in _findings(engine)]


def test_the_rule_pack_sets_the_waits(tmp_path: Path) -> None:
    _setup(tmp_path)
    engine = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    load_folder(engine, tmp_path)
    rules = tmp_path / "rules.toml"
    rules.write_text("[deposits]\nera_wait_days = 4000\ndeposit_wait_days = 4000\n")
    detect(engine, as_of=AS_OF, rules_path=str(rules))
    assert _findings(engine) == []
    rules.write_text("[deposits]\nera_wait_days = -1\n")
    with pytest.raises(UsageError, match="not negative"):
        detect(engine, as_of=AS_OF, rules_path=str(rules))
