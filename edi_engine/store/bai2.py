"""BAI2 bank statements read into the credits reassociation needs, through the `bai2` package
(ministryofjustice/bai2 on PyPI, MIT): the one module that imports it.

Owns the BAI2 file layout as far as deposits go. A BAI2 file is records of comma-separated fields
ending in "/", one record type per line, continued by 88 records:

    01 file header     sender, receiver, creation date/time, file id, version 2
    02 group header    ultimate receiver, originator (the bank), status, **as-of date**, time, currency
    03 account         **customer account number**, currency, then summary items (type, amount, count, funds)
    16 transaction     **type code**, **amount** (cents, no sign: the type code says credit or debit),
                       funds type (+ availability), **bank reference**, **customer reference**, **text**
    88 continuation    the previous record's fields go on
    49 account trailer account control total, number of records
    98 group trailer   group control total, number of accounts, number of records
    99 file trailer    file control total, number of groups, number of records

A credit (type codes 100-399) is a deposit. Its date is the group's as-of date. For an ACH credit
the bank puts the CCD+ addenda's Payment Related Information (NACHA record 7 field 3: the 835's
TRN segment, "TRN*1*<TRN02>*<TRN03>\\") in the 16 record's text; the TRN02 read from it is the
reassociation trace (CAQH CORE 370, domain.md 1.11). A check deposit carries the check serial in
the customer reference. Nothing else from the text is kept.

The package parses but its errors carry no position and its integrity messages quote amounts, so
this module checks the layout first (record codes, the fields it reads) and the control totals and
record counts after, and reports "line N, field K (name)": never a value, since a statement is bank
data. Knows nothing of the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from bai2 import constants as bai2_constants
from bai2.exceptions import IntegrityException, NotSupportedYetException, ParsingException
from bai2.helpers import IteratorHelper
from bai2.parsers import Bai2FileParser

from edi_engine.errors import InputError, Position
from edi_engine.money import from_cents

__all__ = ["BankCredit", "BankStatement", "is_bai2", "read_bai2"]

_CODES = {"01", "02", "03", "16", "49", "88", "98", "99"}
_NAMES = {"01": "file header", "02": "group header", "03": "account identifier", "16": "transaction detail",
          "49": "account trailer", "98": "group trailer", "99": "file trailer"}
_TRN = re.compile(r"TRN\*1\*([^*\\~/,]{1,50})(?:\*([^*\\~/,]{1,50}))?")
_FUNDS = {"Z", "0", "1", "2", "S", "V", "D", ""}


@dataclass(frozen=True, slots=True)
class BankCredit:
    """One BAI2 16 credit record (with its 88 continuations)."""

    line: int  # 1-based line of the 16 record
    deposit_date: date  # 02 as-of date
    amount: Decimal
    account: str  # 03 customer account number
    type_code: str
    trace_number: str | None  # TRN02 from the text (CCD+ addenda)
    originator: str | None  # TRN03 from the text
    bank_reference: str | None
    customer_reference: str | None
    claim_payment: bool  # HCCLAIMPMT or a TRN in the text: a health care claim payment


@dataclass(frozen=True, slots=True)
class BankStatement:
    credits: tuple[BankCredit, ...]
    skipped: int  # debits and non-monetary detail records, not deposits


def is_bai2(head: bytes) -> bool:
    """A BAI2 file starts with its 01 file header record."""
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"01,")


def _error(path: str, line: int, what: str, field: int | None = None, name: str = "") -> InputError:
    where = f"line {line}" + (f", field {field}" + (f" ({name})" if name else "") if field is not None else "")
    return InputError(f"{where}: {what}", Position(path))


def _records(lines: list[tuple[int, str]]) -> Iterator[tuple[int, str, list[str]]]:
    """(first line, record code, fields) per logical record, 88 continuations joined as the package does."""
    i = 0
    while i < len(lines):
        number, text = lines[i]
        code, rows = text[:2], [text[3:]]
        i += 1
        while i < len(lines) and lines[i][1][:2] == "88":
            rows.append(lines[i][1][3:])
            i += 1
        joined = ""
        for row in rows:
            if row.endswith("/"):
                joined += row[:-1] + ","
            else:
                joined += row + " "
        yield number, code, joined[:-1].split(",")


def _check_layout(path: str, lines: list[tuple[int, str]]) -> None:
    for number, text in lines:
        if text[:2] not in _CODES or text[2:3] != ",":
            raise _error(path, number, "not a BAI2 record (01, 02, 03, 16, 49, 88, 98 or 99 and a comma expected)",
                         1, "record code")
    if lines[0][1][:2] != "01":
        raise _error(path, lines[0][0], "a BAI2 file starts with a 01 file header", 1, "record code")
    for number, code, fields in _records(lines):
        if code == "88":
            raise _error(path, number, "a continuation (88) follows no record", 1, "record code")
        if code == "01" and (len(fields) < 8 or fields[7].strip() != "2"):
            raise _error(path, number, "only BAI version 2 files are read", 9, "version number")
        if code == "02" and (len(fields) < 4 or not _yymmdd(fields[3])):
            raise _error(path, number, "the as-of date is not a date (YYMMDD)", 5, "as-of date")
        if code == "16":
            _check_detail(path, number, fields)


def _yymmdd(value: str) -> bool:
    try:
        datetime.strptime(value.strip(), "%y%m%d")
    except ValueError:
        return False
    return True


def _check_detail(path: str, number: int, fields: list[str]) -> None:
    type_code = fields[0].strip() if fields else ""
    if not (len(type_code) == 3 and type_code.isdigit()):
        raise _error(path, number, "the type code is not three digits", 2, "type code")
    if type_code not in bai2_constants.TypeCodes:
        raise _error(path, number, "the type code is not in the BAI2 type code list", 2, "type code")
    amount = fields[1].strip() if len(fields) > 1 else ""
    if amount and not amount.isdigit():
        raise _error(path, number, "the amount is not a whole number of cents", 3, "amount")
    if len(fields) < 3 or fields[2].strip() not in _FUNDS:
        raise _error(path, number, "the funds type is not Z, 0, 1, 2, S, V or D", 4, "funds type")


class _Counting:
    """The lines handed to the package, counted, so a failure can be placed on its record's line."""

    def __init__(self, lines: list[tuple[int, str]]) -> None:
        self.lines, self.consumed, self.done = lines, 0, False

    def __iter__(self) -> Iterator[str]:
        for _number, text in self.lines:
            self.consumed += 1
            yield text
        self.done = True


