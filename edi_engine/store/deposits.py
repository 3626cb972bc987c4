"""Bank deposits: `import deposits` (a BAI2 statement or a deposits CSV), and the reads and writes
of EFT/check reassociation (the ledger matches, the rules report what stays unmatched).

Owns the deposits CSV format and the deposit tables' SQL. An import is all or nothing and
idempotent by content like every import (source_file's hash): the same file twice stores nothing
new. Errors name the file, the line and the field or column, never a value: a statement is bank
data. The format is recognised by content: a file starting with a 01 record is BAI2 (store/bai2.py),
anything else the CSV

    deposit_date,amount,reference,account[,payer]

deposit_date YYYY-MM-DD or CCYYMMDD; amount decimal dollars (at most two decimals, above zero);
reference the reassociation trace (TRN02 of the CCD+ addenda, which the bank reports) or the check
number, may be empty; account the account credited; payer optional, the originator (TRN03 or a
name). Every CSV row is a claim payment deposit: an ERA is expected for it.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn

from sqlalchemy import delete, insert, inspect, select
from sqlalchemy.engine import Connection, Engine

from edi_engine.errors import InputError, Position
from edi_engine.money import Cents, to_cents
from edi_engine.store import tables
from edi_engine.store.bai2 import is_bai2, read_bai2
from edi_engine.store.sourcefile import claim_file, content_hash

__all__ = ["CSV_COLUMNS", "DepositFact", "DepositImport", "EraPaymentFact", "deposit_facts", "era_payment_facts",
           "has_deposit_tables", "import_deposits", "stored_deposit_matches", "trn_offset", "write_deposit_matches"]

CSV_COLUMNS = ("deposit_date", "amount", "reference", "account")
CSV_OPTIONAL = ("payer",)
MAX_REPORTED = 50


@dataclass(frozen=True, slots=True)
class DepositImport:
    file: str
    status: str  # "imported" or "already imported"
    rows: int  # deposits stored
    format: str  # "bai2" or "csv"
    skipped: int = 0  # BAI2 debits and non-monetary records (not deposits)


class _CellError(ValueError):
    def __init__(self, column: str, what: str) -> None:
        super().__init__(f"column {column}: {what}")


def _cell(row: dict[str, str | None], column: str) -> str:
    return (row.get(column) or "").strip()


def _csv_date(row: dict[str, str | None], column: str) -> date:
    value = _cell(row, column)
    if not value:
        raise _CellError(column, "is empty")
    try:
        if len(value) == 8 and value.isdigit():
            return date(int(value[:4]), int(value[4:6]), int(value[6:]))
        return date.fromisoformat(value)
    except ValueError:
        raise _CellError(column, "is not a date (YYYY-MM-DD or CCYYMMDD)") from None


def _csv_amount(row: dict[str, str | None], column: str) -> Cents:
    value = _cell(row, column).replace("$", "").replace(",", "")
    if not value:
        raise _CellError(column, "is empty")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise _CellError(column, "is not an amount") from None
    if not number.is_finite():
        raise _CellError(column, "is not an amount")
    try:
        cents = to_cents(number, column)
    except InputError:
        raise _CellError(column, "has more than two decimal places") from None
    if cents <= 0:
        raise _CellError(column, "is not above zero (a deposit is a credit)")
    return cents


def _read_csv(path: str, data: bytes) -> list[dict[str, Any]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"byte {exc.start}: not UTF-8 text (neither BAI2 nor CSV)", Position(path)) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in CSV_COLUMNS if c not in header]
    unknown = [c for c in header if c not in CSV_COLUMNS and c not in CSV_OPTIONAL]
    if missing or unknown:
        raise InputError("line 1: the CSV header must be " + ",".join([*CSV_COLUMNS, *(f"[{c}]" for c in CSV_OPTIONAL)])
                         + (f"; missing {','.join(missing)}" if missing else "")
                         + (f"; unknown column(s) {len(unknown)}" if unknown else ""), Position(path))
    reader.fieldnames = header
    rows: list[dict[str, Any]] = []
    errors: list[str] = []
    for row in reader:
        line = reader.line_num
        if None in row:
            errors.append(f"line {line}: more fields than the header")
            continue
        if not any(_cell(row, c) for c in header):
            continue  # a blank line
        try:
            rows.append({"segment": line, "deposit_date": _csv_date(row, "deposit_date"),
                         "amount": _csv_amount(row, "amount"),
                         "account": _cell(row, "account") or _missing("account"),
                         "type_code": None, "trace_number": _cell(row, "reference") or None,
                         "originator": _cell(row, "payer") or None, "bank_reference": None,
                         "customer_reference": None, "claim_payment": True})
        except _CellError as exc:
            errors.append(f"line {line}, {exc}")
    if errors:
        more = f"\n... and {len(errors) - MAX_REPORTED} more" if len(errors) > MAX_REPORTED else ""
        raise InputError(f"{len(errors)} bad row(s); nothing was imported:\n" + "\n".join(errors[:MAX_REPORTED]) + more,
                         Position(path))
    return rows


def _missing(column: str) -> NoReturn:
    raise _CellError(column, "is empty")


def _read_bai2(path: str, data: bytes) -> tuple[list[dict[str, Any]], int]:
    statement = read_bai2(path, data)
    rows = [{"segment": c.line, "deposit_date": c.deposit_date, "amount": to_cents(c.amount), "account": c.account,
             "type_code": c.type_code, "trace_number": c.trace_number, "originator": c.originator,
             "bank_reference": c.bank_reference, "customer_reference": c.customer_reference,
             "claim_payment": c.claim_payment} for c in statement.credits]
    return rows, statement.skipped


def import_deposits(engine: Engine, path: str | os.PathLike[str]) -> DepositImport:
    """Store the deposits of a BAI2 statement or a deposits CSV, all or none, once."""
    name = os.fspath(path)
    try:
        with open(name, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror}", Position(name)) from None
    fmt = "bai2" if is_bai2(data[:64]) else "csv"
    rows, skipped = _read_bai2(name, data) if fmt == "bai2" else (_read_csv(name, data), 0)
    digest, size = content_hash(io.BytesIO(data))
    with engine.begin() as conn:
        file_id = claim_file(conn, digest, name, size, f"deposits-{fmt}")
        if file_id is None:
            return DepositImport(name, "already imported", 0, fmt)
        if rows:
            conn.execute(insert(tables.deposit), [{"source_file_id": file_id, **r} for r in rows])
    return DepositImport(name, "imported", len(rows), fmt, skipped)


# -- the reassociation's reads and writes --------------------------------------------------------

@dataclass(frozen=True, slots=True)
class EraPaymentFact:
    """An 835's BPR/TRN as reassociation needs it; amounts in cents."""

    id: int
    file: str
    segment: int  # BPR; TRN is the next segment (005010X221A1 table 1)
    offset: int
    amount: int  # BPR02
    credit_debit: str  # BPR03
    method: str  # BPR04
    payment_date: date | None  # BPR16
    trace_number: str  # TRN02
    trace_payer_id: str  # TRN03
    payer_id: str  # canonical
    isa13: str
    st02: str


