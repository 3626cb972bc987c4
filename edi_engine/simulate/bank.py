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

import csv
import io
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from edi_engine.parsers import TransactionStart, parse_file
from edi_engine.parsers.x221a1_835_models import RemittanceHeader
from edi_engine.simulate.expected import Finding, dumps_expected

__all__ = ["BankCredit", "BankPayment", "PACK", "bank_credits", "pack_files", "payments_in", "write_bai2"]

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
    payer_id: str = ""  # N1*PR N104


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
                                           h.trace_number, h.payer_identifier, h.payer.party.id if h.payer else ""))
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


# -- the deposit_reassociation scenario pack ------------------------------------------------------

PACK = "deposit_reassociation"
PACK_WORLD = (16, 115, "patient_exact")  # claims, seed, scenario: a small world with no credit findings
EXTRA = Decimal("777.77")
EXTRA_ORIGINATOR = "1999999999"


def pack_files(world: Mapping[str, bytes], generator: Mapping[str, object]) -> dict[str, bytes]:
    """The world's files with statement.bai2 (one EFT's deposit left out, one unknown credit added),
    and expected.json and README.md for the two findings that leaves."""
    files = dict(world)
    payments = payments_in(files)
    aliases = {r["alias"]: r["payer_id"] for r in csv.DictReader(
        io.StringIO(files.get("payer_aliases.csv", b"alias,payer_id\n").decode()))}
    eft = [i for i, p in enumerate(payments) if p.method == "ACH" and p.amount > 0]
    missing = next(i for i in eft[len(eft) // 2:] if (eft.index(i) + 1) % 3)  # one reported with its TRN
    lost = payments[missing]
    extra = BankCredit(lost.payment_date, EXTRA, "165", "B9999999", "",
                       f"HCCLAIMPMT TRN*1*EXTRA{lost.payment_date:%y%m%d}*{EXTRA_ORIGINATOR}\\")
    last = max(p.payment_date for p in payments)
    files["statement.bai2"] = write_bai2(bank_credits(payments, drop={missing}, extra=[extra], bare_every=3),
                                         created=last + timedelta(days=7))
    findings = [
        Finding("era_without_deposit", "", aliases.get(lost.payer_id, lost.payer_id), str(lost.amount), "",
                note=f"{lost.file}: TRN02 {lost.trace} of {lost.payment_date} never reached the bank"),
        Finding("deposit_without_era", "", EXTRA_ORIGINATOR, str(EXTRA), "",
                note=f"a HCCLAIMPMT credit of {EXTRA} on {lost.payment_date} that no 835 announces"),
    ]
    files["expected.json"] = dumps_expected(sorted(findings, key=lambda f: f.key), generator).encode("utf-8")
    files["README.md"] = _readme(findings, lost, len(payments)).encode("utf-8")
    return files


_RECORDS = (
    ("01 file header", "sender (bank routing number), receiver, creation date and time, file id, record length, "
                       "version 2"),
    ("02 group header", "ultimate receiver, originator (the bank), group status, **as-of date** (the deposit date), "
                        "time, currency"),
    ("03 account identifier", "**customer account number**, currency, summary items (type code, amount, count, "
                              "funds type)"),
    ("16 transaction detail", "**type code** (165 preauthorized ACH credit, 301 commercial deposit), **amount** in "
                              "cents, funds type, **bank reference**, **customer reference** (the check number), "
                              "**text** (HCCLAIMPMT and the addenda's TRN segment)"),
    ("88 continuation", "the previous record goes on (here: the 16 record's text)"),
    ("49 account trailer", "account control total (sum of the account's amounts), number of records"),
    ("98 group trailer", "group control total, number of accounts, number of records"),
    ("99 file trailer", "file control total, number of groups, number of records"),
)


def _readme(findings: Sequence[Finding], lost: BankPayment, payments: int) -> str:
    records = "\n".join(f"| {name} | {what} |" for name, what in _RECORDS)
    rows = "\n".join(f"| {f.category} | {f.payer_id} | {f.amount} | {f.note} |" for f in findings)
    return f"""# {PACK}

A practice's 835s ({payments} payments: EFTs, checks, zero-pay notices) and its bank's BAI2
statement of the same weeks, `statement.bai2`, in which one EFT's deposit is missing and one
health care credit has no 835.

Expected: every payment that moved money is reassociated with its deposit except the one whose
deposit is missing; that ERA is an open era_without_deposit ("cash posted but not received") and the
unknown credit an open deposit_without_era. Neither is a refund: nobody is owed, no letter goes out.

| category | payer | amount | why |
|---|---|---|---|
{rows}

## Why a payment poster agrees

A poster posts an ERA only against money that arrived. The CAQH CORE 370 EFT & ERA Reassociation
(CCD+/835) rule, adopted under HIPAA (45 CFR 162.1603), makes the ACH CCD+ carry what is needed to
tie the two together: the CCD+ Effective Entry Date is the 835's BPR16, its Amount BPR02, and its
addenda's Payment Related Information the 835's TRN segment (TRN02 the trace number, TRN03 the
payer), which the provider's bank reports on request. The rule also bounds how far apart the 835 and
the EFT may be released (three business days, section 4.2), hence the rule pack's window. So:

- an EFT whose TRN02 appears in a deposit's addenda with the same amount is that deposit
  (method `trn02`); a check is its deposit when the check number (TRN02) is the deposit's customer
  reference (`check_number`);
- a deposit the bank reported without addenda is matched by amount within three business days of
  BPR16 (a check within ten) (`amount+date`), never when it carries another payment's trace;
- a zero-pay notice (BPR04 NON, BPR01 H) moves no money and needs no deposit;
- the ERA of {lost.file} (TRN02 {lost.trace}) says money was paid that the bank never
  received: posting it would show a credit nobody has, so it waits as a finding until the deposit
  turns up (it resolves by itself when it does);
- the extra credit says HCCLAIMPMT, a claim payment, but no stored 835 explains it: it cannot be
  posted to any claim until the payer's ERA arrives.

## The BAI2 records in statement.bai2

| record | carries |
|---|---|
{records}

Generated by edi_engine.simulate.bank (world: {PACK_WORLD[0]} claims, seed {PACK_WORLD[1]}); regenerate
with `python -m edi_engine.simulate.build_fixtures`. Do not edit by hand.
"""
