"""The expected findings agree with the generated files, re-derived from the bytes alone.

Each rule is recomputed here from what an engine would read (835 CLPs/SVCs/PLBs, 837 claims,
patient_payments.csv, fee_schedule.csv, payer_aliases.csv), never from the generator's plan.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest

from edi_engine.simulate import PACKS, generate_world
from edi_engine.simulate.expected import Finding
from tests.simulate._truth import ZERO, Payment, Read, read_world

STANDING = {"1", "2", "3", "19", "20", "21"}


@pytest.fixture(scope="module", params=[3, 11])
def mixed(request: pytest.FixtureRequest) -> tuple[Read, tuple[Finding, ...]]:
    world = generate_world(300, request.param)
    assert world.contents is not None
    return read_world(dict(world.contents)), world.findings


def _reversed_ids(payments: list[Payment]) -> list[Payment]:
    """The CLPs that stand: paid-type statuses not taken back by a later CLP02 22 with the same CLP07."""
    reversals = defaultdict(int)
    for p in payments:
        if p.clp.status == "22":
            reversals[(p.payer_id, p.clp.payer_claim_control_number)] += 1
    out = []
    for p in sorted(payments, key=lambda p: p.check_date):
        key = (p.payer_id, p.clp.payer_claim_control_number)
        if p.clp.status not in STANDING:
            continue
        if reversals[key]:
            reversals[key] -= 1
            continue
        out.append(p)
    return out


def _primary_payer(read: Read, claim_id: str) -> str:
    return next(c.payer_id for c in read.claims[claim_id] if c.subscriber and c.subscriber.payer_responsibility == "P")


def _secondary_payer(read: Read, claim_id: str) -> str | None:
    return next((c.payer_id for c in read.claims[claim_id]
                 if c.subscriber and c.subscriber.payer_responsibility == "S"), None)


def _line_owed_cap(read: Read, payer_id: str, svc) -> Decimal:  # type: ignore[no-untyped-def]
    """min(contract, AMT*B6, SVC02) of a paid line; 0 for a denied one."""
    pr = sum((a.amount for a in svc.adjustments if a.group == "PR"), ZERO)
    if svc.paid == 0 and pr == 0:
        return ZERO
    caps = [svc.charge]
    if svc.allowed_amount is not None:
        caps.append(svc.allowed_amount)
    assert svc.service_date_from is not None
    contract = read.contract(payer_id, svc.procedure_code, svc.modifiers, svc.units_paid or Decimal(1),
                             svc.service_date_from)
    if contract is not None:
        caps.append(contract)
    assert len(caps) > 1, "a line with neither a contract nor AMT*B6"
    return min(caps)


def _collected_minus_allowed(read: Read, claim_id: str) -> Decimal:
    payments = read.payments.get(claim_id, [])
    primary = _primary_payer(read, claim_id)
    controls = {(p.payer_id, p.clp.payer_claim_control_number) for p in payments}
    collected = sum((p.clp.paid for p in payments), ZERO) + read.patient_paid.get(claim_id, ZERO)
    collected -= sum((amt for payer, reason, ref, amt, _ in read.plb if reason == "WO" and (payer, ref) in controls),
                     ZERO)
    allowed, seen = ZERO, set()
    for p in _reversed_ids(payments):
        if p.payer_id != primary:
            continue
        for svc in p.clp.services:
            key = svc.line_control_number or (svc.procedure_code, svc.modifiers, svc.service_date_from)
            if key not in seen:
                seen.add(key)
                allowed += _line_owed_cap(read, primary, svc)
    return collected - allowed


def _patterned(read: Read) -> dict[str, str]:
    """Claims (CLM01) showing an issue-11 payer pattern in the bytes, with the pattern's name.

    The plain rule above (collected - allowed over standing SVCs) does not describe them; each has
    its own re-derivation in test_each_finding_amount_follows_its_rule or is a trap checked by the
    engine's replay (tests/simulate/test_replay.py).
    """
    out: dict[str, str] = {}
    clp07: dict[str, str] = {}  # CLP07 -> CLP01
    for claim_id, payments in read.payments.items():
        for p in payments:
            clp07[p.clp.payer_claim_control_number] = claim_id
            if p.clp.status == "19":
                out[claim_id] = "crossover"
            elif not p.clp.services:
                out[claim_id] = "claim_level"
            elif any(svc.submitted_procedure is not None for svc in p.clp.services):
                out[claim_id] = "recoded"
    for claim_id, subs in read.claims.items():
        for c in subs:
            if c.frequency in ("7", "8"):
                out[claim_id] = "void" if c.frequency == "8" else "replacement"
                original = clp07.get(c.original_reference)
                if original:
                    out[original] = out[claim_id]
        primaries = {c.payer_id for c in subs if c.subscriber and c.subscriber.payer_responsibility == "P"}
        if len(primaries) > 1:
            out[claim_id] = "msp"
    for _, _reason, ref, amount, _ in read.plb:
        if amount < 0 and ref in clp07:
            out[clp07[ref]] = "deferred_recoupment"
    for row in read.refunds:
        out[row["claim_id"]] = "provider_refund"
    return out


def test_files_parse_clean_and_balance(mixed: tuple[Read, tuple[Finding, ...]]) -> None:
    read, _ = mixed
    assert read.problems == []
    assert read.balances and all(bpr == total for _, bpr, total in read.balances)
    assert all(bpr >= 0 for _, bpr, _ in read.balances)


def test_every_finding_kind_occurs(mixed: tuple[Read, tuple[Finding, ...]]) -> None:
    read, findings = mixed
    kinds = {(f.category, f.status) for f in findings}
    assert {("duplicate_payment", "open"), ("payer_overpayment", "open"), ("cob_overpayment", "open"),
            ("patient_overpayment", "open"), ("unmatched_payment", "open")} <= kinds
    assert set(_patterned(read).values()) >= {"crossover", "claim_level", "void", "replacement"}


def test_credit_balance_of_each_claim_is_its_open_findings(mixed: tuple[Read, tuple[Finding, ...]]) -> None:
    read, findings = mixed
    open_by_claim: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for f in findings:
        if f.status == "open" and f.category != "unmatched_payment":
            open_by_claim[f.claim_id] += f.decimal_amount
    patterned = _patterned(read)
    for claim_id in read.claims:
        if claim_id in patterned:
            continue
        credit = _collected_minus_allowed(read, claim_id)
        if claim_id in open_by_claim:
            assert credit == open_by_claim[claim_id], claim_id
        else:
            assert credit <= 0, claim_id


def test_unmatched_payments_are_exactly_the_unknown_clp01s(mixed: tuple[Read, tuple[Finding, ...]]) -> None:
    read, findings = mixed
    unknown = sorted((pid, p.payer_id, p.clp.paid) for pid, ps in read.payments.items()
                     if pid not in read.claims for p in ps)
    assert unknown == sorted((f.claim_id, f.payer_id, f.decimal_amount) for f in findings
                             if f.category == "unmatched_payment")


def _check_duplicate(read: Read, f: Finding) -> None:
    paid = [p for p in read.payments[f.claim_id] if p.payer_id == f.payer_id and p.clp.status == "1"]
    assert len(paid) >= 2 and len({p.clp.payer_claim_control_number for p in paid}) == len(paid)
    second = max(paid, key=lambda p: p.check_date)
    assert f.decimal_amount == second.clp.paid
    assert second.trace != min(paid, key=lambda p: p.check_date).trace  # two checks
    ref = second.clp.payer_claim_control_number
    reversed_ = any(p.clp.status == "22" and p.clp.payer_claim_control_number == ref and p.clp.paid == -second.clp.paid
                    for p in read.payments[f.claim_id])
    recouped = any(reason == "WO" and r == ref and amt == second.clp.paid for _, reason, r, amt, _ in read.plb)
    refunded = any((row["category"], row["claim_id"], row["payer_id"], Decimal(row["amount"]))
                   == (f.category, f.claim_id, f.payer_id, f.decimal_amount) for row in read.refunds)
    assert f.status == ("refunded" if refunded else "resolved" if reversed_ or recouped else "open")


def _check_double_recovery(read: Read, f: Finding) -> None:
    """The provider's refund check, then a PLB 72 of the same money dated after it."""
    row = next(r for r in read.refunds if (r["claim_id"], r["payer_id"]) == (f.claim_id, f.payer_id))
    controls = {p.clp.payer_claim_control_number for p in read.payments[f.claim_id]}
    again = [(amt, day) for payer, reason, ref, amt, day in read.plb
             if reason == "72" and ref in controls and payer == f.payer_id]
    assert len(again) == 1 and again[0][1] >= date.fromisoformat(row["issue_date"])
    assert f.decimal_amount == again[0][0] == Decimal(row["amount"]) and f.refund_to == "none"


