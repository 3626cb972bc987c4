"""The simulated world to X12 bytes, through the parsers' own models and the project's writer.

Owns the mapping plan -> parser model (Submission -> Claim837, ClaimResult -> ClaimPayment, a
check -> Remittance835) and the envelope facts of each generated file (ISA/GS ids, control
numbers, dates). Every byte goes through `to_body` of the 835/837 parsers and
`x12.writer.write_interchange`, so what the generator writes is what the reader reads back.
Knows nothing of scenarios or findings.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, time, timedelta

from edi_engine.parsers import x221a1_835_models as m835
from edi_engine.parsers import x837_models as m837
from edi_engine.parsers.x221a1_835 import to_body as body_835
from edi_engine.parsers.x837 import to_body as body_837
from edi_engine.simulate.model import ZERO, ClaimResult, Coverage, Payer, Person, PlbItem, Provider, Submission
from edi_engine.x12.writer import Transaction, write_interchange

__all__ = ["SUBMITTER_ID", "RECEIVER_ID", "render_835", "render_837"]

SUBMITTER_ID = "SBS0001"  # the practices' billing service (ISA06 of every 837, ISA08 of every 835)
RECEIVER_ID = "CLRHSE01"  # the clearinghouse the 837s go to
_IMPLEMENTATION = {"P": "005010X222A1", "I": "005010X223A2"}
_HEADER_NUMBER = m835.HeaderNumber("1")


# -- 837 -----------------------------------------------------------------------------------

def _person_party(entity: str, p: Person, member_id: str = "") -> m837.Party:
    return m837.Party(entity, "1", p.last, p.first, id_qualifier="MI" if member_id else "", id=member_id,
                      address=(p.address,), city=p.city, state=p.state, postal_code=p.postal_code)


def _billing(provider: Provider) -> m837.BillingProvider:
    party = m837.Party("85", "2", provider.name, id_qualifier="XX", id=provider.npi, address=(provider.address,),
                       city=provider.city, state=provider.state, postal_code=provider.postal_code,
                       refs=(("EI", provider.tin),))
    return m837.BillingProvider(party, other_segments=(("PRV", "BI", "PXC", provider.taxonomy),))


def _payer_party(payer: Payer) -> m837.Party:
    return m837.Party("PR", "2", payer.name, id_qualifier="PI", id=payer.payer_id)


class _Context:
    """Shared HL context objects, so claims of one subscriber/patient share one HL."""

    def __init__(self) -> None:
        self.billing: dict[str, m837.BillingProvider] = {}
        self.subscribers: dict[tuple[str, str, str], m837.Subscriber] = {}
        self.patients: dict[tuple[str, str, str, Person], m837.Patient] = {}

    def provider(self, provider: Provider) -> m837.BillingProvider:
        bp = self.billing.get(provider.npi)
        if bp is None:
            bp = self.billing[provider.npi] = _billing(provider)
        return bp

    def subscriber(self, s: Submission) -> tuple[m837.Subscriber, m837.Patient | None]:
        cov, patient = s.coverage, s.claim.patient.person
        key = (cov.payer.payer_id, cov.member_id, s.sequence)
        self_ = cov.relationship == "18"
        sub = self.subscribers.get(key)
        if sub is None:
            sub = self.subscribers[key] = m837.Subscriber(
                s.sequence, "18" if self_ else "", cov.group_number, "", "", cov.payer.filing_indicator,
                _person_party("IL", cov.subscriber, cov.member_id), cov.subscriber.birth_date, cov.subscriber.gender)
        if self_:
            return sub, None
        pat = self.patients.get(key + (patient,))
        if pat is None:
            pat = self.patients[key + (patient,)] = m837.Patient(
                cov.relationship, _person_party("QC", patient), patient.birth_date, patient.gender)
        return sub, pat


def _other_payer(s: Submission) -> m837.OtherPayer | None:
    """2320/2330: on a secondary claim the primary's adjudication; on a primary, the secondary's coverage."""
    other = s.other
    if other is None:
        return None
    prior = s.prior
    sbr01 = "P" if s.sequence == "S" else "S"
    cas: tuple[m837.Adjustment, ...] = ()
    paid = None
    if prior is not None:
        paid = prior.result.paid
    return m837.OtherPayer(
        sbr01, other.relationship if other.relationship == "18" else "01", other.group_number, "", "",
        other.payer.filing_indicator, adjustments=cas, paid_amount=paid,
        oi=("OI", "", "", "Y", "", "", "Y"),
        subscriber=_person_party("IL", other.subscriber, other.member_id),
        payer=_payer_party(other.payer),
        payer_claim_control_number=prior.result.control_number if prior else "",
        adjudication_date=prior.adjudicated if prior else None)


def _lines(s: Submission) -> tuple[m837.ServiceLine, ...]:
    claim = s.claim
    by_line = {r.line.number: r for r in s.prior.result.lines} if s.prior else {}
    out = []
    for line in claim.lines:
        adjudications: tuple[m837.LineAdjudication, ...] = ()
        r = by_line.get(line.number)
        if r is not None and s.prior is not None:
            adjudications = (m837.LineAdjudication(
                s.prior.result.payer.payer_id, r.paid, "HC", line.procedure, line.modifiers,
                revenue_code=line.revenue_code, paid_units=line.units,
                adjustments=tuple(m837.Adjustment(a.group, a.reason, a.amount) for a in r.adjustments),
                adjudication_date=s.prior.adjudicated),)
        out.append(m837.ServiceLine(
            line.number, line.charge, "HC" if line.procedure else "", line.procedure, line.modifiers,
            revenue_code=line.revenue_code,
            unit_basis="UN", units=line.units, place_of_service="" if claim.variant == "I" else "",
            diagnosis_pointers=("1",) if claim.variant == "P" else (),
            dates=(("472", line.service_date, line.service_date),),
            line_control_number=line.control_number, adjudications=adjudications))
    return tuple(out)


def _claim837(s: Submission, ctx: _Context) -> m837.Claim837:
    claim = s.claim
    subscriber, patient = ctx.subscriber(s)
    institutional = claim.variant == "I"
    dx = claim.diagnoses
    if institutional:  # 837I: the principal diagnosis has its own HI, other diagnoses the next
        hi: tuple[tuple[tuple[str, ...], ...], ...] = ((("ABK", dx[0]),),)
        if dx[1:]:
            hi += (tuple(("ABF", d) for d in dx[1:]),)
    else:
        hi = ((("ABK", dx[0]),) + tuple(("ABF", d) for d in dx[1:]),)
    statement = (f"{claim.service_from:%Y%m%d}-{claim.service_to:%Y%m%d}",)
    other = _other_payer(s)
    inpatient = institutional and claim.facility == "11"
    date_texts: tuple[tuple[str, str, str], ...] = ()
    if institutional:  # RD8 even for one day; an inpatient stay also has its admission (DTP*435)
        date_texts = (("434", "RD8", statement[0]),)
        if inpatient:
            date_texts += (("435", "DT", f"{claim.service_from:%Y%m%d}0800"),)
    return m837.Claim837(
        claim.variant, claim.claim_id, claim.charge, claim.facility, "A" if institutional else "B", s.frequency,
        provider_signature="" if institutional else "Y", assignment="A", benefits_assignment="Y",
        release_of_information="Y", billing_provider=ctx.provider(claim.provider), subscriber=subscriber,
        payer=_payer_party(s.coverage.payer), patient=patient,
        original_reference=s.original_reference, date_texts=date_texts, hi=hi,
        cl1=("1", "1", "01") if institutional else None,
        providers=((m837.Party("71", "1", "WELBY", "MARCUS", id_qualifier="XX", id="1234567893"),)
                   if institutional else ()),
        other_payers=(other,) if other is not None else (),
        other_segments=(("NTE", "ADD", s.note),) if s.note else (),
        lines=_lines(s))


def render_837(variant: str, submissions: Sequence[Submission], *, control_number: int, day: date) -> bytes:
    """One interchange, one 837 transaction set of the given variant (P or I)."""
    ctx = _Context()
    claims = tuple(_claim837(s, ctx) for s in submissions)
    header = m837.ClaimsHeader837(
        "0019", "00", f"B{control_number:08d}", day, "1200", "CH",
        submitter=m837.Party("41", "2", "SPRINGFIELD BILLING SERVICE", id_qualifier="46", id=SUBMITTER_ID,
                             contacts=(m837.Contact("IC", "CLAIMS DESK", (("TE", "2175550100"),)),)),
        receiver=m837.Party("40", "2", "CENTRAL CLEARINGHOUSE", id_qualifier="46", id=RECEIVER_ID))
    body = body_837(m837.ClaimSubmission837(None, header, claims))
    tx = Transaction("837", "0001", _IMPLEMENTATION[variant], body)
    return write_interchange([tx], sender_id=SUBMITTER_ID, receiver_id=RECEIVER_ID, control_number=control_number,
                             date=day, time=time(12, 0), line_ending="\n")


# -- 835 -----------------------------------------------------------------------------------

def _qc_party(coverage: Coverage, patient: Person) -> tuple[m835.Party, m835.Party | None]:
    if coverage.relationship == "18":
        return m835.Party("QC", patient.last, patient.first, id_qualifier="MI", id=coverage.member_id,
                          entity_type="1"), None
    insured = m835.Party("IL", coverage.subscriber.last, coverage.subscriber.first, id_qualifier="MI",
                         id=coverage.member_id, entity_type="1")
    return m835.Party("QC", patient.last, patient.first, entity_type="1"), insured


def _claim_payment(r: ClaimResult) -> m835.ClaimPayment:
    claim = r.claim
    patient, insured = _qc_party(r.coverage, claim.patient.person)
    services = []
    for lr in r.lines:
        line = lr.line
        recoded = bool(lr.procedure) and lr.procedure != line.procedure
        services.append(m835.ServicePayment(
            "HC", lr.procedure if recoded else line.procedure, line.modifiers, lr.charge, lr.paid,
            revenue_code=line.revenue_code, units_paid=line.units if line.units != 1 else None,
            submitted_procedure=m835.Procedure("HC", line.procedure, line.modifiers) if recoded else None,
            service_date_from=line.service_date, service_date_to=line.service_date,
            adjustments=tuple(m835.Adjustment(a.group, a.reason, a.amount) for a in lr.adjustments),
            line_control_number=line.control_number,
            amounts=(("B6", lr.allowed),) if lr.allowed is not None else ()))
    institutional = claim.variant == "I"
    level = r.level
    period = level.period if level is not None else (claim.service_from, claim.service_to)
    crossover = None
    if r.crossover is not None:
        # NM109: the crossover carrier's COBA id (an illustrative 5-digit id per payer)
        crossover = m835.Party("TT", r.crossover.payer.name, id_qualifier="PI", id=f"3{r.crossover.payer.tin[-4:]}",
                               entity_type="2")
    return m835.ClaimPayment(
        claim.claim_id, r.status, r.charge, r.paid, r.patient_responsibility, r.payer.remit_filing_indicator,
        r.control_number, claim.facility, "1", drg_code=level.drg if level is not None else "",
        drg_weight=level.weight if level is not None else None,
        adjustments=tuple(m835.Adjustment(a.group, a.reason, a.amount) for a in level.adjustments)
        if level is not None else (),
        patient=patient, insured=insured, crossover_carrier=crossover,
        inpatient=level.inpatient if level is not None else None,
        outpatient=("", "", *r.remarks) if r.remarks else None,
        statement_from=period[0] if institutional else None,
        statement_to=period[1] if institutional else None,
        received_date=r.received, services=tuple(services), header_number=_HEADER_NUMBER)


def _banking(payer: Payer, provider: Provider) -> tuple[str, ...]:
    return ("01", "071000013", "DA", f"{payer.tin}01", f"1{payer.tin}", "", "01", "071923284", "DA",
            f"88{provider.tin[-6:]}")


def render_835(payer: Payer, provider: Provider, day: date, trace: str, results: Sequence[ClaimResult],
               plbs: Sequence[PlbItem], *, control_number: int) -> bytes:
    """One check: BPR02 = sum of CLP04 - sum of PLB amounts, never negative (callers ensure)."""
    total = sum((r.paid for r in results), ZERO) - sum((p.amount for p in plbs), ZERO)
    if total < 0:
        raise ValueError("a check cannot be negative")
    banking: tuple[str, ...]
    if total == 0:
        handling, method, fmt, banking = "H", "NON", "", ()
    elif payer.pays_by_eft:
        handling, method, fmt, banking = "C", "ACH", "CCP", _banking(payer, provider)
    else:
        handling, method, fmt, banking = "I", "CHK", "", ()
    payer_loop = m835.PartyLoop(
        m835.Party("PR", payer.name, id_qualifier="XV", id=payer.remit_id),
        m835.Address("PO BOX 1000", city="SPRINGFIELD", state="IL", postal_code="62794"),
        contacts=(m835.Contact("BL", "PROVIDER SERVICES", (("TE", "8005550199"),)),))
    payee_loop = m835.PartyLoop(
        m835.Party("PE", provider.name, id_qualifier="XX", id=provider.npi),
        m835.Address(provider.address, city=provider.city, state=provider.state, postal_code=provider.postal_code),
        references=(("TJ", provider.tin),))
    header = m835.RemittanceHeader(
        handling, total, "C", method, fmt, banking, day, "1", trace, f"1{payer.tin}",
        production_date=day - timedelta(days=1), payer=payer_loop, payee=payee_loop)
    fiscal = date(day.year, 12, 31)
    adjustments = tuple(m835.ProviderAdjustment(provider.npi, fiscal, p.reason, p.reference, p.amount) for p in plbs)
    remittance = m835.Remittance835(None, header, tuple(_claim_payment(r) for r in results), adjustments)
    tx = Transaction("835", "0001", "005010X221A1", body_835(remittance))
    return write_interchange([tx], sender_id=payer.remit_id, receiver_id=SUBMITTER_ID, control_number=control_number,
                             date=day, time=time(8, 0), line_ending="\n")
