"""The detect run: match and analyse every account, compute findings, and reconcile them with the
stored ones, idempotently and incrementally.

Owns the reconciliation. A finding's identity is its natural key (category|CLM01|payer|line|
cause). Against what is stored:
  new key                       -> inserted (identified_on = the run's date; arose_on = the latest payment
                                   date of its evidence, never after identified_on)
  stored open, computed again   -> amount/evidence/refund_to updated only if they changed
  stored resolved, open again   -> reopened
  stored open, gone or recovered-> resolved (resolved_on = the run's date) with the recovery's evidence
  stored decision (approved, dismissed, refunded, offset) -> never touched
These moves are rules/lifecycle.py's table (EngineMove.FOUND / RECOVERED), the same one people's
decisions go through. So a second run over the same data writes nothing, and new files only
change what they change. Which categories run, in what order, and which credit caps each, is
the registry's (rules/categories.py): a credit is reported once, never more than the balance.
Match rows (payment_match) are diffed the same way. Knows nothing of X12 bytes or output formats.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection, Engine

from edi_engine import __version__
from edi_engine.collector import cycle_collector_paused
from edi_engine.errors import UsageError
from edi_engine.ledger import (
    AccountView,
    StoreFacts,
    analyse,
    build_postings,
    credit,
    iter_accounts,
    load_store_facts,
    match_account,
)
from edi_engine.money import to_cents
from edi_engine.rules import categories, reassociation
from edi_engine.rules.candidate import Candidate, clp_evidence, note_missing_payment_dates, plb_evidence
from edi_engine.rules.categories import Owed, Pool
from edi_engine.rules.deadlines import Clock, arose_on, clock_for, state_rule_for
from edi_engine.rules.lifecycle import EngineMove, Status, next_status
from edi_engine.rules.pack import RulePack, load_pack
from edi_engine.rules.tolerance import below_tolerance
from edi_engine.store import detect_runs as runs
from edi_engine.store import findings as stored
from edi_engine.store import payers
from edi_engine.store.read import account_links, account_roots

__all__ = ["AS_OF_ENV", "AccountScan", "DetectSummary", "detect", "resolve_as_of", "scan_accounts"]

AS_OF_ENV = "EDI_ENGINE_AS_OF"
_FLUSH = 5000


@dataclass(slots=True)
class DetectSummary:
    as_of: date
    accounts: int = 0
    matches_written: int = 0
    inserted: int = 0
    updated: int = 0
    resolved: int = 0
    reopened: int = 0
    unchanged: int = 0
    deposits_matched: int = 0
    open_by_category: dict[str, int] = field(default_factory=dict)
    # "full" (every account), "incremental" (those touched since the last run) or "partial" (`only`).
    mode: str = "full"
    reason: str = ""  # why a run was full
    # (natural key, status before, status after) of each finding the run inserted, resolved or reopened:
    # what the audit trail records (outputs/audit.detect_with_audit).
    transitions: list[tuple[str, str | None, str]] = field(default_factory=list)


def resolve_as_of(as_of: date | str | None) -> date:
    if isinstance(as_of, date):
        return as_of
    value = as_of or os.environ.get(AS_OF_ENV)
    if not value:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--as-of must be a date YYYY-MM-DD, got {value!r}") from None


@dataclass(frozen=True, slots=True)
class _Plan:
    """The pack's categories in the orders detect needs, worked out once a run rather than per account."""

    enabled: tuple[categories.Category, ...]  # registry order
    # Payers' pool before the patient's, each in registry order: void, duplicate, payer overpayment, MSP, COB.
    capped: tuple[categories.Category, ...]
    uncapped: tuple[categories.Category, ...]


def _plan(pack: RulePack) -> _Plan:
    enabled = tuple(c for c in categories.all_categories() if c.name in pack.enabled)
    capped = tuple(sorted((c for c in enabled if c.pool is not None), key=lambda c: c.pool is Pool.PATIENT))
    return _Plan(enabled, capped, tuple(c for c in enabled if c.pool is None))


