"""Tables of the ledger and rules layers: how each payment was matched, and the findings.

Declarations only (the ledger and rules layers write them with SQLAlchemy Core, in batches).
Kept apart from schema.py so the store's own tables stay owned by the store; both share one
MetaData, so Alembic sees one schema.

`payment_match` is derived data: `detect` rewrites only the rows whose match changed. `finding`
is reconciled, never rebuilt: its `natural_key` (category + claim + payer + line + cause) is
unique, so a re-run updates a finding instead of adding another, and a human decision in
`status` (approved, dismissed, refunded, offset) is never overwritten by the engine.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from edi_engine.store.types import Money

__all__ = ["Finding", "PaymentMatch"]


def _c(comment: str) -> dict[str, str]:
    return {"comment": comment}


class PaymentMatch(SQLModel, table=True):
    """How an 835 fact was tied to the 837 (or a reversal/PLB to the payment it concerns)."""

    __tablename__ = "payment_match"
    __table_args__ = (UniqueConstraint("subject", "subject_id"),)
    id: int | None = Field(default=None, primary_key=True)
    subject: str = Field(sa_column_kwargs=_c("claim_payment, service_payment, reversal or provider_adjustment"))
    subject_id: int = Field(sa_column_kwargs=_c("id of the row in the subject's table"))
    claim_id: int | None = Field(default=None, index=True, sa_column_kwargs=_c("837 claim matched"))
    claim_line_id: int | None = Field(default=None, sa_column_kwargs=_c("837 line matched (service payments)"))
    claim_payment_id: int | None = Field(default=None, sa_column_kwargs=_c("CLP reversed or recouped"))
    method: str = Field(sa_column_kwargs=_c("e.g. clp01+payer+charge, ref6r, svc06+date+units, clp07"))


class Finding(SQLModel, table=True):
    """A credit balance (refund finding) or a data problem (unmatched_payment, unbalanced_remittance)."""

    __tablename__ = "finding"
    id: int | None = Field(default=None, primary_key=True)
    natural_key: str = Field(sa_type=Text, unique=True,
                             sa_column_kwargs=_c("category|CLM01|payer|line|cause: stable across runs"))
    category: str = Field(index=True)
    patient_control_number: str | None = Field(default=None, index=True, sa_column_kwargs=_c("CLM01 / CLP01"))
    payer_id: str | None = Field(default=None, sa_column_kwargs=_c("canonical payer id"))
    line_key: str = Field(default="", sa_column_kwargs=_c("REF*6R or LX01 when the finding is per line"))
    cause: str = Field(default="", sa_column_kwargs=_c("what distinguishes findings of one category on one claim"))
    amount: Decimal = Field(sa_type=Money)
    refund_to: str | None = Field(default=None, sa_column_kwargs=_c("payer, patient or offset"))
    payer_type: str | None = Field(default=None, sa_column_kwargs=_c("medicare, medicaid, commercial, ..."))
    identified_on: date
    deadline: date | None = None
    status: str = Field(index=True, sa_column_kwargs=_c("open, resolved; decisions: approved, dismissed, refunded, offset"))
    resolved_on: date | None = None
    evidence: str = Field(sa_type=Text, sa_column_kwargs=_c("JSON: files, segments, control and check numbers, amounts"))
    updated_at: datetime | None = Field(default=None, sa_column_kwargs=_c("UTC time of the last change by detect"))
