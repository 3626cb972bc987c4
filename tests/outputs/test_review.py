"""The periodic review (issue 12 item 7) on the mixed pack: activity, dismissals and why, timeliness
against deadlines, overdue credits, decisions by person, and the ledger reconciled to the findings."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

from click.testing import CliRunner

from edi_engine.cli import main
from edi_engine.ledger import account_credits
from edi_engine.money import from_cents
from edi_engine.outputs import decide, record_refund
from edi_engine.outputs.review import render_review, review_report
from edi_engine.rules import categories, list_findings
from edi_engine.rules.categories import Pool
from tests.outputs.conftest import AS_OF

TODAY = datetime.now(UTC).date()  # people's decisions are dated by the audit trail's clock


def _refund_findings(engine):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return [f for f in list_findings(conn, "all") if categories.get(f.category).refund]


def test_the_review_of_a_period_counts_decides_and_reconciles(pack_store) -> None:  # type: ignore[no-untyped-def]
    engine = pack_store("mixed")
    credits = _refund_findings(engine)
    payer = [f for f in credits if f.status == "open" and categories.get(f.category).pool is Pool.PAYER]
    refunded, dismissed = payer[0], payer[1]
    decide(engine, refunded.id, "approve", by="maria")
    half = (refunded.amount / 2).quantize(Decimal("0.01"))
    record_refund(engine, refunded.id, by="maria", method="check", number="10021", paid_on=AS_OF, amount=half)
    record_refund(engine, refunded.id, by="maria", method="check", number="10022", paid_on=AS_OF)
    decide(engine, dismissed.id, "dismiss", by="joe", note="contract pays the higher rate")

    report = review_report(engine, "2025-01-01", TODAY)
    activity = {r["event"]: (r["count"], r["amount"]) for r in report.sections["activity"]}
    identified = [f for f in credits if f.identified_on == date.fromisoformat(AS_OF)]
    assert activity["identified"] == (len(identified), sum((f.amount for f in identified), Decimal("0.00")))
    assert activity["approved"] == (1, refunded.amount) and activity["refunded"] == (1, refunded.amount)
    assert activity["refund_recorded"] == (2, refunded.amount)  # a partial check, then the rest
    assert activity["dismissed"] == (1, dismissed.amount)

    (why,) = report.sections["dismissed"]
    assert (why["finding_id"], why["by"], why["why"]) == (dismissed.id, "joe", "contract pays the higher rate")
    people = {(r["by"], r["event"]): r["count"] for r in report.sections["decisions"]}
    assert people == {("joe", "dismissed"): 1, ("maria", "approved"): 1, ("maria", "refund_recorded"): 2,
                      ("maria", "refunded"): 1}

    repaid = [r for r in report.sections["timeliness"] if r["measure"] == "identified to refunded"]
    assert [(r["finding_id"], r["days"]) for r in repaid] == [(refunded.id, (TODAY - refunded.identified_on).days)]
    assert repaid[0]["verdict"] == ("past deadline" if refunded.deadline < TODAY else "on time")
    on_books = [f for f in credits if f.status in ("open", "approved") and f.id not in (refunded.id, dismissed.id)]
    overdue = {r["finding_id"] for r in report.sections["overdue"]}
    assert overdue == {f.id for f in on_books if f.deadline and f.deadline < TODAY}

    # The reconciliation: every difference between the ledger's credit and the credits on the books.
    with engine.connect() as conn:
        ledger = account_credits(conn)
    books: dict[tuple[str, str], Decimal] = {}
    for f in on_books:
        pool = categories.get(f.category).pool
        if pool is not None:
            books[(f.claim_id, pool.value)] = books.get((f.claim_id, pool.value), Decimal("0.00")) + f.amount
    differences = {(r["claim_id"], r["pool"]): r["difference"] for r in report.sections["reconciliation"]}
    for (clm01, pool), amount in books.items():
        pair = ledger.get(clm01, (0, 0))
        credit = from_cents(pair[0] if pool == "payer" else pair[1])
        assert differences.get((clm01, pool), Decimal("0.00")) == credit - amount
    # A dismissed credit is still in the ledger: listed, with the dismissal beside it. A refunded one
    # is posted (the refund checks), so the ledger has no credit left for it.
    row = next(r for r in report.sections["reconciliation"]
               if r["claim_id"] == dismissed.claim_id and r["pool"] == "payer")
    assert f"#{dismissed.id} " in row["other_findings"] and row["difference"] >= dismissed.amount
    assert not any(r["claim_id"] == refunded.claim_id and r["pool"] == "payer" and r["ledger_credit"] >= refunded.amount
                   for r in report.sections["reconciliation"])

    parsed = list(csv.DictReader(io.StringIO(render_review(report, "csv").decode())))
    assert {r["section"] for r in parsed} >= {"activity", "dismissed", "timeliness", "decisions", "reconciliation"}
    assert sum(Decimal(r["difference"]) for r in parsed if r["section"] == "reconciliation") == \
        sum(r["difference"] for r in report.sections["reconciliation"])
    assert render_review(report, "pdf").startswith(b"%PDF")
    assert b"== reconciliation" in render_review(report, "table")


def test_a_period_before_any_of_it_is_empty_and_a_backwards_one_refused(pack_store, db_url: str  # type: ignore[no-untyped-def]
                                                                       ) -> None:
    engine = pack_store("mixed")
    report = review_report(engine, "2024-01-01", "2024-12-31")
    assert all(r["count"] == 0 for r in report.sections["activity"])
    assert report.sections["dismissed"] == report.sections["decisions"] == report.sections["timeliness"] == []
    result = CliRunner().invoke(main, ["--db", db_url, "report", "review", "--from", "2025-03-01",
                                       "--to", "2025-01-01"])
    assert result.exit_code == 2 and "before --from" in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(main, ["--db", db_url, "report", "review", "--from", "2025-01-01", "--to",
                                       TODAY.isoformat(), "--format", "csv"])
    assert result.exit_code == 0 and result.output.startswith("section,")


def test_a_partial_refund_ties_out_and_counts_on_its_check_date(pack_store) -> None:  # type: ignore[no-untyped-def]
    engine = pack_store("mixed")
    credit = next(f for f in _refund_findings(engine)
                  if f.status == "open" and categories.get(f.category).pool is Pool.PAYER)
    decide(engine, credit.id, "approve", by="maria")
    record_refund(engine, credit.id, by="maria", method="check", number="7001", paid_on=AS_OF, amount="10.00")
    # The check is dated in February 2025; it is recorded today: February's review holds it.
    february = review_report(engine, "2025-02-01", "2025-02-28")
    activity = {r["event"]: (r["count"], r["amount"]) for r in february.sections["activity"]}
    assert activity["refund_recorded"] == (1, Decimal("10.00"))
    # What is still on the books is the rest: the ledger (which posts the check) agrees, no difference.
    assert not [r for r in february.sections["reconciliation"] if r["claim_id"] == credit.claim_id]
