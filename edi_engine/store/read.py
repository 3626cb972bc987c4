"""The store's read side for the ledger: stored 837/835 facts, read back account by account (one
CLM01 with everything about it), as typed records (the ledger imports them from here).

Owns the bulk reads the ledger works from: claims and lines, claim and service payments with
their adjustments, PLB adjustments, patient payments, fee schedules, payer aliases, file names
and control numbers. Reads are set-based (one SELECT per table per chunk of CLM01 values, in the
database's own order) and yield one `Account` at a time, so memory stays bounded on stores of
any size. Money stays in integer cents here (exact, and cheap to add up); Decimal is for the
boundary. Knows nothing of matching rules, findings or thresholds.
Also the evidence reads: a stored segment by file and byte offset, and a stored file's bytes as a
stream, both from the contents ingest keeps (source_content, store/content.py), never from the
path a file was ingested from.

An account is keyed by the original claim's CLM01: a replacement or void (837 CLM05-3 7 or 8) sent
under a new CLM01 whose REF*F8 is the CLP07 of a payment under another CLP01 belongs to that claim
(domain.md 7.1; RFI 2150), so its claims, payments and patient payments are read into the
original's account (`StoreFacts.account_links`, `account_roots`). The links are few (only such
claims), read once, and followed through chains of replacements.
A payment matched to a claim by a person (store/manual.py, issue 13) is read into the account of that
claim, whatever its CLP01 (`StoreFacts.manual`): the ledger then matches it as the person said.
Other reads (findings, the queue, reports, users) live in the store's other modules.
"""

from __future__ import annotations

import codecs
import io
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from sqlalchemy import select, text
from sqlalchemy.engine import Connection

from edi_engine.store import manual as manual_store
from edi_engine.store import tables
from edi_engine.store.acks import rejected_claim_ids
from edi_engine.store.content import CHUNK_BYTES, decompress

__all__ = [
    "Account", "CasFact", "ClaimFact", "ClpFact", "FeeRow", "FileFact", "LineFact", "ManualFact", "PatientPaymentFact",
    "PaymentFact", "PaymentTotals", "PlbFact", "RefundFact", "RemittanceSide", "StoreFacts", "SvcFact", "account_links",
    "account_roots",
    "claim_payments_on", "file_ids_named", "file_names", "iter_accounts", "load_store_facts", "payment_totals",
    "remittance_conflicts", "segments_at", "stored_file",
]

CHUNK = 2000  # CLM01 values per bulk read
# A remittance held for review (payment.conflict_of, see ingest.py) is stored but posted nowhere: the
# ledger reads only the claim payments of posted remittances.
_POSTED = "payment_id NOT IN (SELECT id FROM payment WHERE conflict_of IS NOT NULL)"


@lru_cache(maxsize=8192)
def _d(value: object) -> date | None:
    # SQLite returns ISO text through text(); dates repeat (a million date cells at 100,000 claims, a
    # few thousand distinct), so the whole conversion is cached, not only the parse.
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _q(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))


@dataclass(frozen=True, slots=True)
class FileFact:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class LineFact:
    id: int
    claim_id: int
    file_id: int
    segment: int
    offset: int
    line_number: int
    qualifier: str
    procedure: str
    modifiers: str
    revenue: str
    charge: int  # cents
    units: Decimal | None
    date_from: date | None
    date_to: date | None
    ref6r: str

    @property
    def identity(self) -> tuple[object, ...]:
        """What a service is, whatever claim submission carried it."""
        return (self.procedure or self.revenue, self.modifiers, self.date_from, self.units, self.line_number)


@dataclass(slots=True)
class ClaimFact:
    id: int
    file_id: int
    segment: int
    offset: int
    clm01: str
    payer_id: str
    charge: int
    frequency: str
    original_reference: str  # REF*F8
    member_id: str
    patient_key: tuple[str, str, str]  # last, first, birth date: same person across claims
    statement_from: date | None
    statement_to: date | None
    lines: list[LineFact] = field(default_factory=list)
    rejected: bool = False  # its latest 999/277CA verdict rejects it (store/acks.py): not a receivable
    sent_on: date | None = None  # a void's (CLM05-3 8) GS04: the day the provider said nothing is owed on it

    @property
    def service_range(self) -> tuple[date | None, date | None]:
        starts = [d for d in [self.statement_from] + [ln.date_from for ln in self.lines] if d]
        ends = [d for d in [self.statement_to] + [ln.date_to or ln.date_from for ln in self.lines] if d]
        return (min(starts) if starts else None, max(ends) if ends else None)

    @property
    def signature(self) -> tuple[object, ...]:
        return (self.charge, tuple(sorted((ln.identity[:4], ln.charge) for ln in self.lines)))


@dataclass(frozen=True, slots=True)
class CasFact:
    id: int
    file_id: int
    segment: int
    offset: int
    group: str
    reason: str
    amount: int


@dataclass(slots=True)
class SvcFact:
    id: int
    file_id: int
    segment: int
    offset: int
    qualifier: str
    procedure: str
    modifiers: str
    charge: int
    paid: int
    revenue: str
    units: Decimal | None
    sub_procedure: str
    sub_modifiers: str
    original_units: Decimal | None
    date_from: date | None
    date_to: date | None
    ref6r: str
    allowed: int | None  # AMT*B6
    adjustments: list[CasFact] = field(default_factory=list)

    def cas_total(self, group: str, reasons: Sequence[str] | None = None) -> int:
        return sum(a.amount for a in self.adjustments if a.group == group and (reasons is None or a.reason in reasons))


