"""Derived sums of an account the rules and outputs show: the ledger's, so no other layer adds money.

ARCHITECTURE: "the ledger is the only place that adds them up, and every rule reads balances from
it rather than re-deriving them". Each function here names one sum a finding category or a
document needs, over the adjudication view (adjudication.py); amounts are integer cents. Knows
nothing of thresholds (the rules decide what a sum means) or of wording (the outputs do).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from edi_engine.ledger.adjudication import AccountView, PayerView
from edi_engine.ledger.matching import REVERSAL
from edi_engine.ledger.postings import balance, build_postings
from edi_engine.store.read import ClpFact, PlbFact, RefundFact, StoreFacts

__all__ = ["DEFERRING", "CombinedPayments", "Deferral", "DoubleRecovery", "DuplicateTotals", "LineTotals", "MspTerms",
           "VoidTotals", "combined_payments", "deferral", "deferrals", "deferred_outstanding", "double_recovery",
           "duplicate_totals", "line_totals", "msp_terms", "own_allowed", "primary_excess", "void_totals"]

# The PLB reasons a payer defers a recovery with (negative) and later takes it with (positive): WO
# (overpayment recovery, TR3 option 3) and FB (forwarding balance) (domain.md 1.8, 4.6).
DEFERRING = frozenset({"WO", "FB"})


@dataclass(frozen=True, slots=True)
class Deferral:
    """One PLB reference's deferred recovery: negative WO/FB now, positive with the same reference later."""

    reference: str
    deferred: int  # the negative PLBs, as a positive amount
    outstanding: int  # what of it the later PLBs have not taken back yet, never below 0
    plbs: tuple[PlbFact, ...]


def deferral(reference: str, plbs: list[PlbFact]) -> Deferral | None:
    """The deferral under one reference, or None when nothing was deferred (recoupments only)."""
    deferred = -sum(p.amount for p in plbs if p.amount < 0)
    if deferred <= 0:
        return None
    return Deferral(reference, deferred, max(0, -sum(p.amount for p in plbs)), tuple(plbs))


def deferrals(payer: PayerView) -> list[Deferral]:
    """A payer's deferred recoveries on an account (PLBs tied to its CLP07s), by reference."""
    by_ref: dict[str, list[PlbFact]] = {}
    for plb, _clp in payer.plbs:
        if plb.reason in DEFERRING:
            by_ref.setdefault(plb.reference, []).append(plb)
    return [d for ref, plbs in sorted(by_ref.items()) if (d := deferral(ref, plbs)) is not None]


def deferred_outstanding(payer: PayerView) -> int:
    """Money the payer still holds a deferred recovery on: counted in its net payment, yet spoken for."""
    return sum(d.outstanding for d in deferrals(payer))


@dataclass(frozen=True, slots=True)
class DuplicateTotals:
    paid_again: int  # what the duplicates paid
    still_open: int  # what of it the payer has not reversed or recouped (never below 0 per duplicate)


def duplicate_totals(view: AccountView, payer: PayerView) -> DuplicateTotals:
    """A payer's repeated payments: paid again, and still open after reversals (whole CLP) and PLB recoupments."""
    paid_again = still_open = 0
    for dup, _first in payer.duplicates:
        paid_again += dup.paid
        recovered = payer.recovered.get(dup.id, 0) + (dup.paid if dup.id in view.matches.reversed_by else 0)
        still_open += max(0, dup.paid - recovered)
    return DuplicateTotals(paid_again, still_open)


@dataclass(frozen=True, slots=True)
class VoidTotals:
    paid: int  # what the payer paid on the voided claim, before reversals and recoupments
    still_open: int  # what of it the payer has not reversed (CLP02 22) or recouped (PLB), never below 0


def void_totals(payer: PayerView) -> VoidTotals:
    """A payer's payments on a voided claim (AccountView.void): all of it is owed back (domain.md 7.1)."""
    paid = sum(c.paid for c in payer.clps if c.status != REVERSAL and c.paid > 0)
    # A reversal whose recovery the payer deferred (negative WO/FB) is taken back all the same: that
    # money waits for its recoupment (pending_recoupment), it is not refunded for the void as well.
    return VoidTotals(paid, max(0, min(paid, payer.net_paid - deferred_outstanding(payer))))


def primary_excess(view: AccountView) -> tuple[int, int]:
    """(excess paid before recoveries, excess still open) of the primary payer over what it owed, per CLP."""
    payer = view.primary
    if payer is None:
        return 0, 0
    by_clp: dict[int, int] = {}
    for adj in payer.lines.values():
        over = adj.paid - adj.owed
        if over > 0:
            by_clp[adj.clp.id] = by_clp.get(adj.clp.id, 0) + over
    total = sum(by_clp.values())
    still = sum(max(0, over - payer.recovered.get(clp_id, 0)) for clp_id, over in by_clp.items())
    return total, still


@dataclass(frozen=True, slots=True)
class CombinedPayments:
    by_payer: dict[str, int]  # each payer's standing payment, less what is already another finding
    total: int  # all payers together
    allowed: int  # the primary adjudication's allowed amount, the most the payers together owe


def combined_payments(view: AccountView) -> CombinedPayments | None:
    """What the payers paid together against the primary's allowed (COB), or None without a primary.

    Each payer counts net of reversals and recoupments, less its open duplicates and the recoveries it
    deferred (pending_recoupment), and the primary less its own open overpayment, so a credit already
    reported elsewhere is not counted twice.
    """
    if view.primary is None:
        return None
    allowed = sum(adj.allowed for adj in view.primary.lines.values())
    by_payer = {payer_id: _standing_paid(view, view.payers[payer_id]) for payer_id in view.order}
    if view.order:
        by_payer[view.order[0]] -= primary_excess(view)[1]
    return CombinedPayments(by_payer, sum(by_payer.values()), allowed)


