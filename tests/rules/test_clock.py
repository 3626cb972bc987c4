"""The clock of a credit (issue 12, items 1-2): when it arose, when it was identified, the deadline by
payer type and state, the late flag, the investigation that suspends a Medicare deadline, the
refusal of a run dated before the money came, and one aging that the dashboard, the credit-balance
report (table and CSV) and the findings agree on to the cent."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from edi_engine.cli import main
from edi_engine.errors import UsageError
from edi_engine.outputs import credit_balance_report
from edi_engine.outputs.audit import audit_events
from edi_engine.outputs.decisions import end_investigation, start_investigation
from edi_engine.rules import aging, categories, detect, list_findings, load_pack
from edi_engine.rules.deadlines import add_months, clock_for, state_rule_for
from edi_engine.simulate.world import generate_world
from edi_engine.store import open_store
from edi_engine.store.packs import load_folder
from edi_engine.web.context import Chrome
from edi_engine.web.pages import dashboard_page
from edi_engine.web.queue import QueueFilters, queue_page

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
DRG = FIXTURES / "drg_above_charges"  # a Medicare Part A duplicate (7100.00) paid again on 2025-04-21
DUPLICATE_ARRIVED = date(2025, 4, 21)


def _drg(db_url: str, as_of: str) -> object:
    engine = open_store(db_url)
    load_folder(engine, DRG)
    detect(engine, as_of=as_of)
    return engine


def _medicare_duplicate(engine: object) -> object:
    with engine.connect() as conn:  # type: ignore[attr-defined]
        (f,) = [f for f in list_findings(conn, "all") if f.category == "duplicate_payment"]
    return f


# -- the arithmetic ------------------------------------------------------------------------------

def test_a_deadline_runs_from_identification_by_payer_type_and_state() -> None:
    pack = load_pack()
    found = date(2025, 5, 1)

    def due(refund_to: str, payer_type: str, pack_: object = pack, payer_id: str = "P1") -> date | None:
        return clock_for(pack_, refund_to, payer_type, payer_id, identified_on=found,  # type: ignore[arg-type]
                         arose=found - timedelta(days=3)).due

    assert due("payer", "medicare") == date(2025, 6, 30)  # 60 days, SSA 1128J(d)
    assert due("payer", "medicaid") == date(2025, 6, 30)
    texas = replace(pack, state="TX")
    assert due("patient", "commercial", texas) == found + timedelta(days=30)  # Ins. Code 1661.005
    assert due("patient", "commercial") == found + timedelta(days=60)
    contract = replace(pack, contract_days={"MAPLAN": 45})
    assert due("payer", "medicare_advantage", contract, "MAPLAN") == found + timedelta(days=45)
    assert clock_for(pack, None, "commercial", "P1", identified_on=found, arose=found).due is None


def test_a_credit_found_after_the_window_is_late_and_its_clock_starts_when_it_should_have_been_found() -> None:
    pack = load_pack()
    arose = date(2024, 3, 1)
    on_time = clock_for(pack, "payer", "medicare", "MCR", identified_on=arose + timedelta(days=180), arose=arose)
    assert not on_time.late and on_time.due == arose + timedelta(days=240)
    late = clock_for(pack, "payer", "medicare", "MCR", identified_on=date(2025, 6, 1), arose=arose)
    assert late.late and late.starts == arose + timedelta(days=180)
    assert late.due == arose + timedelta(days=240) and late.due < date(2025, 6, 1)  # already overdue when found
    assert "should have been found" in late.rule
    narrow = replace(pack, identification_window_days=30)
    assert clock_for(narrow, "payer", "medicare", "MCR", identified_on=arose + timedelta(days=31), arose=arose).late
    # An MSP refund runs from the other primary payment's receipt (42 CFR 489.20(h)): no window moves it.
    msp = clock_for(pack, "payer", "medicare", "MCR", identified_on=date(2025, 6, 1), arose=arose,
                    deadline_from=date(2024, 3, 5))
    assert msp.due == date(2024, 5, 4) and not msp.late


def test_an_investigation_suspends_a_medicare_deadline_until_it_ends_or_180_days() -> None:
    pack = load_pack()
    found = date(2025, 5, 1)
    kw = {"identified_on": found, "arose": date(2025, 4, 21)}
    plain = clock_for(pack, "payer", "medicare", "MCR", **kw)  # type: ignore[arg-type]
    assert plain.due == date(2025, 6, 30) and not plain.suspended
    open_ = clock_for(pack, "payer", "medicare", "MCR", investigation_started_on=date(2025, 5, 10),
                      **kw)  # type: ignore[arg-type]
    assert open_.suspended and open_.due == found + timedelta(days=180 + 60)
    ended = clock_for(pack, "payer", "medicare", "MCR", investigation_started_on=date(2025, 5, 10),
                      investigation_ended_on=date(2025, 7, 1), **kw)  # type: ignore[arg-type]
    assert ended.due == date(2025, 7, 1) + timedelta(days=60)
    too_long = clock_for(pack, "payer", "medicare", "MCR", investigation_started_on=date(2025, 5, 10),
                         investigation_ended_on=date(2026, 3, 1), **kw)  # type: ignore[arg-type]
    assert too_long.due == found + timedelta(days=240)  # the earlier of the end and 180 days
    untimely = clock_for(pack, "payer", "medicare", "MCR", investigation_started_on=date(2025, 7, 1),
                         **kw)  # type: ignore[arg-type]
    assert untimely.due == plain.due and not untimely.suspended  # begun after the due date
    commercial = clock_for(pack, "payer", "commercial", "P1", investigation_started_on=date(2025, 5, 10),
                           **kw)  # type: ignore[arg-type]
    assert not commercial.suspended


# -- detect: the two dates -----------------------------------------------------------------------

def test_a_credit_arises_with_the_money_and_is_identified_by_the_run(db_url: str) -> None:
    engine = _drg(db_url, "2025-05-01")
    f = _medicare_duplicate(engine)
    assert f.payer_type == "medicare"  # type: ignore[attr-defined]
    assert f.arose_on == DUPLICATE_ARRIVED  # type: ignore[attr-defined]  # the second payment's BPR16
    assert f.identified_on == date(2025, 5, 1)  # type: ignore[attr-defined]
    assert f.deadline == date(2025, 6, 30) and not f.late  # type: ignore[attr-defined]
    # A later run keeps both dates; the clock does not restart.
    detect(engine, as_of="2025-06-15")  # type: ignore[arg-type]
    g = _medicare_duplicate(engine)
    assert (g.arose_on, g.identified_on, g.deadline) == (f.arose_on, f.identified_on, f.deadline)  # type: ignore[attr-defined]


def test_a_run_dated_before_the_money_arrived_is_refused_naming_the_payment(db_url: str) -> None:
    engine = open_store(db_url)
    load_folder(engine, DRG)
    with pytest.raises(UsageError) as caught:
        detect(engine, as_of="2025-04-10")
    message = caught.value.message
    assert "before the money" in message and "2025-04-21" in message and ".835 segment" in message
    assert "run detect as of 2025-04-21 or later" in message
    with engine.connect() as conn:
        assert list_findings(conn, "all") == []  # refused whole: nothing stored
    result = CliRunner().invoke(main, ["--db", db_url, "detect", "--as-of", "2025-04-10"])
    assert result.exit_code == 2 and "Traceback" not in result.output and "2025-04-21" in result.output


def test_a_credit_found_late_is_flagged_and_already_overdue(db_url: str) -> None:
    engine = _drg(db_url, "2026-01-15")
    f = _medicare_duplicate(engine)
    assert f.late and f.arose_on == DUPLICATE_ARRIVED  # type: ignore[attr-defined]
    assert f.deadline == DUPLICATE_ARRIVED + timedelta(days=240) < date(2026, 1, 15)  # type: ignore[attr-defined]
    result = CliRunner().invoke(main, ["--db", db_url, "explain", str(f.id)])  # type: ignore[attr-defined]
    assert result.exit_code == 0 and "[LATE]" in result.output and "should have been found" in result.output


def test_investigation_suspends_and_resumes_the_clock_in_the_audit_trail(db_url: str) -> None:
    engine = _drg(db_url, "2025-05-01")
    f = _medicare_duplicate(engine)
    due = start_investigation(engine, f.id, by="maria", note="other DRG 291 stays of Q1",  # type: ignore[arg-type,attr-defined]
                              on="2025-05-10")
    assert due == date(2025, 5, 1) + timedelta(days=240)
    detect(engine, as_of="2025-06-01")  # type: ignore[arg-type]  # a re-run keeps the suspension
    assert _medicare_duplicate(engine).deadline == due  # type: ignore[attr-defined]
    with pytest.raises(UsageError, match="since 2025-05-10"):
        start_investigation(engine, f.id, by="maria", note="again", on="2025-05-11")  # type: ignore[arg-type,attr-defined]
    result = CliRunner().invoke(main, ["--db", db_url, "findings", "end-investigation", str(f.id),  # type: ignore[attr-defined]
                                       "--by", "maria", "--note", "no related overpayment", "--on", "2025-07-01"])
    assert result.exit_code == 0, result.output
    assert "due by 2025-08-30" in result.output
    g = _medicare_duplicate(engine)
    assert g.deadline == date(2025, 8, 30) and g.investigation_ended_on == date(2025, 7, 1)  # type: ignore[attr-defined]
    assert "suspended by an investigation begun 2025-05-10" in g.evidence["clock"]["rule"]  # type: ignore[attr-defined]
    events = [(e.event, e.actor, e.details["deadline"]) for e in audit_events(engine, f.id)  # type: ignore[arg-type,attr-defined]
              if e.event.startswith("investigation")]
    assert events == [("investigation_started", "maria", "2025-12-27"), ("investigation_ended", "maria", "2025-08-30")]
    detect(engine, as_of="2025-07-15")  # type: ignore[arg-type]
    assert _medicare_duplicate(engine).deadline == date(2025, 8, 30)  # type: ignore[attr-defined]


def test_an_investigation_is_refused_where_it_suspends_nothing(db_url: str) -> None:
    engine = _drg(db_url, "2025-05-01")
    with engine.connect() as conn:  # type: ignore[attr-defined]
        patient = next(f for f in list_findings(conn) if f.category == "patient_overpayment")
    with pytest.raises(UsageError, match="owed to a patient"):
        start_investigation(engine, patient.id, by="maria", note="x", on="2025-05-02")  # type: ignore[arg-type]
    f = _medicare_duplicate(engine)
    with pytest.raises(UsageError, match="not timely"):
        start_investigation(engine, f.id, by="maria", note="x", on="2025-07-01")  # type: ignore[arg-type,attr-defined]
    with pytest.raises(UsageError, match="--note"):
        start_investigation(engine, f.id, by="maria", note=" ", on="2025-05-02")  # type: ignore[arg-type,attr-defined]
    with pytest.raises(UsageError, match="not under investigation"):
        end_investigation(engine, f.id, by="maria", on="2025-05-02")  # type: ignore[arg-type,attr-defined]
    with pytest.raises(UsageError, match="in the future"):
        start_investigation(engine, f.id, by="maria", note="x", on="2099-01-01")  # type: ignore[arg-type,attr-defined]
    start_investigation(engine, f.id, by="maria", note="x", on="2025-05-02")  # type: ignore[arg-type,attr-defined]
    end_investigation(engine, f.id, by="maria", on="2025-05-03")  # type: ignore[arg-type,attr-defined]
    with pytest.raises(UsageError, match="suspends a deadline once"):
        start_investigation(engine, f.id, by="maria", note="again", on="2025-05-04")  # type: ignore[arg-type,attr-defined]


# -- one aging -----------------------------------------------------------------------------------

def _two_year_world(folder: Path) -> date:
    """Three generated worlds in one folder, credits from early 2024 to early 2026; the day after the last check."""
    last = date.min
    for seed, start in ((31, date(2024, 2, 1)), (32, date(2025, 11, 1)), (33, date(2026, 1, 15))):
        world = generate_world(200, seed, start=start)
        assert world.contents is not None
        last = max(last, world.end)
        for name, data in world.contents.items():
            if name.endswith((".837", ".835")):
                (folder / name).write_bytes(data)
    return last + timedelta(days=1)


def test_one_aging_in_the_dashboard_the_report_and_its_csv(db_url: str, tmp_path: Path) -> None:
    as_of = _two_year_world(tmp_path)
    engine = open_store(db_url)
    load_folder(engine, tmp_path)
    detect(engine, as_of=as_of)
    pack = load_pack()
    labels = aging.bucket_labels(pack)
    assert labels == ("0-30", "31-60", "61-90", "90+")

    with engine.connect() as conn:
        credits = [f for f in list_findings(conn) if categories.get(f.category).refund]
    expected = aging.aging(pack, ((f.arose_on, f.identified_on, f.amount) for f in credits), as_of)
    assert all(b.amount > 0 for b in expected), expected  # every bucket holds credits
    assert sum(b.amount for b in expected) == sum(f.amount for f in credits)
    assert all(f.arose_on is not None and f.arose_on <= f.identified_on for f in credits)

    report = credit_balance_report(engine, as_of=as_of)
    assert [sum((r[label] for r in report), Decimal("0.00")) for label in labels] == [b.amount for b in expected]

    chrome = Chrome("u", "admin", "t", as_of, frozenset())
    dash = dashboard_page(engine, chrome, pack)  # type: ignore[arg-type]
    assert [(b.count, b.amount) for b in dash.aging] == [(b.count, b.amount) for b in expected]
    # The queue ages and filters by the same date: credits 91 days old and older are the 90+ bucket.
    first = queue_page(engine, QueueFilters(status="open", min_age="91"), chrome)
    rows = [r for n in range(1, first.pages + 1)
            for r in queue_page(engine, QueueFilters(status="open", min_age="91", page=n), chrome).rows]
    assert len(rows) == first.total_count
    refunds = [r for r in rows if categories.get(r.category).refund]
    assert sum((r.amount for r in refunds), Decimal("0.00")) == expected[-1].amount
    assert all(r.age_days >= 91 for r in rows)

    result = CliRunner().invoke(main, ["--db", db_url, "report", "credit-balances", "--as-of", as_of.isoformat(),
                                       "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [sum((Decimal(r[label]) for r in rows), Decimal("0.00")) for label in labels] == \
        [b.amount for b in expected]


def test_the_rule_pack_sets_the_buckets(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text("[aging]\nbuckets = [45, 120]\n")
    pack = load_pack(rules)
    assert aging.bucket_labels(pack) == ("0-45", "46-120", "120+")
    assert [aging.bucket_index(pack, d) for d in (0, 45, 46, 120, 121)] == [0, 0, 1, 1, 2]
    rules.write_text("[aging]\nbuckets = [60, 30]\n")
    with pytest.raises(UsageError, match="increasing"):
        load_pack(rules)


# -- state rules as data -------------------------------------------------------------------------

def test_months_are_calendar_months() -> None:
    assert add_months(date(2024, 8, 31), 18) == date(2026, 2, 28)
    assert add_months(date(2023, 8, 31), 6) == date(2024, 2, 29)
    assert add_months(date(2024, 11, 22), 12) == date(2025, 11, 22)


def test_a_state_look_back_window_is_information_on_commercial_payer_credits() -> None:
    sc = replace(load_pack(), state="SC")  # S.C. Code 38-59-250: 18 months
    paid = date(2024, 11, 22)
    inside = state_rule_for(sc, "payer", "commercial", paid, date(2026, 5, 22))
    assert inside is not None and not inside["past_lookback"] and inside["payer_lookback_ends"] == "2026-05-22"
    past = state_rule_for(sc, "payer", "commercial", paid, date(2026, 5, 23))
    assert past is not None and past["past_lookback"] and "cannot demand" in past["rule"]
    assert state_rule_for(sc, "payer", "medicare", paid, date(2026, 5, 23)) is None  # federal, not the state's
    assert state_rule_for(sc, "payer", "medicare_advantage", paid, date(2026, 5, 23)) is None
    ca = replace(load_pack(), state="CA")  # Ins. Code 10133.66(b): 365 days
    assert state_rule_for(ca, "payer", "commercial", paid, date(2025, 11, 23))["past_lookback"]  # type: ignore[index]
    assert "B&P 732" in state_rule_for(ca, "patient", "commercial", paid, paid)["rule"]  # type: ignore[index]
    assert state_rule_for(replace(load_pack(), state="FL"), "payer", "commercial", paid, paid) is None  # no row


def test_detect_puts_the_states_rules_on_the_findings(db_url: str, tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text('[provider]\nstate = "SC"\n')
    engine = open_store(db_url)
    load_folder(engine, FIXTURES / "duplicate_payment")  # a commercial duplicate paid again 2024-11-22
    detect(engine, as_of="2026-06-01", rules_path=str(rules))
    with engine.connect() as conn:
        (f,) = [f for f in list_findings(conn) if f.category == "duplicate_payment"]
    assert f.payer_type == "commercial" and f.arose_on == date(2024, 11, 22)
    assert f.evidence["state_rule"]["past_lookback"] and f.evidence["state_rule"]["payer_lookback_ends"] == "2026-05-22"
    result = CliRunner().invoke(main, ["--db", db_url, "explain", str(f.id)])
    assert "state rule: SC lets a payer ask" in result.output


def test_a_state_row_with_an_unknown_setting_is_refused(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text("[states.OR]\npayer_lookback_weeks = 3\n")
    with pytest.raises(UsageError, match="unknown settings"):
        load_pack(rules)
