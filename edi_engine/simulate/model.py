"""The simulated world as plain values: who bills whom, what was sent, what came back.

Owns the plan types the generator builds and the renderers turn into X12 models: providers,
payers, patients and their coverages, claims and their lines, the 837 submissions, the 835 claim
adjudications (one per CLP) and their service lines, provider-level adjustments, patient
payments. Nothing here knows X12 syntax, the parsers' models or the ledger: the numbers are
what a payer decided, and every derived total (CLP03/04/05) is computed from the lines so the
rendered 835 balances by construction.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    "Adj",
    "Claim",
    "ClaimLevel",
    "ClaimResult",
    "Coverage",
    "Line",
    "LineResult",
    "Patient",
    "PatientPayment",
    "Payer",
    "Person",
    "PlbItem",
    "PriorPayment",
    "Provider",
    "ProviderRefund",
    "Submission",
    "ZERO",
    "money",
]

ZERO = Decimal("0.00")
_CENT = Decimal("0.01")


def money(value: Decimal | int | str) -> Decimal:
    """Round to cents, half up: every amount in the world goes through here once."""
    return Decimal(value).quantize(_CENT, ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Provider:
    npi: str  # 2010AA NM109 / 835 N1*PE N104 (XX) / PLB01
    tin: str  # 2010AA REF*EI / 835 REF*TJ
    name: str
    address: str
    city: str
    state: str
    postal_code: str
    taxonomy: str
    institutional: bool  # bills 837I (hospital outpatient) rather than 837P


@dataclass(frozen=True, slots=True)
class Payer:
    payer_id: str  # 837 2010BB NM109: the canonical id findings carry
    name: str
    payer_type: str  # medicare, medicaid, commercial
    filing_indicator: str  # 837 SBR09: MB, MA, MC, CI, HM, 12, BL, ...
    remit_filing_indicator: str  # 835 CLP06 (X221A1 has no CI or BL: commercial plans say 12-15 or HM)
    remit_id: str  # 835 N1*PR N104; differs from payer_id for an aliased payer
    tin: str  # TRN03 is "1" + this
    check_weekday: int  # 0 = Monday: the payer's weekly check run
    sends_allowed: bool  # AMT*B6 on service lines
    fee_schedule_exported: bool  # its contract rows are in fee_schedule.csv
    pays_by_eft: bool

    @property
    def aliased(self) -> bool:
        return self.remit_id != self.payer_id


@dataclass(frozen=True, slots=True)
class Person:
    last: str
    first: str
    birth_date: date
    gender: str  # F, M
    address: str
    city: str
    state: str
    postal_code: str


@dataclass(frozen=True, slots=True)
class Coverage:
    payer: Payer
    member_id: str
    subscriber: Person  # the insured (2010BA)
    relationship: str  # PAT01/SBR02 individual relationship: 18 self, 01 spouse, 19 child
    group_number: str = ""


@dataclass(frozen=True, slots=True)
class Patient:
    person: Person
    primary: Coverage
    secondary: Coverage | None = None


@dataclass(frozen=True, slots=True)
class Line:
    number: int  # LX01
    procedure: str  # SV101-2 / SV202-2 (HCPCS)
    modifiers: tuple[str, ...]
    units: Decimal
    charge: Decimal  # SV102 / SV203
    service_date: date  # DTP*472
    control_number: str = ""  # REF*6R; empty on some lines
    revenue_code: str = ""  # SV201 (837I only)

    @property
    def key(self) -> str:
        """How a finding names its line: the REF*6R, else the LX line number."""
        return self.control_number or str(self.number)


@dataclass(frozen=True, slots=True)
class Claim:
    claim_id: str  # CLM01 = CLP01
    variant: str  # P or I
    provider: Provider
    patient: Patient
    lines: tuple[Line, ...]
    diagnoses: tuple[str, ...]
    facility: str  # CLM05-1: place of service (P) or TOB digits 1-2 (I)

    @property
    def charge(self) -> Decimal:
        return sum((line.charge for line in self.lines), ZERO)

    @property
    def service_from(self) -> date:
        return min(line.service_date for line in self.lines)

    @property
    def service_to(self) -> date:
        return max(line.service_date for line in self.lines)


@dataclass(frozen=True, slots=True)
class Adj:
    group: str  # CAS01
    reason: str  # CARC
    amount: Decimal


@dataclass(frozen=True, slots=True)
class LineResult:
    """One 2110 SVC: how a payer adjudicated one submitted line."""

    line: Line
    paid: Decimal  # SVC03
    adjustments: tuple[Adj, ...]
    allowed: Decimal | None = None  # AMT*B6
    charge_sign: int = 1  # -1 on a reversal: SVC02 negated
    procedure: str = ""  # SVC01-2 when the payer adjudicated another code (SVC06 = the line's own)

    @property
    def charge(self) -> Decimal:
        return self.line.charge if self.charge_sign > 0 else -self.line.charge

    @property
    def patient_responsibility(self) -> Decimal:
        return sum((a.amount for a in self.adjustments if a.group == "PR"), ZERO)

    def negated(self) -> LineResult:
        return replace(self, paid=-self.paid, charge_sign=-self.charge_sign,
                       adjustments=tuple(Adj(a.group, a.reason, -a.amount) for a in self.adjustments),
                       allowed=None if self.allowed is None else -self.allowed)


@dataclass(frozen=True, slots=True)
class ClaimResult:
    """One 2100 CLP: a payer's adjudication (or reversal, or denial) of a claim or part of it."""

    claim: Claim
    coverage: Coverage  # whose payer adjudicated, and which member
    status: str  # CLP02: 1, 2, 4, 22
    control_number: str  # CLP07
    lines: tuple[LineResult, ...]
    remarks: tuple[str, ...] = ()  # MOA03.. remark codes
    received: date | None = None  # DTM*050
    # A claim-level adjudication (an institutional part, a DRG payment): no SVC, CLP03 and CLP04
    # given, CLP03 - CLP04 = the claim-level CAS.
    level: ClaimLevel | None = None
    crossover: Coverage | None = None  # NM1*TT: the payer Medicare forwarded the claim to (CLP02 19)

    @property
    def payer(self) -> Payer:
        return self.coverage.payer

    @property
    def charge(self) -> Decimal:  # CLP03
        if self.level is not None:
            return self.level.charge
        return sum((r.charge for r in self.lines), ZERO)

    @property
    def paid(self) -> Decimal:  # CLP04
        if self.level is not None:
            return self.level.paid
        return sum((r.paid for r in self.lines), ZERO)

    @property
    def patient_responsibility(self) -> Decimal:  # CLP05
        if self.level is not None:
            return sum((a.amount for a in self.level.adjustments if a.group == "PR"), ZERO)
        return sum((r.patient_responsibility for r in self.lines), ZERO)

    @property
    def allowed(self) -> Decimal:
        return sum((r.allowed or ZERO for r in self.lines), ZERO)

    def reversal(self) -> ClaimResult:
        """CLP02 22: the same CLP07, every amount negated with the same group and reason codes."""
        level = None if self.level is None else self.level.negated()
        return replace(self, status="22", lines=tuple(r.negated() for r in self.lines), remarks=(), level=level,
                       crossover=None)


