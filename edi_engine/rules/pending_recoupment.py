"""pending_recoupment: a payer re-adjudicated a paid claim downward (CLP02 22 reversal, then a
smaller corrected CLP) and, instead of taking the difference out of that check, deferred it with a
negative PLB: the provider holds that payer's money until a later 835 takes it back (domain.md
4.1 "Deferred recovery (payable)", 4.6).

How payers write it (domain.md 1.8, 1.10, 4.6):
  WO  option 3 of the TR3's claim overpayment recovery: the reversal and correction with a
      negative WO, reference = the CLP07, and on a later 835 a positive WO with the same reference
      (RFI 578, 1386, 1756).
  FB  balance forward: an 835 that nets negative cannot drive BPR02 below zero (RFI 2287), so the
      payer forwards the negative balance, FB negative now and FB positive on a later 835 with the
      same identifier (RFI 2223, 580); that identifier is the TRN02 of the 835 that forwarded it and
      the amount "is not specific to a single claim" (RFI 1114, 2218). A later 835 that nets
      negative again applies the old balance and forwards a new one under its own TRN02 (RFI 738,
      2051), so each identifier is its own pair.

The amount is what is still deferred under one reference: the negative PLBs less what the later
PLBs took back (never below zero; the ledger's sum, ledger.deferrals). Owed to the payer, yet no
refund: the payer has already said it takes the money back, so a refund check as well would pay
it twice (domain.md 4.6; a credit under a payer's demand or recovery is no CMS-838 line, 5.2). No
letter, no deadline, no "approve refund"; resolved by detect once the recoupment arrives, with its
PLB as the evidence.

Two places the deferral is seen:
  - `detect`, per account: PLBs tied to the claim through CLP07 (WO, and FB from payers that
    reference the claim). The ledger books them (postings "recoupment"/"forwarding"), so this
    credit is part of the account's payer credit; the category comes first in the payer pool, and
    the ledger's COB, MSP and void sums leave deferred money out, so the same money is not also
    called a void, a duplicate or a COB overpayment.
  - `forwarded_balances`, store-wide: FB pairs under an identifier that is no CLP07 (the TR3's
    TRN02). No account's ledger holds them; the finding names the payer and check, and its
    evidence the claims the forwarding 835 re-adjudicated.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Connection

from edi_engine.ledger import AccountView, Deferral, StoreFacts, deferral, deferrals
from edi_engine.ledger.matching import REVERSAL
from edi_engine.money import from_cents
from edi_engine.rules.candidate import Candidate, clp_evidence, plb_evidence
from edi_engine.rules.lifecycle import Status
from edi_engine.store.read import ClpFact, PlbFact, claim_payments_on

if TYPE_CHECKING:  # pack.py validates its names against the registry, which imports this module
    from edi_engine.rules.pack import RulePack

__all__ = ["CATEGORY", "detect", "forwarded_balances"]

CATEGORY = "pending_recoupment"


def _trn(plb: PlbFact, facts: StoreFacts) -> str:
    p = facts.payments.get(plb.payment_id)
    return p.trace_number if p else "?"


def _deferred(plb: PlbFact, facts: StoreFacts) -> dict[str, Any]:
    """A negative PLB's evidence with its check's date: the day the provider began to hold the
    payer's money (the credit's arose_on); a recouping PLB carries none, so it never moves that day."""
    rec = plb_evidence(plb, facts, f"difference deferred (PLB {plb.reason} negative)")
    p = facts.payments.get(plb.payment_id)
    if p is not None and p.payment_date is not None:
        rec["check_date"] = p.payment_date.isoformat()
    return rec


def _candidate(clm01: str | None, payer_id: str, d: Deferral, facts: StoreFacts, records: list[dict[str, Any]],
               filing: str) -> Candidate:
    """One reference's deferral as a finding: open for what is still deferred, else resolved."""
    negative = [p for p in d.plbs if p.amount < 0]
    taken = [p for p in d.plbs if p.amount > 0]
    reason = "/".join(sorted({p.reason for p in negative}))
    records = records + [_deferred(p, facts) for p in negative]
    records += [plb_evidence(p, facts, "recouped") for p in taken]
    checks = ", ".join(dict.fromkeys(_trn(p, facts) for p in negative))
    why = "re-adjudicated downward and deferred" if any(r["role"] == "reversed by payer" for r in records) \
        else "deferred"
    summary = f"{payer_id} {why} {from_cents(d.deferred)} (PLB {reason}:{d.reference} negative on check/EFT {checks})"
    if d.outstanding:
        summary += (f"; {from_cents(d.outstanding)} waits for the payer to recoup it on a later 835: owed to the "
                    "payer, who takes it back itself, so no refund check")
        if taken:
            summary += f" ({from_cents(d.deferred - d.outstanding)} already recouped)"
    else:
        summary += f"; recouped on check/EFT {', '.join(dict.fromkeys(_trn(p, facts) for p in taken))}"
    return Candidate(CATEGORY, clm01, payer_id, d.outstanding or d.deferred, None, cause=f"PLB={d.reference}",
                     status=Status.OPEN if d.outstanding else Status.RESOLVED,
                     evidence={"summary": summary, "records": records, "reference": d.reference,
                               "deferred": str(from_cents(d.deferred)),
                               "recouped": str(from_cents(d.deferred - d.outstanding)),
                               "outstanding": str(from_cents(d.outstanding)), "filing_indicator": filing})