@dataclass(frozen=True, slots=True)
class PaymentFact:
    """An 835 transaction's BPR/TRN with its envelope's control numbers."""

    id: int
    file_id: int
    segment: int
    offset: int
    amount: int
    payment_date: date | None
    trace_number: str  # TRN02
    payer_id: str  # canonical
    isa13: str
    st02: str
    # DTM*405 (production date), else ISA09: the 835's own date, which orders a payment whose BPR16
    # could not be read (sorted first as unknown, a repeat payment would pass for the original).
    file_date: date | None = None


@dataclass(slots=True)
class ClpFact:
    id: int
    payment_id: int
    file_id: int
    segment: int
    offset: int
    clp01: str
    status: str
    charge: int
    paid: int
    pr: int | None
    filing: str
    clp07: str
    member_id: str
    statement_from: date | None
    statement_to: date | None
    payer_id: str = ""
    payment: PaymentFact | None = None
    services: list[SvcFact] = field(default_factory=list)
    adjustments: list[CasFact] = field(default_factory=list)  # claim level (2100 CAS)

    @property
    def order_key(self) -> tuple[object, ...]:
        """Time order from content only (never row ids), so ingest order cannot change results."""
        p = self.payment
        return ((p.payment_date or p.file_date or date.min) if p else date.min, p.trace_number if p else "",
                p.st02 if p else "",
                self.segment)

    def patient_responsibility(self) -> int:
        if self.pr is not None:
            return self.pr
        return sum(a.amount for a in self.all_adjustments() if a.group == "PR")

    def all_adjustments(self) -> Iterator[CasFact]:
        yield from self.adjustments
        for svc in self.services:
            yield from svc.adjustments


@dataclass(frozen=True, slots=True)
class PlbFact:
    id: int
    payment_id: int
    file_id: int
    segment: int
    offset: int
    reason: str
    reference: str
    amount: int  # positive reduces the payment (money taken back)


@dataclass(frozen=True, slots=True)
class PatientPaymentFact:
    id: int
    file_id: int
    segment: int  # CSV line
    clm01: str
    payment_date: date
    amount: int
    reference: str


@dataclass(frozen=True, slots=True)
class RefundFact:
    """A check or EFT the provider paid back on a finding of this account (the `refund` table)."""

    id: int
    finding_id: int
    category: str
    party: str  # who got the money: the finding's canonical payer id, or "patient"
    method: str  # check or eft
    number: str
    amount: int  # cents
    paid_on: date


@dataclass(frozen=True, slots=True)
class FeeRow:
    modifier: str
    amount: int
    effective_from: date | None
    effective_to: date | None
    file_id: int
    segment: int


@dataclass(slots=True)
class Account:
    """Everything stored about one patient control number (CLM01 = CLP01)."""

    clm01: str
    claims: list[ClaimFact] = field(default_factory=list)
    clps: list[ClpFact] = field(default_factory=list)
    patient_payments: list[PatientPaymentFact] = field(default_factory=list)
    plbs: list[PlbFact] = field(default_factory=list)  # tied to this account through CLP07
    refunds: list[RefundFact] = field(default_factory=list)  # the provider's own repayments, by date


@dataclass(frozen=True, slots=True)
class ManualFact:
    """A manual match in force: a CLP matched to a claim (and, for a CLP with one SVC, a line) or an
    SVC matched to a line, by whom, when and why (store/manual.py)."""

    id: int
    subject: str  # claim_payment or service_payment
    subject_id: int
    claim_id: int
    claim_line_id: int | None
    root: str  # the account (CLM01 root) of the claim
    matched_by: str
    matched_at: datetime
    note: str
    finding_id: int | None
    clp01: str = ""  # of the CLP matched (or of the SVC's CLP)

    def as_evidence(self) -> dict[str, object]:
        return {"manual_match": self.id, "method": "manual", "by": self.matched_by,
                "at": self.matched_at.isoformat(timespec="seconds"), "note": self.note, "finding": self.finding_id}


@dataclass(slots=True)
class StoreFacts:
    """The small, store-wide facts every account needs: payments, PLBs, files, fees, aliases."""

    aliases: dict[str, str]
    files: dict[int, FileFact]
    payments: dict[int, PaymentFact]
    plbs_by_reference: dict[str, list[PlbFact]]
    plb_reference_accounts: dict[str, set[str]]  # PLB reference -> CLM01s whose CLP07 it equals
    fees: dict[tuple[str, str], list[FeeRow]]
    # CLM01 of a replacement or void sent under a new account number -> the CLM01 of the claim it
    # replaces (the account root, chains followed); empty for most stores.
    account_links: dict[str, str] = field(default_factory=dict)
    # Manual matches in force, by (subject, subject id); a CLP among them is read into its claim's account.
    manual: dict[tuple[str, int], ManualFact] = field(default_factory=dict)

    def manual_for(self, subject: str, subject_id: int) -> ManualFact | None:
        return self.manual.get((subject, subject_id)) if self.manual else None

    def root(self, clm01: str) -> str:
        return self.account_links.get(clm01, clm01)

    def members(self, root: str) -> list[str]:
        """The CLM01s read into the account `root`, root first."""
        return [root] + sorted(k for k, v in self.account_links.items() if v == root)

    def canonical(self, payer_id: str | None) -> str:
        payer_id = (payer_id or "").strip()
        return self.aliases.get(payer_id, payer_id)

    def fee(self, payer_id: str, procedure: str, modifiers: str, on: date | None) -> FeeRow | None:
        rows = self.fees.get((payer_id, procedure))
        if not rows:
            return None
        first_mod = modifiers.split(":")[0] if modifiers else ""
        for wanted in (first_mod, ""):
            for row in rows:
                if row.modifier == wanted and (on is None or (
                        (row.effective_from is None or row.effective_from <= on)
                        and (row.effective_to is None or on <= row.effective_to))):
                    return row
        return None


