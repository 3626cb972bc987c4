"""The API's request and response bodies as msgspec Structs: one definition serves the JSON encoding
(msgspec.json.encode) and the OpenAPI document's component schemas (msgspec.json.schema_components),
so the document cannot drift from what the routes send. Money is a decimal string to the cent
("125.00", never a float), dates ISO 8601. No Flask here."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec

from edi_engine.web.safety import MAX_ID

__all__ = [
    "AuditEntry", "ClaimLine", "ClaimOut", "CorrectedClaimRequest", "CreditBalanceRow", "CreditBalances",
    "DecisionRequest", "DecisionResult", "FileStatus", "FilesQuery", "FindingDetail", "FindingItem", "FindingList",
    "FindingsQuery", "IngestResult", "IngestStatus", "IngestTotals", "LedgerEntry", "LetterRequest", "Problem",
    "QueuedFile", "QueuedTotals", "QueuedUpload", "QueuedUploadFile", "ReportQuery", "SegmentOut", "UploadedFile",
    "Id",
]

Id = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID, description="A row id.")]
Note = Annotated[str, msgspec.Meta(max_length=2000)]
Short = Annotated[str, msgspec.Meta(max_length=100)]
AMOUNT = r"^([0-9]{1,12}(\.[0-9]{1,2})?)?$"  # 125, 125.5, 125.50, or "" for none
DATE = r"^([0-9]{4}-[0-9]{2}-[0-9]{2})?$"  # or "" for the default
Money = Annotated[Decimal, msgspec.Meta(description="An amount in dollars, to the cent, as a string: \"125.00\".")]
Page = Annotated[int, msgspec.Meta(ge=1, le=100_000)]
Days = Annotated[int, msgspec.Meta(ge=0, le=36_500, description="Days since the credit arose.")]
Status = Literal["open", "approved", "refunded", "offset", "dismissed", "resolved", "all"]
Action = Literal["approve", "dismiss", "mark-refunded", "offset"]


class Problem(msgspec.Struct, kw_only=True):
    """An error, as an RFC 9457 problem document (application/problem+json)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str = ""


# ---- findings -------------------------------------------------------------------------------------

class FindingsQuery(msgspec.Struct, kw_only=True):
    """The queue's filters (the same as the review pages' /findings)."""

    status: Status = "open"
    category: Short = ""
    payer: Short = ""
    min_amount: Annotated[str, msgspec.Meta(pattern=AMOUNT, description="Amount at least, e.g. 25.00.")] = ""
    max_amount: Annotated[str, msgspec.Meta(pattern=AMOUNT, description="Amount at most.")] = ""
    min_age: Days | None = None
    max_age: Days | None = None
    deadline: Literal["", "past", "near", "none"] = ""
    sort: Literal["id", "category", "claim", "payer", "amount", "status", "identified", "deadline"] = "deadline"
    desc: bool = False
    page: Page = 1
    per_page: Annotated[int, msgspec.Meta(ge=1, le=500)] = 50


class FindingItem(msgspec.Struct, kw_only=True):
    id: int
    category: str
    claim_id: str  # CLM01, "" for a payment matched to no claim
    payer_id: str
    amount: Money
    refund_to: str
    status: str
    identified_on: date
    age_days: int
    deadline: date | None
    days_left: int | None
    urgency: Literal["past", "near", ""]


class FindingList(msgspec.Struct, kw_only=True):
    items: list[FindingItem]
    page: int
    pages: int
    per_page: int
    total_count: int
    total_amount: Money
    urgent_count: int
    categories: list[str]
    payers: list[str]


class LedgerEntry(msgspec.Struct, kw_only=True):
    kind: str
    party: str
    amount: Money
    counts: bool
    code: str
    where: str


class SegmentOut(msgspec.Struct, kw_only=True):
    role: str
    file: str
    segment: int | None
    text: str | None
    note: str


class AuditEntry(msgspec.Struct, kw_only=True):
    at: datetime
    event: str
    actor: str
    note: str
    details: dict[str, Any]


class ClaimLine(msgspec.Struct, kw_only=True):
    number: int
    procedure: str
    revenue_code: str
    charge: Money
    units: str
    service_from: date | None
    line_control_number: str


class ClaimOut(msgspec.Struct, kw_only=True):
    variant: str
    patient_control_number: str
    frequency_code: str
    payer: str
    patient_name: str
    member_id: str
    charge: Money
    file: str
    segment: int
    lines: list[ClaimLine]


class FindingDetail(msgspec.Struct, kw_only=True):
    """A finding with its evidence: the ledger lines, the X12 segments behind it, its claims and history."""

    id: int
    category: str
    claim_id: str | None
    payer_id: str | None
    line: str | None
    amount: Money
    refund_to: str | None
    status: str
    identified_on: date
    arose_on: date | None
    deadline: date | None
    resolved_on: date | None
    late: bool
    urgency: Literal["past", "near", ""]
    evidence: dict[str, Any]
    ledger: list[LedgerEntry]
    balance: Money | None
    payer_credit: Money | None
    patient_credit: Money | None
    segments: list[SegmentOut]
    claims: list[ClaimOut]
    history: list[AuditEntry]
    decisions: list[str] = msgspec.field(default_factory=list)  # what this caller may decide now


class DecisionRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A decision, as on the finding's page: a dismissal needs a note; mark-refunded needs the check or
    EFT (method, number, paid_on; amount defaults to what is outstanding)."""

    action: Action
    note: Note = ""
    method: Literal["check", "eft", ""] = ""
    number: Annotated[str, msgspec.Meta(max_length=60)] = ""
    amount: Annotated[str, msgspec.Meta(pattern=AMOUNT, description="Default: all that is outstanding.")] = ""
    paid_on: Annotated[str, msgspec.Meta(pattern=DATE, description="YYYY-MM-DD")] = ""


class DecisionResult(msgspec.Struct, kw_only=True):
    finding_id: int
    action: str
    status: str
    outstanding: Money | None = None  # after mark-refunded: what is still owed (0.00 when repaid whole)


class LetterRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    to: Literal["payer", "patient"] = "payer"
    format: Literal["pdf", "html", "txt"] = "pdf"


class CorrectedClaimRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    mode: Literal["finding", "replace", "void"] = "replace"


# ---- files ----------------------------------------------------------------------------------------

class UploadedFile(msgspec.Struct, kw_only=True):
    """One file of the upload, as `edi-engine ingest --json` reports it."""

    file: str
    status: Literal["ingested", "already ingested", "conflict", "failed"]
    kind: str
    transactions: int
    claims: int
    payments: int
    error: str | None
    redelivered: int
    redelivered_from: list[str]
    remittance_conflicts: int
    resubmitted: int
    warnings: list[str]


class IngestTotals(msgspec.Struct, kw_only=True):
    files: int
    ingested: int
    already_ingested: int
    conflicts: int
    failed: int
    transactions: int
    claims: int
    payments: int
    redelivered: int
    remittance_conflicts: int
    resubmitted: int


class IngestResult(msgspec.Struct, kw_only=True):
    summary: IngestTotals
    files: list[UploadedFile]


class QueuedUploadFile(msgspec.Struct, kw_only=True):
    """One file of an upload handed to the workers, as `edi-engine enqueue --json` reports it."""

    file: str
    status: Literal["queued", "already queued", "already ingested", "failed"]
    content_hash: str  # SHA-256 of the bytes: GET /files lists the file under it, queued and then stored
    job_id: int | None  # the ingest job that takes it (queued, already queued)
    error: str | None = None  # why it could not be queued (failed)


class QueuedTotals(msgspec.Struct, kw_only=True):
    files: int
    queued: int
    already_queued: int
    already_ingested: int
    failed: int


class QueuedUpload(msgspec.Struct, kw_only=True):
    """An upload handed to the workers (202): nothing is stored yet; GET /files follows each file."""

    summary: QueuedTotals
    files: list[QueuedUploadFile]


class FilesQuery(msgspec.Struct, kw_only=True):
    limit: Annotated[int, msgspec.Meta(ge=1, le=500)] = 50


class FileStatus(msgspec.Struct, kw_only=True):
    id: int
    name: str
    kind: str
    status: str
    received_at: datetime
    error: str
    claims: int
    payments: int
    notes: list[str]
    content_hash: str


class QueuedFile(msgspec.Struct, kw_only=True):
    """A file waiting for a worker, or in one's hands: listed until it is stored (then it is in `recent`)."""

    file: str
    content_hash: str
    size: int
    queued_at: datetime
    job_id: int | None
    job_status: Annotated[str, msgspec.Meta(description=(
        "The ingest job's state: todo (waiting), doing (a worker has it); failed, cancelled or aborted when it "
        "stopped for good (upload the file again); empty when no job is known."))]


class IngestStatus(msgspec.Struct, kw_only=True):
    """Recent files handed to ingest, newest first, and how many were stored or failed; with the task queue,
    also the files waiting for a worker."""

    ingested_count: int
    failed_count: int
    recent: list[FileStatus]
    failures: list[FileStatus]
    queued_count: int
    queued: list[QueuedFile]  # newest first, at most `limit`


# ---- reports --------------------------------------------------------------------------------------

class ReportQuery(msgspec.Struct, kw_only=True):
    as_of: Annotated[str, msgspec.Meta(pattern=DATE, description="YYYY-MM-DD; default today")] = ""
    format: Literal["json", "csv", "pdf"] = "json"


class CreditBalanceRow(msgspec.Struct, kw_only=True):
    payer_id: str
    category: str
    findings: int
    total: Money
    aging: dict[str, Money]  # the rule pack's bucket label -> outstanding amount
    next_deadline: date | None
    overdue: int
    overdue_amount: Money
    repaid: Money


class CreditBalances(msgspec.Struct, kw_only=True):
    """Open credits by payer and category, aged in the rule pack's buckets (`report credit-balances`)."""

    as_of: date
    buckets: list[str]
    rows: list[CreditBalanceRow]