def _check_cob(read: Read, f: Finding) -> None:
    assert f.payer_id == _secondary_payer(read, f.claim_id)
    standing = _reversed_ids(read.payments[f.claim_id])
    primary = [p for p in standing if p.clp.status == "1"]
    secondary = [p for p in standing if p.clp.status == "2"]
    assert len(primary) == 1 and len(secondary) == 1 and secondary[0].payer_id == f.payer_id
    allowed = sum((s.allowed_amount or ZERO for s in primary[0].clp.services), ZERO)
    assert f.decimal_amount == primary[0].clp.paid + secondary[0].clp.paid - allowed > 0


def _check_payer_overpayment(read: Read, f: Finding) -> None:
    claim = read.claims[f.claim_id][0]
    line = next(ln for ln in claim.lines if (ln.line_control_number or str(ln.line_number)) == f.line)
    svc = next(s for p in read.payments[f.claim_id] for s in p.clp.services
               if (s.line_control_number == line.line_control_number if line.line_control_number
                   else (s.procedure_code, s.service_date_from) == (line.procedure_code, line.service_date_from)))
    pr = sum((a.amount for a in svc.adjustments if a.group == "PR"), ZERO)
    assert f.decimal_amount == svc.paid - (_line_owed_cap(read, f.payer_id, svc) - pr) > 0