@dataclass(frozen=True, slots=True)
class DepositFact:
    id: int
    file: str
    line: int
    deposit_date: date
    amount: int  # cents
    account: str
    type_code: str
    trace_number: str
    originator: str
    bank_reference: str
    customer_reference: str
    claim_payment: bool


def _d(value: object) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def has_deposit_tables(conn: Connection) -> bool:
    """False on a schema from before migration 0006 (detect may run on it until `db upgrade`)."""
    return bool(inspect(conn).has_table(tables.deposit_match.name))


def era_payment_facts(conn: Connection, aliases: dict[str, str]) -> list[EraPaymentFact]:
    p, t, i, f = tables.payment, tables.transaction_set, tables.interchange, tables.source_file
    stmt = (select(p.c.id, f.c.name, p.c.segment, p.c.byte_offset, p.c.amount, p.c.credit_debit, p.c.method,
                   p.c.payment_date, p.c.trace_number, p.c.trace_payer_id, p.c.payer_id, i.c.control_number,
                   t.c.control_number)
            .join(f, f.c.id == p.c.source_file_id).join(t, t.c.id == p.c.transaction_set_id)
            .outerjoin(i, i.c.id == t.c.interchange_id))
    out = []
    for r in conn.execute(stmt):
        payer = (r[10] or "").strip()
        out.append(EraPaymentFact(r[0], r[1], r[2], r[3], to_cents(r[4]), (r[5] or "").strip().upper(),
                                  (r[6] or "").strip().upper(), _d(r[7]), (r[8] or "").strip(), (r[9] or "").strip(),
                                  aliases.get(payer, payer), r[11] or "", r[12] or ""))
    return out