@dataclass(frozen=True, slots=True)
class ClaimLevel:
    """The claim-level amounts of a CLP without service lines: a split part or a DRG/case-rate payment."""

    charge: Decimal  # CLP03
    paid: Decimal  # CLP04
    adjustments: tuple[Adj, ...]  # 2100 CAS: CLP03 - CLP04 = their sum
    period: tuple[date, date]  # DTM*232/233
    drg: str = ""  # CLP11
    weight: Decimal | None = None  # CLP12
    inpatient: tuple[str, ...] | None = None  # MIA

    def negated(self) -> ClaimLevel:
        return replace(self, charge=-self.charge, paid=-self.paid,
                       adjustments=tuple(Adj(a.group, a.reason, -a.amount) for a in self.adjustments))


@dataclass(frozen=True, slots=True)
class PriorPayment:
    """What the primary payer did, as a secondary 837 reports it (2320/2330B/2430)."""

    result: ClaimResult
    adjudicated: date  # the primary's check date (DTP*573)


@dataclass(frozen=True, slots=True)
class Submission:
    """One 837 claim as sent to one payer."""

    claim: Claim
    coverage: Coverage
    sequence: str  # SBR01: P primary, S secondary
    submitted: date
    prior: PriorPayment | None = None  # set on a secondary submission
    other: Coverage | None = None  # the other payer's coverage (2320/2330) when there is one
    frequency: str = "1"  # CLM05-3: 1 original, 7 replacement, 8 void
    original_reference: str = ""  # REF*F8: the payer's CLP07 of the claim replaced or voided
    note: str = ""  # NTE*ADD: why (on a replacement or void)


@dataclass(frozen=True, slots=True)
class PlbItem:
    reason: str  # PLB03-1: WO, FB, ...
    reference: str  # PLB03-2
    amount: Decimal  # positive reduces the check


@dataclass(frozen=True, slots=True)
class PatientPayment:
    claim_id: str
    payment_date: date
    amount: Decimal
    method: str
    reference: str


@dataclass(frozen=True, slots=True)
class ProviderRefund:
    """A refund check the provider sent for a finding: one row of the pack's refunds.csv register."""

    category: str
    claim_id: str
    payer: Payer
    amount: Decimal
    number: str  # the check number
    issued: date
