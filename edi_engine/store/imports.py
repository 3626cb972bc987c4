"""CSV imports: patient payments, payer fee schedules and the payers themselves.

Owns the CSV formats. A file is all or nothing and idempotent like ingest: its content hash is
its key, every row is checked, bad rows are reported together and nothing from a file with a bad
row is stored. Errors name the line, the column (number and name) and what is wrong with it,
never a value: a cell, or a header cell of a file whose header row is missing, may be PHI.

    patient payments: claim_id,payment_date,amount,method,reference   (claim_id is CLM01)
    fee schedule:     payer_id,procedure_code,modifier,allowed_amount[,effective_from,effective_to]
    payers:           id,name[,type,refund_address,contact,fax,email,letter_preferences,aliases]
                      (store/payers.py; refund_address lines separated by '|' or newlines,
                      letter_preferences of mail, fax, email and aliases each separated by ';')

A payers file is an upsert, not an append: each row's payer is inserted or replaced, payers not in
the file are kept, and importing an edited file again updates them (the same bytes again: already
imported).

Dates are YYYY-MM-DD or CCYYMMDD; amounts are decimal dollars with at most two decimals.
"""

from __future__ import annotations

import csv
import dataclasses
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.engine import Connection, Engine

from edi_engine.errors import InputError, Position, UsageError
from edi_engine.money import Cents, to_cents
from edi_engine.store import payers, tables
from edi_engine.store.sourcefile import claim_file, content_hash

__all__ = ["PAYER_COLUMNS", "ImportResult", "PayersImport", "import_fee_schedule", "import_patient_payments",
           "import_payers"]

PAYER_COLUMNS = ["id", "name", "type", "refund_address", "contact", "fax", "email", "letter_preferences", "aliases"]

BATCH = 2000
MAX_REPORTED = 50
MAX_AMOUNT = Decimal(10) ** 12  # dollars; beyond this a value is not an amount but a typo


@dataclass(frozen=True, slots=True)
class ImportResult:
    file: str
    status: str  # "imported" or "already imported"
    rows: int
    # Patient payments: CSV lines whose claim_id names no stored claim or remittance (kept, and
    # applied once its 837 or 835 arrives; until then unapplied cash, not a credit).
    unknown_claim_lines: tuple[int, ...] = ()


class _RowError(ValueError):
    """What is wrong with a row: `problem` follows the column's name ("is empty")."""

    def __init__(self, column: str | None, problem: str) -> None:
        super().__init__(problem)
        self.column = column
        self.problem = problem


def _text(row: dict[str, str], col: str, required: bool = True) -> str | None:
    value = (row.get(col) or "").strip()
    if not value and required:
        raise _RowError(col, "is empty")
    return value or None


def _date(row: dict[str, str], col: str, required: bool = True) -> date | None:
    value = _text(row, col, required)
    if value is None:
        return None
    try:
        if len(value) == 8 and value.isdigit():
            return date(int(value[:4]), int(value[4:6]), int(value[6:]))
        return date.fromisoformat(value)
    except ValueError:
        raise _RowError(col, "is not a date (YYYY-MM-DD or CCYYMMDD)") from None


def _amount(row: dict[str, str], col: str) -> Cents:
    value = _text(row, col)
    try:
        number = Decimal(value.replace("$", "").replace(",", ""))  # type: ignore[union-attr]
    except InvalidOperation:
        raise _RowError(col, "is not an amount") from None
    if not number.is_finite():
        raise _RowError(col, "is not an amount")
    if abs(number) >= MAX_AMOUNT:
        raise _RowError(col, f"is not an amount under {MAX_AMOUNT:,.0f}")
    try:
        return to_cents(number, col)
    except InputError:
        raise _RowError(col, "has more than two decimal places; amounts are stored to the cent") from None


def _patient_payment(row: dict[str, str], conn: Connection) -> dict[str, Any]:
    return {
        "patient_control_number": _text(row, "claim_id"),
        "payment_date": _date(row, "payment_date"),
        "amount": _amount(row, "amount"),
        "method": _text(row, "method", required=False),
        "reference": _text(row, "reference", required=False),
    }


def _fee(row: dict[str, str], conn: Connection, aliases: dict[str, str]) -> dict[str, Any]:
    payer = _text(row, "payer_id")
    procedure_code = _text(row, "procedure_code")
    modifier = _text(row, "modifier", required=False) or ""
    allowed_amount = _amount(row, "allowed_amount")
    effective_from = _date(row, "effective_from", required=False)
    effective_to = _date(row, "effective_to", required=False)
    if allowed_amount < 0:
        raise _RowError("allowed_amount", "is negative")
    if effective_from and effective_to and effective_to < effective_from:
        raise _RowError("effective_to", "is before effective_from")
    return {
        "payer_id": aliases.get(payer, payer),  # type: ignore[arg-type]
        "procedure_code": procedure_code,
        "modifier": modifier,
        "allowed_amount": allowed_amount,
        "effective_from": effective_from,
        "effective_to": effective_to,
    }