def deposit_facts(conn: Connection) -> list[DepositFact]:
    d, f = tables.deposit, tables.source_file
    stmt = select(d.c.id, f.c.name, d.c.segment, d.c.deposit_date, d.c.amount, d.c.account, d.c.type_code,
                  d.c.trace_number, d.c.originator, d.c.bank_reference, d.c.customer_reference,
                  d.c.claim_payment).join(f, f.c.id == d.c.source_file_id)
    return [DepositFact(r[0], r[1], r[2], _d(r[3]) or date.min, to_cents(r[4]), r[5], r[6] or "", r[7] or "",
                        r[8] or "", r[9] or "", r[10] or "", bool(r[11])) for r in conn.execute(stmt)]


def stored_deposit_matches(conn: Connection) -> dict[int, tuple[int, int, str]]:
    """payment id -> (match row id, deposit id, method)."""
    m = tables.deposit_match
    return {r[1]: (r[0], r[2], r[3]) for r in conn.execute(select(m.c.id, m.c.payment_id, m.c.deposit_id, m.c.method))}


def write_deposit_matches(conn: Connection, matches: Iterable[tuple[int, int, str]]) -> int:
    """Make deposit_match equal to `matches` (payment id, deposit id, method); rows changed."""
    m = tables.deposit_match
    stored = stored_deposit_matches(conn)
    want = {payment: (deposit, method) for payment, deposit, method in matches}
    changed = [(row_id, want[payment]) for payment, (row_id, deposit, method) in stored.items()
               if payment in want and want[payment] != (deposit, method)]
    gone = [row_id for payment, (row_id, _d2, _m) in stored.items() if payment not in want]
    moved = [row_id for row_id, _ in changed]
    # Delete first: a deposit moving from one payment to another must not meet the unique index twice.
    if gone or moved:
        conn.execute(delete(m).where(m.c.id.in_(gone + moved)))
    new = [{"payment_id": p, "deposit_id": d, "method": meth} for p, (d, meth) in want.items()
           if p not in stored or stored[p][0] in moved]
    if new:
        conn.execute(insert(m), new)
    return len(gone) + len(new)


def trn_offset(path: str, bpr_offset: int) -> int | None:
    """Byte offset of the TRN segment after the BPR at `bpr_offset`, when the file is still there."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(108)
            fh.seek(bpr_offset)
            chunk = fh.read(4096)
    except OSError:
        return None
    terminator = head[105:106] if head.startswith(b"ISA") and len(head) >= 106 else b"~"
    end = chunk.find(terminator)
    if end < 0:
        return None
    rest = chunk[end + 1:]
    skip = len(rest) - len(rest.lstrip(b"\r\n \t"))
    return bpr_offset + end + 1 + skip if rest[skip:skip + 3] == b"TRN" else None