# Above this many accounts a scoped read loads the whole store's facts instead: one bind parameter an
# account would pass PostgreSQL's limit of 65,535 (SQLite's 32,766) in a partition of a million-claim
# store, and a scan of each table is then cheaper than the lists anyway.
_SCOPE_LIMIT = 5_000


def load_store_facts(conn: Connection, accounts: Sequence[str] | None = None) -> StoreFacts:
    """The store-wide facts; with `accounts` (CLM01 values), only what those accounts touch.

    Scoped, it reads the payments their CLPs belong to, the PLBs whose reference is one of their
    CLP07 values (with those PLBs' payments) and the fee rows of their procedure codes, so one
    account (explain, a letter, the web detail page) costs a few indexed reads, not the store.
    Aliases and file names are always whole: small, and every account may name any of them.
    """
    aliases = {r[0]: r[1] for r in conn.execute(text("SELECT alias, payer_id FROM payer_alias"))}
    files = {r[0]: FileFact(r[0], r[1]) for r in conn.execute(text("SELECT id, name FROM source_file"))}
    links = account_links(conn)
    manual = _manual_facts(conn, links)
    scope: dict[str, object] = {}
    if accounts is not None:
        roots = {links.get(a, a) for a in accounts}
        wanted = set(accounts) | roots | {k for k, v in links.items() if v in roots}
        # The CLP01 of a payment matched by hand into one of these accounts: its payment and PLBs too.
        wanted |= {m.clp01 for m in manual.values() if m.root in roots}
        if len(wanted) > _SCOPE_LIMIT:
            accounts = None  # the whole store's facts: every read below is by key, so more is harmless
        else:
            scope = {f"a{j}": v for j, v in enumerate(sorted(wanted))}
    in_scope = ", ".join(":" + k for k in scope) or "NULL"
    plb_sql = ("SELECT id, payment_id, source_file_id, segment, byte_offset, reason_code, reference, amount"
               " FROM provider_adjustment WHERE reference IS NOT NULL AND reference <> ''")
    if accounts is not None:
        # PLB03-2 is written as the payer sends it, padded or not; CLP07 is compared trimmed (as below).
        plb_sql += (" AND TRIM(reference) IN (SELECT TRIM(payer_claim_control_number) FROM claim_payment"
                    f" WHERE patient_control_number IN ({in_scope}))")
    plbs: dict[str, list[PlbFact]] = defaultdict(list)
    for r in conn.execute(text(plb_sql + " ORDER BY id"), scope):
        plbs[r[6].strip()].append(PlbFact(r[0], r[1], r[2], r[3], r[4], r[5], r[6].strip(), r[7]))
    payment_sql = (
        "SELECT p.id, p.source_file_id, p.segment, p.byte_offset, p.amount, p.payment_date, p.trace_number,"
        " p.payer_id, i.control_number, t.control_number, p.production_date, i.interchange_date FROM payment p"
        " JOIN transaction_set t ON t.id = p.transaction_set_id"
        " LEFT JOIN interchange i ON i.id = t.interchange_id WHERE p.conflict_of IS NULL")
    if accounts is not None:
        plb_payments = sorted({plb.payment_id for group in plbs.values() for plb in group})
        scope.update({f"p{j}": v for j, v in enumerate(plb_payments)})
        touched = f"p.id IN (SELECT payment_id FROM claim_payment WHERE patient_control_number IN ({in_scope}))"
        if plb_payments:
            touched += f" OR p.id IN ({', '.join(f':p{j}' for j in range(len(plb_payments)))})"
        payment_sql += f" AND ({touched})"
    payments: dict[int, PaymentFact] = {}
    for r in conn.execute(text(payment_sql), scope):
        payer = (r[7] or "").strip()
        payments[r[0]] = PaymentFact(r[0], r[1], r[2], r[3], r[4], _d(r[5]), r[6] or "",
                                     aliases.get(payer, payer), r[8] or "", r[9] or "", _d(r[10]) or _d(r[11]))
    # A held remittance (payment.conflict_of) is posted nowhere, its PLBs neither.
    plbs = defaultdict(list, {ref: kept for ref, group in plbs.items()
                              if (kept := [plb for plb in group if plb.payment_id in payments])})
    ref_accounts: dict[str, set[str]] = defaultdict(set)
    refs = sorted(plbs)
    for i in range(0, len(refs), 500):
        part = refs[i:i + 500]
        params = {f"r{j}": v for j, v in enumerate(part)}
        sql = ("SELECT payer_claim_control_number, patient_control_number, id FROM claim_payment"
               f" WHERE payer_claim_control_number IN ({', '.join(':' + k for k in params)}) AND {_POSTED}")
        for r in conn.execute(text(sql), params):
            moved = manual.get(("claim_payment", r[2]))
            # A replacement's account is its original's; a payment matched by hand is its claim's.
            ref_accounts[r[0]].add(moved.root if moved else links.get(r[1]) or r[1])
    fee_sql = ("SELECT payer_id, procedure_code, modifier, allowed_amount, effective_from, effective_to,"
               " source_file_id, segment FROM fee_schedule")
    if accounts is not None:
        fee_sql += (" WHERE TRIM(procedure_code) IN ("
                    "SELECT l.procedure_code FROM claim_line l JOIN claim c ON c.id = l.claim_id"
                    f" WHERE c.patient_control_number IN ({in_scope})"
                    " UNION SELECT s.procedure_code FROM service_payment s"
                    " JOIN claim_payment c ON c.id = s.claim_payment_id"
                    f" WHERE c.patient_control_number IN ({in_scope}))")
    fees: dict[tuple[str, str], list[FeeRow]] = defaultdict(list)
    for r in conn.execute(text(fee_sql + " ORDER BY id"), scope):
        payer = aliases.get(r[0].strip(), r[0].strip())
        fees[(payer, r[1].strip())].append(FeeRow((r[2] or "").strip(), r[3], _d(r[4]), _d(r[5]), r[6], r[7]))
    return StoreFacts(aliases, files, payments, dict(plbs), dict(ref_accounts), dict(fees), links,
                      {k: m.fact for k, m in manual.items()})