def _header(header: list[str], required: list[str], optional: list[str], path: str) -> None:
    expected = "CSV header must be " + ",".join(required + [f"[{c}]" for c in optional])
    known = set(required) | set(optional)
    if header and not known & set(header):
        # Not a header at all: most likely the first data row. Its cells are not shown.
        raise InputError(f"{expected}; line 1 has none of these names (is the header row missing?)", Position(path))
    missing = [c for c in required if c not in header]
    unknown = [str(n) for n, c in enumerate(header, 1) if c not in known]
    repeated = [str(n) for n, c in enumerate(header, 1) if c in header[: n - 1]]
    if missing or unknown or repeated:
        raise InputError(expected + (f"; missing {','.join(missing)}" if missing else "")
                         + (f"; line 1, column(s) {','.join(unknown)}: not a column name" if unknown else "")
                         + (f"; line 1, column(s) {','.join(repeated)}: a repeated name" if repeated else ""),
                         Position(path))


def _rows(path: str, required: list[str], optional: list[str]) -> Iterator[tuple[int, list[str], dict[str, str], int]]:
    """(line number, header, row, number of fields) for each non-blank row after the header."""
    line = 0
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = [h.strip() for h in (reader.fieldnames or [])]
            _header(header, required, optional, path)
            reader.fieldnames = header
            for row in reader:
                line = reader.line_num
                if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
                    continue  # blank line
                extra = row.pop(None, None)  # csv keeps surplus fields, a list, under None
                yield line, header, row, len(header) + len(extra or ())
    except UnicodeDecodeError:
        raise InputError(f"not UTF-8 text (after line {line})", Position(path)) from None
    except csv.Error as exc:
        # csv's messages describe the problem ("field larger than field limit"), not the data.
        raise InputError(f"line {line + 1}: not readable as CSV ({exc})", Position(path)) from None


def _import(engine: Engine, path: str | os.PathLike[str], kind: str, table: Any, required: list[str],
            optional: list[str], convert: Callable[[dict[str, str], Connection], dict[str, Any]],
            progress: Callable[[int, int], None] | None = None) -> ImportResult:
    name = os.fspath(path)
    digest, size = content_hash(name)
    lines = _line_count(name) if progress is not None else 0
    errors: list[str] = []
    count = 0
    with engine.begin() as conn:
        file_id = claim_file(conn, digest, name, size, kind)
        if file_id is None:
            return ImportResult(name, "already imported", 0)
        batch: list[dict[str, Any]] = []
        for line, header, row, fields in _rows(name, required, optional):
            try:
                if fields > len(header):
                    raise _RowError(None, f"has {fields} fields, the header {len(header)}")
                values = convert(row, conn)
            except _RowError as exc:
                where = f"{exc.column} (column {header.index(exc.column) + 1}) " if exc.column in header else ""
                errors.append(f"line {line}: {where}{exc.problem}")
                continue
            count += 1
            if errors:
                continue  # keep checking, store nothing
            batch.append({"source_file_id": file_id, "segment": line, **values})
            if len(batch) >= BATCH:
                conn.execute(insert(table), batch)
                batch = []
                if progress is not None:
                    progress(line, max(lines, line))
        if errors:
            shown = errors[:MAX_REPORTED]
            more = f"\n... and {len(errors) - MAX_REPORTED} more" if len(errors) > MAX_REPORTED else ""
            raise InputError(f"{len(errors)} bad row(s); nothing was imported:\n" + "\n".join(shown) + more,
                             Position(name))
        if batch:
            conn.execute(insert(table), batch)
        if progress is not None:
            progress(lines, lines)
    return ImportResult(name, "imported", count)


def _line_count(path: str) -> int:
    """Lines in the file, for a progress bar's length (a quoted field's newline counts: close enough)."""
    with open(path, "rb") as handle:
        return sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))


def import_patient_payments(engine: Engine, path: str | os.PathLike[str],
                            progress: Callable[[int, int], None] | None = None) -> ImportResult:
    result = _import(engine, path, "patient-payments", tables.patient_payment,
                     ["claim_id", "payment_date", "amount", "method", "reference"], [], _patient_payment, progress)
    if result.status != "imported":
        return result
    with engine.connect() as conn:
        unknown = tuple(r[0] for r in conn.execute(text(
            # NOT EXISTS, an anti-join: PostgreSQL runs `NOT IN (SELECT ...)` as a scan of the subquery
            # per row once the claims outgrow work_mem (658,000 payments against 1.1 million claims ran
            # for minutes in bench/workers.py).
            "SELECT pp.segment FROM patient_payment pp JOIN source_file f ON f.id = pp.source_file_id"
            " WHERE f.content_hash = :digest"
            " AND NOT EXISTS (SELECT 1 FROM claim c WHERE c.patient_control_number = pp.patient_control_number)"
            " AND NOT EXISTS (SELECT 1 FROM claim_payment cp"
            " WHERE cp.patient_control_number = pp.patient_control_number)"
            " ORDER BY pp.segment"),
            {"digest": content_hash(os.fspath(path))[0]}))
    return dataclasses.replace(result, unknown_claim_lines=unknown)