def _account_candidates(view: AccountView, facts: StoreFacts, pack: RulePack,
                        plan: _Plan | None = None) -> list[Candidate]:
    plan = plan or _plan(pack)
    found = {c.name: c.detect(view, facts, pack) for c in plan.enabled}
    out: list[Candidate] = []
    if any(found[c.name] for c in plan.capped):
        payer_credit, patient_credit = credit(build_postings(view))  # only where a credit is claimed
    else:
        payer_credit = patient_credit = 0
    room = {Pool.PAYER: payer_credit, Pool.PATIENT: patient_credit}
    for c in plan.capped:
        assert c.pool is not None
        for cand in found[c.name]:
            if cand.status == Status.OPEN:
                cand.amount = min(cand.amount, room[c.pool])
                room[c.pool] -= cand.amount
                # A credit strictly smaller than its payer type's tolerance is not reported; none
                # for Medicare and Medicaid by default (rule pack, domain.md 5.11).
                if below_tolerance(cand.amount, pack.credit_tolerance_for(_payer_type(cand, pack))):
                    continue
            out.append(cand)
    for c in plan.uncapped:
        out.extend(found[c.name])
    return out


def hold_unbalanced(cands: list[Candidate]) -> None:
    """Hold for review each refund whose money comes from a remittance that does not balance (the
    claim's own equations, or its transaction's BPR02 against CLP04 and PLB): its amounts cannot be
    trusted for a refund until the payer corrects the 835 or a person checks the EOB. The credit is
    still reported; approving it needs a note saying what was checked (outputs/decisions.py), and no
    letter is written before. Idempotent."""
    claims: dict[tuple[str, str, str], str] = {}
    checks: dict[tuple[str, str], str] = {}
    for c in cands:
        if c.category != "unbalanced_remittance":
            continue
        parts = dict(p.split("=", 1) for p in c.cause.split(":")[1:] if "=" in p)
        trace = parts.get("TRN02", "")
        if c.cause.startswith("claim:"):
            claims[(c.clm01 or "", c.payer_id or "", trace)] = str(c.evidence.get("summary", ""))
        else:
            checks[(c.payer_id or "", trace)] = str(c.evidence.get("summary", ""))
    if not claims and not checks:
        return
    for c in cands:
        if c.status != Status.OPEN or not categories.get(c.category).refund:
            continue
        for rec in c.evidence.get("records", []):
            if rec.get("record") not in ("CLP", "SVC") or not rec.get("trn02"):
                continue
            payer = str(rec.get("payer_id") or c.payer_id or "")
            why = claims.get((c.clm01 or "", payer, rec["trn02"])) or checks.get((payer, rec["trn02"]))
            if why:
                c.evidence["held"] = (f"check/EFT {rec['trn02']} ({rec.get('file')} segment {rec.get('segment')}) does "
                                      f"not balance: {why}. Check the EOB before refunding: approving needs a note")
                break


def _payer_type(cand: Candidate, pack: RulePack) -> str | None:
    return pack.payer_type(cand.payer_id, str(cand.evidence.get("filing_indicator") or ""))


def _recovery_evidence(view: AccountView, payer_id: str | None, facts: StoreFacts) -> list[dict[str, Any]]:
    payer = view.payers.get(payer_id or "")
    if payer is None:
        return []
    out = [clp_evidence(rev, facts, "reversed by payer") for orig_id, rev in view.matches.reversed_by.items()
           if rev.payer_id == payer.payer_id]
    out.extend(plb_evidence(plb, facts, "recouped") for plb, _clp in payer.plbs)
    return out


