"""The approval chain as data (rules/approvals.py): the rule pack's [approvals], the steps a refund
of an amount takes, and who may take the next step (role, four eyes)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from edi_engine.errors import UsageError
from edi_engine.rules.approvals import ApprovalChain, Step, Taken, parse_chain, progress, role_allows
from edi_engine.rules.pack import load_pack

TWO = """
[approvals]
steps = [{ name = "proposal", role = "reviewer" }, { name = "approval", role = "approver" }]
extra_above = "1000.00"
"""


def _pack(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "office.toml"
    path.write_text(text)
    return load_pack(path)


def test_the_default_is_one_approval_by_an_approver() -> None:
    chain = load_pack().approvals
    assert chain.steps == (Step("approval", "approver"),) and chain.extra_above is None and chain.four_eyes
    state = progress(chain, Decimal("99999.00"), [])
    assert state.steps == chain.steps and state.last and state.label == "step 1 of 1 (approval)"
    assert state.refusal("rita", "reviewer") == ("step 1 of 1 (approval) needs the approver role or higher; "
                                                 "the reviewer role may not take it")
    assert state.refusal("abe", "approver") is None and state.refusal("ada", "admin") is None


def test_two_steps_four_eyes(tmp_path: Path) -> None:
    chain = _pack(tmp_path, TWO).approvals
    start = progress(chain, Decimal("125.50"), [])
    assert [s.name for s in start.steps] == ["proposal", "approval"] and not start.last
    assert start.refusal("rita", "reviewer") is None  # a reviewer proposes
    after = progress(chain, Decimal("125.50"), [Taken(1, "proposal", "reviewer", "rita")])
    assert after.next == Step("approval", "approver") and after.last and after.number == 2
    assert "approver role" in (after.refusal("rory", "reviewer") or "")
    assert "four eyes" in (after.refusal("RITA ", "admin") or "")  # the same person, however typed
    assert after.refusal("abe", "approver") is None
    done = progress(chain, Decimal("125.50"), [Taken(1, "proposal", "reviewer", "rita"),
                                               Taken(2, "approval", "approver", "abe")])
    assert done.next is None and done.refusal("ada", "admin") == "every approval step is taken"


def test_above_the_threshold_an_administrator_approves_too(tmp_path: Path) -> None:
    chain = _pack(tmp_path, TWO).approvals
    assert chain.extra_above == 100000 and chain.extra_steps == (Step("administrator approval", "admin"),)
    assert len(chain.steps_for(Decimal("1000.00"))) == 2  # strictly above
    big = progress(chain, Decimal("1000.01"), [Taken(1, "proposal", "reviewer", "rita"),
                                               Taken(2, "approval", "approver", "abe")])
    assert big.label == "step 3 of 3 (administrator approval)" and big.last
    assert "admin role" in (big.refusal("amy", "approver") or "")
    assert big.refusal("ada", "admin") is None
    assert "four eyes" in (big.refusal("abe", "admin") or "")
    # the CLI's operator (no role) reaches every step; four eyes still holds by name
    assert big.refusal("ops", None) is None and "four eyes" in (big.refusal("abe", None) or "")


def test_four_eyes_can_be_turned_off() -> None:
    chain = parse_chain({"steps": ["approver", "admin"], "four_eyes": False})
    assert chain.steps == (Step("approver approval", "approver"), Step("admin approval", "admin"))
    after = progress(chain, Decimal("5"), [Taken(1, "approver approval", "approver", "ada")])
    assert after.refusal("ada", "admin") is None


@pytest.mark.parametrize(("raw", "says"), [
    ({"steps": []}, "at least one step"),
    ({"steps": [{"name": "x", "role": "boss"}]}, "role must be one of"),
    ({"steps": [{"name": "x"}]}, "needs a role"),
    ({"extra_above": "lots"}, "is an amount"),
    ({"extra_above": "-5"}, "is an amount"),
    ({"extra_above": "10.001"}, "is an amount"),
    ({"extra_above": "10", "extra_steps": []}, "lists no step"),
    ({"four_eyes": "yes"}, "true or false"),
    ({"step": []}, "unknown settings"),
])
def test_a_bad_chain_is_refused(raw: dict, says: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(UsageError, match=says):
        parse_chain(raw)


def test_roles_are_cumulative() -> None:
    assert role_allows("admin", "reviewer") and role_allows("approver", "approver")
    assert not role_allows("reviewer", "approver") and not role_allows("intruder", "reviewer")
    assert ApprovalChain().describe() == "approval (approver)"


def test_letters_follow_the_statuses_past_the_last_approval() -> None:
    from edi_engine.rules.lifecycle import RELEASED, Decision, Status, next_status
    assert {Status.APPROVED, Status.REFUNDED, Status.OFFSET} == RELEASED
    # every step but the last keeps a finding open; the one APPROVE move of the table is the last step's
    assert next_status("open", Decision.APPROVE) == Status.APPROVED and Status.OPEN not in RELEASED
    assert Status.DISMISSED not in RELEASED and Status.RESOLVED not in RELEASED
