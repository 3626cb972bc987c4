"""Which adjudications of an account still stand, in what order the payers paid, and what each
line was allowed: the netted view every credit-balance rule reads (domain.md 1.10, 3, 4.1).

Owns, per payer: the payments still standing after reversals (CLP02 22) and PLB recoupments;
which of them repeat an earlier standing payment for the same services (duplicates: together they
adjudicated more than was billed) as against splits (parts whose charges add up to the claim's,
lines or claim-level) and corrections (the earlier one reversed); the primary adjudication of
each line, a split's parts added up; the payers' order (CLP02 1/2/3, then payment date); the
allowed amount of each line (fee schedule, else AMT*B6, else paid + patient responsibility; never
above the billed charge except on bundled lines, OA-94 or SVC06, and claim-level payments at a
prospective or case rate); the patient's final responsibility once every payer adjudicated; the
837 void (CLM05-3 8) whose REF*F8 names the payer claim number (CLP07) of a payment on the billed
claim, which takes the claim away (domain.md 7.1). Amounts are integer cents. Knows nothing of
thresholds, categories or deadlines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from edi_engine.ledger.matching import FORWARDED, PAID_STATUSES, REVERSAL, AccountMatches
from edi_engine.store.read import Account, ClaimFact, ClpFact, LineFact, PlbFact, StoreFacts, SvcFact

__all__ = ["VOID", "AccountView", "LineAdjudication", "PayerView", "analyse", "claim_roots"]

VOID = "8"  # CLM05-3 claim frequency: void/cancel of prior claim (domain.md 2.2, 7)
_RANK = {"1": 1, "19": 1, "2": 2, "20": 2, "3": 3, "21": 3}
LineKey = tuple[object, ...]


@dataclass(slots=True)
class LineAdjudication:
    """One line as its payer's standing adjudication left it."""

    key: LineKey
    line: LineFact | None
    clp: ClpFact
    services: list[SvcFact]
    charge: int
    paid: int
    pr: int
    allowed: int  # what the payer allowed (or, with a fee schedule, the contract allows)
    allowed_source: str  # fee-schedule, amt-b6, paid+pr, clp, prospective-rate:94|institutional
    bundled: bool
    priced_as: str = ""  # the code (and modifiers) the fee schedule was read for: SVC01 when re-coded

    @property
    def owed(self) -> int:
        return self.allowed - self.pr


@dataclass(slots=True)
class PayerView:
    payer_id: str
    clps: list[ClpFact] = field(default_factory=list)  # matched, in time order
    standing: list[ClpFact] = field(default_factory=list)  # paid statuses, not reversed, not duplicates
    duplicates: list[tuple[ClpFact, ClpFact]] = field(default_factory=list)  # (duplicate, the payment it repeats)
    recovered: dict[int, int] = field(default_factory=dict)  # CLP id -> cents taken back by PLB
    plbs: list[tuple[PlbFact, ClpFact]] = field(default_factory=list)
    rank: int = 9
    first_paid_on: date | None = None
    last_paid_on: date | None = None
    lines: dict[LineKey, LineAdjudication] = field(default_factory=dict)

    @property
    def net_paid(self) -> int:
        return sum(c.paid for c in self.clps) - sum(self.recovered.values())

    @property
    def filing_indicator(self) -> str:
        return self.clps[-1].filing if self.clps else ""


@dataclass(slots=True)
class AccountView:
    account: Account
    matches: AccountMatches
    payers: dict[str, PayerView]
    order: list[str]  # payers with standing payments, primary first
    billed_claim: ClaimFact | None
    pending: bool  # a payer billed or forwarded to has not adjudicated yet
    final_pr: int | None
    final_pr_clp: ClpFact | None
    # The 837 frequency-8 claim voiding the billed claim: no charge, no patient share remain, and
    # every payment on it is owed back until the payer reverses or recoups it.
    void: ClaimFact | None = None

    @property
    def primary(self) -> PayerView | None:
        return self.payers[self.order[0]] if self.order else None

    @property
    def patient_paid(self) -> int:
        return sum(p.amount for p in self.account.patient_payments)

    def reversed(self, clp: ClpFact) -> bool:
        return clp.id in self.matches.reversed_by


def claim_roots(account: Account, m: AccountMatches) -> dict[int, int]:
    """Replacement or void claim id -> the id of the first claim it replaces (domain.md 7.1): its REF*F8
    is the CLP07 of a payment matched to that claim, whatever CLM01 each carries. A replacement and the
    claim it replaces are one claim: paid on both is paid twice."""
    paid_on: dict[str, int] = {}
    for clp in account.clps:
        claim = m.claim_of.get(clp.id)
        if claim is not None and clp.clp07:
            paid_on.setdefault(clp.clp07, claim.id)
    direct = {c.id: paid_on[c.original_reference] for c in account.claims
              if c.frequency in ("7", VOID) and c.original_reference in paid_on
              and paid_on[c.original_reference] != c.id}
    roots: dict[int, int] = {}
    for claim_id in direct:
        root, seen = claim_id, {claim_id}
        while root in direct and direct[root] not in seen:
            root = direct[root]
            seen.add(root)
        roots[claim_id] = root
    return roots