def own_allowed(payer: PayerView) -> int | None:
    """What a payer itself allowed over its standing adjudication: the sum of its AMT*B6, or None
    when a line it paid carries none (a secondary's own allowable under COB, NAIC MDL-120)."""
    services = [s for c in payer.standing for s in c.services]
    if not services or any(s.allowed is None for s in services):
        return None
    return sum(s.allowed or 0 for s in services)


@dataclass(frozen=True, slots=True)
class LineTotals:
    paid: dict[tuple[object, ...], int]  # line identity -> sum of SVC03, reversals (negative) included
    allowed: dict[tuple[object, ...], int]  # line identity -> the last non-reversal AMT*B6


def line_totals(view: AccountView, clps: list[ClpFact]) -> LineTotals:
    """Per billed line (keyed by what the service is, not the row, so a secondary's SVCs match the lines of its own
    837): what the given payments paid, and the allowed amount the last of them reported."""
    paid: dict[tuple[object, ...], int] = {}
    allowed: dict[tuple[object, ...], int] = {}
    for clp in clps:  # reversals (negative) included: the lines tie to CLP04
        for svc in clp.services:
            line = view.matches.line_of.get(svc.id)
            if line is None:
                continue
            paid[line.identity] = paid.get(line.identity, 0) + svc.paid
            if svc.allowed is not None and clp.status != REVERSAL:
                allowed[line.identity] = svc.allowed
    return LineTotals(paid, allowed)


@dataclass(frozen=True, slots=True)
class MspTerms:
    """Medicare's payment as secondary when it paid as primary and another payer primary to it paid
    too (42 CFR 411.33(a); FCSO-MSP, medicare-prod.fcso.com/node/5126): the lowest of
      1. the charge, or the amount the provider is obligated to accept in full from the other
         payer (its allowed, when it took a contractual CO adjustment) if lower, minus what it paid;
      2. what Medicare paid as primary;
      3. the higher of Medicare's and the other payer's allowed amounts minus what it paid.
    Medicare is owed its payment less that secondary payment (FCSO-MSP, node/5156)."""

    charge: int
    medicare_paid: int
    medicare_allowed: int
    other_paid: int
    other_allowed: int
    obligated: int
    secondary: int
    owed: int


def _standing_paid(view: AccountView, payer: PayerView) -> int:
    return payer.net_paid - duplicate_totals(view, payer).still_open - deferred_outstanding(payer)


def msp_terms(view: AccountView, medicare: PayerView, others: list[PayerView]) -> MspTerms:
    """Claim-level sums over each payer's standing payments (net of reversals, recoupments and open
    duplicates); allowed is paid + patient responsibility, as the payer adjudicated it."""
    claim = view.matches.claim_of.get(medicare.standing[0].id) if medicare.standing else None
    charge = claim.charge if claim is not None else max((c.charge for c in medicare.standing), default=0)
    medicare_paid = _standing_paid(view, medicare)
    medicare_allowed = sum(c.paid + c.patient_responsibility() for c in medicare.standing)
    other_paid = sum(_standing_paid(view, o) for o in others)
    other_allowed = max((sum(c.paid + c.patient_responsibility() for c in o.standing) for o in others), default=0)
    contractual = any(a.group == "CO" and a.amount > 0 for o in others for c in o.standing
                      for a in c.all_adjustments())
    obligated = min(charge, other_allowed) if contractual else charge
    secondary = max(0, min(obligated - other_paid, medicare_paid, max(medicare_allowed, other_allowed) - other_paid))
    return MspTerms(charge, medicare_paid, medicare_allowed, other_paid, other_allowed, obligated, secondary,
                    max(0, medicare_paid - secondary))


@dataclass(frozen=True, slots=True)
class DoubleRecovery:
    """A payer's recoupments (PLB WO or 72, positive) of this claim dated on or after a refund the
    provider sent it: the money came back twice (domain.md 4.6)."""

    refunds: list[RefundFact]  # the provider's refunds to this payer that a later recoupment repeats
    recoupments: list[PlbFact]  # the PLBs that took the money again
    refunded: int
    recouped: int
    owed: int  # what the payer owes the provider back: the smaller of the two, never more than its balance


_RECOUP = ("WO", "72")


def double_recovery(view: AccountView, payer: PayerView, facts: StoreFacts) -> DoubleRecovery:
    """What a payer recovered twice on this account: a refund check, then a PLB taking the same
    money again. Capped by the payer's side of the ledger: a positive balance is what it owes."""
    refunds = [r for r in view.account.refunds if r.party == payer.payer_id]
    if not refunds:
        return DoubleRecovery([], [], 0, 0, 0)
    first = min(r.paid_on for r in refunds)
    later: list[tuple[PlbFact, date]] = []
    for plb, _clp in payer.plbs:
        p = facts.payments.get(plb.payment_id)
        if plb.reason in _RECOUP and plb.amount > 0 and p is not None and p.payment_date is not None \
                and p.payment_date >= first:
            later.append((plb, p.payment_date))
    if not later:
        return DoubleRecovery(refunds, [], sum(r.amount for r in refunds), 0, 0)
    last = max(day for _plb, day in later)
    before = [r for r in refunds if r.paid_on <= last]
    refunded = sum(r.amount for r in before)
    recouped = sum(plb.amount for plb, _day in later)
    owes = max(0, balance(build_postings(view), payer.payer_id))
    return DoubleRecovery(before, [plb for plb, _day in later], refunded, recouped, min(refunded, recouped, owes))