class _Reconciler:
    def __init__(self, conn: Connection, pack: RulePack, as_of: date, summary: DetectSummary,
                 accounts: set[str] | None = None) -> None:
        """Reconciles every stored finding, or (over some accounts) those of `accounts` and those
        `add_stored` adds."""
        self.conn, self.pack, self.as_of, self.summary = conn, pack, as_of, summary
        self.now = datetime.now(UTC)
        self.stored: dict[str, stored.StoredFinding] = {}
        self.by_account: dict[str, list[str]] = defaultdict(list)
        self.seen: set[str] = set()
        self.resolution: dict[str, list[dict[str, Any]]] = {}
        self.by_hand: dict[int, str] = {}  # finding id -> the manual match that resolves it (an unmatched payment)
        self.inserts: list[dict[str, Any]] = []
        self.add_stored(stored.all_findings(conn, accounts))

    def add_stored(self, rows: list[stored.StoredFinding]) -> None:
        for row in rows:
            if row.natural_key not in self.stored:
                self.stored[row.natural_key] = row
                self.by_account[row.patient_control_number or ""].append(row.natural_key)

    def note_account(self, view: AccountView, facts: StoreFacts, keys: set[str]) -> None:
        """Remember what recovered the stored open findings of this account that are gone now."""
        for key in self.by_account.get(view.account.clm01, ()):
            row = self.stored[key]
            if key not in keys and row.status in (Status.OPEN, Status.APPROVED):
                self.resolution[key] = _recovery_evidence(view, row.payer_id, facts)

    def apply(self, cands: list[Candidate]) -> None:
        merged: dict[str, Candidate] = {}
        for cand in cands:  # two identical unmatched payments share a key: one finding, both amounts
            if cand.natural_key in merged:
                merged[cand.natural_key].amount += cand.amount
                merged[cand.natural_key].evidence["records"].extend(cand.evidence.get("records", []))
            else:
                merged[cand.natural_key] = cand
        for key, cand in merged.items():
            self.seen.add(key)
            self._apply_one(key, cand)
        for i in range(0, len(self.inserts), _FLUSH):
            stored.insert_findings(self.conn, self.inserts[i:i + _FLUSH])
        for key, row in self.stored.items():
            if key in self.seen or next_status(row.status, EngineMove.RECOVERED) != Status.RESOLVED \
                    or row.status == Status.RESOLVED:
                continue
            evidence = json.loads(row.evidence)
            evidence["resolution"] = {"on": self.as_of.isoformat(),
                                      "summary": self.by_hand.get(row.id) or
                                      "no longer a credit: a later remittance recovered it or the data that "
                                      "raised it changed",
                                      "records": self.resolution.get(key, [])}
            stored.update_finding(self.conn, row.id, {
                "status": "resolved", "resolved_on": self.as_of, "evidence": json.dumps(evidence, sort_keys=True),
                "updated_at": self.now})
            self.summary.resolved += 1
            self.summary.transitions.append((key, row.status, Status.RESOLVED))

    def _apply_one(self, key: str, cand: Candidate) -> None:
        payer_type = _payer_type(cand, self.pack)
        row = self.stored.get(key)
        if row is None:
            clock = self._clock(cand, payer_type, self.as_of, None, None)
            self.inserts.append(dict(
                natural_key=key, category=cand.category, patient_control_number=cand.clm01, payer_id=cand.payer_id,
                line_key=cand.line_key, cause=cand.cause, amount=cand.amount, refund_to=cand.refund_to,
                payer_type=payer_type, identified_on=self.as_of, arose_on=cand.arose_on,
                deadline=clock.due if cand.status == Status.OPEN
                else None, status=cand.status, resolved_on=self.as_of if cand.status == Status.RESOLVED else None,
                evidence=self._evidence(cand, clock), updated_at=self.now))
            self.summary.inserted += 1
            self.summary.transitions.append((key, None, cand.status))
            return
        move = EngineMove.FOUND if cand.status == Status.OPEN else EngineMove.RECOVERED
        if next_status(row.status, move) is None:  # a person's decision: no engine move leaves it
            self.summary.unchanged += 1
            return
        values: dict[str, Any] = {}
        if row.status != cand.status:
            values["status"] = cand.status
            self.summary.transitions.append((key, row.status, cand.status))
            values["resolved_on"] = self.as_of if cand.status == Status.RESOLVED else None
            if cand.status == Status.OPEN:
                self.summary.reopened += 1
            else:
                self.summary.resolved += 1
        cents = to_cents(row.amount)
        if cents != cand.amount:
            values["amount"] = cand.amount
        if row.refund_to != cand.refund_to:
            values["refund_to"] = cand.refund_to
        if row.payer_type != payer_type:
            values["payer_type"] = payer_type
        if row.arose_on != cand.arose_on:
            values["arose_on"] = cand.arose_on
        clock = self._clock(cand, payer_type, row.identified_on, row.investigation_started_on,
                            row.investigation_ended_on)
        evidence = self._evidence(cand, clock)
        if row.evidence != evidence:
            values["evidence"] = evidence
        deadline = clock.due if cand.status == Status.OPEN else row.deadline
        if row.deadline != deadline:
            values["deadline"] = deadline
        if values:
            values["updated_at"] = self.now
            stored.update_finding(self.conn, row.id, values)
            self.summary.updated += 1
        else:
            self.summary.unchanged += 1


    def _clock(self, cand: Candidate, payer_type: str | None, identified_on: date,
               started: date | None, ended: date | None) -> Clock:
        return clock_for(self.pack, cand.refund_to, payer_type, cand.payer_id, identified_on=identified_on,
                         arose=cand.arose_on, deadline_from=cand.deadline_from, investigation_started_on=started,
                         investigation_ended_on=ended)

    def _evidence(self, cand: Candidate, clock: Clock) -> str:
        evidence = dict(cand.evidence)
        if cand.refund_to is not None and cand.status == Status.OPEN:
            evidence["clock"] = clock.as_evidence()
            state = state_rule_for(self.pack, cand.refund_to, _payer_type(cand, self.pack), cand.arose_on, self.as_of)
            if state is not None:
                evidence["state_rule"] = state
        return json.dumps(evidence, sort_keys=True, default=str)

    def date_credits(self, cands: list[Candidate], explicit: bool) -> None:
        """Set each candidate's `arose_on`: never after the day it is (or was) identified.

        A credit found again keeps the earliest day it arose (a third payment adds to a duplicate
        credit that arose with the second). A new one cannot be identified before its money came:
        a run dated explicitly before that is refused, naming the payment; an undated run (today)
        meets it only for an EFT whose BPR16 is still ahead (the 835 comes before the money) and
        counts it from today."""
        early: list[tuple[date, Candidate]] = []
        for cand in cands:
            arose = arose_on(cand.evidence.get("records", []))
            row = self.stored.get(cand.natural_key)
            if row is not None:
                if row.arose_on is not None and (arose is None or row.arose_on < arose):
                    arose = row.arose_on
                if arose is not None and arose > row.identified_on:
                    arose = row.identified_on
            elif arose is not None and arose > self.as_of:
                if explicit:
                    early.append((arose, cand))
                arose = self.as_of
            cand.arose_on = arose
        if early:
            arose, cand = max(early, key=lambda e: e[0])
            what = _money_received(cand, arose)
            raise UsageError(f"--as-of {self.as_of.isoformat()} is before the money of {len(early)} credit(s) was "
                             f"received (the latest: {what}); a credit cannot be identified before it arose: "
                             f"run detect as of {arose.isoformat()} or later")


