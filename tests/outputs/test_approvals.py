"""The approval chain applied to stored findings (outputs/approvals.py, decisions.decide) on SQLite and
PostgreSQL: one step (the default), two steps with four eyes, an administrator above an amount, the
audit trail of each step, steps voided when detect changes the finding, letters and corrected claims
only after the last step, and the once-a-day `viewed` event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from edi_engine.errors import NotPermitted, UsageError
from edi_engine.outputs import (
    approval_of,
    audit_events,
    corrected_claim_for_finding,
    decide,
    record_view,
    render_letter,
)
from edi_engine.rules.pack import load_pack
from edi_engine.store import findings as stored
from edi_engine.store import tables

_F = tables.finding
TWO = """
[approvals]
steps = [{ name = "proposal", role = "reviewer" }, { name = "approval", role = "approver" }]
"""


def _two(tmp_path: Path, extra: str = "") -> str:
    path = tmp_path / "office.toml"
    path.write_text(TWO + extra)
    return str(path)


def _first(engine, category: str = "duplicate_payment") -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(select(_F.c.id).where(_F.c.category == category, _F.c.status == "open")
                            .order_by(_F.c.id)).scalars().first()


def _status(engine, fid: int) -> str:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(select(_F.c.status).where(_F.c.id == fid)).scalar_one()


def test_one_step_by_default_as_before(pack_store) -> None:  # type: ignore[no-untyped-def]
    engine = pack_store("duplicate_payment")
    fid = _first(engine)
    with pytest.raises(UsageError, match="only after the last approval step"):
        render_letter(engine, fid, fmt="txt", by="maria")
    done = decide(engine, fid, "approve", by="maria", note="checked the EOB")
    assert done.status == "approved" and done.step is not None and (done.step.number, done.step.of) == (1, 1)
    last = audit_events(engine, fid)[-1]
    assert (last.event, last.actor, last.note, last.details["step"], last.details["of"]) == (
        "approved", "maria", "checked the EOB", 1, 1)
    assert not [e for e in audit_events(engine, fid) if e.event == "step_approved"]
    assert b"REFUND" in render_letter(engine, fid, fmt="txt", by="maria").upper()


def test_two_steps_each_recorded_four_eyes_and_no_letter_before_the_last(pack_store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = pack_store("duplicate_payment")
    rules = _two(tmp_path)
    fid = _first(engine)
    with pytest.raises(NotPermitted, match="needs the reviewer role"):  # a role outside the three
        decide(engine, fid, "approve", by="eve", role="visitor", rules_path=rules)
    first = decide(engine, fid, "approve", by="rita", note="EOB shows two payments", role="reviewer", rules_path=rules)
    assert first.status == "open" and first.step is not None and not first.step.last
    assert first.step.next_label == "step 2 of 2 (approval)"
    step = audit_events(engine, fid)[-1]
    assert (step.event, step.actor, step.note) == ("step_approved", "rita", "EOB shows two payments")
    assert step.details["step"] == 1 and step.details["of"] == 2 and step.details["name"] == "proposal"
    assert _status(engine, fid) == "open"
    # Not yet: no letter, no corrected claim, nothing written to the trail for them.
    with pytest.raises(UsageError, match=r"open, not approved \(1 approval step taken so far\)"):
        render_letter(engine, fid, fmt="pdf", by="abe")
    with pytest.raises(UsageError, match="only after the last approval step"):
        corrected_claim_for_finding(engine, fid, by="abe")
    with pytest.raises(NotPermitted, match="four eyes"):
        decide(engine, fid, "approve", by="rita", role="admin", rules_path=rules)
    with pytest.raises(NotPermitted, match="needs the approver role"):
        decide(engine, fid, "approve", by="rory", role="reviewer", rules_path=rules)
    with pytest.raises(NotPermitted, match="four eyes"):  # the CLI's operator too, by name
        decide(engine, fid, "approve", by="rita", rules_path=rules)
    assert [e.event for e in audit_events(engine, fid)].count("step_approved") == 1
    done = decide(engine, fid, "approve", by="abe", note="agreed", role="approver", rules_path=rules)
    assert done.status == "approved" and _status(engine, fid) == "approved"
    events = [(e.event, e.actor, e.details.get("step")) for e in audit_events(engine, fid)]
    assert events[-2:] == [("step_approved", "rita", 1), ("approved", "abe", 2)]
    assert not [e for e in events if e[0] in ("letter_written", "corrected_claim_written")]
    state = approval_of(engine, fid, load_pack(rules))
    assert [(s.step, s.actor, s.note) for s in state.steps] == [(1, "rita", "EOB shows two payments"),
                                                                  (2, "abe", "agreed")]
    assert render_letter(engine, fid, fmt="pdf", by="abe").startswith(b"%PDF")
    assert corrected_claim_for_finding(engine, fid, by="abe").startswith(b"ISA")
    with pytest.raises(UsageError, match="is approved; approve needs it open"):
        decide(engine, fid, "approve", by="ada", role="admin", rules_path=rules)


def test_above_the_threshold_an_administrator_takes_a_third_step(pack_store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = pack_store("duplicate_payment")
    fid = _first(engine)
    with engine.connect() as conn:
        amount = stored.finding_by_id(conn, fid).amount  # type: ignore[union-attr]
    above = _two(tmp_path, f'extra_above = "{amount - 1:.2f}"\n')
    decide(engine, fid, "approve", by="rita", role="reviewer", rules_path=above)
    second = decide(engine, fid, "approve", by="abe", role="approver", rules_path=above)
    assert second.status == "open" and second.step is not None and second.step.next_label == \
        "step 3 of 3 (administrator approval)"
    with pytest.raises(NotPermitted, match="needs the admin role"):
        decide(engine, fid, "approve", by="amy", role="approver", rules_path=above)
    with pytest.raises(UsageError, match="only after the last approval step"):
        render_letter(engine, fid, fmt="txt")
    assert decide(engine, fid, "approve", by="ada", role="admin", rules_path=above).status == "approved"
    # At the threshold itself (not above it) two steps do.
    other = _first(engine, "duplicate_payment")
    assert other != fid or other is None
    if other:
        with engine.connect() as conn:
            amount = stored.finding_by_id(conn, other).amount  # type: ignore[union-attr]
        at = _two(tmp_path, f'extra_above = "{amount:.2f}"\n')
        decide(engine, other, "approve", by="rita", role="reviewer", rules_path=at)
        assert decide(engine, other, "approve", by="abe", role="approver", rules_path=at).status == "approved"


def test_a_step_stands_only_while_detect_leaves_the_finding_as_approved(pack_store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = pack_store("duplicate_payment")
    rules = _two(tmp_path)
    fid = _first(engine)
    decide(engine, fid, "approve", by="rita", role="reviewer", rules_path=rules)
    assert len(approval_of(engine, fid, load_pack(rules)).steps) == 1
    with engine.begin() as conn:  # as detect does when a later remittance changes the credit
        row = stored.finding_by_id(conn, fid)
        assert row is not None
        stored.update_finding(conn, fid, {"amount": row.amount - 1, "updated_at": datetime.now(UTC)})
    state = approval_of(engine, fid, load_pack(rules))
    assert state.steps == () and state.progress.number == 1
    # so rita proposes again, and the approver's step follows hers
    decide(engine, fid, "approve", by="rita", role="reviewer", rules_path=rules)
    assert decide(engine, fid, "approve", by="abe", role="approver", rules_path=rules).status == "approved"


def test_a_dismissed_finding_has_no_letter(pack_store) -> None:  # type: ignore[no-untyped-def]
    engine = pack_store("duplicate_payment")
    fid = _first(engine)
    decide(engine, fid, "approve", by="maria")
    decide(engine, fid, "dismiss", by="maria", note="approved in error")
    with pytest.raises(UsageError, match="dismissed: nothing is owed back, so no letter follows"):
        render_letter(engine, fid, fmt="txt")
    with pytest.raises(UsageError, match="dismissed: nothing is owed back, so no corrected claim follows"):
        corrected_claim_for_finding(engine, fid)


def test_a_view_is_recorded_once_a_day_per_person(pack_store) -> None:  # type: ignore[no-untyped-def]
    engine = pack_store("duplicate_payment")
    fid = _first(engine)
    morning = datetime(2025, 8, 5, 8, 0, tzinfo=UTC)
    assert record_view(engine, fid, by="abe", at=morning)
    assert not record_view(engine, fid, by="abe", at=morning + timedelta(hours=9))
    assert record_view(engine, fid, by="rita", at=morning + timedelta(hours=1))
    assert record_view(engine, fid, by="abe", at=morning + timedelta(days=1))
    assert not record_view(engine, 99999, by="abe", at=morning)  # no such finding: nothing recorded
    views = [(e.actor, e.at.date().isoformat(), e.details) for e in audit_events(engine, fid) if e.event == "viewed"]
    assert views == [("abe", "2025-08-05", {}), ("rita", "2025-08-05", {}), ("abe", "2025-08-06", {})]
