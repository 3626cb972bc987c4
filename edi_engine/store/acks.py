"""Acknowledgments in the store: TA1, 999 and 277CA verdicts written at ingest, and read back per claim.

Owns the `acknowledgment` rows and the link from a verdict to the 837 claims it answers, which is
resolved when claims are read, not at ingest: a 277CA may be ingested before its 837, and a
corrected claim sent later must not inherit an older rejection.

How a verdict finds its claims:
  TA1: TA101 = ISA13 of the claim's 837 interchange, the parties swapped; TA104 R rejects every
      claim of it (the interchange was not processed).
  999 (X231A1): AK102 = GS06 of the claim's 837 group (numeric: leading zeros ignored), AK202 =
      its ST02, and the parties swapped (the 999's ISA06/ISA08 are the 837's ISA08/ISA06, or its
      GS02/GS03 the 837's GS03/GS02). An AK2 loop answers every claim of that set; an AK9 with no
      AK2 for the set answers the whole group.
  277CA (X214): 2200D TRN02 = CLM01 (X12 RFI 1926), STC04 = CLM02 when given, and the payer
      (2100A NM109, through payer aliases) when it names one the claims were billed to; of the
      claims left, the latest sent on or before the acknowledgment's date (a claim sent after it
      is a later submission the verdict cannot be about).
The latest verdict for a claim decides (by acknowledgment date, a 277CA after a 999 of the same
day, then file and segment): `rejected` means the claim is not a receivable and never matches a
payment (ledger/matching.py).

Knows nothing of matching or findings. Messages carry no values from the files.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, inspect, text
from sqlalchemy.engine import Connection

from edi_engine.parsers import TransactionEnd, TransactionInfo, TransactionStart
from edi_engine.parsers.x214_277ca import ClaimAckHeader277, ClaimStatus277, StatusLevel277
from edi_engine.parsers.x231a1_999 import AckHeader999, AckTrailer999, InterchangeAck, SetAck999
from edi_engine.store import tables

__all__ = [
    "ACK_KINDS", "AckWriter", "ClaimAck", "UnacknowledgedClaim", "claim_acknowledgments", "is_ack",
    "unacknowledged_claims",
]

ACK_KINDS = frozenset({"TA1", "999", "277", "277CA"})
_T = tables.acknowledgment
_AckItem = InterchangeAck | SetAck999 | ClaimStatus277 | StatusLevel277


def is_ack(item: object) -> bool:
    """A TA1, 999 or 277CA verdict among the parse items: AckWriter.add takes it."""
    return isinstance(item, _AckItem)


def _control(value: str | None) -> str:
    """GS06/AK102 are numeric (N0): 000123 and 123 are the same group."""
    return (value or "").strip().lstrip("0")


class AckWriter:
    """Buffers one file's acknowledgment rows; `add` takes what it owns and says so."""

    def __init__(self, conn: Connection, file_id: int) -> None:
        self.conn, self.file_id = conn, file_id
        self.rows: list[dict[str, Any]] = []
        self.count = 0
        self.kinds: set[str] = set()
        self._header: AckHeader999 | ClaimAckHeader277 | None = None
        self._info: TransactionInfo | None = None

    def _row(self, info: TransactionInfo, set_id: int | None, item: Any, kind: str, level: str, disposition: str,
             code: str, details: str, ack_date: date | None, **link: Any) -> None:
        self.kinds.add(kind)
        self.count += 1
        self.rows.append({
            "source_file_id": self.file_id, "transaction_set_id": set_id, "segment": item.segment,
            "byte_offset": item.offset, "kind": kind, "level": level, "disposition": disposition, "code": code,
            "detail_codes": details, "sender_id": info.interchange_sender, "receiver_id": info.interchange_receiver,
            "group_sender_id": info.group_sender, "group_receiver_id": info.group_receiver, "ack_date": ack_date,
            "acknowledged_interchange_control": None, "acknowledged_group_control": None,
            "acknowledged_set_type": None, "acknowledged_set_control": None, "patient_control_number": None,
            "charge": None, "payer_claim_control_number": None, "payer_id": None, "trace_number": None, **link})

    def add(self, set_id: int, item: object) -> bool:
        """Record `item` if it is an acknowledgment fact. A TransactionStart/End is only looked at
        (the caller still stores the set); True means the caller must not handle `item`."""
        if isinstance(item, TransactionStart):
            self._info = item.info
            self._header = item.header if isinstance(item.header, (AckHeader999, ClaimAckHeader277)) else None
            return False
        if isinstance(item, TransactionEnd):
            trailer, header = item.trailer, self._header
            if isinstance(trailer, AckTrailer999) and isinstance(header, AckHeader999) and trailer.code:
                self._row(item.info, set_id, trailer, "999", "group", trailer.disposition, trailer.code,
                          " ".join(trailer.codes), item.info.group_date or item.info.interchange_date,
                          acknowledged_group_control=_control(header.group_control))
            self._header = None
            return False
        if not isinstance(item, _AckItem):
            return False
        self._ack(set_id, item)
        return True

    def _ack(self, set_id: int, item: _AckItem) -> None:
        if isinstance(item, InterchangeAck):
            self._row(item.info, None, item, "TA1", "interchange", item.disposition, item.code, item.note,
                      item.info.interchange_date, acknowledged_interchange_control=item.control_number)
            return
        info = self._info
        assert info is not None  # split_transactions yields a set's TransactionStart before its items
        if isinstance(item, SetAck999):
            header = self._header if isinstance(self._header, AckHeader999) else AckHeader999()
            codes = list(item.codes) + [f"{e.segment_id}:{e.position}:{e.code}" for e in item.errors]
            self._row(info, set_id, item, "999", "transaction_set", item.disposition, item.code, " ".join(codes),
                      info.group_date or info.interchange_date,
                      acknowledged_group_control=_control(header.group_control),
                      acknowledged_set_type=item.set_id or None, acknowledged_set_control=item.control_number or None)
            return
        bht = self._header.date if isinstance(self._header, ClaimAckHeader277) else None
        when = item.processed or next((s.effective_date for s in item.statuses if s.effective_date), None) or bht
        deciding = next((s.category for s in item.statuses if s.disposition == item.disposition), "")
        details = " ".join(f"{s.category}:{s.status}:{s.entity}" for s in item.statuses)
        payer = item.payer.id if item.payer is not None and item.payer.id else None
        if isinstance(item, StatusLevel277):
            self._row(info, set_id, item, "277CA", item.level, item.disposition, deciding, details, when,
                      payer_id=payer, trace_number=item.trace or None)
            return
        charge: Decimal | None = item.charge
        self._row(info, set_id, item, "277CA", "claim", item.disposition, deciding, details, when,
                  patient_control_number=item.patient_control_number or None, charge=charge,
                  payer_claim_control_number=item.payer_claim_control_number or None, payer_id=payer)

    def flush(self) -> None:
        if self.rows:
            self.conn.execute(insert(_T), self.rows)
            self.rows = []