@dataclass(frozen=True, slots=True)
class _Manual:
    fact: ManualFact
    clp01: str  # of the CLP matched (or the SVC's CLP)

    @property
    def root(self) -> str:
        return self.fact.root


def _manual_facts(conn: Connection, links: dict[str, str]) -> dict[tuple[str, int], _Manual]:
    """The manual matches in force (few: a person made each), keyed by subject; a CLP's own CLP01 with it."""
    rows = manual_store.in_force(conn)
    if not rows:
        return {}
    clp_ids = sorted({r.subject_id for r in rows if r.subject == "claim_payment"})
    svc_ids = sorted({r.subject_id for r in rows if r.subject == "service_payment"})
    clp01: dict[tuple[str, int], str] = {}
    for subject, ids, sql in (
            ("claim_payment", clp_ids, "SELECT id, patient_control_number FROM claim_payment WHERE id IN ({})"),
            ("service_payment", svc_ids, "SELECT s.id, c.patient_control_number FROM service_payment s"
                                         " JOIN claim_payment c ON c.id = s.claim_payment_id WHERE s.id IN ({})")):
        for i in range(0, len(ids), 500):
            params = {f"m{j}": v for j, v in enumerate(ids[i:i + 500])}
            for r in conn.execute(text(sql.format(", ".join(":" + k for k in params))), params):
                clp01[(subject, r[0])] = r[1]
    out: dict[tuple[str, int], _Manual] = {}
    for m in rows:
        key = (m.subject, m.subject_id)
        if key not in clp01:
            continue  # the payment is no longer stored
        fact = ManualFact(m.id, m.subject, m.subject_id, m.claim_id, m.claim_line_id, links.get(m.clm01, m.clm01),
                          m.matched_by, m.matched_at, m.note, m.finding_id, clp01[key])
        out[key] = _Manual(fact, clp01[key])
    return out


def account_links(conn: Connection) -> dict[str, str]:
    """Replacement/void CLM01 -> the CLM01 of the claim it names, for 837 claims with CLM05-3 7 or 8 under
    a CLM01 of their own whose REF*F8 is the CLP07 of a payment under exactly one other CLP01. A REF*F8
    that names no stored CLP07, or the CLP07 of several account numbers, links nothing: never a guess."""
    named: dict[str, set[str]] = defaultdict(set)
    for clm01, clp01 in conn.execute(text(
            "SELECT DISTINCT c.patient_control_number, p.patient_control_number FROM claim c"
            " JOIN claim_payment p ON p.payer_claim_control_number = c.original_reference"
            " WHERE c.frequency_code IN ('7', '8') AND c.original_reference IS NOT NULL"
            " AND c.original_reference <> ''")):
        named[clm01].add(clp01)
    direct = {k: next(iter(v)) for k, v in named.items() if len(v) == 1 and k not in v}
    out: dict[str, str] = {}
    for k in direct:
        root, seen = k, {k}
        while root in direct and direct[root] not in seen:  # a replacement of a replacement
            root = direct[root]
            seen.add(root)
        if root != k:
            out[k] = root
    return out


def _account_keys(conn: Connection, only: Sequence[str] | None, facts: StoreFacts) -> list[str]:
    """The account roots to read: a linked CLM01 (a replacement under a new number) is read with its root."""
    if only is not None:
        return sorted({facts.root(k) for k in only})
    return [r[0] for r in conn.execute(text(
        "SELECT k FROM (SELECT patient_control_number AS k FROM claim"
        f" UNION SELECT patient_control_number FROM claim_payment WHERE {_POSTED}"
        " UNION SELECT patient_control_number FROM patient_payment) u ORDER BY k")) if r[0] not in facts.account_links]


