"""Reads a generated world back from its bytes alone (our parsers and the CSVs), for the ground-truth tests.

Nothing here imports the generator's plan: every fact is what an engine would see in the files.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from edi_engine.parsers import TransactionEnd, TransactionStart, parse_file
from edi_engine.parsers.x221a1_835_models import ClaimPayment, RemittanceHeader, RemittanceTrailer
from edi_engine.parsers.x837_models import Claim837

ZERO = Decimal("0.00")


@dataclass
class Payment:
    """One CLP with the facts of its check."""

    clp: ClaimPayment
    payer_id: str  # canonical
    check_date: date
    trace: str
    file: str


@dataclass
class Read:
    claims: dict[str, list[Claim837]] = field(default_factory=lambda: defaultdict(list))  # CLM01 -> submissions
    payments: dict[str, list[Payment]] = field(default_factory=lambda: defaultdict(list))  # CLP01 -> CLPs
    # (payer, reason, reference, amount, check date)
    plb: list[tuple[str, str, str, Decimal, date]] = field(default_factory=list)
    patient_paid: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    fees: dict[tuple[str, str, str], list[tuple[date, date, Decimal]]] = field(
        default_factory=lambda: defaultdict(list))
    aliases: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    refunds: list[dict[str, str]] = field(default_factory=list)  # refunds.csv: the provider's refund checks
    balances: list[tuple[str, Decimal, Decimal]] = field(default_factory=list)  # (file, BPR02, sum CLP04 - PLB)

    def contract(self, payer_id: str, code: str, modifiers: tuple[str, ...], units: Decimal,
                 day: date) -> Decimal | None:
        """The documented fee-schedule rule, implemented independently of the generator."""
        for modifier in tuple(modifiers) + ("",):
            for start, end, fee in self.fees.get((payer_id, code, modifier), []):
                if start <= day <= end:
                    return (fee * units).quantize(Decimal("0.01"))
            if modifier == "":
                break
        return None


def _csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def read_world(files: dict[str, bytes]) -> Read:
    out = Read()
    if "payer_aliases.csv" in files:
        out.aliases = {r["alias"]: r["payer_id"] for r in _csv(files["payer_aliases.csv"])}
    for name in sorted(files):
        data = files[name]
        if name.endswith(".837"):
            run = parse_file(data, name=name)
            for item in run:
                if isinstance(item, Claim837):
                    out.claims[item.patient_control_number].append(item)
            out.problems += [f"{p.severity} {p.code} {p}" for p in run.problems]
        elif name.endswith(".835"):
            run = parse_file(data, name=name)
            header: RemittanceHeader | None = None
            total = ZERO
            for item in run:
                if isinstance(item, TransactionStart):
                    header = item.header  # type: ignore[assignment]
                elif isinstance(item, ClaimPayment):
                    assert header is not None and header.payer is not None and header.payment_date is not None
                    payer = out.aliases.get(header.payer.party.id, header.payer.party.id)
                    out.payments[item.patient_control_number].append(
                        Payment(item, payer, header.payment_date, header.trace_number, name))
                    total += item.paid
                elif isinstance(item, TransactionEnd):
                    assert header is not None and header.payer is not None and header.payment_date is not None
                    trailer = item.trailer
                    assert isinstance(trailer, RemittanceTrailer)
                    payer = out.aliases.get(header.payer.party.id, header.payer.party.id)
                    for adj in trailer.provider_adjustments:
                        out.plb.append((payer, adj.reason, adj.reference, adj.amount, header.payment_date))
                        total -= adj.amount
                    out.balances.append((name, header.total_payment, total))
            out.problems += [f"{p.severity} {p.code} {p}" for p in run.problems]
    out.refunds = _csv(files.get("refunds.csv", b"claim_id\n"))
    for row in _csv(files.get("patient_payments.csv", b"claim_id\n")):
        out.patient_paid[row["claim_id"]] += Decimal(row["amount"])
    for row in _csv(files["fee_schedule.csv"]):
        out.fees[(row["payer_id"], row["procedure_code"], row["modifier"])].append(
            (date.fromisoformat(row["effective_from"]), date.fromisoformat(row["effective_to"]),
             Decimal(row["allowed_amount"])))
    return out
