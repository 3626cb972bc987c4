"""The audit trail table: one row per event in a finding's life (or a claim's, for corrected
claims), append-only.

Declarations only; edi_engine.outputs.audit writes the rows. Nothing updates or deletes them:
migration 0003 adds triggers that make UPDATE and DELETE on `audit_event` fail on SQLite and
PostgreSQL. `finding_id` is deliberately not a foreign key: a later SQLite batch migration of
`finding` copies and drops that table, and a foreign key from an append-only table would make
that drop fail; events must outlive any such rebuild.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Text
from sqlmodel import Field, SQLModel

__all__ = ["AuditEvent", "EVENTS"]

EVENTS = ("identified", "approved", "refunded", "offset", "dismissed", "resolved", "reopened",
          "letter_written", "corrected_claim_written", "note")


def _c(comment: str) -> dict[str, str]:
    return {"comment": comment}


class AuditEvent(SQLModel, table=True):
    """Who did what to a finding (or claim), when and why. Never updated, never deleted."""

    __tablename__ = "audit_event"
    id: int | None = Field(default=None, primary_key=True)
    finding_id: int | None = Field(default=None, index=True,
                                   sa_column_kwargs=_c("finding.id; NULL for claim-level events"))
    event: str = Field(index=True, sa_column_kwargs=_c(", ".join(EVENTS)))
    actor: str = Field(sa_column_kwargs=_c("who: a user name, or detect/system"))
    at: datetime = Field(sa_type=DateTime(timezone=True), sa_column_kwargs=_c("UTC time of the event"))
    note: str = Field(default="", sa_type=Text, sa_column_kwargs=_c("why, in the actor's words"))
    details: str = Field(default="{}", sa_type=Text,
                         sa_column_kwargs=_c("JSON: status before/after, amounts, files, control numbers"))