def _replaces(claim: ClaimFact | None, prior: ClaimFact | None, roots: dict[int, int]) -> bool:
    """`claim` is a replacement (or a replacement's replacement) of `prior`."""
    return claim is not None and prior is not None and claim.id != prior.id and claim.id in roots \
        and roots[claim.id] == roots.get(prior.id, prior.id)


def _portions(clp: ClpFact, m: AccountMatches, roots: dict[int, int]) -> dict[LineKey, tuple[int, int]]:
    """What of the billed services this CLP adjudicated: {key: (charge it adjudicated, charge billed)}.

    A split (domain.md 7.1, 3 pitfall 1) hands each part its own share of the billed charge: lines
    (SVC02 against the line's charge; a line split by units over parts adds up to it), and the claim
    (Σ SVC02, or CLP03 for a claim-level part, against CLM02; the parts add up to CLM02). A
    claim-level CLP for the whole charge adjudicates every line; a claim-level part with its own
    statement period also covers that period once (the same period and charge twice is the same
    service twice)."""
    claim = m.claim_of.get(clp.id)
    out: dict[LineKey, tuple[int, int]] = {}

    def add(key: LineKey, amount: int, billed: int) -> None:
        done, _ = out.get(key, (0, billed))
        out[key] = (done + amount, billed)

    claim_charge = claim.charge if claim is not None else abs(clp.charge)
    claim_key = roots.get(claim.id, claim.id) if claim is not None else clp.clp01
    # Line-level parts count their lines (Σ SVC02): a payer that repeats the whole CLM02 in each
    # part's CLP03 has still split the lines.
    portion = sum(abs(s.charge) for s in clp.services) if clp.services else abs(clp.charge)
    add(("claim", claim_key), portion, claim_charge)
    if clp.services:
        for svc in clp.services:
            line = m.line_of.get(svc.id)
            if line is not None:
                add(line.identity, abs(svc.charge), line.charge)
            else:
                key = ("svc", svc.procedure, svc.modifiers, svc.date_from, svc.charge)
                add(key, abs(svc.charge), abs(svc.charge))
    elif abs(clp.charge) >= claim_charge and claim is not None:
        for ln in claim.lines:
            add(ln.identity, ln.charge, ln.charge)
    elif clp.statement_from is not None:
        add(("period", clp.statement_from, clp.statement_to, abs(clp.charge)), abs(clp.charge), abs(clp.charge))
    return out


def _answered(plb: PlbFact, plbs: list[PlbFact], answer: str) -> bool:
    return any(o.reason == answer and o.reference == plb.reference and o.payment_id == plb.payment_id
               and o.amount == -plb.amount for o in plbs)


def _recoveries(view: PayerView, account: Account, m: AccountMatches) -> None:
    """PLB WO/FB/72 against a CLP07; a 72 that answers a WO of the same reference in the same
    remittance is the cash side of the provider's own refund, so only the WO counts (RFI 1374).
    When that refund is recorded (account.refunds, posted by the ledger as "refund"), the pair is
    only the payer's acknowledgment of it: the refund already took the credit back, so the WO
    counts nothing more. A 72 alone with a positive amount is money taken back like a WO."""
    acknowledged = sum(r.amount for r in account.refunds if r.party == view.payer_id)
    for plb in account.plbs:
        clp = m.plb_clp.get(plb.id)
        if clp is None or clp.payer_id != view.payer_id:
            continue
        if plb.reason == "72" and _answered(plb, account.plbs, "WO"):
            continue
        if plb.reason == "WO" and plb.amount > 0 and acknowledged >= plb.amount and _answered(plb, account.plbs, "72"):
            acknowledged -= plb.amount
            continue
        view.plbs.append((plb, clp))
        view.recovered[clp.id] = view.recovered.get(clp.id, 0) + plb.amount


