"""Payer identity: the 837's 2010BB NM109 is canonical; aliases map other names to it.

Owns the payer_alias table and the 835-side choice of identifier (N1*PR N104, else REF*2U,
else TRN03). Aliases are resolved when facts are read (the ledger calls `alias_map` or joins
payer_alias), so an alias added later applies to files already stored.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection

from edi_engine.errors import UsageError
from edi_engine.store import tables

__all__ = ["add_alias", "alias_map", "canonical_payer_id", "list_aliases", "payer_id_835", "remove_alias"]

_T = tables.payer_alias


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
