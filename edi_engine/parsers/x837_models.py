"""Typed, immutable models of the 837 Health Care Claim: professional (005010X222A1),
institutional (005010X223A2) and dental (005010X224A2).

Owns the value types the 837 walker yields and `to_body` reads. Names follow the guides' element
names (domain.md 2); comments cite the element. Knows nothing of segments, storage or matching.

A `Claim837` (loop 2300) carries its context -- billing provider (2000A), subscriber and payer
(2000B), patient (2000C, or None when the subscriber is the patient) -- so each claim stands alone.
Claims of one HL share those context objects, so the context costs nothing per claim.

Every model that becomes a stored row carries `segment` (1-based segment number in the file) and
`offset` (byte offset) of its anchor segment; both are `compare=False`, so a model read back from
a rewritten file equals the original. Segments the walker does not model are kept as raw element
tuples (`[0]` is the segment id, composites joined with ":") in `other_segments` of their loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from edi_engine.parsers.common_models import Adjustment, Contact, RawSegment
from edi_engine.parsers.transaction import TransactionInfo

__all__ = [
    "Adjustment",
    "BillingProvider",
    "Claim837",
    "ClaimSubmission837",
    "ClaimsHeader837",
    "ClaimsTrailer837",
    "Contact",
    "DateSpan",
    "DateText",
    "LineAdjudication",
    "OtherPayer",
    "Party",
    "Patient",
    "RawSegment",
    "Reference",
    "ServiceLine",
    "Subscriber",
    "Tooth",
]

Reference = tuple[str, str]  # REF01 qualifier, REF02 value
DateSpan = tuple[str, date, date]  # DTP01 qualifier, from, to (D8 gives from == to; DT gives its date)
DateText = tuple[str, str, str]  # DTP01, DTP02 format, DTP03 as written, for formats other than D8/RD8


def _ref(refs: tuple[Reference, ...], qualifier: str) -> str:
    for q, value in refs:
        if q == qualifier:
            return value
    return ""


def _taxonomy(other_segments: tuple[RawSegment, ...]) -> str:
    """PRV03 (provider taxonomy code) of the first PRV kept in a loop."""
    for raw in other_segments:
        if raw[0] == "PRV" and len(raw) > 3:
            return raw[3]
    return ""


def _span(dates: tuple[DateSpan, ...], qualifier: str) -> tuple[date, date] | None:
    for q, start, end in dates:
        if q == qualifier:
            return start, end
    return None


@dataclass(frozen=True, slots=True)
class Party:
    """An NM1 name loop (1000A/B, 2010xx, 2310x, 2330x, 2420x) with its N3/N4, REF and PER."""

    entity: str  # NM101: 41, 40, 85, 87, PE, IL, PR, QC, 82, DN, 71, 72, 77, DQ, ...
    entity_type: str = ""  # NM102: 1 person, 2 non-person
    name: str = ""  # NM103: organisation or last name
    first: str = ""  # NM104
    middle: str = ""  # NM105
    prefix: str = ""  # NM106
    suffix: str = ""  # NM107
    id_qualifier: str = ""  # NM108: XX (NPI), MI, PI, 46, ...
    id: str = ""  # NM109
    address: tuple[str, ...] = ()  # N301, N302
    city: str = ""  # N401
    state: str = ""  # N402
    postal_code: str = ""  # N403
    country: str = ""  # N404
    country_subdivision: str = ""  # N407
    refs: tuple[Reference, ...] = ()  # REF (qualifier, value)
    contacts: tuple[Contact, ...] = ()  # PER
    other_segments: tuple[RawSegment, ...] = ()  # PRV, N2 and anything else in the loop
    segment: int = field(default=0, compare=False)
    offset: int = field(default=0, compare=False)

    def ref(self, qualifier: str) -> str:
        """REF02 of the first REF with this REF01, or ''."""
        return _ref(self.refs, qualifier)

    @property
    def npi(self) -> str:
        return self.id if self.id_qualifier == "XX" else ""

    @property
    def taxonomy(self) -> str:
        """PRV03 of the loop's PRV (rendering, attending, ... specialty)."""
        return _taxonomy(self.other_segments)