def account_roots(conn: Connection, facts: StoreFacts) -> list[str]:
    """Every account's root CLM01, in the order a whole-store `iter_accounts` reads them."""
    return _account_keys(conn, None, facts)


def _where(keys: list[str], column: str, explicit: bool) -> tuple[str, dict[str, str]]:
    if explicit:
        params = {f"k{j}": v for j, v in enumerate(keys)}
        return f"{column} IN ({', '.join(':' + k for k in params)})", params
    return f"{column} BETWEEN :lo AND :hi", {"lo": keys[0], "hi": keys[-1]}


def iter_accounts(conn: Connection, facts: StoreFacts, only: Sequence[str] | None = None,
                  chunk: int = CHUNK, progress: Callable[[int, int], None] | None = None) -> Iterator[Account]:
    """Every account (or only those CLM01s), with its facts, one at a time; `progress(done, total)`
    after each chunk (and once before the first) for a caller's progress bar."""
    keys = _account_keys(conn, facts=facts, only=only)
    for start in range(0, len(keys), chunk):
        if progress is not None:
            progress(start, len(keys))
        part = keys[start:start + chunk]
        yield from _load_chunk(conn, facts, part, only is not None)
    if progress is not None:
        progress(len(keys), len(keys))


def _load_chunk(conn: Connection, facts: StoreFacts, keys: list[str], explicit: bool) -> Iterator[Account]:
    accounts: dict[str, Account] = {}  # in the order the rows name them, as before links existed
    roots = set(keys)
    _load_rows(conn, facts, keys, explicit, roots, accounts)
    # One pass over the links per chunk, not one per root (facts.members): a store with many
    # replacements under new CLM01s would otherwise cost accounts x links.
    linked = sorted(k for k, root in facts.account_links.items() if root in roots)
    if linked:  # replacements under a new CLM01: read by name, into their root's account
        _load_rows(conn, facts, linked, True, roots, accounts)
    if facts.manual:
        _load_moved(conn, facts, roots, accounts)
    for account in accounts.values():
        account.clps.sort(key=lambda c: c.order_key)
        account.refunds.sort(key=lambda r: (r.paid_on, r.id))
        refs = {c.clp07 for c in account.clps if c.clp07}
        for ref in sorted(refs):
            account.plbs.extend(facts.plbs_by_reference.get(ref, ()))
        yield account


def _load_rows(conn: Connection, facts: StoreFacts, keys: list[str], explicit: bool, roots: set[str],
               accounts: dict[str, Account]) -> None:
    """Read the rows of CLM01s `keys` into `accounts` (by root, one of `roots`); a linked CLM01 met in a
    BETWEEN range is skipped here and read by name with its root."""

    links = facts.account_links

    def acct(k: str) -> Account | None:
        if links:  # most stores link nothing: no lookups per row then
            if k in links and not explicit:
                return None
            root = links.get(k, k)
        else:
            root = k
        if root not in roots:
            return None
        a = accounts.get(root)
        if a is None:
            a = accounts[root] = Account(root)
        return a

    where, params = _where(keys, "c.patient_control_number", explicit)
    new_claims: dict[int, ClaimFact] = {}
    for r in conn.execute(text(
            "SELECT c.id, c.source_file_id, c.segment, c.byte_offset, c.patient_control_number, c.payer_id, c.charge,"
            " c.frequency_code, c.original_reference, c.subscriber_member_id, c.patient_last_name,"
            " c.patient_first_name, c.patient_birth_date, c.statement_from, c.statement_to,"
            # Only a void's sending date is read: the day its credit arose (rules/voided_claim.py).
            " CASE WHEN c.frequency_code = '8' THEN (SELECT t.group_date FROM transaction_set t"
            " WHERE t.id = c.transaction_set_id) END FROM claim c"
            f" WHERE {where} ORDER BY c.id"), params).fetchall():
        claim = ClaimFact(r[0], r[1], r[2], r[3], r[4], facts.canonical(r[5]), r[6], r[7] or "", (r[8] or "").strip(),
                          (r[9] or "").strip(), ((r[10] or "").upper(), (r[11] or "").upper(), str(r[12] or "")),
                          _d(r[13]), _d(r[14]), sent_on=_d(r[15]))
        owner = acct(claim.clm01)
        if owner is None:
            continue
        new_claims[claim.id] = claim
        owner.claims.append(claim)
    for claim_id in rejected_claim_ids(conn, where, params, facts.canonical) if new_claims else ():
        if claim_id in new_claims:
            new_claims[claim_id].rejected = True
    for r in conn.execute(text(
            "SELECT l.id, l.claim_id, l.source_file_id, l.segment, l.byte_offset, l.line_number,"
            " l.procedure_qualifier, l.procedure_code, l.modifiers, l.revenue_code, l.charge, l.units,"
            " l.service_date_from, l.service_date_to, l.line_control_number"
            f" FROM claim_line l JOIN claim c ON c.id = l.claim_id WHERE {where} ORDER BY l.claim_id, l.line_number"),
            params).fetchall():
        if r[1] not in new_claims:
            continue
        new_claims[r[1]].lines.append(LineFact(r[0], r[1], r[2], r[3], r[4], r[5], r[6] or "", r[7] or "", r[8] or "",
                                           r[9] or "", r[10], _q(r[11]), _d(r[12]), _d(r[13]) or _d(r[12]),
                                           (r[14] or "").strip()))
    where, params = _where(keys, "c.patient_control_number", explicit)

    def owner_of(clp: ClpFact) -> Account | None:
        moved = facts.manual_for("claim_payment", clp.id)
        if moved is not None and moved.root != links.get(clp.clp01, clp.clp01):
            return None  # matched by hand to a claim of another account: read there (_load_chunk)
        return acct(clp.clp01)

    _load_payments(conn, facts, where, params, owner_of)
    where, params = _where(keys, "p.patient_control_number", explicit)
    for r in conn.execute(text(
            "SELECT p.id, p.source_file_id, p.segment, p.patient_control_number, p.payment_date, p.amount, p.reference"
            f" FROM patient_payment p WHERE {where} ORDER BY p.id"), params).fetchall():
        owner = acct(r[3])
        if owner is not None:
            owner.patient_payments.append(PatientPaymentFact(r[0], r[1], r[2], r[3], _d(r[4]) or date.min, r[5],
                                                             r[6] or ""))
    # The provider's refunds, on the account of the finding they repaid (a finding's CLM01 is its
    # account's root). A patient's or an offset credit's refund goes to the patient.
    where, params = _where(keys, "f.patient_control_number", explicit)
    for r in conn.execute(text(
            "SELECT r.id, r.finding_id, f.category, f.refund_to, f.payer_id, r.method, r.number, r.amount,"
            " r.paid_on, f.patient_control_number FROM refund r JOIN finding f ON f.id = r.finding_id"
            # A check that came back or was never cashed repaid nothing: the credit is the provider's again.
            f" WHERE {where} AND r.returned_on IS NULL ORDER BY r.id"), params).fetchall():
        owner = acct(r[9])
        if owner is not None:
            party = facts.canonical(r[4]) if r[3] == "payer" else "patient"
            owner.refunds.append(RefundFact(r[0], r[1], r[2], party, r[5], r[6], r[7], _d(r[8]) or date.min))


