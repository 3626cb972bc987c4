"""835 models back to segments: the body between ST and SE that reproduces a Remittance835.

Owns the order segments are written in (table 1, the 1000A/1000B party loops, LX, CLP with its
2100 segments, SVC with its 2110 segments, PLB packed six pairs to a segment). Knows nothing of
envelopes (x12.writer adds ST/SE, GS/GE and ISA/IEA) or of how the models were read.
"""

from __future__ import annotations

from edi_engine.parsers._elements import format_amount
from edi_engine.parsers.common_body import amount_text, cas_segments, composite, date_text, trimmed
from edi_engine.parsers.x221a1_835_models import (
    ClaimPayment,
    Contact,
    HeaderNumber,
    Party,
    PartyLoop,
    Procedure,
    ProviderAdjustment,
    RawSegment,
    Remittance835,
    ServicePayment,
)

__all__ = ["to_body"]

CLAIM_DATES = ("232", "233", "036", "050")  # DTM qualifiers of 2100, in the guide's order


def _trim(*elements: str) -> RawSegment:
    return trimmed(elements)








def _procedure_text(p: Procedure, separator: str) -> str:
    modifiers = tuple(p.modifiers) + ("",) * (4 - len(p.modifiers))
    return composite(separator, p.qualifier, p.code, *modifiers, p.description)


def _nm1(p: Party) -> RawSegment:
    return _trim("NM1", p.entity, p.entity_type, p.last_or_organization, p.first, p.middle, "", p.suffix,
                 p.id_qualifier, p.id)


def _per(c: Contact) -> RawSegment:
    return _trim("PER", c.function, c.name, *(value for pair in c.communications for value in pair))




def _party_loop(loop: PartyLoop) -> list[RawSegment]:
    p = loop.party
    out = [_trim("N1", p.entity, p.last_or_organization, p.id_qualifier, p.id)]
    a = loop.address
    if a is not None:
        if a.line1 or a.line2:
            out.append(_trim("N3", a.line1, a.line2))
        if a.city or a.state or a.postal_code or a.country or a.country_subdivision:
            out.append(_trim("N4", a.city, a.state, a.postal_code, a.country, "", "", a.country_subdivision))
    out += [_trim("REF", q, v) for q, v in loop.references]
    out += [_per(c) for c in loop.contacts]
    out += loop.other_segments
    return out


def _service(s: ServicePayment, separator: str) -> list[RawSegment]:
    svc01 = _procedure_text(Procedure(s.qualifier, s.procedure_code, s.modifiers, s.description), separator)
    svc06 = _procedure_text(s.submitted_procedure, separator) if s.submitted_procedure is not None else ""
    out = [_trim("SVC", svc01, format_amount(s.charge), format_amount(s.paid), s.revenue_code,
                 amount_text(s.units_paid), svc06, amount_text(s.original_units))]
    start, end = s.service_date_from, s.service_date_to
    if start is not None and start == end:
        out.append(("DTM", "472", date_text(start)))
    else:
        if start is not None:
            out.append(("DTM", "150", date_text(start)))
        if end is not None:
            out.append(("DTM", "151", date_text(end)))
    out += cas_segments(s.adjustments)
    if s.line_control_number:
        out.append(("REF", "6R", s.line_control_number))
    out += [_trim("REF", q, v) for q, v in s.references]
    out += [("AMT", q, format_amount(v)) for q, v in s.amounts]
    out += [("QTY", q, format_amount(v)) for q, v in s.quantities]
    out += [_trim("LQ", q, v) for q, v in s.remarks]
    out += s.other_segments
    return out


def _claim(c: ClaimPayment, separator: str) -> list[RawSegment]:
    out = [_trim("CLP", c.patient_control_number, c.status, format_amount(c.charge), format_amount(c.paid),
                 amount_text(c.patient_responsibility), c.filing_indicator, c.payer_claim_control_number,
                 c.facility_type, c.frequency, "", c.drg_code, amount_text(c.drg_weight),
                 amount_text(c.discharge_fraction))]
    out += cas_segments(c.adjustments)
    for party in (c.patient, c.insured, c.corrected_patient, c.rendering_provider, c.crossover_carrier,
                  c.corrected_payer, c.other_subscriber):
        if party is not None:
            out.append(_nm1(party))
    if c.inpatient is not None:
        out.append(("MIA",) + c.inpatient)
    if c.outpatient is not None:
        out.append(("MOA",) + c.outpatient)
    out += [_trim("REF", q, v) for q, v in c.references]
    for qualifier, day in zip(CLAIM_DATES, (c.statement_from, c.statement_to, c.coverage_expiration,
                                             c.received_date), strict=True):
        if day is not None:
            out.append(("DTM", qualifier, date_text(day)))
    out += [_per(p) for p in c.contacts]
    out += [("AMT", q, format_amount(v)) for q, v in c.amounts]
    out += [("QTY", q, format_amount(v)) for q, v in c.quantities]
    out += c.other_segments
    for service in c.services:
        out += _service(service, separator)
    return out


def _plb(adjustments: tuple[ProviderAdjustment, ...], separator: str) -> list[RawSegment]:
    """Consecutive pairs of one provider and fiscal date share a PLB, at most six to a segment."""
    out: list[RawSegment] = []
    i, n = 0, len(adjustments)
    while i < n:
        key = (adjustments[i].provider_id, adjustments[i].fiscal_period_date)
        elements = ["PLB", key[0], date_text(key[1])]
        j = i
        while j < n and j - i < 6 and (adjustments[j].provider_id, adjustments[j].fiscal_period_date) == key:
            a = adjustments[j]
            elements += [composite(separator, a.reason, a.reference), format_amount(a.amount)]
            j += 1
        out.append(tuple(elements))
        i = j
    return out


def to_body(remittance: Remittance835, component: str = ":") -> list[tuple[str, ...]]:
    """The segments between ST and SE that reproduce `remittance` when read back.

    Order follows the guide; within a loop, segments the walker kept raw come after the modelled
    ones. Claims with equal header numbers in a row share one LX.
    """
    h = remittance.header
    out: list[RawSegment] = [
        _trim("BPR", h.handling_code, format_amount(h.total_payment), h.credit_debit, h.payment_method,
              h.payment_format, *(tuple(h.banking) + ("",) * (10 - len(h.banking))), date_text(h.payment_date))]
    if h.trace_type or h.trace_number or h.payer_identifier or h.originating_supplemental_code:
        out.append(_trim("TRN", h.trace_type, h.trace_number, h.payer_identifier, h.originating_supplemental_code))
    if h.currency_entity or h.currency:
        out.append(_trim("CUR", h.currency_entity, h.currency))
    if h.receiver_id:
        out.append(("REF", "EV", h.receiver_id))
    if h.version_id:
        out.append(("REF", "F2", h.version_id))
    if h.production_date is not None:
        out.append(("DTM", "405", date_text(h.production_date)))
    out += h.other_segments
    for loop in (h.payer, h.payee):
        if loop is not None:
            out += _party_loop(loop)
    previous: HeaderNumber | None = None
    for claim in remittance.claims:
        lx = claim.header_number
        if lx is not None and lx != previous:
            out.append(("LX", lx.number))
            out += lx.other_segments
        previous = lx
        out += _claim(claim, component)
    out += _plb(remittance.provider_adjustments, component)
    out += remittance.trailer_segments
    return out
