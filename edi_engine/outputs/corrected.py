"""Corrected claims: an 837 that replaces (CLM05-3 = 7) or voids (8) a claim the payer adjudicated.

Owns choosing the claim, its payer claim control number and the changes, and rebuilding the
837. The claim is parsed again from the file contents the store keeps (store.account.original_837,
never the path the file was ingested from), so everything the original carried -- HI codes,
providers, 2320/2430 COB loops, kept segments -- goes out again; a complete replacement resends
every line (domain.md 7). REF*F8 is the payer's claim control number (835 CLP07) of the
adjudication being replaced or voided. Envelopes come from x12.writer with fresh control numbers;
the body from parsers.x837_body. Knows nothing of click.

Changes (`--set FIELD=VALUE`, replacement only), FIELD is `line.N.NAME` with N the line's LX01:
    line.2.charge=120.00      SV102 / SV203 / SV302 (CLM02 becomes the sum of the line charges)
    line.1.units=2            SV104 / SV205 / SV306
    line.1.procedure=99214    the procedure code (SV101-2 / SV202-2 / SV301-2); qualifier kept
    line.1.modifiers=25:59    procedure modifiers, ':'-separated, up to four; empty clears them
    line.1.revenue=0450       SV201 revenue code (837I)
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy.engine import Connection, Engine

from edi_engine.errors import UsageError
from edi_engine.outputs.approvals import released
from edi_engine.outputs.audit import record
from edi_engine.parsers.transaction import TransactionInfo
from edi_engine.parsers.x837_body import to_body
from edi_engine.parsers.x837_models import Claim837, ClaimsHeader837, ClaimSubmission837, ServiceLine
from edi_engine.rules import categories
from edi_engine.rules.categories import Correction
from edi_engine.store import account as stored
from edi_engine.store.findings import finding_by_id
from edi_engine.store.payers import canonical_payer_id
from edi_engine.x12.writer import Transaction, write_interchange

__all__ = ["FREQUENCY", "LineChange", "OriginalClaim", "corrected_claim", "corrected_claim_for_finding",
           "load_original", "parse_changes"]

FREQUENCY = {"replace": "7", "void": "8"}
_FIELD = re.compile(r"^line\.(\d+)\.(charge|units|procedure|modifiers|revenue)$")
_CODE = re.compile(r"^[A-Za-z0-9]{1,48}$")


@dataclass(frozen=True, slots=True)
class LineChange:
    line_number: int  # LX01
    name: str  # charge, units, procedure, modifiers, revenue
    value: str


@dataclass(frozen=True, slots=True)
class OriginalClaim:
    """A stored claim re-read from its file, with what the correction needs from the store."""

    claim_row_id: int
    claim: Claim837
    header: ClaimsHeader837
    info: TransactionInfo
    payer_id: str  # canonical
    payer_claim_number: str  # CLP07 of the adjudication, '' when none is stored


def parse_changes(changes: dict[str, str] | None) -> list[LineChange]:
    out: list[LineChange] = []
    for field, value in (changes or {}).items():
        m = _FIELD.match(field.strip())
        if m is None:
            raise UsageError(f"cannot change {field!r}: use line.N.charge|units|procedure|modifiers|revenue")
        out.append(LineChange(int(m.group(1)), m.group(2), value.strip()))
    return out


def _decimal(value: str, what: str, *, places: int) -> Decimal:
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise UsageError(f"{what} must be a number, got {value!r}") from None
    if not number.is_finite() or number < 0 or number.as_tuple().exponent < -places:  # type: ignore[operator]
        raise UsageError(f"{what} must be a non-negative number with at most {places} decimals, got {value!r}")
    return number


def _change_line(line: ServiceLine, change: LineChange) -> ServiceLine:
    what = f"line {change.line_number} {change.name}"
    if change.name == "charge":
        return dataclasses.replace(line, charge=_decimal(change.value, what, places=2))
    if change.name == "units":
        return dataclasses.replace(line, units=_decimal(change.value, what, places=3))
    if change.name == "modifiers":
        mods = tuple(m for m in change.value.split(":") if m) if change.value else ()
        if len(mods) > 4 or any(not re.fullmatch(r"[A-Za-z0-9]{2}", m) for m in mods):
            raise UsageError(f"{what}: up to four two-character modifiers separated by ':'")
        return dataclasses.replace(line, modifiers=mods)
    if not _CODE.match(change.value):
        raise UsageError(f"{what} must be letters and digits, got {change.value!r}")
    if change.name == "procedure":
        return dataclasses.replace(line, procedure_code=change.value)
    return dataclasses.replace(line, revenue_code=change.value)


def apply_changes(claim: Claim837, changes: list[LineChange]) -> Claim837:
    lines = {line.line_number: line for line in claim.lines}
    for change in changes:
        if change.line_number not in lines:
            raise UsageError(f"claim has no line {change.line_number} (lines: {', '.join(map(str, lines))})")
        if change.name == "revenue" and claim.variant != "I":
            raise UsageError("a revenue code can only be changed on an 837I claim")
        lines[change.line_number] = _change_line(lines[change.line_number], change)
    new_lines = tuple(lines[line.line_number] for line in claim.lines)
    charge = claim.charge
    if any(c.name == "charge" for c in changes):
        charge = sum((line.charge for line in new_lines), Decimal("0"))
    return dataclasses.replace(claim, lines=new_lines, charge=charge)


def _claim_row(conn: Connection, clm01: str, payer_id: str | None) -> stored.ClaimRow:
    rows = [r for r in stored.claims_of(conn, clm01) if r.frequency_code != "8"]
    if payer_id:
        wanted = canonical_payer_id(conn, payer_id)
        rows = [r for r in rows if canonical_payer_id(conn, r.payer_id or "") == wanted]
    if not rows:
        raise UsageError(f"no stored claim {clm01}" + (f" to payer {payer_id}" if payer_id else ""))
    payers = {r.payer_id for r in rows}
    if len(payers) > 1:
        raise UsageError(f"claim {clm01} went to several payers ({', '.join(sorted(p or '?' for p in payers))}); "
                         "choose one with --payer")
    return rows[-1]  # the latest submission to that payer carries the current data


def _payer_claim_number(conn: Connection, claim_row: stored.ClaimRow, payer_id: str) -> str:
    """CLP07 of the latest standing (not reversal) adjudication of this claim by this payer."""
    matched = stored.adjudications_matched(conn, claim_row.id)
    if not matched:  # detect has not run yet: CLP01 and payer (through aliases) instead
        rows = stored.adjudications_of(conn, claim_row.patient_control_number)
        matched = [r for r in rows if canonical_payer_id(conn, r.payer_id or "") == payer_id]
    if not matched:
        return ""
    latest = max(matched, key=lambda r: (r.payment_date or datetime.min.date(), r.claim_payment_id))
    return str(latest.payer_claim_control_number)


def load_original(conn: Connection, clm01: str, payer_id: str | None = None) -> OriginalClaim:
    row = _claim_row(conn, clm01, payer_id)
    found = stored.original_837(conn, row)
    payer = canonical_payer_id(conn, row.payer_id or "")
    return OriginalClaim(row.id, found.claim, found.header, found.info, payer, _payer_claim_number(conn, row, payer))


def _next_control(conn: Connection, sender: str) -> int:
    """One more than any ISA13 this sender used in a stored file or a corrected claim written before."""
    used = [0]
    for value in stored.interchange_control_numbers(conn, sender):
        if value.isdigit():
            used.append(int(value))
    for isa13 in stored.corrected_claim_isa13s(conn):
        if isa13.isdigit():
            used.append(int(isa13))
    return (max(used) + 1) % 1_000_000_000 or 1


def corrected_claim(engine: Engine, claim_id: str, *, mode: str = "replace", payer_id: str | None = None,
                    changes: dict[str, str] | None = None, by: str = "system",
                    payer_claim_number: str | None = None, finding_id: int | None = None,
                    at: datetime | None = None) -> bytes:
    """An 837 (the original's variant) replacing or voiding claim CLM01 `claim_id`; audited. Written for
    a finding (`finding_id`), only once the finding's refund is past its last approval step."""
    if mode not in FREQUENCY:
        raise UsageError("mode must be replace or void")
    parsed = parse_changes(changes)
    if parsed and mode == "void":
        raise UsageError("a void resends the claim as adjudicated; --set applies to a replacement only")
    at = at or datetime.now(UTC)
    with engine.begin() as conn:
        if finding_id is not None:
            released(conn, finding_id, "corrected claim")
        original = load_original(conn, claim_id, payer_id)
        f8 = payer_claim_number or original.payer_claim_number
        if not f8:
            raise UsageError(f"no 835 adjudication of claim {claim_id} is stored, so there is no payer claim "
                             "control number for REF*F8; a claim never adjudicated is sent again as an original")
        claim = apply_changes(original.claim, parsed)
        claim = dataclasses.replace(claim, frequency=FREQUENCY[mode], original_reference=f8,
                                    refs=tuple(r for r in claim.refs if r[0] != "F8"))
        info = original.info
        sender = info.interchange_sender or info.group_sender or "SENDER"
        receiver = info.interchange_receiver or info.group_receiver or "RECEIVER"
        control = _next_control(conn, sender)
        header = dataclasses.replace(original.header, purpose="00", reference_id=f"C{control:09d}",
                                     date=at.date(), time=at.strftime("%H%M"))
        body = to_body(ClaimSubmission837(None, header, (claim,)))
        out = write_interchange(
            [Transaction("837", "0001", info.implementation, body)],
            sender_id=sender, receiver_id=receiver, control_number=control, date=at.date(), time=at.time(),
            application_sender=info.group_sender, application_receiver=info.group_receiver)
        record(conn, "corrected_claim_written", finding_id=finding_id, actor=by, at=at,
               details={"claim_id": claim_id, "payer_id": original.payer_id, "mode": mode,
                        "frequency": FREQUENCY[mode], "ref_f8": f8, "isa13": f"{control:09d}", "st02": "0001",
                        "variant": claim.variant, "charge": f"{claim.charge:.2f}",
                        "changes": {f"line.{c.line_number}.{c.name}": c.value for c in parsed},
                        "source": {"file": info.file, "segment": original.claim.segment}})
    return out


def corrected_claim_for_finding(engine: Engine, finding_id: int, *, by: str = "system",
                                at: datetime | None = None) -> bytes:
    """The correction a finding calls for: a duplicate payment voids the adjudication paid again."""
    with engine.connect() as conn:
        row = finding_by_id(conn, finding_id)
    if row is None:
        raise UsageError(f"no finding {finding_id}")
    if categories.get(row.category).correction is not Correction.VOID:
        raise UsageError(f"finding {finding_id} is a {row.category}: no corrected claim follows from it; "
                         "use `correct CLAIM_ID --replace --set ...` when the claim itself was wrong")
    records = json.loads(row.evidence).get("records", [])
    again = [r for r in records if r.get("role") == "paid again" and r.get("clp07")]
    if not again:
        raise UsageError(f"finding {finding_id} names no payer claim number for the payment made again")
    return corrected_claim(engine, row.patient_control_number or "", mode="void", payer_id=row.payer_id, by=by,
                           payer_claim_number=str(again[-1]["clp07"]), finding_id=finding_id, at=at)