def _load_moved(conn: Connection, facts: StoreFacts, roots: set[str], accounts: dict[str, Account]) -> None:
    """The payments matched by hand to a claim of one of `roots` whose own CLP01 is another account's."""
    moved = sorted(m.subject_id for m in facts.manual.values() if m.subject == "claim_payment" and m.root in roots)
    if not moved:
        return

    def into(clp: ClpFact) -> Account | None:
        m = facts.manual_for("claim_payment", clp.id)
        if m is None or m.root == facts.root(clp.clp01):
            return None  # its own account: read there already
        a = accounts.get(m.root)
        if a is None:
            a = accounts[m.root] = Account(m.root)
        return a

    for i in range(0, len(moved), 500):
        params: dict[str, object] = {f"m{j}": v for j, v in enumerate(moved[i:i + 500])}
        _load_payments(conn, facts, f"c.id IN ({', '.join(':' + k for k in params)})", params, into)


def _load_payments(conn: Connection, facts: StoreFacts, where: str, params: Mapping[str, object],
                   owner_of: Callable[[ClpFact], Account | None]) -> None:
    """Read the claim payments of `where` (on claim_payment c) with their SVCs and CAS into the account
    `owner_of` names for each (None: not this read's)."""
    new_clps: dict[int, ClpFact] = {}
    for r in conn.execute(text(
            "SELECT c.id, c.payment_id, c.source_file_id, c.segment, c.byte_offset, c.patient_control_number,"
            " c.status_code, c.charge, c.paid, c.patient_responsibility, c.filing_indicator,"
            " c.payer_claim_control_number, c.insured_member_id, c.patient_member_id, c.statement_from,"
            f" c.statement_to FROM claim_payment c WHERE {where} ORDER BY c.id"), params).fetchall():
        payment = facts.payments.get(r[1])
        if payment is None:
            continue  # a held remittance's claim
        clp = ClpFact(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10] or "", (r[11] or "").strip(),
                      (r[12] or r[13] or "").strip(), _d(r[14]), _d(r[15]),
                      payment.payer_id if payment else "", payment)
        owner = owner_of(clp)
        if owner is None:
            continue
        new_clps[clp.id] = clp
        owner.clps.append(clp)
    svcs: dict[int, SvcFact] = {}
    for r in conn.execute(text(
            "SELECT s.id, s.claim_payment_id, s.source_file_id, s.segment, s.byte_offset, s.procedure_qualifier,"
            " s.procedure_code, s.modifiers, s.charge, s.paid, s.revenue_code, s.units, s.submitted_procedure_code,"
            " s.submitted_modifiers, s.original_units, s.service_date_from, s.service_date_to,"
            " s.line_control_number, s.allowed FROM service_payment s"
            f" JOIN claim_payment c ON c.id = s.claim_payment_id WHERE {where} ORDER BY s.claim_payment_id, s.segment"),
            params).fetchall():
        if r[1] not in new_clps:
            continue
        svc = SvcFact(r[0], r[2], r[3], r[4], r[5] or "", r[6] or "", r[7] or "", r[8], r[9], r[10] or "", _q(r[11]),
                      r[12] or "", r[13] or "", _q(r[14]), _d(r[15]), _d(r[16]) or _d(r[15]), (r[17] or "").strip(),
                      r[18])
        svcs[svc.id] = svc
        new_clps[r[1]].services.append(svc)
    for r in conn.execute(text(
            "SELECT a.id, a.claim_payment_id, a.service_payment_id, a.source_file_id, a.segment, a.byte_offset,"
            " a.group_code, a.reason_code, a.amount FROM adjustment a"
            f" JOIN claim_payment c ON c.id = a.claim_payment_id WHERE {where} ORDER BY a.id"), params).fetchall():
        if r[1] not in new_clps or (r[2] is not None and r[2] not in svcs):
            continue
        cas = CasFact(r[0], r[3], r[4], r[5], r[6], r[7], r[8])
        (svcs[r[2]].adjustments if r[2] is not None else new_clps[r[1]].adjustments).append(cas)