def _payer_view(payer_id: str, clps: list[ClpFact], account: Account, m: AccountMatches,
                roots: dict[int, int]) -> PayerView:
    view = PayerView(payer_id, clps)
    _recoveries(view, account, m)
    paid_events = [c for c in clps if c.status in PAID_STATUSES]
    # Only the same service paid twice is a duplicate: a payment repeats an earlier standing one when
    # what they adjudicated together exceeds what was billed (a split's parts add up to the claim).
    used: dict[LineKey, int] = {}
    first_by: dict[LineKey, ClpFact] = {}
    for clp in paid_events:
        parts = _portions(clp, m, roots)
        if clp.paid > 0:
            over = [k for k, (amount, billed) in parts.items() if k in first_by and (
                used[k] + amount > billed or amount == 0)]
            if over:
                over.sort(key=lambda k: k[0] == "claim")  # the part or line it repeats, before the whole claim
                earlier = first_by[over[0]]
                if _replaces(m.claim_of.get(clp.id), m.claim_of.get(earlier.id), roots) and earlier in view.standing:
                    # A replacement paid while the payment of the claim it replaces still stands: the
                    # replacement is the payer's current adjudication, so the original's payment is the one
                    # paid twice (owed back until the payer reverses it, domain.md 7.1).
                    view.standing.remove(earlier)
                    view.duplicates.append((earlier, clp))
                    if clp.id not in m.reversed_by:
                        view.standing.append(clp)
                    continue
                view.duplicates.append((clp, earlier))
                continue
            if clp.id not in m.reversed_by:
                for k, (amount, _billed) in parts.items():
                    used[k] = used.get(k, 0) + amount
                    first_by.setdefault(k, clp)
        if clp.id not in m.reversed_by:
            view.standing.append(clp)
    if view.standing:
        first = view.standing[0]
        view.rank = _RANK.get(first.status, 9)
        dates = [c.payment.payment_date for c in view.standing if c.payment and c.payment.payment_date]
        view.first_paid_on = min(dates) if dates else None
        view.last_paid_on = max(dates) if dates else None
    return view


def _recoded(svc: SvcFact) -> bool:
    """SVC06 names a submitted code (or modifiers) other than the adjudicated SVC01."""
    return bool(svc.sub_procedure) and (svc.sub_procedure, svc.sub_modifiers) != (svc.procedure, svc.modifiers)


def _code_text(procedure: str, modifiers: str) -> str:
    return ":".join(x for x in (procedure, modifiers) if x)


def _contract(payer_id: str, line: LineFact | None, svcs: list[SvcFact], facts: StoreFacts,
              fee_per_unit: bool) -> tuple[str, int | None]:
    """What the fee schedule allows for one line, and the code(s) it was read for (None: no fee).

    When SVC06 says the payer re-coded or bundled the line, SVC01 is the code it adjudicated: each
    SVC is priced on its SVC01 code and modifiers times the units it paid (SVC05, one when absent)
    (domain.md 4.5; RFI 2375, 2320). Otherwise the billed code times the billed units."""
    if any(_recoded(s) for s in svcs):
        total, codes = 0, []
        for s in svcs:
            codes.append(_code_text(s.procedure, s.modifiers))
            fee = facts.fee(payer_id, s.procedure, s.modifiers, (line.date_from if line else None) or s.date_from)
            if fee is None:
                return "+".join(dict.fromkeys(codes)), None
            paid_units = s.units if (fee_per_unit and s.units is not None) else Decimal(1)
            total += int(fee.amount * paid_units)
        return "+".join(dict.fromkeys(codes)), total
    if line is None:
        return "", None
    code = line.procedure or svcs[0].procedure
    row = facts.fee(payer_id, code, line.modifiers, line.date_from or svcs[0].date_from)
    if row is None:
        return _code_text(code, line.modifiers), None
    units = line.units if (fee_per_unit and line.units) else 1
    return _code_text(code, line.modifiers), int(row.amount * units)


def _prospective_rate(clp: ClpFact, claim: ClaimFact | None) -> str:
    """Why a claim-level CLP is paid at a prospective or case rate ("" when it is not): a negative
    CO/OA-94 "processed in excess of charges" on the claim, or an institutional claim (its lines
    carry NUBC revenue codes) adjudicated at claim level without SVC loops, as inpatient DRG/PPS
    claims are (RFI 1608, 1279). MIA and CLP11 are not stored, so they cannot be asked."""
    if any(a.reason == "94" and a.amount < 0 and a.group in ("CO", "OA") for a in clp.adjustments):
        return "prospective-rate:94"
    if claim is not None and claim.lines and all(ln.revenue for ln in claim.lines):
        return "prospective-rate:institutional"
    return ""


