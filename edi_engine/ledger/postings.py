"""The account ledger: postings per claim, line and party, each traced to its stored row, and
the balances derived from them (never stored apart).

A posting moves money on one party's side of an account: a payer (canonical id) or "patient".
Signs: positive means the party owes the provider more (charge, reversal, recoupment taken
back), negative means it owes less (payment, contractual write-down, patient payment). The
final patient responsibility is a transfer: minus on the last payer's side, plus on the
patient's, so the account total is unchanged. CAS adjustments are kept as informational
postings (`in_balance` False) with their group and reason codes; the write-down that counts is
the contractual one, charge less the allowed amount of the primary adjudication (adjudication.py),
so a payer that paid above its allowed shows as a credit. A voided claim (837 frequency 8, REF*F8 =
CLP07) takes its charge back ("void", one per line, traced to the void's CLM) and has no
contractual write-down and no patient responsibility: what the payers and the patient paid on it
is a credit until the payer reverses or recoups it (domain.md 7.1).

Balances: `balance(postings)` for the account; `payer_side` / `patient_side` for who holds a
credit. Amounts are integer cents (edi_engine.money converts them, nowhere here).
"""

from __future__ import annotations

from dataclasses import dataclass

from edi_engine.ledger.adjudication import AccountView
from edi_engine.ledger.matching import REVERSAL
from edi_engine.parsers.balancing_835 import lines_difference

__all__ = ["PATIENT", "Posting", "balance", "build_postings", "credit", "patient_side", "payer_side"]

PATIENT = "patient"


@dataclass(frozen=True, slots=True)
class Posting:
    kind: str  # charge, void, contractual, payment, reversal, recoupment, forwarding, adjustment,
    #            patient_responsibility, patient_payment, unbalanced (CLP04 - sum(SVC03), no claim CAS),
    #            refund (the provider's own check or EFT back to a payer or the patient)
    amount: int  # cents
    party: str  # canonical payer id, or "patient"
    claim_id: int | None
    line_id: int | None
    source: str  # table of the row that proves it
    source_id: int
    file_id: int
    segment: int
    offset: int | None
    claim_payment_id: int | None = None
    code: str = ""  # CAS group-reason, PLB reason, CLP02
    in_balance: bool = True