@dataclass(frozen=True, slots=True)
class PaymentTotals:
    """One 835 transaction's BPR02/BPR03 and the sums of its CLP04 and PLB amounts, in cents."""

    payment_id: int
    bpr02: int
    credit_debit: str | None  # BPR03
    sum_clp04: int
    sum_plb: int


def payment_totals(conn: Connection) -> list[PaymentTotals]:
    """Every posted 835 payment (not a held one) with the totals the transaction balancing check needs."""
    rows = conn.execute(text(
        "SELECT p.id, p.amount, p.credit_debit,"
        " (SELECT COALESCE(SUM(c.paid), 0) FROM claim_payment c WHERE c.payment_id = p.id),"
        " (SELECT COALESCE(SUM(a.amount), 0) FROM provider_adjustment a WHERE a.payment_id = p.id) FROM payment p"
        " WHERE p.conflict_of IS NULL"))
    # PostgreSQL sums BIGINT as NUMERIC, hence int().
    return [PaymentTotals(pid, bpr02, cd, int(clp_sum), int(plb_sum)) for pid, bpr02, cd, clp_sum, plb_sum in rows]


def claim_payments_on(conn: Connection, facts: StoreFacts, payment_ids: Iterable[int]) -> dict[int, list[ClpFact]]:
    """The CLPs (without their SVCs and CAS) of some posted 835 payments: payment id -> CLPs in segment order.
    For a provider-level fact (a forwarding balance, PLB FB) that names a check, not a claim."""
    wanted = sorted({pid for pid in payment_ids if pid in facts.payments})
    out: dict[int, list[ClpFact]] = defaultdict(list)
    for i in range(0, len(wanted), 500):
        params = {f"p{j}": v for j, v in enumerate(wanted[i:i + 500])}
        for r in conn.execute(text(
                "SELECT c.id, c.payment_id, c.source_file_id, c.segment, c.byte_offset, c.patient_control_number,"
                " c.status_code, c.charge, c.paid, c.patient_responsibility, c.filing_indicator,"
                " c.payer_claim_control_number, c.insured_member_id, c.patient_member_id, c.statement_from,"
                f" c.statement_to FROM claim_payment c WHERE c.payment_id IN ({', '.join(':' + k for k in params)})"
                " ORDER BY c.payment_id, c.segment"), params):
            payment = facts.payments[r[1]]
            out[r[1]].append(ClpFact(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10] or "",
                                     (r[11] or "").strip(), (r[12] or r[13] or "").strip(), _d(r[14]), _d(r[15]),
                                     payment.payer_id, payment))
    return dict(out)


@dataclass(frozen=True, slots=True)
class RemittanceSide:
    """One side of a remittance conflict: an 835 payment with its file, envelope and totals, in cents."""

    payment_id: int
    file: str
    segment: int  # the BPR
    offset: int
    isa13: str
    st02: str
    payer_id: str  # as stored (N1*PR N104, else REF*2U, else TRN03)
    trace_number: str  # TRN02
    amount: int  # BPR02
    credit_debit: str  # BPR03
    payment_date: date | None  # BPR16
    claims: int  # CLPs
    sum_clp04: int


def remittance_conflicts(conn: Connection) -> list[tuple[RemittanceSide, RemittanceSide]]:
    """Each held remittance (payment.conflict_of) with the posted one it disagrees with: (held, posted)."""
    rows = conn.execute(text(
        "SELECT p.id, f.name, p.segment, p.byte_offset, i.control_number, t.control_number, p.payer_id,"
        " p.trace_number, p.amount, p.credit_debit, p.payment_date, p.conflict_of,"
        " (SELECT count(*) FROM claim_payment c WHERE c.payment_id = p.id),"
        " (SELECT COALESCE(SUM(c.paid), 0) FROM claim_payment c WHERE c.payment_id = p.id)"
        " FROM payment p JOIN source_file f ON f.id = p.source_file_id"
        " JOIN transaction_set t ON t.id = p.transaction_set_id LEFT JOIN interchange i ON i.id = t.interchange_id"
        " WHERE p.id IN (SELECT conflict_of FROM payment WHERE conflict_of IS NOT NULL)"
        " OR p.conflict_of IS NOT NULL ORDER BY p.id")).all()
    sides = {r[0]: (RemittanceSide(r[0], r[1], r[2], r[3], r[4] or "", r[5] or "", r[6] or "", r[7] or "", r[8],
                                   r[9] or "", _d(r[10]), int(r[12]), int(r[13])), r[11]) for r in rows}
    return [(side, sides[first][0]) for side, first in sides.values() if first is not None and first in sides]