def _allowed(view: PayerView, facts: StoreFacts, fee_per_unit: bool, m: AccountMatches) -> None:
    # A line's parts (a split's CLPs each paying some of its units) are one adjudication: their
    # paid, patient responsibility and allowed add up (domain.md 7.1).
    by_line: dict[LineKey, list[SvcFact]] = {}
    lines: dict[LineKey, LineFact | None] = {}
    clp_of: dict[LineKey, ClpFact] = {}
    for clp in view.standing:
        for svc in clp.services:
            line = m.line_of.get(svc.id)
            key = line.identity if line else ("svc", svc.id)
            by_line.setdefault(key, []).append(svc)
            lines[key] = line
            clp_of.setdefault(key, clp)
        if not clp.services:
            pr = clp.patient_responsibility()
            rate = _prospective_rate(clp, m.claim_of.get(clp.id))
            # Under a DRG, APC, per-diem or case rate the payment is the rate, not min(rate, charge):
            # a payment above charges is a proper payment, not a credit (domain.md 4.4, 5.2).
            allowed = clp.paid + pr if rate else min(clp.paid + pr, clp.charge)
            view.lines[("claim", clp.id)] = LineAdjudication(("claim", clp.id), None, clp, [], clp.charge, clp.paid,
                                                             pr, allowed, rate or "clp", False)
    for key, svcs in by_line.items():
        clp = clp_of[key]
        line = lines[key]
        paid = sum(s.paid for s in svcs)
        pr = sum(s.cas_total("PR") for s in svcs)
        charge = line.charge if line else sum(s.charge for s in svcs)
        bundled = any(_recoded(s) or any(a.reason == "94" and a.amount < 0 for a in s.adjustments) for s in svcs)
        priced_as, contract = _contract(view.payer_id, line, svcs, facts, fee_per_unit)
        if all(s.allowed is not None for s in svcs):
            allowed, source = sum(s.allowed or 0 for s in svcs), "amt-b6"
        else:
            allowed, source = paid + pr, "paid+pr"
        # The contract caps what the payer owed; a payer that allowed less (a denial, an
        # underpayment) is a receivable question, not a credit, so it never lowers a credit.
        if contract is not None and contract < allowed:
            allowed, source = contract, "fee-schedule"
        if not bundled:
            allowed = min(allowed, charge)
        view.lines[key] = LineAdjudication(key, line, clp, svcs, charge, paid, pr, allowed, source, bundled,
                                           priced_as)


def analyse(account: Account, m: AccountMatches, facts: StoreFacts, fee_per_unit: bool = True) -> AccountView:
    by_payer: dict[str, list[ClpFact]] = {}
    for clp in account.clps:
        if clp.id in m.claim_of:
            by_payer.setdefault(clp.payer_id, []).append(clp)
    roots = claim_roots(account, m)
    payers = {p: _payer_view(p, clps, account, m, roots) for p, clps in by_payer.items()}
    order = sorted((p for p, v in payers.items() if v.standing),
                   key=lambda p: (payers[p].rank, payers[p].first_paid_on or date.min, p))
    for p in order[:1]:
        _allowed(payers[p], facts, fee_per_unit, m)
    billed = None
    if order:
        billed = m.claim_of.get(payers[order[0]].standing[0].id)
    # A rejected claim (999/277CA) is not billed; a void (frequency 8) bills nothing.
    receivable = [c for c in account.claims if not c.rejected and c.frequency != VOID]
    if billed is None and receivable:
        billed = min(receivable, key=lambda c: (c.segment, c.id))
    # Every payer billed (837) or forwarded to (CLP02 19-21) must have adjudicated before the patient's
    # share is final.
    adjudicated = {p for p, v in payers.items() if any(c.status != REVERSAL for c in v.clps)}
    billed_payers = {c.payer_id for c in receivable}
    last = max((c for v in payers.values() for c in v.standing), key=lambda c: c.order_key, default=None)
    forwarded_open = last is not None and last.status in FORWARDED and adjudicated <= {last.payer_id}
    pending = bool(billed_payers - adjudicated) or forwarded_open
    final_pr = final_clp = None
    if last is not None:
        last_payer = payers[last.payer_id]
        final_pr = sum(c.patient_responsibility() for c in last_payer.standing)
        final_clp = last
    return AccountView(account, m, payers, order, billed, pending, final_pr, final_clp, _void_of(account, m, billed))


def _void_of(account: Account, m: AccountMatches, billed: ClaimFact | None) -> ClaimFact | None:
    """The void of the billed claim: an accepted 837 with CLM05-3 8 whose REF*F8 is the CLP07 of a payment
    (or reversal) matched to it (RFI 1538: REF*F8 is required on a void). A void naming no CLP07 of this
    claim voids nothing we can see, so it changes nothing."""
    if billed is None:
        return None
    icns = {c.clp07 for c in account.clps if c.clp07 and (claim := m.claim_of.get(c.id)) is not None
            and claim.id == billed.id}
    voids = [c for c in account.claims if c.frequency == VOID and not c.rejected and c.original_reference in icns]
    return min(voids, key=lambda c: (c.segment, c.id)) if voids else None