def _money_received(cand: Candidate, arose: date) -> str:
    """Which payment made the credit, by file, segment and trace number (no patient data)."""
    for rec in cand.evidence.get("records", []):
        if rec.get("record") == "CLM" and rec.get("date") == arose.isoformat():  # a void: its credit's day
            return f"the void sent {arose.isoformat()} in {rec.get('file')} segment {rec.get('segment')}, " \
                   f"claim {cand.clm01 or '-'}"
        if (rec.get("check_date") or rec.get("date")) == arose.isoformat():
            where = f"{rec.get('file')} segment {rec.get('segment') or rec.get('line')}"
            trace = f"check/EFT {rec['trn02']} " if rec.get("trn02") else ""
            return f"{trace}dated {arose.isoformat()} in {where}, claim {cand.clm01 or '-'}"
    return f"a payment dated {arose.isoformat()}, claim {cand.clm01 or '-'}"


class _MatchWriter:
    """Diffs payment_match against this run's matches; writes only what changed."""

    def __init__(self, conn: Connection, some_accounts: bool) -> None:
        self.conn = conn
        # Over some accounts, the match rows of their subjects are read once they are all known.
        self.owned: set[tuple[str, int]] | None = set() if some_accounts else None
        self.deferred: list[Any] = []
        # key -> (id, claim_id, claim_line_id, claim_payment_id, method)
        self.stored = stored.stored_matches(conn) if self.owned is None else {}
        self.seen: set[tuple[str, int]] = set()
        self.pending: list[dict[str, Any]] = []
        self.written = 0

    def add(self, match: Any) -> None:
        if self.owned is not None:
            self.deferred.append(match)
            return
        self._add(match)

    def _add(self, match: Any) -> None:
        key = (match.subject, match.subject_id)
        if key in self.seen:
            return
        self.seen.add(key)
        value = (match.claim_id, match.claim_line_id, match.claim_payment_id, match.method)
        old = self.stored.get(key)
        if old is not None and old[1:] == value:
            return
        if old is not None:
            stored.update_match(self.conn, old[0], claim_id=value[0], claim_line_id=value[1],
                                claim_payment_id=value[2], method=value[3])
            self.written += 1
            return
        self.pending.append({"subject": key[0], "subject_id": key[1], "claim_id": value[0], "claim_line_id": value[1],
                             "claim_payment_id": value[2], "method": value[3]})
        if len(self.pending) >= _FLUSH:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            stored.insert_matches(self.conn, self.pending)
            self.written += len(self.pending)
            self.pending = []

    def own(self, account: Any) -> None:
        """In a run over some accounts, the match subjects this one holds: only those can be gone."""
        assert self.owned is not None
        for clp in account.clps:
            self.owned.update((("claim_payment", clp.id), ("reversal", clp.id)))
            self.owned.update(("service_payment", svc.id) for svc in clp.services)
        self.owned.update(("provider_adjustment", plb.id) for plb in account.plbs)

    def finish(self) -> None:
        owned = self.owned
        if owned is not None:
            self.stored = stored.stored_matches(self.conn, owned | {(m.subject, m.subject_id) for m in self.deferred})
            for match in self.deferred:
                self._add(match)
        self.flush()
        gone = [v[0] for k, v in self.stored.items() if k not in self.seen and (owned is None or k in owned)]
        stored.delete_matches(self.conn, gone)
        self.written += len(gone)


