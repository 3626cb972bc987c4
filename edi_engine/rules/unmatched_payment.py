"""unmatched_payment: an 835 payment (CLP, SVC, or PLB recoupment) that matched no 837 claim or
line, or matched more than one: reported, never guessed (domain.md 3). Not a refund: the money
is unapplied cash until someone says where it belongs (a manual match, issue 13), so `refund_to`
is None: no refund deadline, no letter, no "approve refund" and no row on the credit-balance
report or the CMS-838. The payer named is the one that sent it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from edi_engine.ledger import AccountView, StoreFacts
from edi_engine.ledger.matching import MatchProblem
from edi_engine.rules.candidate import Candidate, clp_evidence, plb_evidence, svc_evidence

if TYPE_CHECKING:  # pack.py validates its names against the registry, which imports this module
    from edi_engine.rules.pack import RulePack

__all__ = ["CATEGORY", "detect", "from_problem", "orphan_plbs"]

CATEGORY = "unmatched_payment"


def from_problem(problem: MatchProblem, facts: StoreFacts, clm01: str | None) -> Candidate | None:
    if problem.clp is not None and problem.svc is None:
        clp = problem.clp
        if clp.paid == 0:
            return None  # nothing paid, nothing to apply
        trn = clp.payment.trace_number if clp.payment else ""
        return Candidate(CATEGORY, clp.clp01, clp.payer_id, clp.paid, None,
                         cause=f"{problem.cause}:CLP07={clp.clp07}:CLP02={clp.status}:TRN02={trn}",
                         evidence={"summary": f"claim payment not matched ({problem.cause})",
                                   "records": [clp_evidence(clp, facts, "payment")],
                                   "filing_indicator": clp.filing})
    if problem.svc is not None and problem.clp is not None:
        svc, clp = problem.svc, problem.clp
        if svc.paid == 0:
            return None
        line = svc.ref6r or f"{svc.sub_procedure or svc.procedure}:{svc.date_from or ''}"
        return Candidate(CATEGORY, clp.clp01, clp.payer_id, svc.paid, None, line_key=line,
                         cause=f"{problem.cause}:CLP07={clp.clp07}:SVC={svc.segment - clp.segment}",
                         evidence={"summary": f"service payment not matched to a claim line ({problem.cause})",
                                   "records": [svc_evidence(svc, clp, facts, "service payment"),
                                               clp_evidence(clp, facts, "claim payment")],
                                   "filing_indicator": clp.filing})
    if problem.plb is not None:
        return _plb_candidate(problem.plb, facts, problem.cause)
    return None


def _plb_candidate(plb, facts: StoreFacts, cause: str) -> Candidate:  # type: ignore[no-untyped-def]
    payment = facts.payments.get(plb.payment_id)
    trn = payment.trace_number if payment else ""
    return Candidate(CATEGORY, plb.reference, payment.payer_id if payment else None, plb.amount, None,
                     cause=f"{cause}:PLB={plb.reason}:TRN02={trn}",
                     evidence={"summary": f"provider-level adjustment {plb.reason} not tied to a claim ({cause})",
                               "records": [plb_evidence(plb, facts, "provider adjustment")]})


def detect(view: AccountView, facts: StoreFacts, pack: RulePack) -> list[Candidate]:
    out = []
    for problem in view.matches.problems:
        cand = from_problem(problem, facts, view.account.clm01)
        if cand is not None:
            out.append(cand)
    return out


def orphan_plbs(facts: StoreFacts) -> list[Candidate]:
    """WO recoupments whose reference is no payer claim control number in the store."""
    out: list[Candidate] = []
    for ref, plbs in facts.plbs_by_reference.items():
        if ref in facts.plb_reference_accounts:
            continue
        out.extend(_plb_candidate(plb, facts, "no-claim") for plb in plbs if plb.reason == "WO" and plb.amount > 0)
    return out