def import_fee_schedule(engine: Engine, path: str | os.PathLike[str],
                        progress: Callable[[int, int], None] | None = None) -> ImportResult:
    aliases: dict[str, str] = {}

    def convert(row: dict[str, str], conn: Connection) -> dict[str, Any]:
        if not aliases:
            aliases.update(payers.alias_map(conn) or {"": ""})
        return _fee(row, conn, aliases)

    return _import(engine, path, "fee-schedule", tables.fee_schedule,
                   ["payer_id", "procedure_code", "modifier", "allowed_amount"], ["effective_from", "effective_to"],
                   convert, progress)


def _list(row: dict[str, str], col: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(p.strip() for p in (row.get(col) or "").split(";") if p.strip()))


def _payer_row(row: dict[str, str]) -> payers.Payer:
    pid, name = _text(row, "id"), _text(row, "name")
    kind = (_text(row, "type", required=False) or "").lower() or None
    if kind is not None and kind not in payers.PAYER_TYPES:
        raise _RowError("type", f"is not one of {', '.join(payers.PAYER_TYPES)}")
    address = _text(row, "refund_address", required=False)
    if address is not None:
        address = "\n".join(p.strip() for p in address.replace("|", "\n").splitlines() if p.strip())
    email = _text(row, "email", required=False)
    if email is not None and (email.count("@") != 1 or " " in email or "." not in email.split("@")[1]):
        raise _RowError("email", "is not an e-mail address")
    fax = _text(row, "fax", required=False)
    if fax is not None and not 7 <= sum(c.isdigit() for c in fax) <= 15:
        raise _RowError("fax", "is not a fax number")
    prefs = tuple(p.lower() for p in _list(row, "letter_preferences"))
    bad = [p for p in prefs if p not in payers.LETTER_CHANNELS]
    if bad:
        raise _RowError("letter_preferences", f"must be of {', '.join(payers.LETTER_CHANNELS)}, separated by ';'")
    for channel, value in (("fax", fax), ("email", email), ("mail", address)):
        if channel in prefs and value is None:
            raise _RowError("letter_preferences", f"names {channel} but the row has no "
                            + ("refund_address" if channel == "mail" else channel))
    aliases = _list(row, "aliases")
    if pid in aliases:
        raise _RowError("aliases", "lists the payer's own id")
    return payers.Payer(pid, name, kind, address, _text(row, "contact", required=False), fax, email,  # type: ignore[arg-type]
                        prefs, aliases)


@dataclass(frozen=True, slots=True)
class PayersImport:
    file: str
    status: str  # "imported" or "already imported"
    inserted: int
    updated: int


def import_payers(engine: Engine, path: str | os.PathLike[str]) -> PayersImport:
    """Upsert the payers of a CSV (PAYER_COLUMNS; id and name required), all or nothing: a bad row is
    reported with the file and its line and nothing of the file is stored."""
    name = os.fspath(path)
    digest, size = content_hash(name)
    errors: list[str] = []
    rows: list[tuple[int, payers.Payer]] = []
    seen: dict[str, int] = {}
    for line, header, row, fields in _rows(name, PAYER_COLUMNS[:2], PAYER_COLUMNS[2:]):
        try:
            if fields > len(header):
                raise _RowError(None, f"has {fields} fields, the header {len(header)}")
            p = _payer_row(row)
            for key, col in ((p.id, "id"), *((a, "aliases") for a in p.aliases)):
                if key in seen:
                    raise _RowError(col, f"repeats an id or alias of line {seen[key]}")
            seen.update(dict.fromkeys((p.id, *p.aliases), line))
        except _RowError as exc:
            where = f"{exc.column} (column {header.index(exc.column) + 1}) " if exc.column in header else ""
            errors.append(f"line {line}: {where}{exc.problem}")
            continue
        rows.append((line, p))
    if errors:
        shown = errors[:MAX_REPORTED]
        more = f"\n... and {len(errors) - MAX_REPORTED} more" if len(errors) > MAX_REPORTED else ""
        raise InputError(f"{len(errors)} bad row(s); nothing was imported:\n" + "\n".join(shown) + more,
                         Position(name))
    with engine.begin() as conn:
        file_id = claim_file(conn, digest, name, size, "payers")
        if file_id is None:
            return PayersImport(name, "already imported", 0, 0)
        try:
            inserted, updated = payers.upsert_payers(conn, rows, file_id)
        except UsageError as exc:  # an alias of the store's that the file contradicts; rolled back
            raise InputError(f"nothing was imported: {exc}", Position(name)) from None
    return PayersImport(name, "imported", inserted, updated)