@dataclass(frozen=True, slots=True)
class ClaimsHeader837:
    """BHT and loops 1000A (submitter, NM1*41 + PER) and 1000B (receiver, NM1*40). Anchored at BHT."""

    structure: str = ""  # BHT01: 0019
    purpose: str = ""  # BHT02: 00 original, 18 reissue
    reference_id: str = ""  # BHT03 originator application transaction id
    date: date | None = None  # BHT04
    time: str = ""  # BHT05 HHMM[SS[D..]]
    transaction_type: str = ""  # BHT06: CH chargeable, RP reporting (encounter), 31 subrogation
    submitter: Party | None = None  # 1000A
    receiver: Party | None = None  # 1000B
    other_segments: tuple[RawSegment, ...] = ()
    segment: int = field(default=0, compare=False)
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class BillingProvider:
    """Loop 2000A (HL03=20): 2010AA billing provider, 2010AB pay-to address, 2010AC pay-to plan."""

    provider: Party | None = None  # 2010AA NM1*85 with N3/N4, REF*EI|SY (TIN), PER
    pay_to: Party | None = None  # 2010AB NM1*87
    pay_to_plan: Party | None = None  # 2010AC NM1*PE
    other_segments: tuple[RawSegment, ...] = ()  # PRV*BI, CUR
    segment: int = field(default=0, compare=False)  # the HL
    offset: int = field(default=0, compare=False)

    @property
    def npi(self) -> str:
        return self.provider.npi if self.provider else ""

    @property
    def tin(self) -> str:
        """REF*EI (employer id), else REF*SY (social security number)."""
        if self.provider is None:
            return ""
        return self.provider.ref("EI") or self.provider.ref("SY")

    @property
    def taxonomy(self) -> str:
        """PRV03 of PRV*BI."""
        return _taxonomy(self.other_segments)


@dataclass(frozen=True, slots=True)
class Subscriber:
    """Loop 2000B (HL03=22): SBR and 2010BA subscriber name (NM1*IL, DMG). Anchored at the HL."""

    payer_responsibility: str = ""  # SBR01: P, S, T, A-H, U
    relationship: str = ""  # SBR02: 18 self when the subscriber is the patient
    group_number: str = ""  # SBR03
    group_name: str = ""  # SBR04
    insurance_type: str = ""  # SBR05 (Medicare secondary type)
    claim_filing_indicator: str = ""  # SBR09: CI, MB, MC, 12..17, ...
    name: Party | None = None  # 2010BA: NM108 MI / NM109 member id
    birth_date: date | None = None  # DMG02
    gender: str = ""  # DMG03
    other_segments: tuple[RawSegment, ...] = ()  # PAT (837P, when the subscriber is the patient), ...
    segment: int = field(default=0, compare=False)
    offset: int = field(default=0, compare=False)

    @property
    def member_id(self) -> str:
        return self.name.id if self.name else ""


@dataclass(frozen=True, slots=True)
class Patient:
    """Loop 2000C (HL03=23): PAT and 2010CA patient name (NM1*QC, DMG). Anchored at the HL."""

    relationship: str = ""  # PAT01 individual relationship code: 01 spouse, 19 child, ...
    name: Party | None = None  # 2010CA
    birth_date: date | None = None  # DMG02
    gender: str = ""  # DMG03
    pat_extra: tuple[tuple[int, str], ...] = ()  # PAT02.. as (position, value)
    other_segments: tuple[RawSegment, ...] = ()
    segment: int = field(default=0, compare=False)
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class OtherPayer:
    """Loop 2320 Other Subscriber Information with 2330A-G. Anchored at SBR."""

    payer_responsibility: str = ""  # SBR01
    relationship: str = ""  # SBR02
    group_number: str = ""  # SBR03
    group_name: str = ""  # SBR04
    insurance_type: str = ""  # SBR05
    claim_filing_indicator: str = ""  # SBR09
    adjustments: tuple[Adjustment, ...] = ()  # 2320 CAS, one per triplet
    paid_amount: Decimal | None = None  # AMT*D payer paid amount
    non_covered_amount: Decimal | None = None  # AMT*A8
    remaining_patient_liability: Decimal | None = None  # AMT*EAF
    oi: RawSegment | None = None  # OI as read
    mia: RawSegment | None = None  # MIA (institutional) as read
    moa: RawSegment | None = None  # MOA as read
    subscriber: Party | None = None  # 2330A NM1*IL
    payer: Party | None = None  # 2330B NM1*PR (its REF*F8 is payer_claim_control_number)
    payer_claim_control_number: str = ""  # 2330B REF*F8 Other Payer's Claim Control Number
    adjudication_date: date | None = None  # 2330B DTP*573 claim check or remittance date
    providers: tuple[Party, ...] = ()  # 2330C-G
    other_segments: tuple[RawSegment, ...] = ()
    segment: int = field(default=0, compare=False)
    offset: int = field(default=0, compare=False)

    @property
    def payer_id(self) -> str:
        return self.payer.id if self.payer else ""


