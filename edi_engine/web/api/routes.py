"""The API's routes: each reads its query or body into a schemas.py Struct, checks the role
(`require`, before anything is read or written), calls the same function the pages and the CLI call,
and answers JSON (or the file). The operation each declares is its entry in the OpenAPI document."""

from __future__ import annotations

import re
import tempfile
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import msgspec
from flask import Blueprint, Response, abort, current_app, make_response, request

from edi_engine.errors import NotPermitted, UsageError
from edi_engine.web.api import schemas as s
from edi_engine.web.api.intake import Intake, totals
from edi_engine.web.api.spec import Operation, build_spec, operation
from edi_engine.web.context import chrome_for
from edi_engine.web.current import config, current, engine, require
from edi_engine.web.safety import bad_text

__all__ = ["bp"]

bp = Blueprint("api", __name__, url_prefix="/api/v1")
T = TypeVar("T", bound=msgspec.Struct)
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")
MEDIA = {"pdf": "application/pdf", "html": "text/html", "txt": "text/plain", "csv": "text/csv"}


def _json(value: Any, status: int = 200) -> Response:
    return Response(msgspec.json.encode(value), status=status, mimetype="application/json")


def _download(data: bytes, filename: str, mimetype: str) -> Response:
    resp = make_response(data)
    resp.mimetype = mimetype
    resp.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return resp


def _query(struct: type[T]) -> T:
    try:
        return msgspec.convert(request.args.to_dict(), struct, strict=False)
    except msgspec.ValidationError as exc:
        abort(400, description=f"Query parameter: {exc}")


def _strings(value: Any) -> list[str]:
    return [v for v in msgspec.structs.asdict(value).values() if isinstance(v, str)]


def _body(struct: type[T]) -> T:
    if not request.is_json:
        abort(400, description="Send a JSON body (Content-Type: application/json).")
    try:
        value = msgspec.json.decode(request.get_data() or b"{}", type=struct)
    except msgspec.DecodeError as exc:
        abort(400, description=f"Body: {exc}")
    if bad_text(_strings(value)):
        abort(400, description="The body holds a character no field may contain (a NUL byte).")
    return value


def _intake() -> Intake | None:
    """The task queue uploads go to (api/intake.py), or None: ingested here."""
    return current_app.extensions.get("edi_api_intake")


def _today() -> date:
    return config().today()


def _pack() -> Any:
    """The rule pack `serve --rules` names: its [approvals] chain and letterhead apply to the API as to the pages."""
    from edi_engine.rules import load_pack
    return load_pack(config().rules_path)


def _detail(finding_id: int) -> Any:
    from edi_engine.web.pages import detail_page
    try:
        return detail_page(engine(), finding_id, chrome_for(current(), _today()), pack=_pack())
    except UsageError:
        abort(404, description=f"There is no finding {finding_id}.")


@bp.get("/openapi.json")
@operation(Operation("This document: the API in OpenAPI 3.1", None, media=("application/json",)))
def openapi() -> Response:
    spec = current_app.extensions.get("edi_openapi")
    if spec is None:
        from importlib.metadata import version
        spec = current_app.extensions["edi_openapi"] = msgspec.json.encode(build_spec(current_app,
                                                                                      version("edi-engine")))
    return Response(spec, mimetype="application/json")


@bp.get("/findings")
@operation(Operation("List findings: the review queue's filters, sorting and paging", "view", s.FindingList,
                     query=s.FindingsQuery))
def findings() -> Response:
    from edi_engine.web.queue import find, parse_filters
    require("view")
    q = _query(s.FindingsQuery)
    args = {k: ("1" if v is True else "" if v is False or v is None else str(v))
            for k, v in msgspec.structs.asdict(q).items() if k != "per_page"}
    found, rows = find(engine(), parse_filters(args), _today(), q.per_page)
    items = [s.FindingItem(id=r.id, category=r.category, claim_id=r.claim_id, payer_id=r.payer_id, amount=r.amount,
                           refund_to=r.refund_to, status=r.status, identified_on=r.identified_on,
                           age_days=r.age_days, deadline=r.deadline, days_left=r.days_left,
                           urgency=r.urgency)  # type: ignore[arg-type]
             for r in rows]
    return _json(s.FindingList(items=items, page=found.page, pages=found.pages, per_page=q.per_page,
                               total_count=found.total_count, total_amount=found.total_amount,
                               urgent_count=found.urgent_count, categories=list(found.categories),
                               payers=list(found.payer_ids)))


@bp.get("/findings/<int:finding_id>")
@operation(Operation("A finding with its evidence: ledger lines, X12 segments, claims, history", "view",
                     s.FindingDetail, errors=(404,)))
