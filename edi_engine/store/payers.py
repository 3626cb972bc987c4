"""Payers: identity and the office's facts about them, one home.

The 837's 2010BB NM109 is canonical; aliases map other names to it. Owns the payer_alias table,
the 835-side choice of identifier (N1*PR N104, else REF*2U, else TRN03) and the payer table: name,
type, refund address, contact, fax, email and letter preferences, written by `edi-engine payers
import` (the CSV format is store/imports.py's). Aliases are resolved when facts are read (the
ledger calls `alias_map` or joins payer_alias), so an alias added later applies to files already
stored. A payer's name is shown wherever its id is; its type is what detection reads first
(rules/run.py, before the rule pack's [payers] and the CLP06 mapping).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection, Row

from edi_engine.errors import UsageError
from edi_engine.store import tables

__all__ = [
    "LETTER_CHANNELS", "PAYER_TYPES", "Payer", "add_alias", "alias_map", "canonical_payer_id", "list_aliases",
    "list_payers", "payer", "payer_id_835", "payer_names", "payer_types", "remove_alias", "upsert_payers",
]

_T = tables.payer_alias
_P = tables.payer

# The payer types the rule pack knows (rules/default.toml [payer_types], deadlines and MSP rules).
PAYER_TYPES = ("medicare", "medicare_advantage", "medicaid", "commercial", "tricare", "va", "workers_comp")
LETTER_CHANNELS = ("mail", "fax", "email")


@dataclass(frozen=True, slots=True)
class Payer:
    id: str
    name: str
    type: str | None = None
    refund_address: str | None = None  # lines joined by newline
    contact: str | None = None
    fax: str | None = None
    email: str | None = None
    letter_preferences: tuple[str, ...] = ()  # of LETTER_CHANNELS, most preferred first
    aliases: tuple[str, ...] = ()


def _payer(r: Row[Any], aliases: dict[str, list[str]]) -> Payer:
    prefs = tuple(p for p in (r.letter_preferences or "").split(";") if p)
    return Payer(r.id, r.name, r.type, r.refund_address, r.contact, r.fax, r.email, prefs,
                 tuple(sorted(aliases.get(r.id, ()))))


def _aliases_by_payer(conn: Connection) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for alias, payer_id in conn.execute(select(_T.c.alias, _T.c.payer_id)):
        out.setdefault(payer_id, []).append(alias)
    return out


def list_payers(conn: Connection) -> list[Payer]:
    aliases = _aliases_by_payer(conn)
    return [_payer(r, aliases) for r in conn.execute(select(_P).order_by(_P.c.id))]


def payer(conn: Connection, payer_id: str) -> Payer | None:
    """The stored facts of a payer, by its canonical id or an alias of it."""
    row = conn.execute(select(_P).where(_P.c.id == canonical_payer_id(conn, payer_id))).first()
    return _payer(row, _aliases_by_payer(conn)) if row is not None else None


def payer_names(conn: Connection) -> dict[str, str]:
    """Canonical id -> name of every payer imported (an id without a row shows as itself)."""
    return {r.id: r.name for r in conn.execute(select(_P.c.id, _P.c.name))}


def payer_types(conn: Connection) -> dict[str, str]:
    """Canonical id -> type of every payer imported with one."""
    return {r.id: r.type for r in conn.execute(select(_P.c.id, _P.c.type).where(_P.c.type.is_not(None)))}


def upsert_payers(conn: Connection, payers: Sequence[tuple[int, Payer]], source_file_id: int) -> tuple[int, int]:
    """Insert or update each (CSV line, payer) and point its aliases at it: the caller's transaction, so
    a refusal (UsageError naming the line) leaves nothing half-written. Returns (inserted, updated)."""
    inserted = updated = 0
    now = datetime.now(UTC)
    known = {r[0] for r in conn.execute(select(_P.c.id))}
    for line, p in payers:
        values = {"name": p.name, "type": p.type, "refund_address": p.refund_address, "contact": p.contact,
                  "fax": p.fax, "email": p.email, "letter_preferences": ";".join(p.letter_preferences) or None,
                  "source_file_id": source_file_id, "segment": line, "updated_at": now}
        if canonical_payer_id(conn, p.id) != p.id:
            raise UsageError(f"line {line}: id is already an alias of another payer; remove that alias first")
        if p.id in known:
            conn.execute(update(_P).where(_P.c.id == p.id).values(**values))
            updated += 1
        else:
            conn.execute(insert(_P).values(id=p.id, **values))
            known.add(p.id)
            inserted += 1
        for alias in p.aliases:
            if alias in known:
                raise UsageError(f"line {line}: aliases: {alias!r} is the id of a payer of its own")
            current = conn.execute(select(_T.c.payer_id).where(_T.c.alias == alias)).scalar()
            if current is not None and current != p.id:  # the file says whose alias it is now
                remove_alias(conn, alias)
            try:
                add_alias(conn, alias, p.id)
            except UsageError as exc:
                raise UsageError(f"line {line}: aliases: {exc}") from None
    return inserted, updated


def payer_id_835(n1_pr_n104: str | None, ref_2u: str | None, trn03: str | None) -> str | None:
    """The 835 payer's identifier, in the guide's order of preference."""
    for value in (n1_pr_n104, ref_2u, trn03):
        if value and value.strip():
            return value.strip()
    return None


def alias_map(conn: Connection) -> dict[str, str]:
    return {row.alias: row.payer_id for row in conn.execute(select(_T.c.alias, _T.c.payer_id))}


def canonical_payer_id(conn: Connection, payer_id: str) -> str:
    found = conn.execute(select(_T.c.payer_id).where(_T.c.alias == payer_id)).scalar()
    return found or payer_id


def add_alias(conn: Connection, alias: str, payer_id: str) -> str:
    """Map `alias` to the canonical `payer_id` (itself resolved, so chains never form). Returns the target."""
    alias, payer_id = alias.strip(), payer_id.strip()
    if not alias or not payer_id:
        raise UsageError("an alias and a payer id must both be non-empty")
    target = canonical_payer_id(conn, payer_id)
    if target == alias:
        raise UsageError(f"{alias!r} cannot be an alias of itself")
    if conn.execute(select(_T.c.alias).where(_T.c.payer_id == alias).limit(1)).first():
        raise UsageError(f"{alias!r} is already the canonical id of other aliases; remove those first")
    current = conn.execute(select(_T.c.payer_id).where(_T.c.alias == alias)).scalar()
    if current == target:
        return target
    if current is not None:
        raise UsageError(f"{alias!r} is already an alias of {current!r}; remove it first")
    conn.execute(insert(_T).values(alias=alias, payer_id=target, created_at=datetime.now(UTC)))
    return target


def remove_alias(conn: Connection, alias: str) -> bool:
    return conn.execute(delete(_T).where(_T.c.alias == alias.strip())).rowcount > 0


def list_aliases(conn: Connection) -> list[tuple[str, str]]:
    query = select(_T.c.alias, _T.c.payer_id).order_by(_T.c.payer_id, _T.c.alias)
    return [(r.alias, r.payer_id) for r in conn.execute(query)]
