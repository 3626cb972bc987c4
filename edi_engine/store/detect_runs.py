"""What an incremental detect run needs from the store: how far the last whole-store run read
(`detect_run`), how far the store reaches now, and which accounts the rows added since touch.

The reach is a set of high-water marks: every fact detect reads arrives in a row with a higher id
than any before it (files, and the claims, payments, PLBs, patient payments and fee rows they
bring; people's decisions as audit events; refunds; acknowledgments). The marks are read at the
start of a run, so what lands while it runs is looked at again by the next one. Two things change
without a new row and are compared whole instead: the account links (a new payment can make a
replacement's REF*F8 name exactly one account, or two) and the claims acknowledgments reject.
Knows nothing of findings' rules; rules/run.py decides what to re-examine.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import Connection

from edi_engine.store.acks import claim_acknowledgments
from edi_engine.store.tables import acknowledgment, audit_event, detect_run, refund, source_file

__all__ = ["DETECT_ACTOR", "LastRun", "Reach", "Touched", "claim_accounts", "last_run", "reach", "record_run",
           "rejected_claims", "same_person_accounts", "touched_since"]

DETECT_ACTOR = "detect"  # the actor of the engine's own audit events (outputs/audit.py records them)


@dataclass(frozen=True, slots=True)
class Reach:
    """The highest id of each kind of input detect reads."""

    source_file: int
    audit_event: int
    refund: int
    acknowledgment: int


@dataclass(frozen=True, slots=True)
class LastRun:
    as_of: date
    fingerprint: str
    reach: Reach
    account_links: dict[str, str]
    rejected_claims: frozenset[int]


@dataclass(slots=True)
class Touched:
    """The CLM01s the rows since a reach touch, or why only a full run will do."""

    accounts: set[str]
    full_reason: str | None = None


def reach(conn: Connection) -> Reach:
    def top(table: object) -> int:
        return int(conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one())  # type: ignore[attr-defined]
    return Reach(top(source_file), top(audit_event), top(refund), top(acknowledgment))


def last_run(conn: Connection) -> LastRun | None:
    row = conn.execute(select(detect_run).order_by(detect_run.c.id.desc()).limit(1)).first()
    if row is None:
        return None
    return LastRun(row.as_of, row.fingerprint,
                   Reach(row.last_source_file_id, row.last_audit_event_id, row.last_refund_id,
                         row.last_acknowledgment_id),
                   json.loads(row.account_links), frozenset(json.loads(row.rejected_claims)))


def record_run(conn: Connection, *, as_of: date, fingerprint: str, mode: str, accounts: int, at: Reach,
               account_links: dict[str, str], rejected: Iterable[int]) -> None:
    conn.execute(insert(detect_run).values(
        finished_at=datetime.now(UTC), as_of=as_of, fingerprint=fingerprint, mode=mode, accounts=accounts,
        last_source_file_id=at.source_file, last_audit_event_id=at.audit_event, last_refund_id=at.refund,
        last_acknowledgment_id=at.acknowledgment, account_links=json.dumps(account_links, sort_keys=True),
        rejected_claims=json.dumps(sorted(rejected))))


def rejected_claims(conn: Connection, canonical: Callable[[str | None], str]) -> frozenset[int]:
    """Every stored claim whose deciding acknowledgment rejects it (none read when none is stored)."""
    if conn.execute(select(acknowledgment.c.id).limit(1)).first() is None:
        return frozenset()
    return frozenset(cid for cid, a in claim_acknowledgments(conn, "1 = 1", {}, canonical).items()
                     if a.disposition == "rejected")


def _column(conn: Connection, sql: str, params: Mapping[str, object]) -> set[str]:
    return {r[0] for r in conn.execute(text(sql), params) if r[0] is not None}


def touched_since(conn: Connection, since: Reach, until: Reach) -> Touched:
    """The accounts (CLM01 or CLP01 as stored; the caller maps them to their roots) that rows with
    ids in (since, until] touch."""
    files = {"lo": since.source_file, "hi": until.source_file}
    if conn.execute(text("SELECT 1 FROM fee_schedule WHERE source_file_id > :lo AND source_file_id <= :hi"
                         " LIMIT 1"), files).first() is not None:
        # A fee row prices every line of its code with that payer: cheaper to look at everything.
        return Touched(set(), "a fee schedule was imported")
    out = _column(conn, "SELECT DISTINCT patient_control_number FROM claim"
                        " WHERE source_file_id > :lo AND source_file_id <= :hi", files)
    new_payments = "SELECT id FROM payment WHERE source_file_id > :lo AND source_file_id <= :hi"
    out |= _column(conn, "SELECT DISTINCT patient_control_number FROM claim_payment"
                         f" WHERE payment_id IN ({new_payments})", files)
    # Accounts paid under a CLP07 a new payment repeats: a PLB or reversal names its claim by CLP07.
    out |= _column(conn, "SELECT DISTINCT patient_control_number FROM claim_payment"
                         " WHERE TRIM(payer_claim_control_number) IN (SELECT TRIM(payer_claim_control_number)"
                         f" FROM claim_payment WHERE payment_id IN ({new_payments})"
                         " AND payer_claim_control_number IS NOT NULL AND payer_claim_control_number <> '')", files)
    # A PLB names its claim by CLP07 (PLB03-2), written padded or not: the accounts paid under it.
    out |= _column(conn, "SELECT DISTINCT patient_control_number FROM claim_payment"
                         " WHERE TRIM(payer_claim_control_number) IN (SELECT TRIM(reference) FROM provider_adjustment"
                         f" WHERE payment_id IN ({new_payments}) AND reference IS NOT NULL AND reference <> '')", files)
    out |= _column(conn, "SELECT DISTINCT patient_control_number FROM patient_payment"
                         " WHERE source_file_id > :lo AND source_file_id <= :hi", files)
    # People's decisions (approvals, investigations, refunds recorded or returned...) on findings.
    # (Not who viewed a finding: a page opened changes nothing detect reads.)
    out |= _column(conn, "SELECT DISTINCT f.patient_control_number FROM finding f JOIN audit_event a"
                         " ON a.finding_id = f.id WHERE a.id > :lo AND a.id <= :hi AND a.actor <> :engine"
                         " AND a.event <> 'viewed'",
                   {"lo": since.audit_event, "hi": until.audit_event, "engine": DETECT_ACTOR})
    # A payment matched by hand (or the match undone) moves between its CLP01's account and the claim's.
    out |= _column(conn, "SELECT DISTINCT c.patient_control_number FROM manual_match m JOIN claim c"
                         " ON c.id = m.claim_id WHERE m.finding_id IN (SELECT finding_id FROM audit_event"
                         " WHERE id > :lo AND id <= :hi AND event IN ('payment_matched', 'payment_unmatched'))",
                   {"lo": since.audit_event, "hi": until.audit_event})
    out |= _column(conn, "SELECT DISTINCT f.patient_control_number FROM finding f JOIN refund r"
                         " ON r.finding_id = f.id WHERE r.id > :lo AND r.id <= :hi",
                   {"lo": since.refund, "hi": until.refund})
    # A 277CA names its claim by CLM01; a 999 by the 837 set it answers: the caller compares the
    # rejected claims whole, and these are the 277CA's own.
    out |= _column(conn, "SELECT DISTINCT patient_control_number FROM acknowledgment"
                         " WHERE id > :lo AND id <= :hi", {"lo": since.acknowledgment, "hi": until.acknowledgment})
    return Touched(out)


def claim_accounts(conn: Connection, claim_ids: Iterable[int]) -> set[str]:
    ids = sorted(set(claim_ids))
    out: set[str] = set()
    for i in range(0, len(ids), 500):
        part = {f"c{j}": v for j, v in enumerate(ids[i:i + 500])}
        out |= _column(conn, f"SELECT DISTINCT patient_control_number FROM claim WHERE id IN"
                             f" ({', '.join(':' + k for k in part)})", part)
    return out


def same_person_accounts(conn: Connection, accounts: set[str], links: dict[str, str]) -> set[str]:
    """`accounts`, the CLM01s read with them (`links`: replacement -> root) and every account billed
    for one of their patients, repeated until nothing is added.

    A patient's credit on one account is offset against what the same person owes on the others
    (rules/run.py), so all of a person's accounts are looked at together. The person is the member
    id a claim was billed under, or, without one, the patient's name and birth date (as
    store/read.py keys them): a superset of the run's own person key, which is what matters."""
    members: dict[str, set[str]] = defaultdict(set)
    for key, root in links.items():
        members[root].add(key)
    by_member: dict[str, set[str]] = defaultdict(set)
    by_name: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    person_of: dict[str, set[object]] = defaultdict(set)
    for pcn, member, last, first, born in conn.execute(text(
            "SELECT patient_control_number, subscriber_member_id, patient_last_name, patient_first_name,"
            " patient_birth_date FROM claim")):
        member = (member or "").strip()
        if member:
            by_member[member].add(pcn)
            person_of[pcn].add(member)
        else:
            name = ((last or "").upper(), (first or "").upper(), str(born or ""))
            if any(name):
                by_name[name].add(pcn)
                person_of[pcn].add(name)
    out = set(accounts)
    todo = list(accounts)
    seen_people: set[object] = set()
    while todo:
        pcn = todo.pop()
        root = links.get(pcn, pcn)
        for other in ({root} | members.get(root, set())) - out:
            out.add(other)
            todo.append(other)
        for person in person_of.get(pcn, ()):
            if person in seen_people:
                continue
            seen_people.add(person)
            group = by_member[person] if isinstance(person, str) else by_name[person]  # type: ignore[index]
            for other in group - out:
                out.add(other)
                todo.append(other)
    return out