def detect(engine: Engine, *, as_of: date | str | None = None, pack: RulePack | None = None,
           rules_path: str | None = None, only: Sequence[str] | None = None,
           progress: Callable[[int, int], None] | None = None, full: bool = False,
           scans: Sequence[AccountScan] | None = None, reach: runs.Reach | None = None) -> DetectSummary:
    """Match, analyse and reconcile findings: over the accounts touched since the last run (by new
    files, refunds, acknowledgments and people's decisions), over everything when `full` or when the
    last run differs (see `_scope`), or over `only` those CLM01s (a partial run, not recorded);
    `progress(accounts done, accounts)` as the accounts are read, for a progress bar.

    An incremental run gives the findings a full run would: the accounts it skips read nothing new,
    and an account is re-examined with every other account of the same patient (the offset looks
    across them) and of the same claim (replacements under a new CLM01).

    With `scans` (the final step of a partitioned run), the partitions' `scan_accounts` stand for the
    account loop over every account: the rest is a full run's (store-wide step, offsets, reconciliation),
    recorded as reaching `reach`, read before the partitions began."""
    if scans is not None and only is not None:
        raise UsageError("a partitioned run's final step covers every account: `only` does not apply")
    with cycle_collector_paused():
        return _detect(engine, as_of, pack, rules_path, only, progress, full or scans is not None, scans, reach)


def _fingerprint(pack: RulePack, as_of: date, aliases: dict[str, str]) -> str:
    """What every account's findings depend on besides its own rows: a run that differs from the
    last one in any of these looks at every account."""
    def canon(value: object) -> object:
        if isinstance(value, (set, frozenset)):
            return sorted(value, key=str)
        return str(value)
    doc = {"engine": [__version__, _code_digest()], "pack": dataclasses.asdict(pack), "as_of": as_of.isoformat(),
           "aliases": aliases}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=canon).encode()).hexdigest()