def build_postings(view: AccountView) -> list[Posting]:
    out: list[Posting] = []
    m = view.matches
    billed = view.billed_claim
    bill_party = view.order[0] if view.order else (billed.payer_id if billed else "")
    if billed is not None:
        if billed.lines:
            for ln in billed.lines:
                out.append(Posting("charge", ln.charge, bill_party, billed.id, ln.id, "claim_line", ln.id,
                                   ln.file_id, ln.segment, ln.offset))
        else:
            out.append(Posting("charge", billed.charge, bill_party, billed.id, None, "claim", billed.id,
                               billed.file_id, billed.segment, billed.offset))
    void = view.void
    if billed is not None and void is not None:
        voided: list[tuple[int, int | None]] = [(ln.charge, ln.id) for ln in billed.lines] or [(billed.charge, None)]
        for charge, line_id in voided:
            out.append(Posting("void", -charge, bill_party, billed.id, line_id, "claim", void.id, void.file_id,
                               void.segment, void.offset, code="CLM05-3=8"))
    primary = view.primary
    if primary is not None and void is None:
        for adj in primary.lines.values():
            write_down = adj.charge - adj.allowed
            if write_down:
                anchor = adj.services[0] if adj.services else None
                out.append(Posting(
                    "contractual", -write_down, primary.payer_id, billed.id if billed else None,
                    adj.line.id if adj.line and billed and adj.line.claim_id == billed.id else None,
                    "service_payment" if anchor else "claim_payment", anchor.id if anchor else adj.clp.id,
                    anchor.file_id if anchor else adj.clp.file_id, anchor.segment if anchor else adj.clp.segment,
                    anchor.offset if anchor else adj.clp.offset, adj.clp.id, adj.allowed_source))
    for clp in view.account.clps:
        claim = m.claim_of.get(clp.id)
        claim_id = claim.id if claim else None
        kind = "reversal" if clp.status == REVERSAL else "payment"
        svc_total = 0
        for svc in clp.services:
            line = m.line_of.get(svc.id)
            svc_total += svc.paid
            if svc.paid:
                out.append(Posting(kind, -svc.paid, clp.payer_id, claim_id, line.id if line else None,
                                   "service_payment", svc.id, svc.file_id, svc.segment, svc.offset, clp.id, clp.status))
            for cas in svc.adjustments:
                out.append(Posting("adjustment", -cas.amount, clp.payer_id, claim_id, line.id if line else None,
                                   "adjustment", cas.id, cas.file_id, cas.segment, cas.offset, clp.id,
                                   f"{cas.group}-{cas.reason}", False))
        if clp.paid - svc_total or not clp.services:
            # CLP04 beyond its lines is cash all the same; with no claim-level CAS to explain it the
            # claim does not balance (RFI 452), so it is booked as "unbalanced", never as a plain
            # payment, and unbalanced_remittance reports it.
            plug = bool(lines_difference(clp.paid, (s.paid for s in clp.services), bool(clp.adjustments)))
            out.append(Posting("unbalanced" if plug else kind, -(clp.paid - svc_total), clp.payer_id, claim_id, None,
                               "claim_payment", clp.id, clp.file_id, clp.segment, clp.offset, clp.id,
                               "CLP04-SVC03" if plug else clp.status))
        for cas in clp.adjustments:
            out.append(Posting("adjustment", -cas.amount, clp.payer_id, claim_id, None, "adjustment", cas.id,
                               cas.file_id, cas.segment, cas.offset, clp.id, f"{cas.group}-{cas.reason}", False))
    for payer in view.payers.values():
        for plb, clp in payer.plbs:
            claim = m.claim_of.get(clp.id)
            out.append(Posting("forwarding" if plb.reason == "FB" else "recoupment", plb.amount, payer.payer_id,
                               claim.id if claim else None, None, "provider_adjustment", plb.id, plb.file_id,
                               plb.segment, plb.offset, clp.id, plb.reason))
    if view.final_pr and view.final_pr_clp is not None and void is None:
        clp = view.final_pr_clp
        claim_id = billed.id if billed else None
        out.append(Posting("patient_responsibility", -view.final_pr, clp.payer_id, claim_id, None, "claim_payment",
                           clp.id, clp.file_id, clp.segment, clp.offset, clp.id, "CLP05"))
        out.append(Posting("patient_responsibility", view.final_pr, PATIENT, claim_id, None, "claim_payment",
                           clp.id, clp.file_id, clp.segment, clp.offset, clp.id, "CLP05"))
    for pp in view.account.patient_payments:
        out.append(Posting("patient_payment", -pp.amount, PATIENT, billed.id if billed else None, None,
                           "patient_payment", pp.id, pp.file_id, pp.segment, None))
    for rf in view.account.refunds:
        # The provider's own refund is cash going back: the party it repaid owes the provider more
        # (its credit shrinks), just as a recoupment would. No file proves it: the refund row does.
        out.append(Posting("refund", rf.amount, rf.party, billed.id if billed else None, None, "refund", rf.id,
                           0, 0, None, code=f"{rf.method} {rf.number}"))
    return out


def balance(postings: list[Posting], party: str | None = None, line_id: int | None = None) -> int:
    """Sum of the postings that count, optionally for one party or one line."""
    return sum(p.amount for p in postings if p.in_balance and (party is None or p.party == party)
               and (line_id is None or p.line_id == line_id))


def payer_side(postings: list[Posting]) -> int:
    """What the payers together still owe (negative: they paid more than the claim is worth to them)."""
    return sum(p.amount for p in postings if p.in_balance and p.party != PATIENT and p.claim_id is not None)


def patient_side(postings: list[Posting]) -> int:
    return sum(p.amount for p in postings if p.in_balance and p.party == PATIENT)


def credit(postings: list[Posting]) -> tuple[int, int]:
    """(payer-side credit, patient-side credit) in cents, each >= 0."""
    return max(0, -payer_side(postings)), max(0, -patient_side(postings))