def finding(finding_id: int) -> Response:
    from edi_engine.outputs import audit_events
    from edi_engine.rules.lifecycle import DECISION_NAMES
    require("view")
    ctx = _detail(finding_id)
    e, f = ctx.explanation, ctx.explanation.finding
    claims = [s.ClaimOut(variant=c.variant, patient_control_number=c.patient_control_number,
                         frequency_code=c.frequency_code, payer=c.payer, patient_name=c.patient_name,
                         member_id=c.member_id, charge=c.charge, file=c.file, segment=c.segment,
                         lines=[s.ClaimLine(**asdict(ln)) for ln in c.lines]) for c in ctx.claims]
    history = [s.AuditEntry(at=a.at, event=a.event, actor=a.actor, note=a.note, details=a.details)
               for a in audit_events(engine(), finding_id)]
    return _json(s.FindingDetail(
        id=f.id, category=f.category, claim_id=f.claim_id, payer_id=f.payer_id, line=f.line, amount=f.amount,
        refund_to=f.refund_to, status=f.status, identified_on=f.identified_on, arose_on=f.arose_on,
        deadline=f.deadline, resolved_on=f.resolved_on, late=f.late, urgency=ctx.urgency, evidence=f.evidence,
        ledger=[s.LedgerEntry(**asdict(ln)) for ln in e.ledger], balance=e.balance, payer_credit=e.payer_credit,
        patient_credit=e.patient_credit, segments=[s.SegmentOut(**asdict(x)) for x in e.segments], claims=claims,
        history=history, decisions=[d for d in DECISION_NAMES if ctx.may(d)]))


@bp.post("/findings/<int:finding_id>/decision")
@operation(Operation("Decide a finding: approve, dismiss (with a note), offset or mark refunded", "approve",
                     s.DecisionResult, body=s.DecisionRequest, errors=(404, 409),
                     description="The same lifecycle and rules as the finding's page and `edi-engine findings "
                                 "approve|dismiss|offset|mark-refunded`; each decision's role is checked "
                                 "(auth.ACTIONS), all of them an approver's today."))
def decide(finding_id: int) -> Response:
    from edi_engine.outputs import decide as apply
    from edi_engine.outputs import record_refund
    from edi_engine.outputs.decisions import parse_amount, parse_paid_on
    body = _body(s.DecisionRequest)
    require(body.action)
    note, by = body.note.strip(), current().user.username
    if body.action == "dismiss" and not note:
        abort(400, description="A dismissal needs a reason (note).")
    outstanding = None
    if body.action == "mark-refunded":
        if not body.method or not body.number.strip():
            abort(400, description="A refund needs its method (check or eft) and its check or trace number.")
        try:
            parse_amount(body.amount or None, "amount"), parse_paid_on(body.paid_on or None, "paid_on")
        except UsageError as exc:
            abort(400, description=str(exc))
    _detail(finding_id)  # 404 before the lifecycle's word
    try:
        if body.action == "mark-refunded":
            done = record_refund(engine(), finding_id, by=by, method=body.method, number=body.number.strip(),
                                 amount=body.amount or None, paid_on=body.paid_on, note=note, source="api")
            outstanding = done.outstanding
        else:
            apply(engine(), finding_id, body.action, by=by, note=note, role=current().user.role, pack=_pack())
    except NotPermitted as exc:  # the approval chain: the role does not reach this step, or four eyes
        abort(403, description=f"Not recorded: {exc}")
    except UsageError as exc:  # the lifecycle refuses (decided meanwhile, not a refund, held for review)
        abort(409, description=f"Not recorded: {exc}")
    status = _detail(finding_id).explanation.finding.status
    return _json(s.DecisionResult(finding_id=finding_id, action=body.action, status=status, outstanding=outstanding))


@bp.post("/findings/<int:finding_id>/letter")
@operation(Operation("The refund letter for a finding (PDF, HTML or text); recorded in its history", "letter",
                     media=(MEDIA["pdf"], MEDIA["html"], MEDIA["txt"]), body=s.LetterRequest, errors=(404, 409)))
def letter(finding_id: int) -> Response:
    from edi_engine.outputs import render_letter
    require("letter")
    body = _body(s.LetterRequest)
    _detail(finding_id)
    try:
        data = render_letter(engine(), finding_id, to=body.to, fmt=body.format, by=current().user.username,
                             pack=_pack())
    except UsageError as exc:
        abort(409, description=f"No letter: {exc}")
    return _download(data, f"finding-{finding_id}-{body.to}-letter.{body.format}", MEDIA[body.format])


@bp.post("/findings/<int:finding_id>/corrected-claim")
@operation(Operation("A corrected 837 for a finding's claim: the one its category calls for, a replacement "
                     "or a void; recorded in its history", "corrected-claim", media=("application/edi-x12",),
                     body=s.CorrectedClaimRequest, errors=(404, 409)))