@functools.cache
def _code_digest() -> str:
    """The source of what turns stored rows into findings (the ledger, the rules, the store's reads): a
    checkout updated without a new version number still makes the next run a full one."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted([*root.glob("ledger/*.py"), *root.glob("rules/*.py"), *root.glob("rules/*.toml"),
                        root / "store" / "read.py", root / "store" / "acks.py"]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


@dataclass(slots=True)
class _Scope:
    accounts: set[str] | None  # None: every account
    reason: str
    links: dict[str, str]
    rejected: frozenset[int]
    idle: bool = False  # nothing stored since the last run: its findings stand as they are


def _scope(conn: Connection, at: runs.Reach, fingerprint: str, as_of: date, full: bool,
           aliases: dict[str, str]) -> _Scope:
    """Which accounts this run must look at, and what it records for the next one."""
    links = account_links(conn)
    last = runs.last_run(conn)

    def canonical(payer: str | None) -> str:
        payer = (payer or "").strip()
        return aliases.get(payer, payer)

    def everything(reason: str) -> _Scope:
        return _Scope(None, reason, links, runs.rejected_claims(conn, canonical))
    if full:
        return everything("asked for (--full)")
    if last is None:
        return everything("the first run")
    if last.fingerprint != fingerprint:
        if last.as_of != as_of:
            return everything(f"as of {as_of.isoformat()}, the last run as of {last.as_of.isoformat()}")
        return everything("the rule pack, the payers imported (their types), payer aliases or edi-engine itself "
                          "changed since the last run")
    if at == last.reach and links == last.account_links:
        return _Scope(set(), "", links, last.rejected_claims, idle=True)
    touched = runs.touched_since(conn, last.reach, at)
    if touched.full_reason:
        return everything(touched.full_reason)
    accounts = touched.accounts
    for key in set(links) | set(last.account_links):  # a replacement linked, unlinked or moved
        if links.get(key) != last.account_links.get(key):
            accounts.update(k for k in (key, links.get(key), last.account_links.get(key)) if k)
    rejected = last.rejected_claims
    if at.source_file > last.reach.source_file:  # a 999 answers an 837 set, a new 837 meets an older 999
        rejected = runs.rejected_claims(conn, canonical)
        accounts |= runs.claim_accounts(conn, rejected ^ last.rejected_claims)
    if accounts:
        accounts = runs.same_person_accounts(conn, accounts, links)
    return _Scope(accounts, "", links, rejected)


@dataclass(slots=True)
class AccountScan:
    """What the account loop found over some accounts, before the store-wide step and reconciliation.

    A partition of a partitioned run (`scan_accounts`) hands one to the run's final step
    (`detect(..., scans=...)`), which reconciles all of them at once as a single run would; picklable."""

    accounts: int = 0
    matches_written: int = 0
    cands: list[Candidate] = field(default_factory=list)
    owners: list[tuple[str, ...] | None] = field(default_factory=list)  # per candidate: its patient, if owed one
    roots: list[str] = field(default_factory=list)  # per candidate: the account (root CLM01) it came from
    open_patient: dict[tuple[str, ...], int] = field(default_factory=dict)
    referenced: set[str] = field(default_factory=set)
    resolution: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def _scan_accounts(accounts: Iterable[Any], facts: StoreFacts, pack: RulePack, matches: _MatchWriter,
                   reconciler: _Reconciler, some_accounts: bool) -> AccountScan:
    scan = AccountScan()
    open_patient: dict[tuple[str, ...], int] = defaultdict(int)
    plan = _plan(pack)
    for account in accounts:
        scan.accounts += 1
        m = match_account(account, facts)
        if some_accounts:
            matches.own(account)
            # Findings filed under a CLP07 or PLB reference rather than the CLM01 (a PLB tied to no claim).
            scan.referenced.update(c.clp07 for c in account.clps if c.clp07)
            scan.referenced.update(p.reference for p in account.plbs if p.reference)
        for match in m.matches:
            matches.add(match)
        view = analyse(account, m, facts, pack.fee_per_unit)
        found = _account_candidates(view, facts, pack, plan)
        reconciler.note_account(view, facts, {c.natural_key for c in found})
        # The same person: name and birth date are not enough across 100,000 claims (two patients
        # share both), so the member id the claim was billed under must agree too.
        billed = view.billed_claim
        person = (billed.member_id,) + billed.patient_key if billed else ("", "", "", "")
        # A voided claim leaves the patient owing nothing on it: no balance to offset against.
        if any(person) and view.final_pr is not None and not view.pending and view.void is None:
            owed = view.final_pr - view.patient_paid  # the patient side of the ledger (postings.patient_side)
            if owed > 0:
                open_patient[person] += owed
        for cand in found:
            scan.owners.append(person if categories.get(cand.category).owed is Owed.PATIENT else None)
            scan.roots.append(account.clm01)
        scan.cands.extend(found)
    scan.open_patient = dict(open_patient)
    return scan


def _merged(scans: Sequence[AccountScan], order: Sequence[str]) -> AccountScan:
    """The partitions' scans as one, candidates in the order a single run reads their accounts."""
    out = AccountScan()
    open_patient: dict[tuple[str, ...], int] = defaultdict(int)
    rows: list[tuple[str, Candidate, tuple[str, ...] | None]] = []
    for scan in scans:
        out.accounts += scan.accounts
        out.matches_written += scan.matches_written
        rows.extend(zip(scan.roots, scan.cands, scan.owners, strict=True))
        for person, owed in scan.open_patient.items():
            open_patient[person] += owed
        out.referenced |= scan.referenced
        out.resolution.update(scan.resolution)
    position = {key: i for i, key in enumerate(order)}
    rows.sort(key=lambda r: position.get(r[0], len(position)))  # stable: an account's own order is kept
    out.roots = [r[0] for r in rows]
    out.cands = [r[1] for r in rows]
    out.owners = [r[2] for r in rows]
    out.open_patient = dict(open_patient)
    return out


