"""The audit trail: append events, read them back, and the detect run that records what it did.

Owns `audit_event` rows (store/tables.py). Events are only ever inserted: the database
refuses UPDATE and DELETE on the table (triggers of migration 0004_audit), and no code here tries.
`record` takes the caller's open connection so an event commits or rolls back together with the
change it describes.

detect (edi_engine.rules) does not write events itself and must not import this layer, so
`detect_with_audit` wraps it: it runs detect, reads the moves the run reports, and records
`identified` (a finding with no identified event yet: new, or older than the audit trail),
`resolved` (open -> resolved) and `reopened` (resolved -> open). Decisions (approved, ...) are
never changed by detect, so they need no event here. Knows nothing of HTTP or click.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy.engine import Connection, Engine

from edi_engine.errors import UsageError
from edi_engine.rules import DetectSummary, detect
from edi_engine.store import findings as stored
from edi_engine.store.detect_runs import DETECT_ACTOR
from edi_engine.store.findings import EVENTS

__all__ = ["AuditEvent", "audit_events", "detect_with_audit", "record", "record_view"]

@dataclass(frozen=True, slots=True)
class AuditEvent:
    id: int
    finding_id: int | None
    event: str
    actor: str
    at: datetime
    note: str
    details: dict[str, Any]


def _utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; every stored time is UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def record(conn: Connection, event: str, *, finding_id: int | None, actor: str, note: str = "",
           details: dict[str, Any] | None = None, at: datetime | None = None) -> None:
    """Append one event on the caller's connection (same transaction as the change it records)."""
    if event not in EVENTS:
        raise UsageError(f"unknown audit event {event!r}")
    if not actor.strip():
        raise UsageError("an audit event needs an actor (--by NAME)")
    stored.insert_audit_event(conn, finding_id=finding_id, event=event, actor=actor.strip(), note=note,
                              at=at or datetime.now(UTC),
                              details=json.dumps(details or {}, sort_keys=True, default=str))


def events_on(conn: Connection, finding_id: int | None = None) -> list[AuditEvent]:
    return [AuditEvent(r.id, r.finding_id, r.event, r.actor, _utc(r.at), r.note, json.loads(r.details or "{}"))
            for r in stored.audit_rows(conn, finding_id)]


def audit_events(engine: Engine, finding_id: int | None = None) -> list[AuditEvent]:
    """Every event (or one finding's), oldest first."""
    with engine.connect() as conn:
        return events_on(conn, finding_id)


def record_view(engine: Engine, finding_id: int, *, by: str, at: datetime | None = None) -> bool:
    """Record that `by` opened the finding (its detail page: the patient's claim, ledger and segments), at
    most once per person, finding and UTC day so the trail stays readable. False when already recorded
    that day, or there is no such finding. The event names no PHI: the finding id and who."""
    at = _utc(at or datetime.now(UTC))
    day_start = datetime.combine(at.date(), time.min, tzinfo=UTC)
    with engine.begin() as conn:
        if stored.finding_by_id(conn, finding_id) is None or stored.viewed_since(conn, finding_id, by.strip(),
                                                                                 day_start):
            return False
        record(conn, "viewed", finding_id=finding_id, actor=by, at=at)
    return True


def detect_with_audit(engine: Engine, **kwargs: Any) -> DetectSummary:
    """`edi_engine.rules.detect(engine, **kwargs)`, then the identified/resolved/reopened events of the
    findings the run inserted or moved (and `identified` for any older finding that lacks one)."""
    summary = detect(engine, **kwargs)
    with engine.begin() as conn:
        moved = stored.findings_by_key(conn, [key for key, _, _ in summary.transitions])
        before = {moved[key].id: old for key, old, _ in summary.transitions if key in moved}
        rows = {row.id: row for row in stored.unidentified_findings(conn)}
        unidentified = set(rows)
        rows.update((row.id, row) for row in moved.values())
        for row in sorted(rows.values(), key=lambda r: r.id):
            facts = {"category": row.category, "claim_id": row.patient_control_number, "payer_id": row.payer_id,
                     "amount": f"{row.amount:.2f}", "as_of": summary.as_of.isoformat()}
            inserted = row.id in before and before[row.id] is None
            old = before.get(row.id, row.status)  # not moved by this run: as it is now
            if row.id in unidentified:
                backfilled = not inserted
                record(conn, "identified", finding_id=row.id, actor=DETECT_ACTOR,
                       details={**facts, "status": row.status, "identified_on": _iso(row.identified_on),
                                **({"backfilled": True} if backfilled else {})})
            if old in ("open", "approved") and row.status == "resolved":
                why = str(json.loads(row.evidence).get("resolution", {}).get("summary", ""))
                record(conn, "resolved", finding_id=row.id, actor=DETECT_ACTOR,
                       note=why if why.startswith("matched by hand") else
                       "a later remittance recovered the credit or the data that raised it changed",
                       details={**facts, "from": old, "to": "resolved", "resolved_on": _iso(row.resolved_on)})
            elif old == "resolved" and row.status == "open":
                record(conn, "reopened", finding_id=row.id, actor=DETECT_ACTOR,
                       details={**facts, "from": "resolved", "to": "open"})
            elif inserted and row.status == "resolved":
                record(conn, "resolved", finding_id=row.id, actor=DETECT_ACTOR,
                       details={**facts, "from": None, "to": "resolved", "resolved_on": _iso(row.resolved_on)})
    return summary


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None