def file_names(conn: Connection) -> dict[int, str]:
    """source_file id -> the path it was ingested from."""
    return {r[0]: r[1] for r in conn.execute(text("SELECT id, name FROM source_file"))}


# ---- evidence: stored file contents ---------------------------------------------------------------

_SC = tables.source_content
_SF = tables.source_file


def file_ids_named(conn: Connection, name: str) -> list[int]:
    """Ingested files stored under this name (path as given), newest first; a drop folder reuses names."""
    return [r[0] for r in conn.execute(select(_SF.c.id).where(_SF.c.name == name, _SF.c.status == "ingested")
                                       .order_by(_SF.c.id.desc()))]


class _Chunks:
    """Decompressed chunks of stored files, fetched once each within one read."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.cache: dict[tuple[int, int], bytes] = {}

    def starts(self, file_id: int) -> list[int]:
        return [r[0] for r in self.conn.execute(select(_SC.c.start_offset).where(_SC.c.source_file_id == file_id)
                                                .order_by(_SC.c.start_offset))]

    def get(self, file_id: int, start: int) -> bytes:
        key = (file_id, start)
        if key not in self.cache:
            row = self.conn.execute(select(_SC.c.codec, _SC.c.data).where(
                _SC.c.source_file_id == file_id, _SC.c.start_offset == start)).one()
            self.cache[key] = decompress(row.codec, row.data)
        return self.cache[key]


def _framing(head: bytes) -> tuple[str, str]:
    """(text codec, segment terminator) of a stored X12 file, from its first chunk."""
    head = head[:1 << 17]  # the ISA comes within the first 64 KiB (leading text is skipped up to that)
    body = head.lstrip(b" \t\r\n\x00")
    if head.startswith(codecs.BOM_UTF16_LE) or body.startswith(b"I\x00S\x00A\x00"):
        codec = "utf-16-le"
    elif head.startswith(codecs.BOM_UTF16_BE) or (head[:1] == b"\x00" and b"\x00I\x00S\x00A" in head[:16]):
        codec = "utf-16-be"
    else:
        codec = "latin-1"
    textual = head[:len(head) - len(head) % 2].decode(codec, "replace") if codec != "latin-1" else \
        head.decode(codec)
    isa = textual.find("ISA")
    return codec, textual[isa + 105] if isa >= 0 and len(textual) > isa + 105 else "~"


def segments_at(conn: Connection, positions: Iterable[tuple[int, int]]) -> dict[tuple[int, int], str | None]:
    """The stored segment text at each (file id, byte offset), with its terminator; None for a file whose
    contents the store does not hold (ingested before they were kept) or an offset past its end."""
    chunks = _Chunks(conn)
    starts: dict[int, list[int]] = {}
    out: dict[tuple[int, int], str | None] = {}
    for file_id, offset in positions:
        if file_id not in starts:
            starts[file_id] = chunks.starts(file_id)
        out[(file_id, offset)] = _segment(chunks, file_id, starts[file_id], offset)
    return out


def _segment(chunks: _Chunks, file_id: int, starts: list[int], offset: int) -> str | None:
    if not starts or offset < 0:
        return None
    codec, terminator = _framing(chunks.get(file_id, starts[0]))
    i = max(j for j, s in enumerate(starts) if s <= offset)
    window = chunks.get(file_id, starts[i])[offset - starts[i]:]
    if not window:
        return None
    if i + 1 < len(starts):  # a segment (at most 64 KiB) may run into the next chunk
        window += chunks.get(file_id, starts[i + 1])
    textual = window.decode(codec, "replace")
    end = textual.find(terminator)
    return (textual if end < 0 else textual[:end]).strip() + terminator


class _StoredFile(io.RawIOBase):
    """A stored file's bytes, read chunk by chunk (bounded memory whatever its size)."""

    def __init__(self, chunks: _Chunks, file_id: int, starts: list[int]) -> None:
        super().__init__()
        self.chunks, self.file_id, self.starts = chunks, file_id, starts
        self.next = 0
        self.buffer = b""
        self.pos = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        while self.pos >= len(self.buffer) and self.next < len(self.starts):
            self.buffer, self.pos = self.chunks.get(self.file_id, self.starts[self.next]), 0
            self.chunks.cache.clear()  # one chunk held at a time
            self.next += 1
        n = min(len(b), len(self.buffer) - self.pos)
        b[:n] = self.buffer[self.pos:self.pos + n]
        self.pos += n
        return n


def stored_file(conn: Connection, file_id: int) -> io.BufferedReader | None:
    """The bytes of a stored file as a binary stream, or None when the store does not hold them
    (a file ingested before contents were kept, or an id not stored)."""
    chunks = _Chunks(conn)
    starts = chunks.starts(file_id)
    return io.BufferedReader(_StoredFile(chunks, file_id, starts), CHUNK_BYTES) if starts else None
