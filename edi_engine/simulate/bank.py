"""The bank's side of a world: a BAI2 statement of the deposits its 835s announce.

Owns how a generated practice's bank reports the money: each EFT (BPR04 ACH) arrives on its
BPR16 as a 165 preauthorized ACH credit whose text carries NACHA's HCCLAIMPMT and the CCD+
addenda's TRN segment, as banks report them on request (CAQH CORE 370); each check (BPR04 CHK) is
deposited two business days after BPR16 as a 301 commercial deposit with the check number as
customer reference. Some deposits come without that detail (every `bare_every`-th of each kind), so
reassociation by amount and date is exercised too. A zero payment (BPR04 NON) and a debit move no
money. `drop` leaves chosen payments' deposits out; `extra` adds credits no 835 announces. Knows
nothing of the engine's store: it reads the 835 bytes with edi_engine.parsers and writes BAI2 text.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from edi_engine.parsers import TransactionStart, parse_file
from edi_engine.parsers.x221a1_835_models import RemittanceHeader

__all__ = ["BankCredit", "BankPayment", "bank_credits", "payments_in", "write_bai2"]

ACCOUNT = "88234502"  # the payee account of simulate/render.py's BPR13
BANK = "071923284"


@dataclass(frozen=True, slots=True)
class BankPayment:
    """One 835 payment as its BPR/TRN announce it."""

    file: str
    amount: Decimal  # BPR02
    credit_debit: str  # BPR03
    method: str  # BPR04
    payment_date: date  # BPR16
    trace: str  # TRN02
    originator: str  # TRN03


@dataclass(frozen=True, slots=True)
class BankCredit:
    """One BAI2 16 credit record."""

    deposit_date: date
    amount: Decimal
    type_code: str
    bank_reference: str
    customer_reference: str = ""
    text: str = ""


def payments_in(files: Mapping[str, bytes]) -> list[BankPayment]:
    """Every 835 payment in `files` (835s by name; other files are skipped), in name order."""
    out = []
    for name in sorted(files):
        if not name.endswith(".835"):
            continue
        for item in parse_file(files[name], name=name):
            if isinstance(item, TransactionStart) and isinstance(item.header, RemittanceHeader):
                h = item.header
                if h.payment_date is not None:  # the generator always writes BPR16
                    out.append(BankPayment(name, h.total_payment, h.credit_debit, h.payment_method, h.payment_date,
                                           h.trace_number, h.payer_identifier))
    return out


def _business_days_after(day: date, n: int) -> date:
    while n:
        day += timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


def bank_credits(payments: Sequence[BankPayment], *, drop: Collection[int] = (), extra: Sequence[BankCredit] = (),
                 bare_every: int = 4) -> list[BankCredit]:
    """The deposits of `payments` (indexes in `drop` left out) and the `extra` credits."""
    out: list[BankCredit] = []
    seen = {"ACH": 0, "CHK": 0}
    for i, p in enumerate(payments):
        if p.credit_debit == "D" or p.amount <= 0 or p.method not in seen:
            continue
        seen[p.method] += 1
        bare = bare_every > 0 and seen[p.method] % bare_every == 0
        if i in drop:
            continue
        reference = f"B{i + 1:07d}"
        if p.method == "ACH":
            text = "ACH CREDIT" if bare else f"HCCLAIMPMT TRN*1*{p.trace}*{p.originator}\\"
            out.append(BankCredit(p.payment_date, p.amount, "165", reference, "", text))
        else:
            out.append(BankCredit(_business_days_after(p.payment_date, 2), p.amount, "301", reference,
                                  "" if bare else p.trace))
    out.extend(extra)
    return out


def _cents(amount: Decimal) -> int:
    return int(amount.scaleb(2))


def write_bai2(credits: Sequence[BankCredit], *, created: date, account: str = ACCOUNT) -> bytes:
    """A previous-day BAI2 file: one group (02) per as-of date, one account (03) in each."""
    by_day: dict[date, list[BankCredit]] = defaultdict(list)
    for c in credits:
        by_day[c.deposit_date].append(c)
    lines = [f"01,{BANK},EDIENGINE,{created:%y%m%d},0600,1,80,,2/"]
    file_total = groups = 0
    for day in sorted(by_day):
        group = [f"02,EDIENGINE,{BANK},1,{day:%y%m%d},2400,USD,2/"]
        rows = [f"03,{account},USD,/"]
        total = 0
        for c in sorted(by_day[day], key=lambda c: (c.bank_reference, c.amount)):
            cents = _cents(c.amount)
            total += cents
            if c.text:
                rows.append(f"16,{c.type_code},{cents},0,{c.bank_reference},{c.customer_reference},")
                rows.append(f"88,{c.text}")
            else:
                rows.append(f"16,{c.type_code},{cents},0,{c.bank_reference},{c.customer_reference}/")
        rows.append(f"49,{total},{len(rows) + 1}/")
        group += rows
        group.append(f"98,{total},1,{len(group) + 1}/")
        lines += group
        file_total += total
        groups += 1
    lines.append(f"99,{file_total},{groups},{len(lines) + 1}/")
    return ("\n".join(lines) + "\n").encode("ascii")