def _readjudication(clps: list[ClpFact], payments: set[int], facts: StoreFacts,
                    originals: dict[int, ClpFact]) -> list[dict[str, Any]]:
    """The CLPs that made the difference: each reversal on a deferring check with the payment it
    reverses, and the corrected payment on that check."""
    out: list[dict[str, Any]] = []
    for clp in clps:
        if clp.payment_id not in payments:
            continue
        if clp.status == REVERSAL:
            original = originals.get(clp.id)
            if original is not None:
                out.append(clp_evidence(original, facts, "original payment"))
            out.append(clp_evidence(clp, facts, "reversed by payer"))
        else:
            out.append(clp_evidence(clp, facts, "corrected payment"))
    return out


def detect(view: AccountView, facts: StoreFacts, pack: RulePack) -> list[Candidate]:
    out: list[Candidate] = []
    for payer in view.payers.values():
        for d in deferrals(payer):
            deferring = {p.payment_id for p in d.plbs if p.amount < 0}
            records = _readjudication(payer.clps, deferring, facts, view.matches.reverses)
            out.append(_candidate(view.account.clm01, payer.payer_id, d, facts, records, payer.filing_indicator))
    return out


def forwarded_balances(conn: Connection, facts: StoreFacts) -> list[Candidate]:
    """FB pairs whose identifier is no claim's CLP07 (the TR3's: the TRN02 of the forwarding 835),
    one finding per payer and identifier, tied to no account: the balance is the check's."""
    groups: dict[tuple[str, str], list[PlbFact]] = defaultdict(list)
    for reference, plbs in facts.plbs_by_reference.items():
        if reference in facts.plb_reference_accounts:
            continue  # a CLP07: the account's detect sees it through the ledger
        for plb in plbs:
            payment = facts.payments.get(plb.payment_id)
            if plb.reason == "FB" and payment is not None:
                groups[(payment.payer_id, reference)].append(plb)
    forwarding = {p.payment_id for plbs in groups.values() for p in plbs if p.amount < 0}
    by_payment: dict[int, list[PlbFact]] = defaultdict(list)
    for plbs in facts.plbs_by_reference.values():
        for plb in plbs:
            if plb.payment_id in forwarding:
                by_payment[plb.payment_id].append(plb)
    on_check = claim_payments_on(conn, facts, forwarding) if forwarding else {}
    out: list[Candidate] = []
    for (payer_id, reference), plbs in sorted(groups.items()):
        records: list[dict[str, Any]] = []
        filing = ""
        for pid in sorted({p.payment_id for p in plbs if p.amount < 0}):
            clps = on_check.get(pid, [])
            # Which claims the forwarding 835 took money back from: its reversals and their corrections
            # (a balance carried from an earlier FB shows as that FB's positive PLB on the same check).
            changed = {c.clp01 for c in clps if c.status == REVERSAL}
            records.extend(clp_evidence(c, facts, "reversed by payer" if c.status == REVERSAL
                                        else "corrected payment") for c in clps if c.clp01 in changed)
            filing = filing or next((c.filing for c in clps if c.clp01 in changed and c.filing), "")
            # What else took money back on that 835 and so made it net negative: an earlier forwarded
            # balance applied (RFI 738, 2051), a recoupment (WO positive) it could not cover (RFI 1756).
            records.extend(plb_evidence(o, facts, f"taken back on the forwarding 835 (PLB {o.reason}:{o.reference})")
                           for o in by_payment.get(pid, ()) if o.amount > 0 and o.reference != reference)
        d = deferral(reference, plbs)
        if d is None:
            continue  # a balance applied from an 835 not in the store: nothing deferred that we saw
        cand = _candidate(None, payer_id, d, facts, records, filing)
        claims = sorted({str(r["clp01"]) for r in records if r.get("clp01")})
        cand.evidence["claims"] = claims
        if claims:
            cand.evidence["summary"] += f" (claims re-adjudicated on the forwarding 835: {', '.join(claims)})"
        out.append(cand)
    return out