def scan_accounts(conn: Connection, roots: Sequence[str], *, pack: RulePack | None = None,
                  rules_path: str | None = None) -> AccountScan:
    """One partition of a partitioned run: match and analyse the accounts `roots` (account roots, see
    store.read.account_roots), write their match rows on `conn`, and return what they found for the
    run's final step. Writes no finding."""
    pack = _with_stored_payer_types(conn, pack or load_pack(rules_path))
    with cycle_collector_paused():
        facts = load_store_facts(conn, sorted(roots))
        keep = set(roots) | {k for k, root in facts.account_links.items() if root in set(roots)}
        notes = _Reconciler(conn, pack, date.today(), DetectSummary(date.today()), keep)
        matches = _MatchWriter(conn, True)
        accounts = iter_accounts(conn, facts, sorted(roots)) if roots else iter(())
        scan = _scan_accounts(accounts, facts, pack, matches, notes, True)
        matches.finish()
        scan.matches_written = matches.written
        scan.resolution = notes.resolution
        return scan


def _with_stored_payer_types(conn: Connection, pack: RulePack) -> RulePack:
    """The payers imported (store/payers.py) are where payer types live; the rule pack's [payers]
    stays for a payer not imported, and CLP06 for one in neither. Before the fingerprint: a
    payer's type changed by an import makes the next run a full one."""
    stored_types = payers.payer_types(conn)
    if stored_types:
        pack = replace(pack, payer_types_by_id={**pack.payer_types_by_id, **stored_types})
    return pack