@dataclass(frozen=True, slots=True)
class ClaimAck:
    """The verdict that decides a claim: its acknowledgment row, kind, level and date."""

    claim_id: int
    ack_id: int
    kind: str  # TA1, 999 or 277CA
    level: str
    disposition: str
    code: str
    ack_date: date | None
    file_id: int
    segment: int


def _day(value: object) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


_SENT = "COALESCE(t.group_date, i.interchange_date)"


def claim_acknowledgments(conn: Connection, where: str, params: dict[str, Any],
                          canonical: Callable[[str | None], str] | None = None) -> dict[int, ClaimAck]:
    """The deciding verdict of each claim `where` selects (a condition on the claim aliased `c`).

    A database not yet upgraded to the acknowledgment schema has none (detect still runs on it).
    """
    if not inspect(conn).has_table("acknowledgment"):
        return {}
    canon = canonical or (lambda v: (v or "").strip())
    found: dict[int, list[ClaimAck]] = defaultdict(list)
    group_level: dict[int, list[ClaimAck]] = defaultdict(list)
    for r in conn.execute(text(
            "SELECT c.id, a.id, a.level, a.disposition, a.code, a.ack_date, a.source_file_id, a.segment FROM claim c"
            " JOIN transaction_set t ON t.id = c.transaction_set_id"
            " LEFT JOIN interchange i ON i.id = t.interchange_id"
            " JOIN acknowledgment a ON a.kind = '999'"
            " AND a.acknowledged_group_control = LTRIM(t.group_control_number, '0')"
            " AND (a.level = 'group' OR (a.level = 'transaction_set' AND a.acknowledged_set_control = t.control_number"
            " AND (a.acknowledged_set_type IS NULL OR a.acknowledged_set_type = '837')))"
            f" WHERE ({where}) AND ((a.sender_id = i.receiver_id AND a.receiver_id = i.sender_id)"
            " OR (a.group_sender_id = t.group_receiver_id AND a.group_receiver_id = t.group_sender_id))"), params):
        ack = ClaimAck(r[0], r[1], "999", r[2], r[3], r[4], _day(r[5]), r[6], r[7])
        (group_level if r[2] == "group" else found)[r[0]].append(ack)
    for claim_id, acks in group_level.items():
        if claim_id not in found:
            found[claim_id].extend(acks)
    for r in conn.execute(text(
            "SELECT c.id, a.id, a.level, a.disposition, a.code, a.ack_date, a.source_file_id, a.segment FROM claim c"
            " JOIN transaction_set t ON t.id = c.transaction_set_id"
            " JOIN interchange i ON i.id = t.interchange_id"
            " JOIN acknowledgment a ON a.kind = 'TA1' AND a.acknowledged_interchange_control = i.control_number"
            " AND a.sender_id = i.receiver_id AND a.receiver_id = i.sender_id"
            f" WHERE {where}"), params):
        if r[3] == "rejected" or r[0] not in found:  # a TA1 only decides when it rejects, or nothing else spoke
            found[r[0]].append(ClaimAck(r[0], r[1], "TA1", r[2], r[3], r[4], _day(r[5]), r[6], r[7]))
    candidates: dict[int, list[tuple[int, date | None]]] = defaultdict(list)
    acks_277: dict[int, Any] = {}
    for r in conn.execute(text(
            f"SELECT c.id, c.charge, c.payer_id, {_SENT}, a.id, a.level, a.disposition, a.code, a.ack_date,"
            " a.source_file_id, a.segment, a.charge, a.payer_id FROM claim c"
            " JOIN transaction_set t ON t.id = c.transaction_set_id"
            " LEFT JOIN interchange i ON i.id = t.interchange_id"
            " JOIN acknowledgment a ON a.kind = '277CA' AND a.level = 'claim'"
            " AND a.patient_control_number = c.patient_control_number"
            f" WHERE {where}"), params):
        if r[11] is not None and r[11] != r[1]:
            continue  # STC04 is not this claim's CLM02: another claim under the same CLM01
        acks_277[r[4]] = r
        candidates[r[4]].append((r[0], _day(r[3])))
    payers: dict[int, str] = {}
    if acks_277:
        ids = sorted({c for cands in candidates.values() for c, _ in cands})
        for start in range(0, len(ids), 500):
            part = {f"c{j}": v for j, v in enumerate(ids[start:start + 500])}
            for claim_id, payer in conn.execute(text(
                    f"SELECT id, payer_id FROM claim WHERE id IN ({', '.join(':' + k for k in part)})"), part):
                payers[claim_id] = canon(payer)
    for ack_id, cands in candidates.items():
        r = acks_277[ack_id]
        ack_date = _day(r[8])
        payer = canon(r[12]) if r[12] else ""
        same_payer = [c for c in cands if payer and payers.get(c[0]) == payer]
        pool = same_payer or cands  # a 277CA may name its payer by another id (a TIN) than the 837 did
        before = [c for c in pool if ack_date is None or c[1] is None or c[1] <= ack_date]
        if not before:
            continue
        claim_id = max(before, key=lambda c: (c[1] or date.min, c[0]))[0]
        found[claim_id].append(ClaimAck(claim_id, ack_id, "277CA", r[5], r[6], r[7], ack_date, r[9], r[10]))
    rank = {"TA1": 0, "999": 1, "277CA": 2}  # on the same day the later stage of the answer wins
    sent_again = _latest_resubmission(conn, where, params)
    decided: dict[int, ClaimAck] = {}
    for claim_id, acks in found.items():
        verdict = max(acks, key=lambda a: (a.ack_date or date.min, rank[a.kind], a.file_id, a.segment))
        again = sent_again.get(claim_id)
        if again is not None and verdict.ack_date is not None and again > verdict.ack_date:
            continue  # sent again unchanged after this verdict: it waits for the answer to that submission
        decided[claim_id] = verdict
    return decided


