"""The frame every signed-in page shares (who is signed in, the CSRF token, today's date, a
one-line message) and small value helpers for the page modules. No Flask here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from edi_engine.money import format_amount
from edi_engine.rules.lifecycle import ON_BOOKS
from edi_engine.web.auth import ACTIONS, SessionInfo, allowed

__all__ = ["Chrome", "NEAR_DAYS", "chrome_for", "money", "urgency"]

NEAR_DAYS = 30  # a deadline this close (or past) makes a finding stand out


@dataclass(frozen=True, slots=True)
class Chrome:
    username: str
    role: str
    csrf_token: str
    today: date
    permissions: frozenset[str]
    message: str = ""
    active: str = ""  # the navigation entry of this page

    def can(self, action: str) -> bool:
        return action in self.permissions


def chrome_for(session: SessionInfo, today: date, *, message: str = "", active: str = "") -> Chrome:
    perms = frozenset(a for a in ACTIONS if allowed(session.user.role, a))
    return Chrome(session.user.username, session.user.role, session.csrf_token, today, perms, message, active)


def money(value: Decimal | None) -> str:
    return "" if value is None else format_amount(value)


def urgency(deadline: date | None, today: date, status: str) -> str:
    """'past' or 'near' for an undecided finding whose deadline is gone or within NEAR_DAYS, else ''."""
    if deadline is None or status not in ON_BOOKS:
        return ""
    days = (deadline - today).days
    return "past" if days < 0 else "near" if days <= NEAR_DAYS else ""