def corrected_claim(finding_id: int) -> Response:
    from edi_engine.outputs import corrected_claim as correct
    from edi_engine.outputs import corrected_claim_for_finding
    require("corrected-claim")
    body = _body(s.CorrectedClaimRequest)
    f, by = _detail(finding_id).explanation.finding, current().user.username
    if not f.claim_id:
        abort(409, description="This finding has no claim to correct.")
    try:
        if body.mode == "finding":
            data = corrected_claim_for_finding(engine(), finding_id, by=by)
        else:
            data = correct(engine(), f.claim_id, mode=body.mode, payer_id=f.payer_id, by=by, finding_id=finding_id)
    except UsageError as exc:
        abort(409, description=f"No corrected claim: {exc}")
    return _download(data, f"finding-{finding_id}-{body.mode}.837", "application/edi-x12")


def _file_name(given: str | None, index: int) -> str:
    name = _UNSAFE_NAME.sub("_", (given or "").replace("\\", "/").rsplit("/", 1)[-1]).strip()[:200]
    return name if name.strip("._") else f"upload-{index + 1}.x12"


@bp.post("/files")
@operation(Operation("Ingest uploaded X12 files: each stored completely or not at all, each once", "ingest",
                     s.IngestResult, accepted=s.QueuedUpload, upload=True, errors=(413,),
                     description="Ingested by the web app (SQLite, or `serve --api-ingest direct`), the answer is "
                                 "200 and `edi-engine ingest --json`'s: a summary and one result per file "
                                 "(ingested, already ingested, conflict or failed with its reason). With the task "
                                 "queue (PostgreSQL after `db upgrade`, `serve --api-ingest auto|queue`), each file "
                                 "is staged and queued for the workers instead and the answer is 202: queued, "
                                 "already queued or already ingested, with its job id and content hash; GET "
                                 "/files lists it as queued, then its result once a worker has stored it."))
def upload() -> Response:
    from edi_engine.store.ingest import IngestSummary, ingest_file
    require("ingest")
    parts = request.files.getlist("file")
    if not parts:
        abort(400, description="Send one or more X12 files as multipart/form-data parts named 'file'.")
    queue = _intake()
    summary, queued = IngestSummary(), []
    with tempfile.TemporaryDirectory(prefix="edi-upload-") as tmp:
        for i, part in enumerate(parts):
            path, name = Path(tmp) / f"{i}.x12", _file_name(part.filename, i)
            part.save(path)
            if queue is not None:
                queued.append(queue.enqueue(path, name))
            else:
                summary.results.append(ingest_file(engine(), path, name=name))
    if queue is not None:
        return _json(s.QueuedUpload(summary=totals(queued), files=queued), status=202)
    files = [msgspec.convert(asdict(r), s.UploadedFile) for r in summary.results]
    return _json(s.IngestResult(summary=msgspec.convert(summary.totals(), s.IngestTotals), files=files))


@bp.get("/files")
@operation(Operation("Ingest status: the files received lately and their results, newest first, and the files "
                     "waiting for a worker", "view", s.IngestStatus, query=s.FilesQuery))
def files() -> Response:
    from edi_engine.web.pages import ingest_page
    require("view")
    q = _query(s.FilesQuery)
    ctx = ingest_page(engine(), chrome_for(current(), _today()), q.limit)
    queue = _intake()
    queued_count, queued = queue.queued(q.limit) if queue is not None else (0, [])

    def out(r: Any) -> s.FileStatus:
        return s.FileStatus(id=r.id, name=r.name, kind=r.kind, status=r.status, received_at=r.received_at,
                            error=r.error, claims=r.claims, payments=r.payments, notes=list(r.notes),
                            content_hash=r.content_hash)

    return _json(s.IngestStatus(ingested_count=ctx.ingested_count, failed_count=ctx.failed_count,
                                recent=[out(r) for r in ctx.recent], failures=[out(r) for r in ctx.failures],
                                queued_count=queued_count, queued=queued))


@bp.get("/reports/credit-balances")
@operation(Operation("Credit balances by payer and category, aged (`edi-engine report credit-balances`)", "view",
                     s.CreditBalances, media=(MEDIA["csv"], MEDIA["pdf"]), query=s.ReportQuery))
def credit_balances() -> Response:
    from edi_engine.outputs import credit_balance_report, render_report
    from edi_engine.rules import aging, resolve_as_of
    from edi_engine.rules.pack import load_pack
    require("view")
    q = _query(s.ReportQuery)
    try:
        as_of = resolve_as_of(q.as_of or _today())
    except UsageError:
        abort(400, description="as_of must be a date YYYY-MM-DD.")
    pack = load_pack(config().rules_path)
    rows = credit_balance_report(engine(), as_of, pack)
    if q.format != "json":
        data = render_report(rows, q.format, "Credit balances")
        return _download(data, f"credit-balances-{as_of}.{q.format}", MEDIA[q.format])
    labels = aging.bucket_labels(pack)
    return _json(s.CreditBalances(as_of=as_of, buckets=list(labels), rows=[s.CreditBalanceRow(
        payer_id=r["payer_id"], category=r["category"], findings=r["findings"], total=r["total"],
        aging={k: r[k] for k in labels}, next_deadline=r["next_deadline"], overdue=r["overdue"],
        overdue_amount=r["overdue_amount"], repaid=r["repaid"]) for r in rows]))
