"""Matching 835 facts to the 837 within one account: CLP to claim, SVC to line, reversal to the
payment it reverses, PLB to the payment it recoups.

Owns the matching order and the method names recorded for each match (domain.md 3):
  claim:   CLP01 = CLM01 (an account may hold a replacement under a new CLM01, store/read.py: the
           claim whose CLM01 the CLP01 echoes first), then the payer (837 2010BB NM109 vs the 835 payer id
           through aliases),
           confirmed by member id, service dates and charge; REF*F8 tells a replacement claim from
           the one it replaced; a crossover (CLP02 19/20/21) carries the claim to the next payer,
           whose CLP is confirmed by CLP01, charge and dates, not member id (domain.md 4.3).
  line:    REF*6R first, else procedure (SVC06 when the payer re-coded, else SVC01) and modifiers,
           narrowed by service date, units and charge; an exact-modifier hit that units or charge
           contradict gives way to a line of the same code that agrees (the payer dropped a
           modifier); lines alike in code, date, units and charge are answered in billed order.
  reversal: CLP02 22 to the earlier payment of the same payer with the same CLP07 and negated amount.
  PLB:     PLB03-2 reference = CLP07 (WO, 72, FB).
  manual:  a payment a person matched to a claim (or a line) by hand (store/manual.py, issue 13) is read
           into that claim's account and matched as they said, method `manual`, before any rule above;
           the SVCs of a CLP matched by hand are then matched to its lines as any others (or, for a CLP
           of one SVC matched to a line, to that line).
A claim whose latest 999/277CA verdict rejects it (`ClaimFact.rejected`) never matches: a payment
for it is a `claim-rejected` problem. What cannot be matched, or matches more than one way, is
returned as a `MatchProblem` (the rules turn it into an unmatched_payment finding): never a silent
guess. Knows nothing of money rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from edi_engine.store.read import Account, ClaimFact, ClpFact, LineFact, PlbFact, StoreFacts, SvcFact

__all__ = ["AccountMatches", "Match", "MatchProblem", "match_account", "REVERSAL", "FORWARDED", "PAID_STATUSES"]

REVERSAL = "22"
FORWARDED = frozenset({"19", "20", "21"})
PAID_STATUSES = frozenset({"1", "2", "3", "19", "20", "21"})
PLB_CLAIM_REASONS = frozenset({"WO", "72", "FB"})


@dataclass(frozen=True, slots=True)
class Match:
    subject: str  # claim_payment, service_payment, reversal, provider_adjustment
    subject_id: int
    method: str
    claim_id: int | None = None
    claim_line_id: int | None = None
    claim_payment_id: int | None = None


@dataclass(frozen=True, slots=True)
class MatchProblem:
    """An 835 fact that matched nothing, or more than one thing."""

    subject: str
    subject_id: int
    cause: str  # no-claim, payer-not-billed, patient-mismatch, ambiguous-claim, no-line, ambiguous-line, ...
    clp: ClpFact | None = None
    svc: SvcFact | None = None
    plb: PlbFact | None = None
    candidates: tuple[int, ...] = ()


@dataclass(slots=True)
class AccountMatches:
    claim_of: dict[int, ClaimFact] = field(default_factory=dict)  # CLP id -> claim
    line_of: dict[int, LineFact] = field(default_factory=dict)  # SVC id -> line
    reversed_by: dict[int, ClpFact] = field(default_factory=dict)  # original CLP id -> its reversal
    reverses: dict[int, ClpFact] = field(default_factory=dict)  # reversal CLP id -> original
    plb_clp: dict[int, ClpFact] = field(default_factory=dict)  # PLB id -> the CLP it recoups
    matches: list[Match] = field(default_factory=list)
    problems: list[MatchProblem] = field(default_factory=list)


def match_account(account: Account, facts: StoreFacts) -> AccountMatches:
    result = AccountMatches()
    _pair_reversals(account, result)
    forwarded_by = {c.payer_id: c for c in account.clps if c.status in FORWARDED}
    for clp in account.clps:
        if clp.id in result.reverses:
            continue
        if not (facts.manual and _match_by_hand(account, clp, facts, result)):
            _match_claim(account, clp, forwarded_by, result)
    for clp in account.clps:  # reversals follow their original's claim
        original = result.reverses.get(clp.id)
        if original is None:
            continue
        claim = result.claim_of.get(original.id)
        if claim is not None:
            result.claim_of[clp.id] = claim
            result.matches.append(Match("claim_payment", clp.id, "reversal-of-clp07", claim.id))
            result.matches.append(Match("reversal", clp.id, "clp07+payer+amount", claim.id,
                                        claim_payment_id=original.id))
    for clp in account.clps:
        claim = result.claim_of.get(clp.id)
        if claim is not None:
            _match_lines(clp, claim, result, _pinned(clp, claim, facts))
    _match_plbs(account, facts, result)
    return result


def _match_by_hand(account: Account, clp: ClpFact, facts: StoreFacts, result: AccountMatches) -> bool:
    """The claim a person matched this CLP to, if it is in this account (it is, unless it was undone)."""
    manual = facts.manual_for("claim_payment", clp.id)
    claim = next((c for c in account.claims if manual and c.id == manual.claim_id), None)
    if claim is None:
        return False
    result.claim_of[clp.id] = claim
    result.matches.append(Match("claim_payment", clp.id, "manual", claim.id))
    return True


def _pinned(clp: ClpFact, claim: ClaimFact, facts: StoreFacts) -> dict[int, LineFact]:
    """SVC id -> the line a person matched it to: an SVC matched by hand, or the one SVC of a CLP matched
    by hand to a line. A line that is not on the claim the CLP is matched to now is no pin."""
    if not facts.manual:
        return {}
    lines = {ln.id: ln for ln in claim.lines}
    out: dict[int, LineFact] = {}
    whole = facts.manual_for("claim_payment", clp.id)
    if whole is not None and whole.claim_line_id in lines and len(clp.services) == 1:
        out[clp.services[0].id] = lines[whole.claim_line_id]
    for svc in clp.services:
        own = facts.manual_for("service_payment", svc.id)
        if own is not None and own.claim_line_id in lines:
            out[svc.id] = lines[own.claim_line_id]
    return out


def _original_tests(rev: ClpFact) -> tuple[Callable[[ClpFact], bool], ...]:
    """What makes a payment the original of reversal `rev`, strictest first."""
    return ((lambda c: c.clp07 == rev.clp07 and c.paid == -rev.paid),
            (lambda c: c.clp07 == rev.clp07),
            (lambda c: c.paid == -rev.paid and c.charge == -rev.charge))


def _pair_reversals(account: Account, result: AccountMatches) -> None:
    """A reversal negates the latest earlier payment of the same payer and CLP07 (RFI 1429, 2442)."""
    taken: set[int] = set()
    for i, rev in enumerate(account.clps):
        if rev.status != REVERSAL:
            continue
        pool = [c for c in account.clps if c.status != REVERSAL and c.payer_id == rev.payer_id and c.id not in taken]
        before = [c for c in pool if account.clps.index(c) < i]
        chosen = None
        for tests in _original_tests(rev):
            for group in (before, pool):
                hits = [c for c in group if tests(c)]
                if hits:
                    chosen = hits[-1] if group is before else hits[0]
                    break
            if chosen is not None:
                break
        if chosen is not None:
            taken.add(chosen.id)
            result.reversed_by[chosen.id] = rev
            result.reverses[rev.id] = chosen


def _confirm(clp: ClpFact, claim: ClaimFact, crossover: bool = False) -> str | None:
    """Why this claim cannot be the one the CLP paid, or None.

    A crossover payer (Medigap, Medicaid) names the patient under its own member id, never the
    MBI the claim was billed under (domain.md 4.3), so its CLP is confirmed by the charge Medicare
    forwarded (CLP03 = CLM02) and the service dates instead of the member id."""
    if crossover:
        if abs(clp.charge) != claim.charge:
            return "charge-mismatch"
    elif clp.member_id and claim.member_id and clp.member_id != claim.member_id:
        return "patient-mismatch"
    start, end = claim.service_range
    periods = [(clp.statement_from, clp.statement_to or clp.statement_from)] if clp.statement_from else []
    if crossover:
        periods += [(s.date_from, s.date_from) for s in clp.services if s.date_from]
    for clp_start, clp_end in periods:
        if start and end and clp_start and clp_end and (clp_end < start or clp_start > end):
            return "dates-mismatch"
    if crossover and start and not periods:
        return "no-dates"  # a crossover is matched on its dates: without any it stays unmatched
    return None


def _match_claim(account: Account, clp: ClpFact, forwarded_by: dict[str, ClpFact], result: AccountMatches) -> None:
    method = "clp01+payer"
    billed = [c for c in account.claims if not c.rejected]  # a claim the payer rejected (999/277CA) was not billed
    candidates = [c for c in billed if c.payer_id == clp.payer_id]
    if not candidates and any(c.payer_id == clp.payer_id for c in account.claims):
        result.problems.append(MatchProblem("claim_payment", clp.id, "claim-rejected", clp=clp,
                                            candidates=tuple(c.id for c in account.claims if c.rejected)))
        return
    if not candidates:
        # A crossover: the primary forwarded the claim itself, so no 837 went to this payer (RFI 2365).
        forwarders = [f for p, f in forwarded_by.items() if p != clp.payer_id]
        primaries = [result.claim_of[f.id] for f in forwarders if f.id in result.claim_of]
        if len(primaries) == 1:
            candidates, method = primaries, "clp01+crossover"
        else:
            cause = "no-claim" if not billed else "payer-not-billed"
            result.problems.append(MatchProblem("claim_payment", clp.id, cause, clp=clp))
            return
    # A replacement sent under a new CLM01 is read into its original's account (store/read.py): CLP01,
    # which echoes the CLM01 of the claim adjudicated, says which of them this CLP answers.
    own = [c for c in candidates if c.clm01 == clp.clp01]
    if own and len(own) < len(candidates):
        candidates, method = own, method + "+clm01"
    if clp.status != REVERSAL:
        voids = [c for c in candidates if c.frequency != "8"]
        candidates = voids or candidates
    rejected = [(c, _confirm(clp, c, method == "clp01+crossover")) for c in candidates]
    fitting = [c for c, why in rejected if why is None]
    if not fitting:
        result.problems.append(MatchProblem("claim_payment", clp.id, rejected[0][1] or "no-claim", clp=clp,
                                       candidates=tuple(c.id for c in candidates)))
        return
    chosen: ClaimFact | None = None
    if len(fitting) > 1 and clp.clp07:
        # The payer's CLP07 sits in REF*F8 of a replacement: this CLP paid the claim it replaced.
        replaced = [c for c in fitting if c.original_reference != clp.clp07]
        if 0 < len(replaced) < len(fitting):
            fitting, method = replaced, method + "+ref_f8"
    by_charge = [c for c in fitting if c.charge == abs(clp.charge)]
    if by_charge:
        fitting, method = by_charge, method + "+charge"
    if len(fitting) == 1:
        chosen = fitting[0]
    elif len({c.signature for c in fitting}) == 1:
        # The same claim sent again unchanged: any copy is the same services and amounts.
        chosen, method = min(fitting, key=lambda c: (c.segment, c.id)), method + "+resubmission"
    else:
        replacements = [c for c in fitting if c.frequency == "7"]
        if len(replacements) == 1:
            chosen, method = replacements[0], method + "+replacement"
    if chosen is None:
        result.problems.append(MatchProblem("claim_payment", clp.id, "ambiguous-claim", clp=clp,
                                       candidates=tuple(c.id for c in fitting)))
        return
    result.claim_of[clp.id] = chosen
    result.matches.append(Match("claim_payment", clp.id, method, chosen.id))


def _line_filters(svc: SvcFact) -> list[tuple[str, Callable[[LineFact], bool]]]:
    units = svc.original_units if svc.original_units is not None else svc.units
    return [
        ("date", lambda ln: svc.date_from is None or ln.date_from is None or ln.date_from == svc.date_from),
        ("units", lambda ln: units is None or ln.units is None or ln.units == units),
        ("charge", lambda ln: ln.charge == abs(svc.charge)),
    ]


def _procedure_candidates(svc: SvcFact, lines: list[LineFact]) -> tuple[str, list[LineFact]]:
    if svc.sub_procedure:
        code, mods, method = svc.sub_procedure, svc.sub_modifiers, "svc06"
    else:
        code, mods, method = svc.procedure, svc.modifiers, "procedure"
    if svc.qualifier == "NU" and not svc.sub_procedure:
        return "revenue", [ln for ln in lines if ln.revenue == code]
    hits = [ln for ln in lines if ln.procedure == code and ln.modifiers == mods]
    if not hits and code:
        hits = [ln for ln in lines if ln.procedure == code]  # modifiers dropped or re-ordered by the payer
        method += "-modifiers"
    if not hits and svc.revenue:
        hits = [ln for ln in lines if not ln.procedure and ln.revenue == svc.revenue]
        method = "revenue"
    return method, hits


def _agrees(svc: SvcFact, ln: LineFact) -> bool:
    """Units (SVC07, else SVC05) and charge (SVC02) as billed on the line."""
    units = svc.original_units if svc.original_units is not None else svc.units
    return (units is None or ln.units is None or ln.units == units) and ln.charge == abs(svc.charge)


def _unless_contradicted(svc: SvcFact, lines: list[LineFact], hits: list[LineFact], method: str,
                         taken: set[int]) -> tuple[list[LineFact], str]:
    """An exact-modifier hit is not taken first when units or charge contradict it: a payer that
    drops a modifier (59, XS, ...) returns two lines of one code and date under the same SVC01, so
    the other line of that code that agrees on units and charge is the one this SVC answers."""
    if not hits or method not in ("procedure", "svc06"):
        return hits, method
    code = svc.sub_procedure or svc.procedure

    def same_day(ln: LineFact) -> bool:
        return svc.date_from is None or ln.date_from is None or ln.date_from == svc.date_from

    if any(ln.id not in taken and same_day(ln) and _agrees(svc, ln) for ln in hits):
        return hits, method
    others = [ln for ln in lines if ln.procedure == code and ln.id not in {h.id for h in hits} and ln.id not in taken
              and same_day(ln) and _agrees(svc, ln)]
    return (others, method + "-modifiers") if others else (hits, method)


def _match_lines(clp: ClpFact, claim: ClaimFact, result: AccountMatches,
                 pinned: dict[int, LineFact] | None = None) -> None:
    taken: set[int] = {ln.id for ln in pinned.values()} if pinned else set()
    for svc in clp.services:
        line: LineFact | None = pinned.get(svc.id) if pinned else None
        method = "manual" if line is not None else ""
        if line is None and svc.ref6r:
            hits = [ln for ln in claim.lines if ln.ref6r == svc.ref6r]
            if len(hits) == 1:
                line, method = hits[0], "ref6r"
            elif len(hits) > 1:
                result.problems.append(MatchProblem("service_payment", svc.id, "ambiguous-line", clp=clp, svc=svc,
                                               candidates=tuple(h.id for h in hits)))
                continue
        if line is None:
            method, hits = _procedure_candidates(svc, claim.lines)
            hits, method = _unless_contradicted(svc, claim.lines, hits, method, taken)
            for name, test in _line_filters(svc):
                narrowed = [ln for ln in hits if test(ln)]
                if narrowed:
                    if len(narrowed) < len(hits) or name != "charge":
                        method += "+" + name
                    hits = narrowed
            free = [ln for ln in hits if ln.id not in taken]
            if len(hits) == 1:
                line = hits[0]
            elif len(free) >= 1 and len({ln.identity[:4] + (ln.charge,) for ln in free}) == 1:
                line, method = free[0], method + "+order"  # identical lines: which copy is immaterial
            elif len(free) > 1 and all(_agrees(svc, ln) for ln in free) and len({ln.date_from for ln in free}) == 1:
                # Same code, date, units and charge, modifiers dropped by the payer: the SVCs answer
                # the lines in the order they were billed (domain.md 3, line fallback).
                line, method = free[0], method + "+order"
            elif not hits:
                result.problems.append(MatchProblem("service_payment", svc.id, "no-line", clp=clp, svc=svc))
                continue
            else:
                result.problems.append(MatchProblem("service_payment", svc.id, "ambiguous-line", clp=clp, svc=svc,
                                               candidates=tuple(h.id for h in hits)))
                continue
        taken.add(line.id)
        result.line_of[svc.id] = line
        result.matches.append(Match("service_payment", svc.id, method, claim.id, line.id, clp.id))


def _match_plbs(account: Account, facts: StoreFacts, result: AccountMatches) -> None:
    seen: set[int] = set()
    for plb in account.plbs:
        if plb.id in seen or plb.reason not in PLB_CLAIM_REASONS:
            continue
        seen.add(plb.id)
        payment = facts.payments.get(plb.payment_id)
        payer = payment.payer_id if payment else ""
        if len(facts.plb_reference_accounts.get(plb.reference, ())) > 1:
            result.problems.append(MatchProblem("provider_adjustment", plb.id, "ambiguous-plb-reference", plb=plb))
            continue
        same = [c for c in account.clps if c.clp07 == plb.reference and c.payer_id == payer]
        if not same:
            continue
        live = [c for c in same if c.status != REVERSAL and c.id not in result.reversed_by]
        target = (live or same)[-1]
        result.plb_clp[plb.id] = target
        claim = result.claim_of.get(target.id)
        result.matches.append(Match("provider_adjustment", plb.id, "plb-ref=clp07", claim.id if claim else None,
                                    claim_payment_id=target.id))
