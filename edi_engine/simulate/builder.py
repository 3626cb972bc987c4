"""The scenario builder: the world's cast, counters and calendar, and the events scenarios schedule.

Owns everything a scenario needs to place a situation in the world: fresh or pooled patients,
claims with realistic lines, unique identifiers (CLM01, REF*6R, CLP07, TRN02), each payer's
weekly check run, and the event calendar (837 submissions, 835 claim payments, PLB items,
patient payments) that the world driver drains day by day. It also collects the ground-truth
findings scenarios declare. Knows nothing of X12 text or files.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from edi_engine.simulate.adjudicate import adjudicate
from edi_engine.simulate.catalog import (
    CODES,
    FIRST_NAMES,
    INSTITUTIONAL_CODES,
    LAST_NAMES,
    PAYER_TABLE,
    PROVIDER_TABLE,
    STREETS,
    TOWNS,
    ProcedureCode,
    npi_with_check_digit,
)
from edi_engine.simulate.expected import Finding
from edi_engine.simulate.fees import Chargemaster, FeeSchedule
from edi_engine.simulate.model import (
    ZERO,
    Claim,
    ClaimResult,
    Coverage,
    Line,
    Patient,
    PatientPayment,
    Payer,
    Person,
    PlbItem,
    PriorPayment,
    Provider,
    ProviderRefund,
    Submission,
    money,
)

__all__ = ["Builder", "Event"]

_DIAGNOSES = ("E119", "I10", "J069", "M545", "Z0000", "E785", "M1711", "R051", "K219", "F419", "N390", "S93401A")
_PAYMENT_METHODS = ("card", "cash", "check", "online")
_CODE = {c.code: c for c in CODES}
_EARLY_CODES = tuple(c for c in CODES if c.kind in ("em", "proc", "rad", "therapy"))


@dataclass(frozen=True, slots=True)
class Event:
    kind: str  # submit, pay, plb, patient
    submission: Submission | None = None
    result: ClaimResult | None = None
    provider: Provider | None = None
    payer: Payer | None = None
    plb: PlbItem | None = None
    patient_payment: PatientPayment | None = None


class Builder:
    """One world's state. `today` advances as the driver walks the calendar."""

    def __init__(self, seed: int, start: date, years: range) -> None:
        self.rng = random.Random(seed)
        rng = self.rng
        self.today = start
        self.providers = tuple(
            Provider(npi_with_check_digit(stem), tin, name, addr, city, state, zip_, taxonomy, inst)
            for stem, tin, name, addr, city, state, zip_, taxonomy, inst in PROVIDER_TABLE)
        self.payers = tuple(
            Payer(r.payer_id, r.name, r.payer_type, r.filing_indicator, r.remit_filing_indicator, r.remit_id, r.tin,
                  i % 5, r.sends_allowed, r.fee_schedule_exported, r.pays_by_eft)
            for i, r in enumerate(PAYER_TABLE))
        self.payer_by_id = {p.payer_id: p for p in self.payers}
        self._payer_index = {p.payer_id: i + 1 for i, p in enumerate(self.payers)}
        self._weights = {r.payer_id: r.weight for r in PAYER_TABLE}
        self._institutional_payers = {r.payer_id for r in PAYER_TABLE if r.institutional}
        self.fees = FeeSchedule(self.payers, {r.payer_id: r.fee_factor for r in PAYER_TABLE}, years, rng)
        self.chargemaster = Chargemaster(rng)
        self._claim_seq = 1000 * rng.randint(100, 999)
        self._control_seq = rng.randint(10_000, 90_000)
        self._trace_seq = rng.randint(100_000, 900_000)
        self._member_seq = rng.randint(10_000, 90_000)
        self._receipt_seq = rng.randint(1_000, 9_000)
        self.claims_made = 0
        self.events: dict[date, list[Event]] = defaultdict(list)
        self.findings: list[Finding] = []
        self.patient_payments: list[PatientPayment] = []
        self.refunds: list[ProviderRefund] = []
        self._check_seq = 5000
        self._pool: dict[tuple[str, str | None], list[Patient]] = defaultdict(list)
        self._busy: dict[int, set[date]] = defaultdict(set)

    # -- people ---------------------------------------------------------------------------

    def _person(self, age_from: int, age_to: int) -> Person:
        rng = self.rng
        first, gender = rng.choice(FIRST_NAMES)
        town = rng.choice(TOWNS)
        birth = self.today - timedelta(days=rng.randint(age_from * 365, age_to * 365))
        return Person(rng.choice(LAST_NAMES), first, birth, gender,
                      f"{rng.randint(10, 9999)} {rng.choice(STREETS)}", *town)

    def _member_id(self, payer: Payer) -> str:
        self._member_seq += self.rng.randint(1, 97)
        n = self._member_seq
        if payer.payer_type == "medicare":  # MBI-shaped: 11 characters
            letters = "ACDEFGHJKMNPQRTUVWXY"
            return f"{1 + n % 9}{letters[n % 20]}{letters[(n // 20) % 20]}{n % 10}{letters[(n // 7) % 20]}" \
                   f"{letters[(n // 3) % 20]}{n % 7}{letters[(n // 11) % 20]}{letters[(n // 13) % 20]}{n % 10}{n % 8}"
        if payer.payer_type == "medicaid":
            return f"{n:08d}{'ABCDEFGHJK'[n % 10]}"
        return f"{payer.payer_id[:3]}{n:09d}"

    def pick_payer(self, *, institutional: bool = False, types: tuple[str, ...] | None = None) -> Payer:
        choices = [p for p in self.payers if self._weights[p.payer_id] > 0
                   and (not institutional or p.payer_id in self._institutional_payers or p.payer_type == "medicare")
                   and (types is None or p.payer_type in types)]
        return self.rng.choices(choices, [self._weights[p.payer_id] for p in choices])[0]

    def secondary_for(self, primary: Payer) -> Payer:
        """A plausible second coverage: Medicaid or a supplement behind Medicare, else another plan."""
        if primary.payer_type == "medicare":
            return self.payer_by_id[self.rng.choice(("SKMCD", "AHP01", "NSB02"))]
        options = [p for p in self.payers if p.payer_type == "commercial" and p.payer_id != primary.payer_id]
        return self.rng.choice(options)

    def new_patient(self, payer: Payer | None = None, *, secondary: Payer | None | bool = None,
                    institutional: bool = False) -> Patient:
        """A fresh patient no other scenario touches. secondary=True picks a second coverage."""
        rng = self.rng
        payer = payer or self.pick_payer(institutional=institutional)
        senior = payer.payer_type == "medicare"
        person = self._person(66, 90) if senior else self._person(1, 64)
        relationship, subscriber = "18", person
        if not senior and payer.payer_type == "commercial" and rng.random() < 0.25:
            relationship = "19" if (self.today - person.birth_date).days < 18 * 365 else "01"
            subscriber = self._person(25, 60)
        primary = Coverage(payer, self._member_id(payer), subscriber, relationship, f"G{rng.randint(1000, 99999)}")
        second = None
        if secondary is True:
            secondary = self.secondary_for(payer)
        if isinstance(secondary, Payer):
            second = Coverage(secondary, self._member_id(secondary), person, "18", "")
        return Patient(person, primary, second)

    def pool_patient(self, payer: Payer, secondary: Payer | None) -> Patient:
        """A patient of the general pool (may have other claims); never one a scenario owns."""
        pool = self._pool[(payer.payer_id, secondary.payer_id if secondary else None)]
        if pool and self.rng.random() < 0.6:
            return self.rng.choice(pool)
        patient = self.new_patient(payer, secondary=secondary)
        pool.append(patient)
        return patient

    # -- claims ---------------------------------------------------------------------------

    def provider_for(self, institutional: bool) -> Provider:
        return self.rng.choice([p for p in self.providers if p.institutional == institutional])

    def next_claim_id(self) -> str:
        self._claim_seq += 1
        self.claims_made += 1
        return f"PCN{self._claim_seq:07d}"

    def foreign_claim_id(self) -> str:
        """A patient control number from outside this world's billing system (never a CLM01 here)."""
        return f"ACCT{self.rng.randint(10_000_000, 99_999_999)}"

    def _service_date(self, patient: Patient) -> date:
        busy = self._busy[id(patient)]
        for back in self.rng.sample(range(1, 11), 10):
            day = self.today - timedelta(days=back)
            if day not in busy:
                busy.add(day)
                return day
        raise LookupError("patient has no free service date")

    def new_claim(self, patient: Patient, *, institutional: bool | None = None, n_lines: int | None = None,
                  claim_id: str | None = None, all_control_numbers: bool = False,
                  provider: Provider | None = None, inpatient: bool = False) -> Claim:
        """A claim of 1-6 distinct lines on one service date (837I: up to a 3-day stay).

        inpatient: an 837I inpatient stay (type of bill 11x) of 2-5 days, led by a room-and-board
        line (revenue code 0120, no HCPCS) of one unit a day.
        """
        rng = self.rng
        if institutional is None:
            institutional = patient.primary.payer.payer_id in self._institutional_payers \
                or patient.primary.payer.payer_type == "medicare"
            institutional = institutional and rng.random() < 0.15
        if inpatient:
            institutional = True
        if provider is not None:
            institutional = provider.institutional
        provider = provider or self.provider_for(institutional)
        claim_id = claim_id or self.next_claim_id()
        first_day = self._service_date(patient)
        n = n_lines or rng.choices((1, 2, 3, 4, 5, 6), (22, 30, 22, 13, 8, 5))[0]
        mode = "all" if all_control_numbers else rng.choices(("all", "none", "some"), (85, 10, 5))[0]
        lines: list[Line] = []
        used: set[str] = set()
        stay = rng.randint(0, 2) if institutional else 0
        if inpatient:
            stay = rng.randint(2, 5)
            control = f"{claim_id[3:]}01" if mode != "none" else ""
            days = Decimal(stay)
            lines.append(Line(1, "", (), days, money(Decimal(rng.randint(1800, 2600)) * days), first_day,
                              control, "0120"))
            n = max(n, 2)
        for _number in range(1, n + 1):
            if institutional:
                revenue, code = rng.choice(INSTITUTIONAL_CODES)
            else:
                revenue, code = "", self._pick_code(lines).code
            if code in used:
                continue
            used.add(code)
            spec = _CODE.get(code)
            units = Decimal(rng.randint(1, spec.max_units)) if spec else Decimal(1)
            modifiers = self._modifiers(code, lines, institutional)
            day = first_day + timedelta(days=rng.randint(0, stay)) if institutional else first_day
            control = ""
            if mode == "all" or (mode == "some" and rng.random() < 0.5):
                control = f"{claim_id[3:]}{len(lines) + 1:02d}"
            lines.append(Line(len(lines) + 1, code, modifiers, units,
                              self.chargemaster.charge(code, modifiers, units), day, control, revenue))
        if inpatient:  # the stay ends on its last day, whatever the other lines' dates
            last = lines[-1]
            lines[-1] = Line(last.number, last.procedure, last.modifiers, last.units, last.charge,
                             first_day + timedelta(days=stay), last.control_number, last.revenue_code)
        diagnoses = tuple(rng.sample(_DIAGNOSES, rng.randint(1, 3)))
        facility = ("11" if inpatient else "13") if institutional else rng.choice(("11", "11", "11", "22"))
        return Claim(claim_id, "I" if institutional else "P", provider, patient, tuple(lines), diagnoses, facility)

    def _pick_code(self, lines: list[Line]) -> ProcedureCode:
        rng = self.rng
        if not lines:
            return rng.choice(_EARLY_CODES)
        return rng.choice(CODES)

    def _modifiers(self, code: str, lines: list[Line], institutional: bool) -> tuple[str, ...]:
        rng = self.rng
        spec = _CODE.get(code)
        if spec is None or institutional:
            return ()
        mods: list[str] = []
        if spec.professional_component and rng.random() < 0.4:
            mods.append("26")
        if spec.side:
            mods.append(rng.choice(("RT", "LT")))
        if spec.kind == "therapy" and lines:
            mods.append("59")
        return tuple(mods)

    # -- identifiers and calendar ---------------------------------------------------------

    def control_number(self, payer: Payer, day: date) -> str:
        """A new CLP07: payer digit, julian date, sequence."""
        self._control_seq += self.rng.randint(1, 9)
        return f"{self._payer_index[payer.payer_id]}{day:%y}{day.timetuple().tm_yday:03d}{self._control_seq:07d}"

    def trace_number(self, payer: Payer, day: date) -> str:
        self._trace_seq += self.rng.randint(1, 5)
        if payer.pays_by_eft:
            return f"{day:%y%m%d}{self._payer_index[payer.payer_id]}{self._trace_seq:07d}"
        return f"{self._trace_seq:08d}"

    def receipt(self) -> str:
        self._receipt_seq += 1
        return f"R{self._receipt_seq:06d}"

    def check_date(self, payer: Payer, earliest: date) -> date:
        """The payer's first weekly check run on or after `earliest`."""
        return earliest + timedelta(days=(payer.check_weekday - earliest.weekday()) % 7)

    def pay_date(self, payer: Payer, after: date, low: int = 14, high: int = 45) -> date:
        return self.check_date(payer, after + timedelta(days=self.rng.randint(low, high)))

    # -- events ---------------------------------------------------------------------------

    def _at(self, day: date, event: Event) -> None:
        if day < self.today:
            raise ValueError("an event cannot be scheduled in the past")
        self.events[day].append(event)

    def submit(self, claim: Claim, coverage: Coverage, day: date | None = None, *, sequence: str = "P",
               prior: PriorPayment | None = None, other: Coverage | None = None, frequency: str = "1",
               original_reference: str = "", note: str = "") -> Submission:
        """An 837 claim; frequency 7 (replacement) or 8 (void) with REF*F8 = the payer's CLP07."""
        submission = Submission(claim, coverage, sequence, day or self.today, prior, other, frequency,
                                original_reference, note)
        self._at(submission.submitted, Event("submit", submission=submission))
        return submission

    def pay(self, result: ClaimResult, day: date) -> None:
        if day != self.check_date(result.payer, day):
            raise ValueError("claim payments go on the payer's check run")
        self._at(day, Event("pay", result=result, provider=result.claim.provider, payer=result.payer))

    def plb(self, payer: Payer, provider: Provider, day: date, item: PlbItem) -> None:
        self._at(day, Event("plb", provider=provider, payer=payer, plb=item))

    def patient_pays(self, claim: Claim, day: date, amount: Decimal) -> PatientPayment:
        payment = PatientPayment(claim.claim_id, day, money(amount), self.rng.choice(_PAYMENT_METHODS), self.receipt())
        self.patient_payments.append(payment)
        return payment

    def refund(self, category: str, claim: Claim, payer: Payer, amount: Decimal, day: date) -> ProviderRefund:
        """The provider's own refund check for the finding (category, claim, payer), issued on `day`."""
        self._check_seq += 1
        refund = ProviderRefund(category, claim.claim_id, payer, money(amount), str(self._check_seq), day)
        self.refunds.append(refund)
        return refund

    def finding(self, category: str, claim: Claim | str, payer: Payer, amount: Decimal, refund_to: str, *,
                status: str = "open", line: Line | None = None, note: str = "") -> None:
        claim_id = claim if isinstance(claim, str) else claim.claim_id
        self.findings.append(Finding(category, claim_id, payer.payer_id, str(money(amount)), refund_to, status,
                                     None if line is None else line.key, note))

    # -- building blocks scenarios share --------------------------------------------------

    def coverage_for(self, claim: Claim) -> Coverage:
        """The primary coverage as the claim is billed (Medicare institutional goes to Part A)."""
        coverage = claim.patient.primary
        if claim.variant == "I" and coverage.payer.payer_type == "medicare":
            return Coverage(self.payer_by_id["MCRA1"], coverage.member_id, coverage.subscriber,
                            coverage.relationship, coverage.group_number)
        return coverage

    def carrier(self, payer: Payer, provider: Provider, day: date, minimum: Decimal) -> None:
        """Normal claims of the general pool paid on `day`'s check of `payer`, together above `minimum`.

        A check that carries a reversal or a recoupment needs enough other money on it to stay
        positive (BPR02 cannot go negative); these claims provide it and are findings-free.
        """
        total = ZERO
        while total <= minimum:
            patient = self.pool_patient(payer if payer.payer_id != "MCRA1" else self.payer_by_id["MCRB1"], None)
            claim = self.new_claim(patient, provider=provider)
            coverage = self.coverage_for(claim)
            self.submit(claim, coverage)
            result = adjudicate(claim, coverage, self.fees, self.rng, control_number=self.control_number(payer, day),
                                allow_denials=False)
            self.pay(result, day)
            total += result.paid
