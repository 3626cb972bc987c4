"""The clearinghouse's and payer's answers to a generated 837 batch: a 999 and a 277CA.

Owns writing, for one 837 file the simulator wrote, the 999 (005010X231A1) the clearinghouse
returns (one AK2 loop per 837 transaction set, IK5*A, AK9*A) and the 277CA (005010X214) the
payer returns (one 2000D per claim: STC*A2:20 accepted, or STC*A7:21 rejected for the claims
named, with TRN02 = CLM01, REF*1K = the payer claim control number and STC04 = CLM02). Reads
the 837 back through the parsers, so what it answers is what ingest stored; the bytes go through
`x12.writer`. Knows nothing of scenarios or findings. Our own 999 for inbound files is
`parsers/ack.py`, not this.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, time
from decimal import Decimal

from edi_engine.parsers import TransactionStart, parse_file
from edi_engine.parsers._elements import format_amount
from edi_engine.parsers.x837_models import Claim837
from edi_engine.x12.writer import Transaction, write_interchange

__all__ = ["ACCEPTED_STATUS", "REJECTED_STATUS", "render_277ca", "render_999"]

ACCEPTED_STATUS = ("A2", "20")  # accepted into adjudication / accepted for processing
REJECTED_STATUS = ("A7", "21")  # rejected for invalid information / missing or invalid information


def _sets(data: bytes) -> list[tuple[TransactionStart, list[Claim837]]]:
    out: list[tuple[TransactionStart, list[Claim837]]] = []
    for item in parse_file(data):
        if isinstance(item, TransactionStart):
            out.append((item, []))
        elif isinstance(item, Claim837) and out:
            out[-1][1].append(item)
    return out


def render_999(data_837: bytes, *, day: date, control_number: int) -> bytes:
    """The clearinghouse's 999 accepting every transaction set of one 837 interchange."""
    sets = _sets(data_837)
    if not sets:
        return b""
    info = sets[0][0].info
    body: list[tuple[str, ...]] = [("AK1", "HC", info.group_control or "", info.implementation)]
    for start, _ in sets:
        body += [("AK2", "837", start.info.transaction_control or "", start.info.implementation), ("IK5", "A")]
    body.append(("AK9", "A", str(len(sets)), str(len(sets)), str(len(sets))))
    tx = Transaction("999", "0001", "005010X231A1", body)
    return write_interchange([tx], sender_id=info.interchange_receiver or "", receiver_id=info.interchange_sender or "",
                             control_number=control_number, date=day, time=time(12, 0), functional_id="FA",
                             line_ending="\n")


def render_277ca(data_837: bytes, *, day: date, control_number: int, rejected: Collection[str] = (),
                 payer_claim_numbers: Mapping[str, str] | None = None) -> bytes:
    """The payer's 277CA for every claim of one 837 interchange; the CLM01s in `rejected` are rejected.

    `payer_claim_numbers` (CLM01 -> REF*1K) gives the payer's claim numbers when known (the 835's
    CLP07 repeats them, X12 RFI 1808); otherwise a number is made from the CLM01.
    """
    sets = _sets(data_837)
    if not sets:
        return b""
    info = sets[0][0].info
    numbers = payer_claim_numbers or {}
    claims = [c for _, cs in sets for c in cs]
    payer = claims[0].payer if claims else None
    bht03 = next((s.header.reference_id for s, _ in sets if hasattr(s.header, "reference_id")), "")
    body: list[tuple[str, ...]] = [
        ("BHT", "0085", "08", f"277{control_number:09d}", f"{day:%Y%m%d}", "1200", "TH"),
        ("HL", "1", "", "20", "1"),
        ("NM1", "PR", "2", payer.name if payer else "PAYER", "", "", "", "", "PI", payer.id if payer else ""),
        ("TRN", "1", f"R{control_number:09d}"), ("DTP", "050", "D8", f"{day:%Y%m%d}"),
        ("DTP", "009", "D8", f"{day:%Y%m%d}"),
        ("HL", "2", "1", "21", "1"),
        ("NM1", "41", "2", "SPRINGFIELD BILLING SERVICE", "", "", "", "", "46", info.interchange_sender or ""),
        ("TRN", "2", str(bht03)),
    ]
    n_rejected = sum(1 for c in claims if c.patient_control_number in rejected)
    accepted_total = sum((c.charge for c in claims if c.patient_control_number not in rejected), Decimal(0))
    rejected_total = sum((c.charge for c in claims if c.patient_control_number in rejected), Decimal(0))
    body += [("STC", "A1:19:PR", f"{day:%Y%m%d}", "WQ", format_amount(accepted_total + rejected_total)),
             ("QTY", "90", str(len(claims) - n_rejected)), ("QTY", "AA", str(n_rejected)),
             ("AMT", "YU", format_amount(accepted_total)), ("AMT", "YY", format_amount(rejected_total))]
    hl = 2
    providers: dict[str, int] = {}
    for claim in claims:
        billing = claim.billing_provider.provider if claim.billing_provider is not None else None
        npi = billing.id if billing is not None else ""
        if npi not in providers:
            hl += 1
            providers[npi] = hl
            body += [("HL", str(hl), "2", "19", "1"),
                     ("NM1", "85", "2", billing.name if billing else "", "", "", "", "", "XX", npi),
                     ("TRN", "1", f"P{hl:04d}")]
        hl += 1
        status = REJECTED_STATUS if claim.patient_control_number in rejected else ACCEPTED_STATUS
        action = "U" if status is REJECTED_STATUS else "WQ"
        pcn = claim.patient_control_number
        person = claim.patient.name if claim.patient is not None else None
        member = claim.subscriber.name if claim.subscriber is not None else None
        person = person or member
        body += [("HL", str(hl), str(providers[npi]), "PT"),
                 ("NM1", "QC", "1", person.name if person else "", person.first if person else "", "", "", "",
                  "MI", member.id if member else ""),
                 ("TRN", "2", pcn),
                 ("STC", f"{status[0]}:{status[1]}", f"{day:%Y%m%d}", action, format_amount(claim.charge)),
                 ("REF", "1K", numbers.get(pcn, f"ICN{pcn}"))]
        days = [d for ln in claim.lines for d in (ln.service_date_from, ln.service_date_to) if d is not None]
        if days:
            first, last = min(days), max(days)
            span = f"{first:%Y%m%d}" if first == last else f"{first:%Y%m%d}-{last:%Y%m%d}"
            body.append(("DTP", "472", "RD8" if first != last else "D8", span))
    tx = Transaction("277", "0001", "005010X214", body)
    return write_interchange([tx], sender_id=info.interchange_receiver or "", receiver_id=info.interchange_sender or "",
                             control_number=control_number, date=day, time=time(12, 0), functional_id="HN",
                             line_ending="\n")