@dataclass(frozen=True, slots=True)
class Tooth:
    """TOO (837D): TOO01 JP (universal numbering), TOO02 tooth number, TOO03 surfaces."""

    qualifier: str
    number: str
    surfaces: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LineAdjudication:
    """Loop 2430 Line Adjudication Information, anchored at SVD."""

    payer_id: str  # SVD01 (= 2330B NM109)
    paid: Decimal  # SVD02 service line paid amount
    procedure_qualifier: str = ""  # SVD03-1
    procedure_code: str = ""  # SVD03-2
    modifiers: tuple[str, ...] = ()  # SVD03-3..6
    procedure_description: str = ""  # SVD03-7
    revenue_code: str = ""  # SVD04 (837I)
    paid_units: Decimal | None = None  # SVD05
    bundled_line_number: str = ""  # SVD06
    adjustments: tuple[Adjustment, ...] = ()  # 2430 CAS, one per triplet
    adjudication_date: date | None = None  # DTP*573
    remaining_patient_liability: Decimal | None = None  # AMT*EAF
    other_segments: tuple[RawSegment, ...] = ()
    segment: int = field(default=0, compare=False)
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class ServiceLine:
    """Loop 2400 with SV1 (P), SV2 (I) or SV3 (D), and its 2410, 2420 and 2430 loops. Anchored at LX."""

    line_number: int  # LX01
    charge: Decimal  # SV102 / SV203 / SV302
    procedure_qualifier: str = ""  # SV101-1 / SV202-1 / SV301-1: HC, AD, ER, IV, WK, ...
    procedure_code: str = ""  # SV101-2 / SV202-2 / SV301-2
    modifiers: tuple[str, ...] = ()  # -3..-6
    procedure_description: str = ""  # -7
    revenue_code: str = ""  # SV201 (837I)
    unit_basis: str = ""  # SV103 / SV204: UN, MJ, DA
    units: Decimal | None = None  # SV104 / SV205 / SV306
    place_of_service: str = ""  # SV105 / SV303
    diagnosis_pointers: tuple[str, ...] = ()  # SV107 / SV311
    non_covered_charge: Decimal | None = None  # SV207 (837I)
    oral_cavity: tuple[str, ...] = ()  # SV304 (837D)
    prosthesis: str = ""  # SV305 (837D): I initial, R replacement
    service_extra: tuple[tuple[int, str], ...] = ()  # other SV1/SV2/SV3 elements as (position, value)
    teeth: tuple[Tooth, ...] = ()  # TOO (837D)
    dates: tuple[DateSpan, ...] = ()  # DTP: 472 service date, 471, 463, ...
    date_texts: tuple[DateText, ...] = ()
    line_control_number: str = ""  # REF*6R (payers echo it in 835 REF*6R)
    refs: tuple[Reference, ...] = ()  # other REFs
    drug: tuple[RawSegment, ...] = ()  # 2410 LIN, CTP, REF as read
    providers: tuple[Party, ...] = ()  # 2420A-H
    adjudications: tuple[LineAdjudication, ...] = ()  # 2430
    other_segments: tuple[RawSegment, ...] = ()
    segment: int = field(default=0, compare=False)
    offset: int = field(default=0, compare=False)

    @property
    def service_date_from(self) -> date | None:
        span = _span(self.dates, "472")
        return span[0] if span else None

    @property
    def service_date_to(self) -> date | None:
        span = _span(self.dates, "472")
        return span[1] if span else None