def _detect(engine: Engine, as_of: date | str | None, pack: RulePack | None, rules_path: str | None,
            only: Sequence[str] | None, progress: Callable[[int, int], None] | None, full: bool,
            scans: Sequence[AccountScan] | None = None, reach: runs.Reach | None = None) -> DetectSummary:
    pack = pack or load_pack(rules_path)
    summary = DetectSummary(resolve_as_of(as_of))
    # A run dated by the caller (or the environment) is held to its date; an undated one is today.
    explicit = as_of is not None or bool(os.environ.get(AS_OF_ENV))
    with engine.begin() as conn:
        pack = _with_stored_payer_types(conn, pack)
        # First: whatever lands while this run reads is the next run's to look at.
        at = reach if reach is not None else runs.reach(conn)
        scope: _Scope | None = None
        if only is None:
            aliases = payers.alias_map(conn)
            fingerprint = _fingerprint(pack, summary.as_of, aliases)
            scope = _scope(conn, at, fingerprint, summary.as_of, full, aliases)
            some = scope.accounts
            summary.mode, summary.reason = ("full", scope.reason) if some is None else ("incremental", "")
            if scope.idle:
                return _finish(conn, summary, scope, at, fingerprint)
        else:
            some = set(only)
            summary.mode = "partial"
        facts = load_store_facts(conn) if some is None else load_store_facts(conn, sorted(some))
        if some is not None:  # a replacement under a new CLM01 is its original's account
            some = {facts.root(k) for k in some}
            # A payment matched by hand into one of these accounts leaves its own CLP01's: reconciled too.
            some |= {m.clp01 for m in facts.manual.values() if m.root in some and m.clp01}
        if some is None:
            reconciler = _Reconciler(conn, pack, summary.as_of, summary)
        else:  # a run over some accounts reconciles only theirs (and the store-wide findings)
            keep = some | {k for k, root in facts.account_links.items() if root in some}
            if scope is not None and scope.accounts is not None:
                keep |= scope.accounts  # as stored: a CLM01 linked since keeps findings of its own
            reconciler = _Reconciler(conn, pack, summary.as_of, summary, keep)
        for hand in facts.manual.values():
            if hand.finding_id is not None:
                reconciler.by_hand[hand.finding_id] = (f"matched by hand to claim {hand.root} (manual match "
                                                       f"#{hand.id} by {hand.matched_by}): the payment is posted to "
                                                       "that claim")
        if scans is None:
            matches = _MatchWriter(conn, some is not None)
            accounts = iter_accounts(conn, facts, sorted(some), progress=progress) if some else \
                iter_accounts(conn, facts, progress=progress) if some is None else iter(())
            scan = _scan_accounts(accounts, facts, pack, matches, reconciler, some is not None)
            matches.finish()
            scan.matches_written = matches.written
        else:  # a partitioned run's final step: its partitions matched and analysed every account
            scan = _merged(scans, account_roots(conn, facts))
            reconciler.resolution.update(scan.resolution)
            summary.reason = f"partitioned: {len(scans)} account partitions"
        summary.accounts, summary.matches_written = scan.accounts, scan.matches_written
        cands, open_patient, referenced = scan.cands, scan.open_patient, scan.referenced
        patient_of = {id(c): p for c, p in zip(cands, scan.owners, strict=True) if p is not None}
        if only is None:  # store-wide: bank deposits, then the categories' own store checks
            # These read every payment and PLB: a run over some accounts loads them whole here.
            whole = facts if some is None else load_store_facts(conn)
            deposits = reassociation.run(conn, whole, pack, summary.as_of)
            summary.deposits_matched = deposits.matched
            summary.matches_written += deposits.written
            cands.extend(deposits.candidates)
            for c in categories.all_categories():
                if c.detect_store is not None and c.name in pack.enabled:
                    cands.extend(c.detect_store(conn, whole, pack))
        if some is not None:  # what else this run's findings are filed under, and the store-wide ones
            filed = ({c.clm01 for c in cands if c.clm01} | referenced) - set(reconciler.by_account)
            reconciler.add_stored(stored.all_findings(conn, filed, unattached=only is None))
        for cand in cands:
            owner = patient_of.get(id(cand))
            # Offset only when the patient's other open balances can take the whole credit; a
            # finding has one destination, and a partial offset would leave a refund unreported.
            if owner and any(owner) and open_patient.get(owner, 0) >= cand.amount and cand.status == Status.OPEN:
                cand.refund_to = "offset"
        hold_unbalanced(cands)
        for cand in cands:  # after refund_to is settled: the note says whether a deadline applies
            note_missing_payment_dates(cand)
        reconciler.date_credits(cands, explicit)
        reconciler.apply(cands)
        if scope is None:
            return _finish(conn, summary)
        return _finish(conn, summary, scope, at, fingerprint)


def _finish(conn: Connection, summary: DetectSummary, scope: _Scope | None = None, at: runs.Reach | None = None,
            fingerprint: str = "") -> DetectSummary:
    for category in stored.open_categories(conn):
        summary.open_by_category[category] = summary.open_by_category.get(category, 0) + 1
    if scope is not None and at is not None:  # a run over the whole store, or what changed in it
        runs.record_run(conn, as_of=summary.as_of, fingerprint=fingerprint, mode=summary.mode,
                        accounts=summary.accounts, at=at, account_links=scope.links, rejected=scope.rejected)
    return summary