def _crossover_payer(read: Read, claim_id: str) -> str | None:
    """The supplemental payer that answered Medicare's crossover (CLP02 19): its own CLP02 2, no 837."""
    payments = read.payments[claim_id]
    if not any(p.clp.status == "19" for p in payments):
        return None
    return next((p.payer_id for p in payments if p.clp.status == "2"), None)


def _final_pr(read: Read, claim_id: str) -> Decimal:
    standing = _reversed_ids(read.payments[claim_id])
    last = _secondary_payer(read, claim_id) or _crossover_payer(read, claim_id) or _primary_payer(read, claim_id)
    return sum((p.clp.patient_responsibility or ZERO for p in standing if p.payer_id == last), ZERO)


def _check_patient(read: Read, f: Finding) -> None:
    assert f.payer_id == _primary_payer(read, f.claim_id)
    assert f.decimal_amount == read.patient_paid[f.claim_id] - _final_pr(read, f.claim_id) > 0
    member = read.claims[f.claim_id][0].subscriber.name.id  # type: ignore[union-attr]
    others = [c for c, subs in read.claims.items() if c != f.claim_id
              and any(s.subscriber and s.subscriber.name and s.subscriber.name.id == member for s in subs)]
    owes = [c for c in others if read.patient_paid.get(c, ZERO) < _final_pr(read, c)]
    assert f.refund_to == ("offset" if owes else "patient")


def _check_void(read: Read, f: Finding) -> None:
    void = next(c for c in read.claims[f.claim_id] if c.frequency == "8")
    paid = next(p for p in read.payments[f.claim_id] if p.clp.payer_claim_control_number == void.original_reference
                and p.clp.status in STANDING)
    assert f.payer_id == paid.payer_id and f.decimal_amount == paid.clp.paid > 0
    reversed_ = any(p.clp.status == "22" and p.clp.payer_claim_control_number == void.original_reference
                    for p in read.payments[f.claim_id])
    assert f.status == ("resolved" if reversed_ else "open")


