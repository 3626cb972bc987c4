"""Typed, immutable models of the 835 Health Care Claim Payment/Advice (005010X221A1).

Owns the value types the 835 walker yields and the writer side (`to_body`) reads. Field names
follow the guide's element names (domain.md 1.1-1.8); each docstring or comment cites the
element. Knows nothing of segments, storage or matching.

Every model that becomes a stored row carries `segment` (1-based segment number in the file) and
`offset` (byte offset) of its anchor segment; both are `compare=False`, so a model read back from
a rewritten file equals the original. Segments the walker does not model are kept, as raw element
tuples (`[0]` is the segment id), in `other_segments` of the loop they appeared in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from edi_engine.parsers.common_models import Adjustment, Contact, RawSegment
from edi_engine.parsers.transaction import TransactionInfo

__all__ = [
    "Address",
    "Adjustment",
    "ClaimPayment",
    "Contact",
    "HeaderNumber",
    "Party",
    "PartyLoop",
    "Procedure",
    "ProviderAdjustment",
    "RawSegment",
    "Remittance835",
    "RemittanceHeader",
    "RemittanceTrailer",
    "ServicePayment",
]


# MIA and MOA positions (1-based) that carry remittance advice remark codes (RARCs).
_MIA_REMARKS = (5, 20, 21, 22, 23)
_MOA_REMARKS = (3, 4, 5, 6, 7)


@dataclass(frozen=True, slots=True)
class Party:
    """An N1 (1000A/1000B) or NM1 (2100) name: entity code, name parts and identifier."""

    entity: str  # N101 / NM101, e.g. PR, PE, QC, IL, 74, 82, TT, GB
    last_or_organization: str  # N102 / NM103
    first: str = ""  # NM104
    middle: str = ""  # NM105
    suffix: str = ""  # NM107
    id_qualifier: str = ""  # N103 / NM108
    id: str = ""  # N104 / NM109
    entity_type: str = ""  # NM102: 1 person, 2 non-person (N1 has none)


@dataclass(frozen=True, slots=True)
class Address:
    """N3/N4 of a 1000A/1000B loop."""

    line1: str = ""  # N301
    line2: str = ""  # N302
    city: str = ""  # N401
    state: str = ""  # N402
    postal_code: str = ""  # N403
    country: str = ""  # N404
    country_subdivision: str = ""  # N407


@dataclass(frozen=True, slots=True)
class PartyLoop:
    """Loop 1000A (payer, N1*PR) or 1000B (payee, N1*PE)."""

    party: Party
    address: Address | None = None
    references: tuple[tuple[str, str], ...] = ()  # REF: payer 2U/EO/HI/NF, payee 0B/D3/PQ/TJ
    contacts: tuple[Contact, ...] = ()  # PER (payer only in the guide)
    other_segments: tuple[RawSegment, ...] = ()  # RDM and anything not modelled
    segment: int = field(default=0, compare=False)
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class RemittanceHeader:
    """Table 1: BPR, TRN, CUR, REF*EV, REF*F2, DTM*405 and loops 1000A/1000B. Anchored at BPR."""

    handling_code: str  # BPR01: C, D, H, I, P, U, X
    total_payment: Decimal  # BPR02 Total Actual Provider Payment Amount
    credit_debit: str  # BPR03: C or D
    payment_method: str  # BPR04: ACH, BOP, CHK, FWT, NON
    payment_format: str = ""  # BPR05: CCP, CTX
    banking: tuple[str, ...] = ()  # BPR06..BPR15 (DFI and account numbers), as read
    payment_date: date | None = None  # BPR16 Check Issue or EFT Effective Date
    trace_type: str = ""  # TRN01
    trace_number: str = ""  # TRN02 Check or EFT Trace Number
    payer_identifier: str = ""  # TRN03
    originating_supplemental_code: str = ""  # TRN04
    currency_entity: str = ""  # CUR01
    currency: str = ""  # CUR02
    receiver_id: str = ""  # REF*EV
    version_id: str = ""  # REF*F2 adjudication system version
    production_date: date | None = None  # DTM*405
    payer: PartyLoop | None = None  # 1000A
    payee: PartyLoop | None = None  # 1000B
    other_segments: tuple[RawSegment, ...] = ()
    segment: int = field(default=0, compare=False)
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class HeaderNumber:
    """Loop 2000: LX01 header number; TS3/TS2 provider summaries kept raw in other_segments."""

    number: str
    other_segments: tuple[RawSegment, ...] = ()
    segment: int = field(default=0, compare=False)
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Procedure:
    """A procedure composite (SVC01 adjudicated or SVC06 submitted): qualifier:code:mod1..4:description."""

    qualifier: str  # -1: HC, AD, NU, N4, ...
    code: str  # -2
    modifiers: tuple[str, ...] = ()  # -3..-6
    description: str = ""  # -7


@dataclass(frozen=True, slots=True)
class ServicePayment:
    """Loop 2110 Service Payment Information, anchored at SVC."""

    qualifier: str  # SVC01-1
    procedure_code: str  # SVC01-2 (the adjudicated code)
    modifiers: tuple[str, ...]  # SVC01-3..6
    charge: Decimal  # SVC02 Line Item Charge Amount
    paid: Decimal  # SVC03 Line Item Provider Payment Amount
    description: str = ""  # SVC01-7
    revenue_code: str = ""  # SVC04 NUBC revenue code
    units_paid: Decimal | None = None  # SVC05
    submitted_procedure: Procedure | None = None  # SVC06, when it differs from SVC01
    original_units: Decimal | None = None  # SVC07
    service_date_from: date | None = None  # DTM*472 or DTM*150
    service_date_to: date | None = None  # DTM*472 or DTM*151
    adjustments: tuple[Adjustment, ...] = ()  # 2110 CAS, one per triplet
    line_control_number: str = ""  # REF*6R
    references: tuple[tuple[str, str], ...] = ()  # other REFs
    amounts: tuple[tuple[str, Decimal], ...] = ()  # AMT, B6 included
    quantities: tuple[tuple[str, Decimal], ...] = ()  # QTY
    remarks: tuple[tuple[str, str], ...] = ()  # LQ: (HE|RX, code)
    other_segments: tuple[RawSegment, ...] = ()
    segment: int = field(default=0, compare=False)
    offset: int = field(default=0, compare=False)

    @property
    def allowed_amount(self) -> Decimal | None:
        """AMT*B6 Allowed - Actual."""
        for qualifier, value in self.amounts:
            if qualifier == "B6":
                return value
        return None


@dataclass(frozen=True, slots=True)
class ClaimPayment:
    """Loop 2100 Claim Payment Information with its 2110 service lines, anchored at CLP."""

    patient_control_number: str  # CLP01 (= 837 CLM01)
    status: str  # CLP02: 1-4, 19-23, 25
    charge: Decimal  # CLP03 Total Claim Charge Amount
    paid: Decimal  # CLP04 Claim Payment Amount
    patient_responsibility: Decimal | None = None  # CLP05
    filing_indicator: str = ""  # CLP06
    payer_claim_control_number: str = ""  # CLP07
    facility_type: str = ""  # CLP08
    frequency: str = ""  # CLP09
    drg_code: str = ""  # CLP11
    drg_weight: Decimal | None = None  # CLP12
    discharge_fraction: Decimal | None = None  # CLP13
    adjustments: tuple[Adjustment, ...] = ()  # 2100 CAS, one per triplet
    patient: Party | None = None  # NM1*QC
    insured: Party | None = None  # NM1*IL
    corrected_patient: Party | None = None  # NM1*74
    rendering_provider: Party | None = None  # NM1*82
    crossover_carrier: Party | None = None  # NM1*TT
    corrected_payer: Party | None = None  # NM1*PR
    other_subscriber: Party | None = None  # NM1*GB
    inpatient: tuple[str, ...] | None = None  # MIA01..MIA24 as read
    outpatient: tuple[str, ...] | None = None  # MOA01..MOA09 as read
    statement_from: date | None = None  # DTM*232
    statement_to: date | None = None  # DTM*233
    coverage_expiration: date | None = None  # DTM*036
    received_date: date | None = None  # DTM*050
    contacts: tuple[Contact, ...] = ()  # PER*CX
    amounts: tuple[tuple[str, Decimal], ...] = ()  # AMT (informational, not balanced)
    quantities: tuple[tuple[str, Decimal], ...] = ()  # QTY
    references: tuple[tuple[str, str], ...] = ()  # REF: F8, EA, 1L, ...
    services: tuple[ServicePayment, ...] = ()
    header_number: HeaderNumber | None = None  # the LX (loop 2000) the claim sits under
    other_segments: tuple[RawSegment, ...] = ()
    segment: int = field(default=0, compare=False)
    offset: int = field(default=0, compare=False)

    @property
    def lx_number(self) -> str | None:
        return self.header_number.number if self.header_number is not None else None

    @property
    def remark_codes(self) -> tuple[str, ...]:
        """RARCs of MIA05/20-23 and MOA03-07."""
        codes: list[str] = []
        for elements, positions in ((self.inpatient, _MIA_REMARKS), (self.outpatient, _MOA_REMARKS)):
            if elements:
                codes.extend(elements[p - 1] for p in positions if p <= len(elements) and elements[p - 1])
        return tuple(codes)


@dataclass(frozen=True, slots=True)
class ProviderAdjustment:
    """One PLB adjustment pair, anchored at its PLB segment.

    Positive reduces the payment, negative increases it (domain.md 1.8).
    """

    provider_id: str  # PLB01
    fiscal_period_date: date | None  # PLB02
    reason: str  # PLB03-1, 05-1, ..: WO, FB, 72, L6, CS, ...
    reference: str  # PLB03-2: e.g. the CLP07 or FCN for WO/FB/72
    amount: Decimal  # PLB04, 06, ..
    segment: int = field(default=0, compare=False)
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class RemittanceTrailer:
    """Table 3 summary: the PLBs of the transaction set."""

    provider_adjustments: tuple[ProviderAdjustment, ...] = ()
    other_segments: tuple[RawSegment, ...] = ()


@dataclass(frozen=True, slots=True)
class Remittance835:
    """A whole transaction set, for small files, tests and the writer (large files stream instead)."""

    info: TransactionInfo | None = field(compare=False)
    header: RemittanceHeader
    claims: tuple[ClaimPayment, ...] = ()
    provider_adjustments: tuple[ProviderAdjustment, ...] = ()
    trailer_segments: tuple[RawSegment, ...] = ()
