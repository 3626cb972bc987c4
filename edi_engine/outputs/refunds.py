"""Refund checks: the batch of approved refunds due, written as a check register and a bank's
positive pay issue file, and the issued-checks register read back as recorded refunds.

Owns the two file formats. The register is a CSV with a header (REGISTER_COLUMNS): one row per
finding, the amount still outstanding, the check number assigned from `first_check` and the issue
date. Accounts payable prints the checks from it and returns it (numbers or dates changed as
issued); `post_issued` reads it back and records each row through outputs/decisions.py, the one
place a refund is recorded, all rows in one transaction: a bad row records nothing, and a row
recorded before (same finding, same number) is not recorded twice.

The positive pay file follows JPMorgan Chase's Business Online positive pay upload layout
(delimited, no header row; columns: issue/void code `I` or `C`, account number, check number,
issue date MMDDYY, amount with a decimal point and no commas, payee name at most 40 characters;
one account per file): Chase's file upload guide,
https://www.chase.com/content/dam/chaseonline/en/legacy/content/secure/sso/document/file-upload-guide.pdf,
as summarised at https://positivepaymaker.com/formats.md. Banks differ; a first file is always
checked with the bank. Knows nothing of click.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy.engine import Connection, Engine

from edi_engine.errors import InputError, Position, UsageError
from edi_engine.ledger import credit, ledger_for
from edi_engine.money import from_cents, to_cents
from edi_engine.outputs.decisions import parse_amount, parse_paid_on, record_refund_on
from edi_engine.rules import categories, resolve_as_of
from edi_engine.rules.categories import Pool
from edi_engine.rules.lifecycle import Status
from edi_engine.store import findings as stored
from edi_engine.store import refunds as refund_store
from edi_engine.store.account import claims_of

__all__ = ["REGISTER_COLUMNS", "Batch", "Posted", "RefundDue", "positive_pay", "post_issued", "refunds_due",
           "register_csv", "write_batch"]

REGISTER_COLUMNS = ("finding_id", "category", "claim_id", "payer_id", "payee", "payee_name", "amount", "method",
                    "number", "issue_date")
REGISTER_NAME = "check-register.csv"
POSITIVE_PAY_NAME = "positive-pay.csv"
_PAYEE_MAX = 40  # Chase: payee name capped at 40 characters (uploads fail beyond that)


@dataclass(frozen=True, slots=True)
class RefundDue:
    """An approved refund not yet (wholly) paid back: what a check must still carry."""

    finding_id: int
    category: str
    claim_id: str
    payer_id: str
    payee: str  # payer or patient
    payee_name: str
    amount: Decimal  # outstanding
    number: str = ""
    issue_date: date | None = None


@dataclass(frozen=True, slots=True)
class Batch:
    checks: tuple[RefundDue, ...]
    register: Path
    positive_pay: Path

    @property
    def total(self) -> Decimal:
        return sum((c.amount for c in self.checks), Decimal("0.00"))


@dataclass(frozen=True, slots=True)
class Posted:
    recorded: int  # refunds newly recorded
    already: int  # rows recorded before (same finding and number): nothing written
    total: Decimal  # of the newly recorded


def refunds_due(engine: Engine, as_of: date | str | None = None) -> list[RefundDue]:
    """Approved refund findings identified by `as_of` with money still outstanding, oldest deadline first.

    Never more than the account's credit as the ledger has it now: a payer that took part of the money
    back itself since the approval (a recoupment, a reversal) is not paid that part again by check. Not
    a credit to offset (`findings offset` applies it to the patient's other balance), nor a Medicare
    credit a CMS-838 already listed, which the MAC recovers itself."""
    day = resolve_as_of(as_of)
    with engine.connect() as conn:
        rows = [f for f in stored.findings(conn, status=Status.APPROVED, categories=categories.refund_names())
                if f.identified_on <= day and f.refund_to != "offset"
                and not (f.payer_type == "medicare" and f.reported_on is not None)]
        repaid = refund_store.refunded_totals(conn, [f.id for f in rows])
        room: dict[tuple[str, Pool], int] = {}
        out: list[RefundDue] = []
        for f in sorted(rows, key=lambda f: (f.deadline or date.max, f.id)):
            left = f.amount - repaid.get(f.id, Decimal("0.00"))
            pool = categories.get(f.category).pool
            if pool is not None and f.patient_control_number:
                key = (f.patient_control_number, pool)
                if key not in room:
                    ledger = ledger_for(conn, f.patient_control_number)
                    payer_credit, patient_credit = credit(ledger[1]) if ledger else (0, 0)
                    room[key] = payer_credit if pool is Pool.PAYER else patient_credit
                left = min(left, from_cents(room[key]))
                room[key] -= to_cents(max(left, Decimal("0.00")))
            if left <= 0:
                continue
            claims = claims_of(conn, f.patient_control_number) if f.patient_control_number else []
            last = claims[-1] if claims else None
            if f.refund_to == "payer":
                payee, name = "payer", (last.payer_name if last else None) or f.payer_id or ""
            else:  # a patient credit (or one to offset that is paid by check after all) goes to the patient
                payee = "patient"
                name = " ".join(x for x in ((last.patient_first_name, last.patient_last_name) if last else ())
                                if x).strip()
            out.append(RefundDue(f.id, f.category, f.patient_control_number or "", f.payer_id or "", payee,
                                 name, left))
    return out


def write_batch(engine: Engine, out_dir: str | Path, *, account: str, first_check: int,
                as_of: date | str | None = None, issue_date: date | str | None = None) -> Batch:
    """Number the refunds due from `first_check` and write the check register and positive pay file."""
    account = (account or "").strip()
    if not account.isdigit():
        raise UsageError("--account must be the bank account number the checks are drawn on (digits only)")
    if first_check <= 0:
        raise UsageError("--first-check must be a positive check number")
    day = resolve_as_of(as_of)
    issued = parse_paid_on(issue_date, "--issue-date") if issue_date else day
    due = refunds_due(engine, day)
    checks = tuple(RefundDue(d.finding_id, d.category, d.claim_id, d.payer_id, d.payee, d.payee_name, d.amount,
                             str(first_check + i), issued) for i, d in enumerate(due))
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    register, pay = folder / REGISTER_NAME, folder / POSITIVE_PAY_NAME
    register.write_text(register_csv(checks), encoding="utf-8", newline="")
    pay.write_text(positive_pay(checks, account), encoding="ascii", newline="")
    return Batch(checks, register, pay)


def register_csv(checks: tuple[RefundDue, ...]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(REGISTER_COLUMNS)
    for c in checks:
        writer.writerow([c.finding_id, c.category, c.claim_id, c.payer_id, c.payee, c.payee_name, f"{c.amount:.2f}",
                         "check", c.number, c.issue_date.isoformat() if c.issue_date else ""])
    return out.getvalue()


def _payee(name: str) -> str:
    # Plain ASCII letters, digits and spaces: a comma would shift the bank's columns.
    kept = "".join(ch if (ch.isascii() and ch.isalnum()) or ch in " &-." else " " for ch in name)
    return " ".join(kept.split())[:_PAYEE_MAX]


def positive_pay(checks: tuple[RefundDue, ...], account: str) -> str:
    """The Chase Business Online positive pay issue file: I,account,check,MMDDYY,amount,payee."""
    lines = []
    for c in checks:
        assert c.issue_date is not None
        lines.append(",".join(("I", account, c.number, c.issue_date.strftime("%m%d%y"), f"{c.amount:.2f}",
                               _payee(c.payee_name))))
    return "".join(line + "\r\n" for line in lines)


def _finding_of_row(conn: Connection, finding_id: str, category: str, claim_id: str,
                    payer_id: str) -> stored.StoredFinding:
    """The finding a register row repays: by its id, or (a register whose ids were lost, a scenario
    pack written before detect numbered anything) the one approved finding of that category, claim
    and payer."""
    if finding_id:
        try:
            found = stored.finding_by_id(conn, int(finding_id))
        except ValueError:
            raise UsageError(f"finding_id must be a number, got {finding_id!r}") from None
        if found is None:
            raise UsageError(f"no finding {finding_id}")
        return found
    if not (category and claim_id):
        raise UsageError("no finding_id, and no category and claim_id to find the finding by")
    same = [f for f in stored.findings(conn, status=Status.APPROVED, category=category)
            if f.patient_control_number == claim_id and (f.payer_id or "") == payer_id]
    if len(same) != 1:
        raise UsageError(f"{'no' if not same else len(same)} approved {category} finding(s) for this row's claim "
                         "and payer: give its finding_id")
    return same[0]


def post_issued(engine: Engine, path: str | Path, *, by: str, today: date | None = None) -> Posted:
    """Record the refunds of an issued-checks register (REGISTER_COLUMNS, as written by write_batch and
    returned with the numbers and dates the checks carry). All rows or none; a row recorded before is
    skipped, so the same file posted twice records nothing new."""
    where = Position(str(path))
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text: an issued-checks register is the CSV `refunds batch` wrote", where) from None
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise InputError(f"not readable as CSV ({exc})", where) from None
    if not rows:
        raise InputError("empty file: an issued-checks register has a header row and one row per check", where)
    header = [h.strip().lower() for h in rows[0]]
    needed = ("amount", "number", "issue_date")
    missing = [c for c in needed if c not in header] + (
        [] if "finding_id" in header or {"category", "claim_id", "payer_id"} <= set(header) else ["finding_id"])
    if missing:
        raise InputError(f"line 1: the header needs {', '.join(needed)}; missing {', '.join(missing)}", where)
    col = {name: header.index(name) for name in REGISTER_COLUMNS if name in header}
    recorded = already = 0
    total = Decimal("0.00")
    with engine.begin() as conn:
        for line, row in enumerate(rows[1:], start=2):
            if not any(v.strip() for v in row):
                continue

            def get(name: str, row: list[str] = row) -> str:
                i = col.get(name)
                return row[i].strip() if i is not None and i < len(row) else ""

            try:
                row_found = _finding_of_row(conn, get("finding_id"), get("category"), get("claim_id"),
                                            get("payer_id"))
                finding_id = row_found.id
                for name, stored_value in (("claim_id", row_found.patient_control_number),
                                           ("payer_id", row_found.payer_id)):
                    given = get(name)
                    if given and given != (stored_value or ""):
                        # Never the values themselves: a claim id is the patient's account number.
                        raise UsageError(f"finding {finding_id} is not for the {name} on this row; was the row edited?")
                if not get("number"):
                    raise UsageError("no check number: a check not issued yet is left out of the returned register")
                done = record_refund_on(conn, finding_id, by=by, method=get("method") or "check",
                                        number=get("number"), paid_on=get("issue_date") or None,
                                        amount=parse_amount(get("amount"), "amount"), today=today,
                                        source=f"{Path(path).name} line {line}")
            except UsageError as exc:
                raise InputError(f"line {line}: {exc}; nothing was recorded", where) from None
            if done.new:
                recorded += 1
                total += done.amount
            else:
                already += 1
    return Posted(recorded, already, total)