def _check_void_patient(read: Read, f: Finding) -> None:
    assert any(c.frequency == "8" for c in read.claims[f.claim_id])
    assert f.decimal_amount == read.patient_paid[f.claim_id] > 0 and f.refund_to == "patient"


def _check_pending_recoupment(read: Read, f: Finding) -> None:
    controls = {p.clp.payer_claim_control_number for p in read.payments[f.claim_id]}
    deferred = [(ref, amt) for payer, reason, ref, amt, _ in read.plb if reason == "WO" and ref in controls and amt < 0]
    assert len(deferred) == 1 and f.decimal_amount == -deferred[0][1]
    taken = any(reason == "WO" and ref == deferred[0][0] and amt == -deferred[0][1]
                for _, reason, ref, amt, _ in read.plb)
    assert f.status == ("resolved" if taken else "open") and f.refund_to == "none"


def _check_msp(read: Read, f: Finding) -> None:
    """42 CFR 411.33(a): Medicare owes as secondary the lowest of three amounts; the rest it is owed back."""
    by_payer = {p.payer_id: p.clp for p in read.payments[f.claim_id] if p.clp.status == "1"}
    medicare, other = by_payer.pop(f.payer_id), next(iter(by_payer.values()))
    allowed_m = medicare.paid + (medicare.patient_responsibility or ZERO)
    allowed_o = other.paid + (other.patient_responsibility or ZERO)
    secondary = max(ZERO, min(allowed_o - other.paid, medicare.paid, max(allowed_m, allowed_o) - other.paid))
    assert f.decimal_amount == medicare.paid - secondary > 0 and f.payer_id == "MCRB1"


def test_each_finding_amount_follows_its_rule(mixed: tuple[Read, tuple[Finding, ...]]) -> None:
    read, findings = mixed
    checks = {"duplicate_payment": _check_duplicate, "cob_overpayment": _check_cob,
              "payer_overpayment": _check_payer_overpayment, "patient_overpayment": _check_patient,
              "voided_claim_paid": _check_void, "voided_claim_patient_paid": _check_void_patient,
              "pending_recoupment": _check_pending_recoupment, "msp_overpayment": _check_msp,
              "double_recovery": _check_double_recovery}
    patterned = _patterned(read)
    assert {"msp", "recoded", "deferred_recoupment"} & set(patterned.values())
    for f in findings:
        if f.category == "duplicate_payment" and patterned.get(f.claim_id) == "replacement":
            _check_replacement_paid_twice(read, f)
        elif f.category in checks:
            checks[f.category](read, f)


def _check_replacement_paid_twice(read: Read, f: Finding) -> None:
    """The original's payment stands beside its replacement's (frequency 7, REF*F8 = the original's CLP07)."""
    original = next(p for p in read.payments[f.claim_id] if p.clp.status == "1")
    assert not any(p.clp.status == "22" for p in read.payments[f.claim_id])
    replacement = next(c for subs in read.claims.values() for c in subs
                       if c.frequency == "7" and c.original_reference == original.clp.payer_claim_control_number)
    assert any(p.clp.status == "1" for p in read.payments[replacement.patient_control_number])
    assert f.decimal_amount == original.clp.paid and f.payer_id == original.payer_id


@pytest.mark.parametrize("name", sorted(PACKS))
def test_pack_ground_truth(name: str) -> None:
    pack = PACKS[name]
    world = generate_world(pack.claims, pack.seed, scenario=name)
    assert world.contents is not None
    read = read_world(dict(world.contents))
    assert read.problems == []
    assert all(bpr == total for _, bpr, total in read.balances)
    categories = {i[0] for i in pack.instances}
    traps = {"reversal_repayment", "reversal_only", "split_claim", "carc18_denial", "cob_correct", "patient_exact"}
    if categories <= traps:
        assert world.findings == ()
    else:
        assert world.findings
    open_by_claim: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for f in world.findings:
        if f.status == "open" and f.category != "unmatched_payment":
            open_by_claim[f.claim_id] += f.decimal_amount
    for claim_id in read.claims:
        credit = _collected_minus_allowed(read, claim_id)
        assert credit == open_by_claim[claim_id] if claim_id in open_by_claim else credit <= 0, claim_id
