"""Named situations the generator places in a world, each with the findings it must produce.

Owns what each scenario sends and receives and the ground-truth rule for its amount:

category scenarios (an open finding unless said otherwise)
- duplicate_payment: the payer pays the same claim on two checks under two CLP07s;
  amount = CLP04 of the second payment, refund_to payer.
- duplicate_reversed: as above, then the payer reverses the second payment (CLP02 22) on a later
  check; the same finding, status resolved.
- duplicate_recouped: as above, then a later check carries PLB WO (reference = the second
  payment's CLP07, amount = its CLP04); the same finding, status resolved.
- payer_overpayment (line level, refund_to payer), amount = SVC03 - (owed), owed = min(contract
  allowed, SVC02) - line PR: variant contract (the payer priced the line above contract and says
  so in AMT*B6: amount = B6 - contract allowed), allowed (paid above its own B6 - PR: amount =
  the excess), charge (a line billed below contract, paid at contract: amount = contract - charge).
- cob_overpayment: the secondary (CLP02 2) pays its own full allowed, ignoring the primary;
  amount = primary CLP04 + secondary CLP04 - sum of the primary's AMT*B6, refund_to payer, payer =
  the secondary (the one that paid last).
- patient_overpayment: patient payments - final patient responsibility (the last payer's CLP05):
  variant estimate (paid an estimate above PR at the visit), twice (paid the statement twice),
  offset (as estimate, and the patient has another claim with an unpaid PR larger than the credit:
  refund_to offset), cob_copay (paid a copay, then the secondary paid the whole PR).
  payer_id = the claim's primary payer as billed.
- unmatched_payment: a CLP whose CLP01 is no claim of this provider; amount = CLP04, no
  refund_to (unapplied cash, not a refund: it needs a match first).

how payers really pay (issue 11; the hand-written packs in fixtures/ show each one by one)
- split_institutional (trap): an inpatient stay (837I, TOB 111) split at a date into two
  claim-level CLPs (no SVC, DTM*232/233 each part's period) whose CLP03 add up to CLM02.
- void: a claim voided after the payer answered (837 CLM05-3 8, REF*F8 = its CLP07, NTE*ADD):
  variant paid (voided_claim_paid = CLP04, open), reversed (the payer's CLP02 22 later: resolved),
  denied (nothing); the patient's payment on a voided claim is voided_claim_patient_paid (patient).
- replacement: frequency 7 under a new CLM01 with REF*F8 = the original's CLP07: both_paid (the
  original never reversed: duplicate_payment of the original's CLP04 on the original's CLM01),
  replaced (reversal and replacement payment: nothing), pending (nothing).
- crossover: Medicare pays CLP02 19 with NM1*TT and MA18; the supplement's 835 (CLP02 2, OA-23,
  its own member id, no 837) pays the patient share: patient_paid (the patient paid that share
  too: patient_overpayment of it, payer MCRB1), supplement_paid, no_answer (traps).
- msp: Medicare and an employer plan both pay as primary: msp_overpayment to Medicare of its
  payment less the 42 CFR 411.33(a) secondary payment (the lowest of the plan's allowed less its
  payment, Medicare's payment, the higher allowed less the plan's payment), allowed = paid + PR.
- drg: an inpatient stay paid at a rate above its charges (claim level; Medicare Part A CO-94
  negative with MIA and CLP11/12, or a commercial case rate OA-94): above_charges, case_rate (traps),
  patient_over (the patient paid above the Part A deductible: patient_overpayment of the excess),
  duplicate (the stay paid again under another ICN: duplicate_payment, a CMS-838 line).
- recoded: SVC01 the adjudicated code, SVC06 the billed one: downcoded (priced at SVC01's
  contract: trap), priced_as_billed (allowed at the billed code's contract: payer_overpayment of
  the difference on that line).
- deferred_recoupment: reversal, a smaller correction and PLB WO of minus the difference on one
  check: pending_recoupment (no refund) of the difference, resolved when a later WO takes it.
- provider_refund: a duplicate the provider refunds by its own check (refunds.csv):
  duplicate_payment refunded; double_recovered: a later PLB 72 takes it again: double_recovery
  (owed to the provider, no refund).

traps (no finding at all)
- reversal_repayment (an underpayment reversed and paid again correctly, on the same check or a
  later one), reversal_only, split_claim (two CLPs, same CLP01, disjoint lines),
  carc18_denial (a paid claim, then CLP02 4 with OA-18 for the resubmission), cob_correct
  (secondary pays exactly the primary's PR), patient_exact (patient pays exactly the PR),
  denied (whole claim denied CO-29), normal.

Whenever a claim with a payer credit has patient responsibility, the patient pays exactly that
responsibility, so a claim's credit balance is exactly its findings. Knows nothing of X12 text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from edi_engine.simulate.adjudicate import (
    adjudicate,
    deny_duplicate,
    line_result,
    secondary_as_primary,
    secondary_correct,
    shares,
)
from edi_engine.simulate.builder import Builder
from edi_engine.simulate.expected import NOT_A_REFUND
from edi_engine.simulate.model import (
    ZERO,
    Adj,
    Claim,
    ClaimLevel,
    ClaimResult,
    Coverage,
    Line,
    LineResult,
    Patient,
    Payer,
    PlbItem,
    PriorPayment,
    money,
)

__all__ = ["SCENARIOS", "Scenario", "run_scenario"]

ScenarioFn = Callable[[Builder, str], None]
# Claims that carry a credit are adjudicated without denied or underpaid lines
# (allow_denials=False, allow_underpayment=False), so the claim's credit balance is its findings
# whichever way an engine nets lines (contract or AMT*B6).


class Scenario:
    def __init__(self, fn: ScenarioFn, variants: tuple[str, ...], summary: str) -> None:
        self.fn, self.variants, self.summary = fn, variants, summary


def _days(b: Builder, low: int, high: int) -> timedelta:
    return timedelta(days=b.rng.randint(low, high))


def _fresh(b: Builder, *, types: tuple[str, ...] | None = None, payer: Payer | None = None,
           secondary: Payer | bool | None = None, institutional: bool | None = False) -> tuple[Claim, Coverage]:
    payer = payer or b.pick_payer(types=types)
    patient = b.new_patient(payer, secondary=secondary)
    claim = b.new_claim(patient, institutional=institutional)
    return claim, b.coverage_for(claim)


def _paying(b: Builder, claim: Claim, coverage: Coverage, day: date, *, need_pr: bool = False,
            lines: tuple[Line, ...] | None = None, allow_denials: bool = True,
            allow_underpayment: bool = True) -> ClaimResult:
    """A normal adjudication that pays something (and leaves the patient a share when asked)."""
    for _ in range(50):
        result = adjudicate(claim, coverage, b.fees, b.rng, control_number=b.control_number(coverage.payer, day),
                            lines=lines, allow_denials=allow_denials, allow_underpayment=allow_underpayment)
        if result.paid > 0 and (result.patient_responsibility > 0 or not need_pr):
            return result
    raise RuntimeError("could not draw a paying adjudication")  # pragma: no cover - 50 draws


def _settle(b: Builder, claim: Claim, pr: Decimal, after: date, installments: int = 1) -> None:
    """The patient pays exactly `pr`, in one or more payments after the remittance."""
    if pr <= 0:
        return
    day = after + _days(b, 5, 30)
    if installments > 1 and pr >= Decimal("2.00"):
        first = money(pr / 2)
        b.patient_pays(claim, day, first)
        b.patient_pays(claim, day + _days(b, 20, 40), pr - first)
    else:
        b.patient_pays(claim, day, pr)


def _submit_primary(b: Builder, claim: Claim, coverage: Coverage) -> None:
    b.submit(claim, coverage, other=claim.patient.secondary)


# -- normal claims and plain traps ---------------------------------------------------------

def normal(b: Builder, variant: str) -> None:
    rng = b.rng
    payer = b.payer_by_id["PPN04"] if variant == "alias" else b.pick_payer()
    secondary = b.secondary_for(payer) if variant != "alias" and rng.random() < 0.15 else None
    patient = b.pool_patient(payer, secondary)
    try:
        claim = b.new_claim(patient)
    except LookupError:  # a busy pool patient: a new one
        claim = b.new_claim(b.new_patient(payer, secondary=secondary))
        patient = claim.patient
    coverage = b.coverage_for(claim)
    _submit_primary(b, claim, coverage)
    day = b.pay_date(coverage.payer, b.today)
    result = adjudicate(claim, coverage, b.fees, b.rng, control_number=b.control_number(coverage.payer, day))
    b.pay(result, day)
    final_pr, last = result.patient_responsibility, day
    if patient.secondary is not None:
        sent = day + _days(b, 2, 6)
        b.submit(claim, patient.secondary, sent, sequence="S", prior=PriorPayment(result, day), other=coverage)
        last = b.pay_date(patient.secondary.payer, sent, 14, 30)
        second = secondary_correct(result, patient.secondary, b.fees,
                                   control_number=b.control_number(patient.secondary.payer, last))
        b.pay(second, last)
        final_pr = second.patient_responsibility
    if final_pr > 0:
        roll = rng.random()
        if roll < 0.45:
            _settle(b, claim, final_pr, last, rng.choice((1, 1, 2)))
        elif roll < 0.65 and final_pr >= Decimal("1.00"):
            b.patient_pays(claim, last + _days(b, 5, 30), money(final_pr * Decimal(rng.randint(10, 90)) / 100))


def denied(b: Builder, variant: str) -> None:
    claim, coverage = _fresh(b, institutional=None)
    _submit_primary(b, claim, coverage)
    day = b.pay_date(coverage.payer, b.today)
    lines = tuple(LineResult(line, ZERO, (Adj("CO", "29", line.charge),)) for line in claim.lines)
    b.pay(ClaimResult(claim, coverage, "4", b.control_number(coverage.payer, day), lines), day)


def patient_exact(b: Builder, variant: str) -> None:
    claim, coverage = _fresh(b, types=("medicare", "commercial"), institutional=None)
    _submit_primary(b, claim, coverage)
    day = b.pay_date(coverage.payer, b.today)
    result = _paying(b, claim, coverage, day, need_pr=True)
    b.pay(result, day)
    _settle(b, claim, result.patient_responsibility, day, b.rng.choice((1, 2)))


def split_claim(b: Builder, variant: str) -> None:
    rng = b.rng
    payer = b.pick_payer()
    claim = b.new_claim(b.new_patient(payer), institutional=False, n_lines=rng.randint(3, 6))
    while len(claim.lines) < 2:  # new_claim drops repeated codes, so three draws can leave one line
        claim = b.new_claim(b.new_patient(payer), institutional=False, n_lines=rng.randint(3, 6))
    coverage = b.coverage_for(claim)
    _submit_primary(b, claim, coverage)
    k = rng.randint(1, len(claim.lines) - 1)
    day = b.pay_date(payer, b.today)
    later = day if rng.random() < 0.5 else b.check_date(payer, day + _days(b, 7, 21))
    first = _paying(b, claim, coverage, day, lines=claim.lines[:k])
    second = _paying(b, claim, coverage, later, lines=claim.lines[k:])
    b.pay(first, day)
    b.pay(second, later)
    if rng.random() < 0.5:
        _settle(b, claim, first.patient_responsibility + second.patient_responsibility, later)


def carc18_denial(b: Builder, variant: str) -> None:
    claim, coverage = _fresh(b)
    _submit_primary(b, claim, coverage)
    day = b.pay_date(coverage.payer, b.today)
    result = _paying(b, claim, coverage, day)
    b.pay(result, day)
    later = b.check_date(coverage.payer, day + _days(b, 7, 30))
    b.pay(deny_duplicate(claim, coverage, control_number=b.control_number(coverage.payer, later)), later)
    if b.rng.random() < 0.5:
        _settle(b, claim, result.patient_responsibility, day)


def _underpaid(b: Builder, result: ClaimResult) -> ClaimResult:
    """The same adjudication with one paid line short by 15-50% (CO-45 larger, AMT*B6 lower)."""
    paid_lines = [i for i, r in enumerate(result.lines) if r.paid > 0]
    i = b.rng.choice(paid_lines)
    r = result.lines[i]
    delta = money(r.paid * Decimal(b.rng.randint(15, 50)) / 100)
    adjustments = tuple(Adj(a.group, a.reason, a.amount + delta) if (a.group, a.reason) == ("CO", "45") else a
                        for a in r.adjustments)
    if not any((a.group, a.reason) == ("CO", "45") for a in r.adjustments):
        adjustments = (Adj("CO", "45", delta),) + adjustments
    short = replace(r, paid=r.paid - delta, adjustments=adjustments,
                    allowed=None if r.allowed is None else r.allowed - delta)
    return replace(result, lines=result.lines[:i] + (short,) + result.lines[i + 1:])


def reversal_repayment(b: Builder, variant: str) -> None:
    claim, coverage = _fresh(b)
    payer = coverage.payer
    _submit_primary(b, claim, coverage)
    day = b.pay_date(payer, b.today)
    correct = _paying(b, claim, coverage, day, allow_denials=False, allow_underpayment=False)
    original = _underpaid(b, correct)
    b.pay(original, day)
    reverse_day = b.check_date(payer, day + _days(b, 7, 30))
    b.pay(original.reversal(), reverse_day)
    repay_day = reverse_day if variant == "same_check" else b.check_date(payer, reverse_day + _days(b, 7, 21))
    if repay_day != reverse_day:
        b.carrier(payer, claim.provider, reverse_day, original.paid)
    b.pay(replace(correct, control_number=b.control_number(payer, repay_day)), repay_day)
    if b.rng.random() < 0.5:
        _settle(b, claim, correct.patient_responsibility, repay_day)


def reversal_only(b: Builder, variant: str) -> None:
    claim, coverage = _fresh(b)
    _submit_primary(b, claim, coverage)
    day = b.pay_date(coverage.payer, b.today)
    result = _paying(b, claim, coverage, day)
    b.pay(result, day)
    later = b.check_date(coverage.payer, day + _days(b, 7, 40))
    b.pay(result.reversal(), later)
    b.carrier(coverage.payer, claim.provider, later, result.paid)


# -- duplicates ----------------------------------------------------------------------------

def _duplicate(b: Builder, variant: str) -> tuple[Claim, ClaimResult, date]:
    payer = b.payer_by_id["PPN04"] if variant == "alias" else None
    claim, coverage = _fresh(b, payer=payer)
    _submit_primary(b, claim, coverage)
    day = b.pay_date(coverage.payer, b.today)
    first = _paying(b, claim, coverage, day, allow_denials=False, allow_underpayment=False)
    b.pay(first, day)
    again = b.check_date(coverage.payer, day + _days(b, 7, 35))
    second = replace(first, control_number=b.control_number(coverage.payer, again))
    b.pay(second, again)
    _settle(b, claim, first.patient_responsibility, day)
    return claim, second, again


def duplicate_payment(b: Builder, variant: str) -> None:
    claim, second, day = _duplicate(b, variant)
    b.finding("duplicate_payment", claim, second.payer, second.paid, "payer",
              note=f"paid again on {day} under CLP07 {second.control_number}")


def duplicate_reversed(b: Builder, variant: str) -> None:
    claim, second, day = _duplicate(b, variant)
    later = b.check_date(second.payer, day + _days(b, 7, 30))
    b.pay(second.reversal(), later)
    b.carrier(second.payer, claim.provider, later, second.paid)
    b.finding("duplicate_payment", claim, second.payer, second.paid, "payer", status="resolved",
              note=f"duplicate CLP07 {second.control_number} reversed (CLP02 22) on {later}")


def duplicate_recouped(b: Builder, variant: str) -> None:
    claim, second, day = _duplicate(b, variant)
    later = b.check_date(second.payer, day + _days(b, 7, 30))
    b.plb(second.payer, claim.provider, later, PlbItem("WO", second.control_number, second.paid))
    b.carrier(second.payer, claim.provider, later, second.paid)
    b.finding("duplicate_payment", claim, second.payer, second.paid, "payer", status="resolved",
              note=f"duplicate CLP07 {second.control_number} recouped by PLB WO on {later}")


# -- payer and COB overpayments ------------------------------------------------------------

def payer_overpayment(b: Builder, variant: str) -> None:
    rng = b.rng
    if variant == "contract":
        payer = rng.choice([p for p in b.payers if p.fee_schedule_exported and p.payer_id != "MCRA1"])
    else:
        payer = rng.choice([p for p in b.payers if p.sends_allowed and p.payer_id != "MCRA1"]
                           + [b.payer_by_id["HWT05"]] * 2)
        if variant == "charge" and not payer.fee_schedule_exported:
            payer = b.payer_by_id["AHP01"]
    claim, coverage = _fresh(b, payer=payer)
    day = b.pay_date(payer, b.today)
    i = rng.randrange(len(claim.lines))
    line = claim.lines[i]
    contract = b.fees.allowed(payer.payer_id, line)
    if variant != "charge" and line.charge <= contract:
        # Fees drawn near or above the charge (rare; years into a large world's fee growth) leave no
        # room to pay over the contract: bill this line above it, as its chargemaster would.
        line = replace(line, charge=money(contract * Decimal("1.5")))
        claim = replace(claim, lines=claim.lines[:i] + (line,) + claim.lines[i + 1:])
    if variant == "charge":
        pr = shares(payer.payer_type, line, contract, rng, [ZERO])
        pr_total = sum(pr, ZERO)
        line = replace(line, charge=money(pr_total + (contract - pr_total) * Decimal(rng.randint(50, 90)) / 100))
        claim = replace(claim, lines=claim.lines[:i] + (line,) + claim.lines[i + 1:])
        over = line_result(line, contract, pr, report_allowed=payer.sends_allowed)
        excess = contract - line.charge
        why = f"line billed {line.charge} below contract {contract}, paid at contract"
    elif variant == "contract":
        stated = min(money(contract * Decimal(rng.randint(110, 140)) / 100), line.charge)
        pr = shares(payer.payer_type, line, stated, rng, [ZERO])
        over = line_result(line, stated, pr, report_allowed=payer.sends_allowed)
        excess = stated - contract
        why = f"priced at {stated} against a contract of {contract}"
    else:
        pr = shares(payer.payer_type, line, contract, rng, [ZERO])
        extra = min(money(contract * Decimal(rng.randint(10, 50)) / 100), line.charge - contract)
        over = line_result(line, contract, pr, report_allowed=True, paid=contract - sum(pr, ZERO) + extra)
        excess = extra
        why = f"paid {over.paid} against its own allowed {contract} less PR {sum(pr, ZERO)}"
    others = tuple(x for x in claim.lines if x is not line)
    rest = adjudicate(claim, coverage, b.fees, rng, control_number=b.control_number(payer, day), lines=others,
                      allow_denials=False, allow_underpayment=False) if others else None
    lines = list(rest.lines) if rest else []
    lines.insert(i, over)
    result = ClaimResult(claim, coverage, "1", rest.control_number if rest else b.control_number(payer, day),
                         tuple(lines))
    assert excess > 0
    _submit_primary(b, claim, coverage)  # after the line's charge is final
    b.pay(result, day)
    _settle(b, claim, result.patient_responsibility, day)
    b.finding("payer_overpayment", claim, payer, excess, "payer", line=line, note=why)


def _cob(b: Builder) -> tuple[Claim, Coverage, Patient]:
    primary = b.rng.choice([p for p in b.payers if p.sends_allowed and p.payer_id != "MCRA1"])
    patient = b.new_patient(primary, secondary=True)
    claim = b.new_claim(patient, institutional=False)
    return claim, b.coverage_for(claim), patient


def cob_overpayment(b: Builder, variant: str) -> None:
    second_cov: Coverage
    for _ in range(50):
        claim, coverage, patient = _cob(b)
        assert patient.secondary is not None
        second_cov = patient.secondary
        day = b.pay_date(coverage.payer, b.today)
        first = _paying(b, claim, coverage, day, allow_denials=False, allow_underpayment=False)
        sent = day + _days(b, 2, 6)
        later = b.pay_date(second_cov.payer, sent, 14, 30)
        second = secondary_as_primary(first, second_cov, b.fees,
                                      control_number=b.control_number(second_cov.payer, later))
        excess = first.paid + second.paid - first.allowed
        if excess > 0:
            break
        b.claims_made -= 1  # discarded draw: the claim is never sent
    _submit_primary(b, claim, coverage)
    b.pay(first, day)
    b.submit(claim, second_cov, sent, sequence="S", prior=PriorPayment(first, day), other=coverage)
    b.pay(second, later)
    b.finding("cob_overpayment", claim, second_cov.payer, excess, "payer",
              note=f"primary paid {first.paid} of allowed {first.allowed}; secondary paid {second.paid}")


def cob_correct(b: Builder, variant: str) -> None:
    claim, coverage, patient = _cob(b)
    second_cov = patient.secondary
    assert second_cov is not None
    _submit_primary(b, claim, coverage)
    day = b.pay_date(coverage.payer, b.today)
    first = _paying(b, claim, coverage, day, need_pr=True, allow_underpayment=False)
    b.pay(first, day)
    sent = day + _days(b, 2, 6)
    b.submit(claim, second_cov, sent, sequence="S", prior=PriorPayment(first, day), other=coverage)
    later = b.pay_date(second_cov.payer, sent, 14, 30)
    b.pay(secondary_correct(first, second_cov, b.fees, control_number=b.control_number(second_cov.payer, later)),
          later)


# -- patients ------------------------------------------------------------------------------

def patient_overpayment(b: Builder, variant: str) -> None:
    rng = b.rng
    if variant == "cob_copay":
        claim, coverage, patient = _cob(b)
        second_cov = patient.secondary
        assert second_cov is not None
        _submit_primary(b, claim, coverage)
        day = b.pay_date(coverage.payer, b.today)
        first = _paying(b, claim, coverage, day, need_pr=True, allow_denials=False, allow_underpayment=False)
        b.pay(first, day)
        sent = day + _days(b, 2, 6)
        b.submit(claim, second_cov, sent, sequence="S", prior=PriorPayment(first, day), other=coverage)
        later = b.pay_date(second_cov.payer, sent, 14, 30)
        b.pay(secondary_correct(first, second_cov, b.fees,
                                control_number=b.control_number(second_cov.payer, later)), later)
        copay = Decimal(rng.choice(("20.00", "25.00", "30.00", "40.00")))
        b.patient_pays(claim, claim.service_from, copay)
        b.finding("patient_overpayment", claim, coverage.payer, copay, "patient",
                  note="copay collected at the visit; the secondary paid the whole patient share")
        return
    claim, coverage = _fresh(b, types=("medicare", "commercial"))
    _submit_primary(b, claim, coverage)
    day = b.pay_date(coverage.payer, b.today)
    result = _paying(b, claim, coverage, day, need_pr=True, allow_denials=False, allow_underpayment=False)
    b.pay(result, day)
    pr = result.patient_responsibility
    refund_to, note = "patient", ""
    if variant == "twice":
        paid_on = day + _days(b, 5, 30)
        b.patient_pays(claim, paid_on, pr)
        b.patient_pays(claim, paid_on + _days(b, 0, 3), pr)
        excess, note = pr, "statement paid twice"
    else:
        excess = money(Decimal(rng.randint(500, 6000)) / 100)
        if variant == "offset":
            other = b.new_claim(claim.patient, institutional=False)
            other_cov = b.coverage_for(other)
            _submit_primary(b, other, other_cov)
            other_day = b.pay_date(other_cov.payer, b.today)
            other_result = _paying(b, other, other_cov, other_day, need_pr=True)
            b.pay(other_result, other_day)
            excess = min(excess, other_result.patient_responsibility - Decimal("0.01"))
            refund_to, note = "offset", f"patient owes {other_result.patient_responsibility} on {other.claim_id}"
        if excess <= 0:  # the other claim's share is a cent: refund instead of offset
            excess, refund_to, note = Decimal("5.00"), "patient", ""
        b.patient_pays(claim, claim.service_from, pr + excess)
        note = note or "estimate collected at the visit above the final patient share"
    b.finding("patient_overpayment", claim, coverage.payer, excess, refund_to, note=note)


def unmatched_payment(b: Builder, variant: str) -> None:
    payer = b.pick_payer()
    patient = b.new_patient(payer)
    provider = b.provider_for(False)
    claim_id = b.foreign_claim_id()
    claim = b.new_claim(patient, institutional=False, claim_id=claim_id, provider=provider)
    coverage = b.coverage_for(claim)
    day = b.pay_date(payer, b.today)
    result = _paying(b, claim, coverage, day, allow_denials=False, allow_underpayment=False)
    b.pay(result, day)
    b.finding("unmatched_payment", claim_id, payer, result.paid, NOT_A_REFUND,
              note="CLP01 is no claim of this provider")


# -- how payers really pay (issue 11) -------------------------------------------------------

_MEDICARE_A_DEDUCTIBLE = Decimal("1676.00")  # the Part A inpatient deductible (PR-1)


def _part(lines: tuple[Line, ...], period: tuple[date, date], rate: Decimal,
          pr_reason: str, pr_share: Decimal) -> ClaimLevel:
    """A claim-level part of `lines`: allowed = rate x their charge, PR a share of it, CO-45 the rest."""
    charge = sum((ln.charge for ln in lines), ZERO)
    allowed = money(charge * rate)
    pr = money(allowed * pr_share)
    return ClaimLevel(charge, allowed - pr, (Adj("CO", "45", charge - allowed), Adj("PR", pr_reason, pr)), period)


def split_institutional(b: Builder, variant: str) -> None:
    """An inpatient stay the payer splits at a date into two claim-level CLPs (no SVC): a trap."""
    rng = b.rng
    payer = b.payer_by_id[rng.choice(("AHP01", "NSB02"))]
    claim = b.new_claim(b.new_patient(payer, institutional=True), inpatient=True, n_lines=rng.randint(2, 5))
    coverage = b.coverage_for(claim)
    _submit_primary(b, claim, coverage)
    cut = claim.service_from + timedelta(days=rng.randint(1, (claim.service_to - claim.service_from).days))
    first_lines = tuple(ln for ln in claim.lines if ln.service_date < cut)
    second_lines = tuple(ln for ln in claim.lines if ln.service_date >= cut)
    rate = Decimal(rng.randint(55, 80)) / 100
    day = b.pay_date(payer, b.today)
    later = day if variant == "same_check" else b.check_date(payer, day + _days(b, 7, 28))
    first = ClaimResult(claim, coverage, "1", b.control_number(payer, day), (),
                        level=_part(first_lines, (claim.service_from, cut - timedelta(days=1)), rate, "2",
                                    Decimal("0.10")))
    second = ClaimResult(claim, coverage, "1", b.control_number(payer, later), (),
                         level=_part(second_lines, (cut, claim.service_to), rate, "1", Decimal("0.05")))
    b.pay(first, day)
    b.pay(second, later)
    if rng.random() < 0.6:
        _settle(b, claim, first.patient_responsibility + second.patient_responsibility, later)


def void(b: Builder, variant: str) -> None:
    """A claim voided after the payer answered (837 frequency 8, REF*F8 = its CLP07).

    paid / reversed: what the payer paid is owed back (voided_claim_paid, resolved once the payer
    reverses it); what the patient paid is theirs (voided_claim_patient_paid). denied: nothing.
    """
    rng = b.rng
    claim, coverage = _fresh(b, types=("medicare", "commercial"))
    payer = coverage.payer
    _submit_primary(b, claim, coverage)
    day = b.pay_date(payer, b.today)
    if variant == "denied":
        lines = tuple(LineResult(ln, ZERO, (Adj("CO", "197", ln.charge),)) for ln in claim.lines)
        result = ClaimResult(claim, coverage, "4", b.control_number(payer, day), lines)
    else:
        result = _paying(b, claim, coverage, day, allow_denials=False, allow_underpayment=False)
    b.pay(result, day)
    patient_paid = ZERO
    if result.patient_responsibility > 0 and rng.random() < 0.6:
        patient_paid = b.patient_pays(claim, day + _days(b, 3, 14), result.patient_responsibility).amount
    voided = day + _days(b, 16, 30)
    b.submit(claim, coverage, voided, frequency="8", original_reference=result.control_number,
             note=rng.choice(("BILLED UNDER THE WRONG PATIENT", "DUPLICATE OF ANOTHER CLAIM", "SERVICE NOT RENDERED")))
    if variant == "denied":
        return
    status = "open"
    if variant == "reversed":
        back = b.check_date(payer, voided + _days(b, 10, 30))
        b.pay(result.reversal(), back)
        b.carrier(payer, claim.provider, back, result.paid)
        status = "resolved"
    b.finding("voided_claim_paid", claim, payer, result.paid, "payer", status=status,
              note=f"voided (REF*F8 {result.control_number}) after the payer paid {result.paid}"
              + ("; reversed (CLP02 22)" if status == "resolved" else ""))
    if patient_paid:
        b.finding("voided_claim_patient_paid", claim, payer, patient_paid, "patient",
                  note="the patient paid the share of a claim that no longer exists")


def replacement(b: Builder, variant: str) -> None:
    """A replacement (frequency 7, REF*F8 = the original's CLP07) sent under a new CLM01.

    both_paid: the payer pays the replacement and never reverses the original: the original's
    payment is a duplicate (duplicate_payment on the original's CLM01). replaced: the original
    reversed and the replacement paid: nothing. pending: the replacement not answered yet: nothing.
    """
    claim, coverage = _fresh(b, types=("medicare", "commercial"))
    payer = coverage.payer
    _submit_primary(b, claim, coverage)
    day = b.pay_date(payer, b.today)
    original = _paying(b, claim, coverage, day, allow_denials=False, allow_underpayment=False)
    b.pay(original, day)
    _settle(b, claim, original.patient_responsibility, day)
    new_id = b.next_claim_id()
    b.claims_made -= 1  # the same claim under another account number, not another claim
    lines = tuple(replace(ln, control_number=f"{new_id[3:]}{ln.number:02d}" if ln.control_number else "")
                  for ln in claim.lines)
    corrected = replace(claim, claim_id=new_id, lines=lines, diagnoses=claim.diagnoses[::-1])
    sent = day + _days(b, 5, 20)
    b.submit(corrected, coverage, sent, frequency="7", original_reference=original.control_number,
             note="CORRECTED DIAGNOSIS")
    if variant == "pending":
        return
    later = b.pay_date(payer, sent, 10, 25)
    by_number = {ln.number: ln for ln in lines}
    again = replace(original, claim=corrected, control_number=b.control_number(payer, later),
                    lines=tuple(replace(r, line=by_number[r.line.number]) for r in original.lines))
    if variant == "replaced":
        b.pay(original.reversal(), later)
    b.pay(again, later)
    if variant == "both_paid":
        b.finding("duplicate_payment", claim, payer, original.paid, "payer",
                  note=f"the original (CLP07 {original.control_number}) and its replacement {new_id} both paid")


def crossover(b: Builder, variant: str) -> None:
    """Medicare pays as primary and forwards the claim (CLP02 19, NM1*TT, MA18) to the supplement.

    The supplemental payer's 835 names the patient under its own member id; nothing was billed to
    it. patient_paid: the patient paid Medicare's share at the visit and the supplement paid it too:
    a patient_overpayment of that share. supplement_paid: the patient paid nothing: no finding.
    no_answer: the patient paid and the supplement has not answered: the share is not final, no finding.
    """
    medicare = b.payer_by_id["MCRB1"]
    supplement = b.payer_by_id[b.rng.choice(("AHP01", "NSB02", "SKMCD"))]
    patient = b.new_patient(medicare, secondary=supplement)
    assert patient.secondary is not None
    claim = b.new_claim(patient, institutional=False)
    coverage = b.coverage_for(claim)
    b.submit(claim, coverage)
    day = b.pay_date(medicare, b.today)
    first = _paying(b, claim, coverage, day, need_pr=True, allow_denials=False, allow_underpayment=False)
    first = replace(first, status="19", crossover=patient.secondary, remarks=("MA18",))
    b.pay(first, day)
    if variant != "supplement_paid":
        b.patient_pays(claim, claim.service_from, first.patient_responsibility)
    if variant == "no_answer":
        return
    later = b.pay_date(supplement, day, 10, 25)
    b.pay(secondary_correct(first, patient.secondary, b.fees, control_number=b.control_number(supplement, later)),
          later)
    if variant == "patient_paid":
        b.finding("patient_overpayment", claim, medicare, first.patient_responsibility, "patient",
                  note=f"paid Medicare's share at the visit; the crossover to {supplement.payer_id} paid it too")


def msp(b: Builder, variant: str) -> None:
    """Medicare paid as primary, then the beneficiary's employer plan also paid as primary.

    Medicare is owed its payment less what it owes as secondary (42 CFR 411.33(a)): the lowest of
    the plan's allowed less its payment (the amount the provider must accept, the plan having
    taken a CO adjustment), Medicare's payment, and the higher allowed less the plan's payment.
    """
    medicare = b.payer_by_id["MCRB1"]
    employer = b.payer_by_id[b.rng.choice(("AHP01", "NSB02", "CVH03"))]
    patient = b.new_patient(medicare, secondary=employer)
    assert patient.secondary is not None
    claim = b.new_claim(patient, institutional=False)
    coverage = b.coverage_for(claim)
    b.submit(claim, coverage)
    day = b.pay_date(medicare, b.today)
    first = _paying(b, claim, coverage, day, allow_denials=False, allow_underpayment=False)
    b.pay(first, day)
    sent = day + _days(b, 5, 20)
    b.submit(claim, patient.secondary, sent)  # billed to the plan as primary once the patient reports it
    later = b.pay_date(employer, sent, 14, 30)
    other = _paying(b, claim, patient.secondary, later, allow_denials=False, allow_underpayment=False)
    b.pay(other, later)
    allowed_m = first.paid + first.patient_responsibility
    allowed_o = other.paid + other.patient_responsibility
    secondary = max(ZERO, min(allowed_o - other.paid, first.paid, max(allowed_m, allowed_o) - other.paid))
    owed = first.paid - secondary
    if owed > 0:
        b.finding("msp_overpayment", claim, medicare, owed, "payer",
                  note=f"Medicare paid {first.paid} as primary, {employer.payer_id} {other.paid} as primary; "
                  f"Medicare owes {secondary} as secondary")


def drg(b: Builder, variant: str) -> None:
    """An inpatient stay paid at a prospective or case rate above its charges (claim level, no SVC).

    Payments above charges under DRG (CO-94 negative, MIA) or a case rate (OA-94) are proper:
    above_charges and case_rate find nothing. patient_over: the patient paid more than the Part A
    deductible: a patient_overpayment of the excess. duplicate: Medicare pays the stay again under
    another ICN: a duplicate_payment of the whole payment (a CMS-838 line).
    """
    rng = b.rng
    case_rate = variant == "case_rate"
    payer = b.payer_by_id["NSB02" if case_rate else "MCRB1"]
    claim = b.new_claim(b.new_patient(payer, institutional=True), inpatient=True, n_lines=rng.randint(2, 5))
    coverage = b.coverage_for(claim)
    payer = coverage.payer
    _submit_primary(b, claim, coverage)
    day = b.pay_date(payer, b.today)
    rate = money(claim.charge * Decimal(rng.randint(125, 175)) / 100)
    days = (claim.service_to - claim.service_from).days
    period = (claim.service_from, claim.service_to)
    if case_rate:
        pr = Adj("PR", "3", Decimal(rng.choice(("150.00", "250.00", "500.00"))))
        level = ClaimLevel(claim.charge, rate - pr.amount, (pr, Adj("OA", "94", claim.charge - rate)), period)
    else:
        pr = Adj("PR", "1", _MEDICARE_A_DEDUCTIBLE)
        level = ClaimLevel(claim.charge, rate - pr.amount, (pr, Adj("CO", "94", claim.charge - rate)), period,
                           drg=rng.choice(("470", "291", "194", "871", "392")),
                           weight=Decimal(rng.randint(9, 25)) / 10,
                           inpatient=(str(days), "", "", f"{rate.normalize():f}"))
    result = ClaimResult(claim, coverage, "1", b.control_number(payer, day), (), level=level)
    b.pay(result, day)
    if variant == "patient_over":
        excess = money(Decimal(rng.randint(2000, 40000)) / 100)
        b.patient_pays(claim, claim.service_from, pr.amount + excess)
        b.finding("patient_overpayment", claim, payer, excess, "patient",
                  note=f"paid {pr.amount + excess} at admission against the {pr.amount} deductible")
        return
    _settle(b, claim, pr.amount, day)
    if variant == "duplicate":
        again = b.check_date(payer, day + _days(b, 7, 28))
        b.pay(replace(result, control_number=b.control_number(payer, again)), again)
        b.finding("duplicate_payment", claim, payer, result.paid, "payer",
                  note=f"DRG {level.drg} paid again on {again}")


_DOWNCODE = {"99215": "99214", "99214": "99213", "99213": "99212", "99204": "99203", "99203": "99202"}


def recoded(b: Builder, variant: str) -> None:
    """The payer adjudicates a line under another code (SVC01) than billed (SVC06).

    downcoded: priced at the adjudicated code's contract: nothing. priced_as_billed: re-coded but
    allowed at the billed code's contract: a payer_overpayment of the difference on that line.
    """
    rng = b.rng
    payer = rng.choice([p for p in b.payers if p.sends_allowed and p.fee_schedule_exported
                        and p.payer_id not in ("MCRA1", "PPN04")])
    patient = b.new_patient(payer)
    claim = b.new_claim(patient, institutional=False)
    billed = rng.choice(sorted(_DOWNCODE))
    paid_as = _DOWNCODE[billed]
    first = replace(claim.lines[0], procedure=billed, modifiers=(), units=Decimal(1),
                    charge=b.chargemaster.charge(billed, (), Decimal(1)))
    others = tuple(ln for ln in claim.lines[1:] if ln.procedure not in _DOWNCODE)
    claim = replace(claim, lines=(first,) + tuple(replace(ln, number=i + 2) for i, ln in enumerate(others)))
    first = claim.lines[0]
    coverage = b.coverage_for(claim)
    _submit_primary(b, claim, coverage)
    day = b.pay_date(payer, b.today)
    contract = b.fees.allowed(payer.payer_id, replace(first, procedure=paid_as))
    allowed = b.fees.allowed(payer.payer_id, first) if variant == "priced_as_billed" else contract
    pr = shares(payer.payer_type, first, allowed, rng, [ZERO])
    line = replace(line_result(first, allowed, pr, report_allowed=True), procedure=paid_as)
    rest = adjudicate(claim, coverage, b.fees, rng, control_number=b.control_number(payer, day),
                      lines=claim.lines[1:], allow_denials=False, allow_underpayment=False)
    result = replace(rest, lines=(line,) + rest.lines)
    b.pay(result, day)
    _settle(b, claim, result.patient_responsibility, day)
    if variant == "priced_as_billed":
        b.finding("payer_overpayment", claim, payer, allowed - contract, "payer", line=first,
                  note=f"{billed} re-coded to {paid_as} (SVC06) and allowed {allowed}; the {paid_as} contract "
                  f"is {contract}")


def deferred_recoupment(b: Builder, variant: str) -> None:
    """A re-adjudication downward whose difference the payer defers by a negative PLB WO.

    On one check: the reversal, the smaller correction, and PLB WO (reference the original CLP07)
    of minus the difference. The practice holds that difference for the payer, who takes it back
    itself: a pending_recoupment (no refund), resolved when a later check's WO takes it (recouped),
    open until then (pending).
    """
    claim, coverage = _fresh(b, types=("medicare", "commercial"))
    payer = coverage.payer
    _submit_primary(b, claim, coverage)
    day = b.pay_date(payer, b.today)
    original = _paying(b, claim, coverage, day, allow_denials=False, allow_underpayment=False)
    b.pay(original, day)
    _settle(b, claim, original.patient_responsibility, day)
    redo = b.check_date(payer, day + _days(b, 14, 40))
    corrected = replace(_underpaid(b, original), control_number=b.control_number(payer, redo))
    difference = original.paid - corrected.paid
    b.pay(original.reversal(), redo)
    b.pay(corrected, redo)
    b.plb(payer, claim.provider, redo, PlbItem("WO", original.control_number, -difference))
    status = "open"
    if variant == "recouped":
        later = b.check_date(payer, redo + _days(b, 14, 35))
        b.plb(payer, claim.provider, later, PlbItem("WO", original.control_number, difference))
        b.carrier(payer, claim.provider, later, difference)
        status = "resolved"
    b.finding("pending_recoupment", claim, payer, difference, NOT_A_REFUND, status=status,
              note=f"re-adjudicated {original.paid} -> {corrected.paid}; PLB WO {original.control_number} "
              f"-{difference} deferred it" + ("; recouped by WO later" if status == "resolved" else ""))


def provider_refund(b: Builder, variant: str) -> None:
    """A duplicate the provider refunds by its own check (refunds.csv); the payer may take it again.

    refunded: the duplicate_payment is refunded, nothing else. double_recovered: a later check's
    PLB 72 (reference the duplicate's CLP07, its CLP04) takes the same money back a second time:
    the payer owes it to the provider (double_recovery, no refund).
    """
    claim, second, day = _duplicate(b, "")
    payer = second.payer
    refund = b.refund("duplicate_payment", claim, payer, second.paid, day + _days(b, 10, 30))
    b.finding("duplicate_payment", claim, payer, second.paid, "payer", status="refunded",
              note=f"paid again under CLP07 {second.control_number}; refunded by check {refund.number} "
              f"on {refund.issued}")
    if variant == "double_recovered":
        later = b.check_date(payer, refund.issued + _days(b, 7, 30))
        b.plb(payer, claim.provider, later, PlbItem("72", second.control_number, second.paid))
        b.carrier(payer, claim.provider, later, second.paid)
        b.finding("double_recovery", claim, payer, second.paid, NOT_A_REFUND,
                  note=f"check {refund.number} refunded it; PLB 72 {second.control_number} on {later} took it again")


SCENARIOS: dict[str, Scenario] = {
    "normal": Scenario(normal, ("", "alias"), "a claim paid at contract; a secondary pays exactly the rest"),
    "denied": Scenario(denied, ("",), "a claim denied whole (CLP02 4, CO-29)"),
    "patient_exact": Scenario(patient_exact, ("",), "the patient pays exactly their share"),
    "split_claim": Scenario(split_claim, ("",), "the payer splits the claim into two CLPs with disjoint lines"),
    "carc18_denial": Scenario(carc18_denial, ("",), "a paid claim, then a CARC 18 duplicate-claim denial"),
    "reversal_repayment": Scenario(reversal_repayment, ("same_check", "later_check"),
                                   "an underpayment reversed (CLP02 22) and paid again correctly"),
    "reversal_only": Scenario(reversal_only, ("",), "a payment reversed with no re-payment"),
    "duplicate_payment": Scenario(duplicate_payment, ("", "alias"), "the same claim paid on two checks"),
    "duplicate_reversed": Scenario(duplicate_reversed, ("",), "a duplicate payment the payer reverses later"),
    "duplicate_recouped": Scenario(duplicate_recouped, ("",), "a duplicate payment recouped by PLB WO later"),
    "payer_overpayment": Scenario(payer_overpayment, ("contract", "allowed", "charge"),
                                  "a line paid above what the payer owed"),
    "cob_overpayment": Scenario(cob_overpayment, ("",), "primary and secondary together pay above the allowed"),
    "cob_correct": Scenario(cob_correct, ("",), "the secondary pays exactly the primary's patient share"),
    "patient_overpayment": Scenario(patient_overpayment, ("estimate", "twice", "offset", "cob_copay"),
                                    "the patient paid more than their final share"),
    "unmatched_payment": Scenario(unmatched_payment, ("",), "a payment for a claim this provider never sent"),
    "split_institutional": Scenario(split_institutional, ("same_check", "later_check"),
                                    "an inpatient stay split into two claim-level CLPs at a date"),
    "void": Scenario(void, ("paid", "reversed", "denied"), "a claim voided (frequency 8) after the payer answered"),
    "replacement": Scenario(replacement, ("both_paid", "replaced", "pending"),
                            "a replacement (frequency 7, REF*F8) under a new CLM01"),
    "crossover": Scenario(crossover, ("patient_paid", "supplement_paid", "no_answer"),
                          "Medicare forwards the claim (CLP02 19) to a supplement with its own member id"),
    "msp": Scenario(msp, ("employer",), "Medicare and an employer plan both paid as primary"),
    "drg": Scenario(drg, ("above_charges", "case_rate", "patient_over", "duplicate"),
                    "an inpatient stay paid at a DRG or case rate above its charges"),
    "recoded": Scenario(recoded, ("downcoded", "priced_as_billed"), "a line adjudicated under another code (SVC06)"),
    "deferred_recoupment": Scenario(deferred_recoupment, ("recouped", "pending"),
                                    "a downward re-adjudication whose difference a PLB WO defers"),
    "provider_refund": Scenario(provider_refund, ("refunded", "double_recovered"),
                                "a duplicate the provider refunds by check, which the payer may recoup again"),
}


def run_scenario(b: Builder, name: str, variant: str | None = None) -> str:
    """Place one situation (a random variant unless given); returns the variant placed."""
    scenario = SCENARIOS[name]
    chosen = variant if variant is not None else b.rng.choice(scenario.variants)
    scenario.fn(b, chosen)
    return chosen
