"""Reading findings back: the list (`findings`) and one finding explained (`explain`) with the
ledger lines of its account and the X12 segments behind it, read from the file contents the store
keeps (by the evidence record's file id and byte offset), never from the path a file was ingested
from: explain works from any directory and after the files are moved or deleted. Knows nothing of
output formats, SQL or X12 bytes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection

from edi_engine.errors import UsageError
from edi_engine.ledger import PATIENT, Posting, balance, credit, ledger_for
from edi_engine.money import from_cents
from edi_engine.store import findings as stored
from edi_engine.store.account import NOT_KEPT
from edi_engine.store.payers import payer_names
from edi_engine.store.read import file_ids_named, file_names, segments_at
from edi_engine.store.refunds import refunded_totals

__all__ = ["Explanation", "FindingRecord", "LedgerLine", "SegmentText", "explain", "list_findings"]

STATUSES = ("open", "resolved", "all")


@dataclass(frozen=True, slots=True)
class FindingRecord:
    id: int
    category: str
    claim_id: str | None
    payer_id: str | None
    line: str | None
    amount: Decimal
    refund_to: str | None
    status: str
    identified_on: date
    deadline: date | None
    resolved_on: date | None
    payer_type: str | None
    evidence: dict[str, Any]
    arose_on: date | None = None  # when the money that made the credit was received
    investigation_started_on: date | None = None
    investigation_ended_on: date | None = None
    payer_name: str | None = None  # the payers imported (store/payers.py); None for a payer not imported
    refunded: Decimal = Decimal("0.00")  # repaid by the provider's checks or EFTs so far (not returned ones)

    @property
    def outstanding(self) -> Decimal:
        """What is still owed of the credit: a partial refund keeps the rest on the books."""
        return max(self.amount - self.refunded, Decimal("0.00"))

    @property
    def late(self) -> bool:
        """Identified after the rule pack's window: its clock started when it should have been found."""
        return bool(self.evidence.get("clock", {}).get("late"))

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "category": self.category, "claim_id": self.claim_id, "payer_id": self.payer_id,
                "payer_name": self.payer_name, "line": self.line, "amount": f"{self.amount:.2f}",
                "refunded": f"{self.refunded:.2f}", "outstanding": f"{self.outstanding:.2f}",
                "refund_to": self.refund_to, "status": self.status, "identified_on": self.identified_on.isoformat(),
                "deadline": self.deadline.isoformat() if self.deadline else None,
                "resolved_on": self.resolved_on.isoformat() if self.resolved_on else None,
                "payer_type": self.payer_type, "arose_on": self.arose_on.isoformat() if self.arose_on else None,
                "late": self.late,
                "investigation_started_on": _iso(self.investigation_started_on),
                "investigation_ended_on": _iso(self.investigation_ended_on), "evidence": self.evidence}


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _record(row: stored.StoredFinding, names: dict[str, str], refunded: Decimal | None = None) -> FindingRecord:
    return FindingRecord(row.id, row.category, row.patient_control_number, row.payer_id, row.line_key or None,
                         row.amount, row.refund_to, row.status, row.identified_on, row.deadline, row.resolved_on,
                         row.payer_type, json.loads(row.evidence), row.arose_on, row.investigation_started_on,
                         row.investigation_ended_on, names.get(row.payer_id or ""),
                         refunded if refunded is not None else Decimal("0.00"))


def list_findings(conn: Connection, status: str = "open", category: str | None = None) -> list[FindingRecord]:
    if status not in STATUSES:
        raise UsageError(f"--status must be one of {', '.join(STATUSES)}")
    rows = stored.findings(conn, status=None if status == "all" else status, category=category)
    names = payer_names(conn)
    repaid = refunded_totals(conn)  # findings with a refund only: a few, read whole
    return [_record(r, names, repaid.get(r.id)) for r in rows]


@dataclass(frozen=True, slots=True)
class SegmentText:
    role: str
    file: str
    segment: int | None
    text: str | None  # None when the store does not hold the file's contents
    note: str = ""


@dataclass(frozen=True, slots=True)
class LedgerLine:
    kind: str
    party: str
    amount: Decimal
    counts: bool
    code: str
    where: str  # file and segment


@dataclass(frozen=True, slots=True)
class Explanation:
    finding: FindingRecord
    ledger: list[LedgerLine]
    balance: Decimal | None
    payer_credit: Decimal | None
    patient_credit: Decimal | None
    segments: list[SegmentText]


def _ledger_line(p: Posting, files: dict[int, str]) -> LedgerLine:
    where = f"{Path(files.get(p.file_id, '?')).name} {'line' if p.source == 'patient_payment' else 'segment'} " \
            f"{p.segment}" if p.source != "refund" else f"refund {p.source_id} ({p.code})"
    return LedgerLine(p.kind, "patient" if p.party == PATIENT else p.party, from_cents(p.amount), p.in_balance,
                      p.code, where)


def explain(conn: Connection, finding_id: int) -> Explanation:
    row = stored.finding_by_id(conn, finding_id)
    if row is None:
        raise UsageError(f"no finding {finding_id}")
    record = _record(row, payer_names(conn), refunded_totals(conn, [row.id]).get(row.id))
    files = file_names(conn)
    ledger: list[LedgerLine] = []
    bal = payer_credit = patient_credit = None
    if record.claim_id:
        found = ledger_for(conn, record.claim_id)
        if found is not None:
            _view, postings = found
            ledger = [_ledger_line(p, files) for p in postings]
            bal = from_cents(balance([p for p in postings if p.claim_id is not None or p.party == PATIENT]))
            pc, ptc = credit(postings)
            payer_credit, patient_credit = from_cents(pc), from_cents(ptc)
    records = list(record.evidence.get("records", []))
    records += list(record.evidence.get("resolution", {}).get("records", []))
    return Explanation(record, ledger, bal, payer_credit, patient_credit, _segments(conn, records))


def _segments(conn: Connection, records: list[dict[str, Any]]) -> list[SegmentText]:
    """Each X12 record's segment from the store. A record written before evidence named its file id
    is found by file name: of the files stored under that name, the newest whose segment at the
    offset is that record's segment."""
    wanted: list[tuple[dict[str, Any], list[int]]] = []
    for rec in records:
        if not rec.get("file") or rec.get("offset") is None:
            continue  # a CSV row (patient payment) has a line, not a segment
        file_id = rec.get("file_id")
        wanted.append((rec, [int(file_id)] if file_id is not None else file_ids_named(conn, str(rec["file"]))))
    found = segments_at(conn, [(fid, int(rec["offset"])) for rec, ids in wanted for fid in ids])
    out: list[SegmentText] = []
    for rec, ids in wanted:
        texts = [t for t in (found[(fid, int(rec["offset"]))] for fid in ids) if t is not None]
        if rec.get("file_id") is None:  # by name: only a segment of the record's own kind is proof
            texts = [t for t in texts if t.startswith(str(rec.get("record", "")))]
        textual = texts[0] if texts else None
        note = "" if textual is not None else "file not in the store" if not ids else \
            NOT_KEPT if all(found[(fid, int(rec["offset"]))] is None for fid in ids) else \
            "no file stored under this name holds this segment"
        role = str(rec.get("role", ""))
        matched = rec.get("matched")
        if isinstance(matched, dict):  # a payment a person matched to this claim (rules/candidate.py)
            role += f" (matched by hand: manual match #{matched.get('manual_match')} by {matched.get('by')})"
        out.append(SegmentText(role, str(rec["file"]), rec.get("segment"), textual, note))
    return out