def _parse(path: str, lines: list[tuple[int, str]]) -> Any:
    feed = _Counting(lines)
    helper: IteratorHelper | None = None
    try:
        helper = IteratorHelper(iter(feed))
        return Bai2FileParser(helper, check_integrity=False).parse()
    except (ParsingException, NotSupportedYetException, IntegrityException, ValueError, IndexError, KeyError,
            StopIteration, AttributeError, TypeError):
        line = lines[-1][0]
        if helper is not None and helper.current_record is not None:
            rows = len(helper.current_record.rows)
            ahead = 0 if feed.done else 1  # the package reads one row ahead
            index = max(0, min(len(lines) - 1, feed.consumed - ahead - rows))
            line = lines[index][0]
        raise _error(path, line, "the records are not in BAI2 order (01, 02, 03, 16..., 49, 98, 99) or a field "
                                 "cannot be read") from None


def _text(value: object) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _credit(detail: Any, line: int, as_of: date, account: str) -> BankCredit:
    text = str(detail.text or "")
    match = _TRN.search(text) or _TRN.search(re.sub(r"\s+", "", text))
    squeezed = re.sub(r"\s+", "", text).upper()
    return BankCredit(
        line=line, deposit_date=as_of, amount=from_cents(int(detail.amount or 0)), account=account,
        type_code=detail.type_code.code, trace_number=match.group(1).strip() if match else None,
        originator=(match.group(2) or "").strip() or None if match else None,
        bank_reference=_text(detail.bank_reference), customer_reference=_text(detail.customer_reference),
        claim_payment=bool(match) or "HCCLAIMPMT" in squeezed)


class _Walker:
    """Walks the parsed tree in file order, so each record gets its line number back."""

    def __init__(self, path: str, lines: list[tuple[int, str]]) -> None:
        self.path, self.lines, self.index = path, lines, 0
        self.credits: list[BankCredit] = []
        self.skipped = 0

    def take(self, model: Any) -> tuple[int, int]:
        """(first line, number of physical records) of a single record model."""
        count = len(model.rows)
        line = self.lines[self.index][0]
        self.index += count
        return line, count

    def check(self, line: int, code: str, want: int | None, have: int, what: str, field: int) -> None:
        if want is not None and want != have:
            raise _error(self.path, line, f"{what} does not agree with the records it closes ({_NAMES[code]})", field,
                         what)

    def file(self, f: Any) -> None:
        _line, records = self.take(f.header)
        total = 0
        for group in f.children:
            n, amount = self.group(group)
            records += n
            total += amount
        line, n = self.take(f.trailer)
        records += n
        self.check(line, "99", f.trailer.file_control_total, total, "file control total", 2)
        self.check(line, "99", f.trailer.number_of_groups, len(f.children), "number of groups", 3)
        self.check(line, "99", f.trailer.number_of_records, records, "number of records", 4)

    def group(self, g: Any) -> tuple[int, int]:
        _line, records = self.take(g.header)
        as_of = g.header.as_of_date
        total = 0
        for account in g.children:
            n, amount = self.account(account, as_of)
            records += n
            total += amount
        line, n = self.take(g.trailer)
        records += n
        self.check(line, "98", g.trailer.group_control_total, total, "group control total", 2)
        self.check(line, "98", g.trailer.number_of_accounts, len(g.children), "number of accounts", 3)
        self.check(line, "98", g.trailer.number_of_records, records, "number of records", 4)
        return records, total

    def account(self, a: Any, as_of: date) -> tuple[int, int]:
        header_line, records = self.take(a.header)
        number = _text(a.header.customer_account_number)
        if number is None:
            raise _error(self.path, header_line, "the customer account number is empty", 2, "customer account number")
        total = sum(int(s.amount or 0) for s in a.header.summary_items)
        for detail in a.children:
            line, n = self.take(detail)
            records += n
            total += int(detail.amount or 0)
            if detail.type_code.transaction is bai2_constants.TypeCodeTransaction.credit:
                self.credits.append(_credit(detail, line, as_of, number))
            else:
                self.skipped += 1
        line, n = self.take(a.trailer)
        records += n
        self.check(line, "49", a.trailer.account_control_total, total, "account control total", 2)
        self.check(line, "49", a.trailer.number_of_records, records, "number of records", 3)
        return records, int(a.trailer.account_control_total or 0)


def read_bai2(path: str, data: bytes) -> BankStatement:
    """The credits of a BAI2 file; an InputError naming the line and field of the first problem."""
    text = data.decode("latin-1").lstrip("\ufeff\xef\xbb\xbf")
    lines = [(n, line.strip()) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not lines:
        raise InputError("the file is empty", Position(path))
    _check_layout(path, lines)
    walker = _Walker(path, lines)
    walker.file(_parse(path, lines))
    return BankStatement(tuple(walker.credits), walker.skipped)