def _latest_resubmission(conn: Connection, where: str, params: dict[str, Any]) -> dict[int, date]:
    """Claim id -> the date its latest unchanged resubmission (claim_submission) was sent."""
    if not inspect(conn).has_table("claim_submission"):
        return {}
    found: dict[int, date] = {}
    for claim_id, sent in conn.execute(text(
            f"SELECT s.claim_id, MAX({_SENT}) FROM claim_submission s JOIN claim c ON c.id = s.claim_id"
            " JOIN transaction_set t ON t.id = s.transaction_set_id"
            " LEFT JOIN interchange i ON i.id = t.interchange_id"
            f" WHERE {where} GROUP BY s.claim_id"), params):
        day = _day(sent)
        if day is not None:
            found[claim_id] = day
    return found


@dataclass(frozen=True, slots=True)
class UnacknowledgedClaim:
    claim_id: int
    patient_control_number: str  # CLM01
    payer_id: str
    charge: int  # cents
    sent: date | None
    days: int
    set_acknowledgment: str  # the 999 verdict on its set: accepted, or '' when none


def unacknowledged_claims(conn: Connection, as_of: date, days: int,
                          canonical: Callable[[str | None], str] | None = None,
                          chunk: int = 2000) -> list[UnacknowledgedClaim]:
    """Claims sent `days` or more before `as_of` with no claim verdict yet: no 277CA claim status and
    no rejecting 999. A claim accepted only by a 999 is listed (its batch arrived; the payer has not
    said whether it took the claim)."""
    if canonical is None:
        aliases = {a.strip(): p.strip() for a, p in conn.execute(text("SELECT alias, payer_id FROM payer_alias"))}
        canonical = lambda v: aliases.get((v or "").strip(), (v or "").strip())  # noqa: E731
    cutoff = as_of - timedelta(days=days)
    rows = conn.execute(text(
        f"SELECT c.id, c.patient_control_number, c.payer_id, c.charge, {_SENT}, f.received_at FROM claim c"
        " JOIN transaction_set t ON t.id = c.transaction_set_id"
        " LEFT JOIN interchange i ON i.id = t.interchange_id"
        " JOIN source_file f ON f.id = c.source_file_id ORDER BY c.patient_control_number, c.id")).fetchall()
    out: list[UnacknowledgedClaim] = []
    for start in range(0, len(rows), chunk):
        part = rows[start:start + chunk]
        due = [r for r in part if (_day(r[4]) or _day(r[5]) or as_of) <= cutoff]
        if not due:
            continue
        params = {f"k{j}": r[0] for j, r in enumerate(due)}
        verdicts = claim_acknowledgments(conn, f"c.id IN ({', '.join(':' + k for k in params)})", params, canonical)
        for r in due:
            v = verdicts.get(r[0])
            if v is not None and (v.kind == "277CA" or v.disposition == "rejected"):
                continue
            sent = _day(r[4]) or _day(r[5])
            out.append(UnacknowledgedClaim(r[0], r[1], (r[2] or "").strip(), r[3], sent,
                                           (as_of - sent).days if sent else 0,
                                           v.disposition if v is not None else ""))
    return out


def rejected_claim_ids(conn: Connection, where: str, params: dict[str, Any],
                       canonical: Callable[[str | None], str] | None = None) -> Sequence[int]:
    """Claims `where` selects whose deciding verdict rejects them."""
    return sorted(cid for cid, a in claim_acknowledgments(conn, where, params, canonical).items()
                  if a.disposition == "rejected")