@dataclass(frozen=True, slots=True)
class Claim837:
    """Loop 2300 Claim Information with its context, 2310, 2320/2330 and 2400 loops. Anchored at CLM."""

    variant: str  # "P", "I" or "D"
    patient_control_number: str  # CLM01 (echoed in 835 CLP01)
    charge: Decimal  # CLM02 total claim charge
    facility_code: str = ""  # CLM05-1: place of service (P/D), type of bill digits 1-2 (I)
    facility_qualifier: str = ""  # CLM05-2: B (P/D place of service), A (I uniform billing)
    frequency: str = ""  # CLM05-3: 1 original, 7 replacement, 8 void
    provider_signature: str = ""  # CLM06 (not used in 837I)
    assignment: str = ""  # CLM07 provider accept assignment
    benefits_assignment: str = ""  # CLM08
    release_of_information: str = ""  # CLM09
    patient_signature_source: str = ""  # CLM10
    related_causes: tuple[str, ...] = ()  # CLM11 composite: AA, EM, OA + state, country
    special_program: str = ""  # CLM12
    delay_reason: str = ""  # CLM20
    clm_extra: tuple[tuple[int, str], ...] = ()  # other CLM elements as (position, value)
    billing_provider: BillingProvider | None = None  # 2000A
    subscriber: Subscriber | None = None  # 2000B / 2010BA
    payer: Party | None = None  # 2010BB NM1*PR: NM109 payer id
    patient: Patient | None = None  # 2000C; None when the subscriber is the patient
    original_reference: str = ""  # REF*F8 payer claim control number (of the claim replaced/voided)
    claim_identifier: str = ""  # REF*D9 claim identifier for transmission intermediaries
    refs: tuple[Reference, ...] = ()  # other REFs (G1, 9F, EA, ...)
    dates: tuple[DateSpan, ...] = ()  # DTP: 434 statement, 435 admission, 431 onset, 472 (837D) ...
    date_texts: tuple[DateText, ...] = ()  # DTP in DT/TM/.. formats as written: DT ones first (435 DT, 096 TM)
    hi: tuple[tuple[tuple[str, ...], ...], ...] = ()  # HI segments -> composites -> components
    cl1: tuple[str, str, str] | None = None  # CL101 admission type, CL102 source, CL103 patient status (I)
    providers: tuple[Party, ...] = ()  # 2310x: DN referring, 82 rendering, 71, 72, ZZ, 77, DQ, ...
    other_payers: tuple[OtherPayer, ...] = ()  # 2320/2330
    lines: tuple[ServiceLine, ...] = ()  # 2400
    other_segments: tuple[RawSegment, ...] = ()  # PWK, AMT, NTE, K3, HCP, DN1, DN2, ...
    segment: int = field(default=0, compare=False)
    offset: int = field(default=0, compare=False)

    @property
    def health_codes(self) -> tuple[tuple[str, str], ...]:
        """(qualifier, code) of every HI composite, across all HI segments, in order."""
        return tuple((c[0], c[1] if len(c) > 1 else "") for seg in self.hi for c in seg)

    @property
    def payer_id(self) -> str:
        return self.payer.id if self.payer else ""

    @property
    def statement_from(self) -> date | None:
        span = _span(self.dates, "434")
        return span[0] if span else None

    @property
    def statement_to(self) -> date | None:
        span = _span(self.dates, "434")
        return span[1] if span else None

    @property
    def admission_date(self) -> date | None:
        span = _span(self.dates, "435")
        return span[0] if span else None

    def ref(self, qualifier: str) -> str:
        if qualifier == "F8":
            return self.original_reference
        if qualifier == "D9":
            return self.claim_identifier
        return _ref(self.refs, qualifier)


@dataclass(frozen=True, slots=True)
class ClaimsTrailer837:
    """SE as read, and the number of claims the walker yielded."""

    segment_count: str = ""  # SE01 as written
    control: str = ""  # SE02
    claims: int = 0


@dataclass(frozen=True, slots=True)
class ClaimSubmission837:
    """A whole transaction set, for small files, tests and the writer (large files stream instead)."""

    info: TransactionInfo | None = field(compare=False)
    header: ClaimsHeader837
    claims: tuple[Claim837, ...] = ()
