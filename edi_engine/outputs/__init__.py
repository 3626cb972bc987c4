"""Outputs: corrected 837s (through x12's writer), refund letters (Jinja2 + PDF), reports and the
audit trail with the decisions it records. Reads the store, ledger and rules; knows nothing of
HTTP or click.

Public API:
    decide(engine, finding_id, action, *, by, note="", role=None, rules_path=None) -> Decided
        approve | dismiss | mark-refunded | offset; an approval takes the next step of the rule pack's
        [approvals] chain (NotPermitted: the role does not reach it, or four eyes)
    approval_of(engine, finding_id, pack=None) -> Approval    the chain's progress and the steps in force
    record_view(engine, finding_id, *, by) -> bool     a `viewed` event, once per person, finding and day
    record_refund(engine, finding_id, *, by, method="check"|"eft", number, paid_on, amount=None)
        -> RefundRecorded              a check or EFT that repaid a finding, whole or in part
    add_note(engine, finding_id, *, by, note)
    match_payment(engine, finding_id, *, claim, line=None, by, note, override=False) -> MatchDone
    unmatch_payment(engine, finding_id, *, by, note) -> list[ManualMatchRow]
        an unmatched payment matched to a claim (or line) by hand, and undone; the next detect uses it
    manual_matches(engine, finding_id), match_candidates(engine, finding_id, search="") -> list[CandidateClaim]
    audit_events(engine, finding_id=None) -> list[AuditEvent]
    detect_with_audit(engine, **detect_kwargs) -> DetectSummary    detect + identified/resolved events
    corrected_claim(engine, claim_id, *, mode="replace"|"void", payer_id=None, changes=None, by="system")
        -> bytes (an 837)
    corrected_claim_for_finding(engine, finding_id, *, by="system") -> bytes
    render_letter(engine, finding_id, *, to="payer"|"patient"|None, fmt="pdf"|"html"|"txt", template=None,
        by="system", pack=None, rules_path=None) -> bytes
                                       (to=None: the patient for a patient overpayment, else the payer; the
                                       rule pack's [provider]/[letters]: letterhead, signer, refund addresses);
        a refund's letter and corrected claim only after its last approval step
    reconcile_report(engine, check=None) -> list[dict]
    credit_balance_report(engine, as_of=None, pack=None) -> list[dict]
    cms838_report(engine, as_of=None, *, all_lines=False, pack=None, record_by=None) -> Cms838Report
        the CMS-838 lines not yet reported (or changed); record_by marks them reported
    render_cms838(report, fmt="table"|"csv"|"pdf") -> bytes
    unacknowledged_report(engine, days, as_of=None) -> list[dict]   claims no 999/277CA answered
    render_report(rows, fmt="table"|"csv"|"pdf", title="Report") -> bytes
"""

from __future__ import annotations

from edi_engine.outputs.approvals import Approval, approval_of
from edi_engine.outputs.audit import AuditEvent, audit_events, detect_with_audit, record_view
from edi_engine.outputs.cms838 import Cms838Header, Cms838Line, Cms838Report, cms838_report, render_cms838
from edi_engine.outputs.corrected import corrected_claim, corrected_claim_for_finding
from edi_engine.outputs.decisions import DECISION_NAMES, Decided, RefundRecorded, add_note, decide, record_refund
from edi_engine.outputs.letters import PatientNotice, PayerLetter, build_context, render, render_letter
from edi_engine.outputs.manual import (
    CandidateClaim,
    ManualMatchRow,
    MatchDone,
    manual_matches,
    match_candidates,
    match_payment,
    unmatch_payment,
)
from edi_engine.outputs.reports import credit_balance_report, reconcile_report, render_report, unacknowledged_report

__all__ = [
    "Approval", "AuditEvent", "CandidateClaim", "Cms838Header", "Cms838Line", "Cms838Report", "DECISION_NAMES",
    "Decided", "ManualMatchRow", "MatchDone", "RefundRecorded", "add_note", "approval_of", "audit_events",
    "cms838_report", "corrected_claim", "corrected_claim_for_finding", "decide", "manual_matches", "match_candidates",
    "match_payment", "record_refund", "record_view", "unmatch_payment",
    "PatientNotice", "PayerLetter", "build_context", "credit_balance_report", "detect_with_audit",
    "reconcile_report", "render", "render_cms838", "render_letter", "render_report", "unacknowledged_report",
]
