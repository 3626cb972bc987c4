"""837 models back to segments: the body between ST and SE that reproduces a ClaimSubmission837.

Owns the order segments are written in (the guides' positions, as pyx12's 837 maps list them) and
rebuilding the HL tree: claims that share a billing provider share an HL 20, claims that share a
subscriber and payer share an HL 22, claims for another patient sit under an HL 23, and HL01,
HL02 and HL04 are numbered afresh. Knows nothing of envelopes (x12.writer adds ST/SE, GS/GE and
ISA/IEA) or of how the models were read.

Within a loop, kept `other_segments` are written at their guide position (PWK before REF, HCP
after HI, ...); segments of the same kind keep their order, so a model read back equals the one
written (positions aside, which compare=False).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from edi_engine.parsers._elements import format_amount
from edi_engine.parsers.common_body import amount_text, cas_segments, composite, date_text
from edi_engine.parsers.x837_models import (
    BillingProvider,
    Claim837,
    ClaimSubmission837,
    DateSpan,
    DateText,
    LineAdjudication,
    OtherPayer,
    Party,
    Patient,
    RawSegment,
    ServiceLine,
    Subscriber,
)

__all__ = ["to_body"]

Body = list[tuple[str, ...]]

# Guide positions (X222A1/X223A2/X224A2) as sort ranks; unknown ids take the default.
_PARTY_RANK = {"NM1": 0, "N2": 1, "PRV": 1, "N3": 2, "N4": 3, "DMG": 4, "DTP": 5, "REF": 6, "PER": 7}
_CLAIM_RANK = {"DTP": 1, "CL1": 2, "DN1": 2, "DN2": 2, "PWK": 3, "CN1": 4, "AMT": 5, "REF": 6, "K3": 7, "NTE": 8,
               "CR1": 9, "CR2": 9, "CR3": 9, "CR5": 9, "CR6": 9, "CRC": 10, "HI": 11, "HCP": 12}
_LINE_RANK = {"SV5": 1, "PWK": 1, "CR1": 1, "CR3": 1, "CRC": 1, "TOO": 1, "DTP": 2, "QTY": 3, "MEA": 3, "CN1": 3,
              "REF": 4, "AMT": 5, "K3": 6, "NTE": 6, "PS1": 6, "HCP": 6, "LQ": 10, "FRM": 10}
_HEADER_RANK = {"BHT": 0, "REF": 1}





def _conv(raw: RawSegment, c: str) -> tuple[str, ...]:
    """Kept segments hold composites joined with ':'; write them with the component separator asked for."""
    if c == ":":
        return tuple(raw)
    return tuple(e.replace(":", c) if ":" in e else e for e in raw)


def _positional(seg_id: str, values: dict[int, str], extra: Iterable[tuple[int, str]], c: str) -> tuple[str, ...]:
    merged = dict(values)
    for n, v in extra:
        merged.setdefault(n, v.replace(":", c) if c != ":" else v)
    top = max((n for n, v in merged.items() if v), default=0)
    return (seg_id, *(merged.get(i, "") for i in range(1, top + 1)))


def _procedure(qualifier: str, code: str, modifiers: Sequence[str], description: str, c: str) -> str:
    parts = [qualifier, code, *modifiers]
    if description:
        parts += [""] * (6 - len(parts)) + [description]
    return composite(c, *parts)


def _ranked(items: list[tuple[int, tuple[str, ...]]]) -> Body:
    items.sort(key=lambda item: item[0])  # stable: same-rank segments keep their order
    return [seg for _, seg in items]


def _party(p: Party, c: str, extra: Sequence[tuple[str, ...]] = ()) -> Body:
    items: list[tuple[int, tuple[str, ...]]] = [
        (0, ("NM1", p.entity, p.entity_type, p.name, p.first, p.middle, p.prefix, p.suffix, p.id_qualifier, p.id))]
    if p.address:
        items.append((2, ("N3", *p.address)))
    if p.city or p.state or p.postal_code or p.country or p.country_subdivision:
        items.append((3, ("N4", p.city, p.state, p.postal_code, p.country, "", "", p.country_subdivision)))
    for seg in extra:
        items.append((_PARTY_RANK.get(seg[0], 8), seg))
    for q, v in p.refs:
        items.append((6, ("REF", q, v)))
    for contact in p.contacts:
        per = ["PER", contact.function, contact.name]
        for q, v in contact.communications:
            per += [q, v]
        items.append((7, tuple(per)))
    for raw in p.other_segments:
        items.append((_PARTY_RANK.get(raw[0], 8), _conv(raw, c)))
    return _ranked(items)


def _person(p: Party | None, birth: date | None, gender: str, c: str) -> Body:
    if p is None:
        return []
    dmg = [("DMG", "D8" if birth else "", date_text(birth), gender)] if birth or gender else []
    return _party(p, c, dmg)


# X223A2 2300 DTP*434 (statement dates) admits only RD8, even for a one-day stay.
_RANGE_ONLY = frozenset({"434"})


def _dates(dates: Sequence[DateSpan], texts: Sequence[DateText]) -> Body:
    """DTPs in order; a DT-format date is written back as it was read."""
    pending = list(texts)
    out: Body = []
    for q, start, end in dates:
        written = False
        for i, (tq, fmt, value) in enumerate(pending):
            if tq == q and fmt == "DT" and value[:8] == date_text(start) and start == end:
                out.append(("DTP", q, fmt, value))
                del pending[i]
                written = True
                break
        if not written:
            one_day = start == end and q not in _RANGE_ONLY
            out.append(("DTP", q, "D8", date_text(start)) if one_day
                       else ("DTP", q, "RD8", f"{date_text(start)}-{date_text(end)}"))
    out.extend(("DTP", q, fmt, value) for q, fmt, value in pending)
    return out



def _billing(bp: BillingProvider | None, c: str) -> Body:
    if bp is None:
        return []
    out = [_conv(raw, c) for raw in bp.other_segments]
    for p in (bp.provider, bp.pay_to, bp.pay_to_plan):
        if p is not None:
            out += _party(p, c)
    return out


def _subscriber(s: Subscriber | None, payer: Party | None, c: str) -> Body:
    out: Body = []
    if s is not None:
        out.append(("SBR", s.payer_responsibility, s.relationship, s.group_number, s.group_name, s.insurance_type,
                    "", "", "", s.claim_filing_indicator))
        out += [_conv(raw, c) for raw in s.other_segments]
        out += _person(s.name, s.birth_date, s.gender, c)
    if payer is not None:
        out += _party(payer, c)
    return out


def _patient(p: Patient, c: str) -> Body:
    out = [_positional("PAT", {1: p.relationship}, p.pat_extra, c)]
    out += [_conv(raw, c) for raw in p.other_segments]
    return out + _person(p.name, p.birth_date, p.gender, c)


def _other_payer(op: OtherPayer, c: str) -> Body:
    out: Body = [("SBR", op.payer_responsibility, op.relationship, op.group_number, op.group_name, op.insurance_type,
                  "", "", "", op.claim_filing_indicator)]
    out += cas_segments(op.adjustments)
    for q, value in (("D", op.paid_amount), ("A8", op.non_covered_amount), ("EAF", op.remaining_patient_liability)):
        if value is not None:
            out.append(("AMT", q, format_amount(value)))
    out += [_conv(raw, c) for raw in (op.oi, op.mia, op.moa) if raw is not None]
    out += [_conv(raw, c) for raw in op.other_segments]
    if op.subscriber is not None:
        out += _party(op.subscriber, c)
    if op.payer is not None:
        extra: list[tuple[str, ...]] = []
        if op.adjudication_date is not None:
            extra.append(("DTP", "573", "D8", date_text(op.adjudication_date)))
        if op.payer_claim_control_number:
            extra.append(("REF", "F8", op.payer_claim_control_number))  # before the other REFs: read first
        out += _party(op.payer, c, extra)
    for p in op.providers:
        out += _party(p, c)
    return out


def _adjudication(a: LineAdjudication, c: str) -> Body:
    out: Body = [("SVD", a.payer_id, format_amount(a.paid),
                  _procedure(a.procedure_qualifier, a.procedure_code, a.modifiers, a.procedure_description, c),
                  a.revenue_code, amount_text(a.paid_units), a.bundled_line_number)]
    out += cas_segments(a.adjustments)
    if a.adjudication_date is not None:
        out.append(("DTP", "573", "D8", date_text(a.adjudication_date)))
    if a.remaining_patient_liability is not None:
        out.append(("AMT", "EAF", format_amount(a.remaining_patient_liability)))
    return out + [_conv(raw, c) for raw in a.other_segments]


def _service(line: ServiceLine, variant: str, c: str) -> tuple[str, ...]:
    proc = _procedure(line.procedure_qualifier, line.procedure_code, line.modifiers, line.procedure_description, c)
    if variant == "I":
        values = {1: line.revenue_code, 2: proc, 3: format_amount(line.charge), 4: line.unit_basis,
                  5: amount_text(line.units), 7: amount_text(line.non_covered_charge)}
        return _positional("SV2", values, line.service_extra, c)
    if variant == "D":
        values = {1: proc, 2: format_amount(line.charge), 3: line.place_of_service, 4: composite(c, *line.oral_cavity),
                  5: line.prosthesis, 6: amount_text(line.units), 11: composite(c, *line.diagnosis_pointers)}
        return _positional("SV3", values, line.service_extra, c)
    values = {1: proc, 2: format_amount(line.charge), 3: line.unit_basis, 4: amount_text(line.units),
              5: line.place_of_service, 7: composite(c, *line.diagnosis_pointers)}
    return _positional("SV1", values, line.service_extra, c)


def _line(line: ServiceLine, variant: str, c: str) -> Body:
    items: list[tuple[int, tuple[str, ...]]] = [(0, ("LX", str(line.line_number))), (0, _service(line, variant, c))]
    items += [(1, ("TOO", t.qualifier, t.number, composite(c, *t.surfaces))) for t in line.teeth]
    items += [(2, seg) for seg in _dates(line.dates, line.date_texts)]
    if line.line_control_number:
        items.append((4, ("REF", "6R", line.line_control_number)))
    items += [(4, ("REF", q, v)) for q, v in line.refs]
    items += [(7, _conv(raw, c)) for raw in line.drug]
    for p in line.providers:
        items += [(8, seg) for seg in _party(p, c)]
    for a in line.adjudications:
        items += [(9, seg) for seg in _adjudication(a, c)]
    items += [(_LINE_RANK.get(raw[0], 6), _conv(raw, c)) for raw in line.other_segments]
    return _ranked(items)


def _claim(claim: Claim837, c: str) -> Body:
    clm = {1: claim.patient_control_number, 2: format_amount(claim.charge),
           5: composite(c, claim.facility_code, claim.facility_qualifier, claim.frequency),
           6: claim.provider_signature, 7: claim.assignment, 8: claim.benefits_assignment,
           9: claim.release_of_information, 10: claim.patient_signature_source,
           11: composite(c, *claim.related_causes), 12: claim.special_program, 20: claim.delay_reason}
    items: list[tuple[int, tuple[str, ...]]] = [(0, _positional("CLM", clm, claim.clm_extra, c))]
    items += [(1, seg) for seg in _dates(claim.dates, claim.date_texts)]
    if claim.cl1 is not None:
        items.append((2, ("CL1", *claim.cl1)))
    # F8 and D9 first: the reader takes the first of each as the named field.
    for q, v in (("F8", claim.original_reference), ("D9", claim.claim_identifier)):
        if v:
            items.append((6, ("REF", q, v)))
    items += [(6, ("REF", q, v)) for q, v in claim.refs]
    items += [(11, ("HI", *(composite(c, *comp) for comp in seg))) for seg in claim.hi]
    items += [(_CLAIM_RANK.get(raw[0], 8), _conv(raw, c)) for raw in claim.other_segments]
    out = _ranked(items)
    for p in claim.providers:
        out += _party(p, c)
    for op in claim.other_payers:
        out += _other_payer(op, c)
    for line in claim.lines:
        out += _line(line, claim.variant, c)
    return out


def _same(a: object, b: object) -> bool:
    return a is b or a == b


def _tree(claims: Sequence[Claim837]) -> list[list]:  # type: ignore[type-arg]
    """[[billing, [[subscriber, payer, claims, [[patient, claims], ...]], ...]], ...] in claim order."""
    tree: list[list] = []  # type: ignore[type-arg]
    for claim in claims:
        if not tree or not _same(tree[-1][0], claim.billing_provider):
            tree.append([claim.billing_provider, []])
        subscribers = tree[-1][1]
        current = subscribers[-1] if subscribers else None
        if (current is None or not _same(current[0], claim.subscriber) or not _same(current[1], claim.payer)
                or (claim.patient is None and current[3])):
            current = [claim.subscriber, claim.payer, [], []]
            subscribers.append(current)
        if claim.patient is None:
            current[2].append(claim)
        else:
            patients = current[3]
            if not patients or not _same(patients[-1][0], claim.patient):
                patients.append([claim.patient, []])
            patients[-1][1].append(claim)
    return tree


def to_body(submission: ClaimSubmission837, component: str = ":") -> Body:
    """The segments between ST and SE (BHT .. last claim) for x12.writer.Transaction(body=...)."""
    c = component
    h = submission.header
    items: list[tuple[int, tuple[str, ...]]] = [
        (0, ("BHT", h.structure, h.purpose, h.reference_id, date_text(h.date), h.time, h.transaction_type))]
    items += [(_HEADER_RANK.get(raw[0], 1), _conv(raw, c)) for raw in h.other_segments]
    out = _ranked(items)
    for p in (h.submitter, h.receiver):
        if p is not None:
            out += _party(p, c)
    hl = 0
    for billing, subscribers in _tree(submission.claims):
        hl += 1
        billing_hl = hl
        out.append(("HL", str(billing_hl), "", "20", "1"))
        out += _billing(billing, c)
        for subscriber, payer, claims, patients in subscribers:
            hl += 1
            subscriber_hl = hl
            out.append(("HL", str(subscriber_hl), str(billing_hl), "22", "1" if patients else "0"))
            out += _subscriber(subscriber, payer, c)
            for claim in claims:
                out += _claim(claim, c)
            for patient, patient_claims in patients:
                hl += 1
                out.append(("HL", str(hl), str(subscriber_hl), "23", "0"))
                out += _patient(patient, c)
                for claim in patient_claims:
                    out += _claim(claim, c)
    return out
