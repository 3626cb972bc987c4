"""What the app accepts from a URL or a form before any route reads it: the `next` target of a
sign-in, the status messages a redirect may ask for, path ids the database can hold, and text a
database can store. No Flask here beyond werkzeug's converter base class; app.py installs these.

A redirect target is judged the way a browser will read it (WHATWG URL parsing strips tabs and
newlines anywhere, leading and trailing C0 controls and spaces, and reads a backslash as a slash),
after percent-decoding, so `/%09/evil.example` or `/\\evil.example` cannot become `//evil.example`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

from werkzeug.routing import IntegerConverter, Map

from edi_engine.rules.lifecycle import DECISION_NAMES

__all__ = ["DEFAULT_NEXT", "MAX_ID", "MESSAGES", "BoundedIntConverter", "bad_text", "message_for", "recorded_key",
           "safe_next"]

DEFAULT_NEXT = "/findings"
MAX_ID = 2**31 - 1  # PostgreSQL INTEGER; a larger id names nothing, so it is a 404, not a database error
_STRIPPED = re.compile(r"[\t\n\r]")  # what a browser's URL parser removes anywhere in a URL
_C0_AND_SPACE = "".join(chr(c) for c in range(0x21))

# The status lines a redirect may ask the next page to show, by key: `?msg=` carries a key, never
# text, so a link cannot make the app say anything it would not say itself.
MESSAGES: dict[str, str] = {
    "dismiss-needs-reason": "A dismissal needs a reason.",
    "note-empty": "The note is empty.",
    "note-added": "Note added.",
    "proposal-recorded": "Proposal recorded.",
    "investigation-started": "Investigation recorded: the Medicare deadline is suspended (180 days at most).",
    "investigation-ended": "Investigation ended: the 60 days run again from today.",
    "investigation-needs-note": "Say what the investigation looks into.",
    "user-added": "User added.",
    "user-disabled": "User disabled.",
    "password-changed": "Password changed; your other sessions were signed out.",
    **{f"recorded-{d}": f"Recorded: {d.replace('-', ' ')}." for d in DECISION_NAMES},
    "recorded-partial-refund": "Recorded: a partial refund; the rest is still outstanding.",
    "payment-matched": "Matched by hand: the next detect run posts the payment to that claim.",
    "payment-unmatched": "Manual match undone: the next detect run reads the payment as unmatched again.",
    "match-needs-note": "A manual match needs a note saying why.",
    "match-needs-claim": "Pick the claim the payment belongs to.",
    "recorded-step": "Recorded: your approval step; the refund waits for its next step.",
}


def recorded_key(decision: str) -> str:
    """The message key of a recorded lifecycle decision."""
    return f"recorded-{decision}"


def message_for(key: str) -> str:
    """The text of a known message key; '' for anything else (unknown keys are ignored, not echoed)."""
    return MESSAGES.get(key, "")


def _decoded(text: str) -> str:
    for _ in range(4):  # double- and triple-encoding included
        once = unquote(text)
        if once == text:
            break
        text = once
    return text


def _browser_view(text: str) -> str:
    return _STRIPPED.sub("", text).strip(_C0_AND_SPACE).replace("\\", "/")


def _same_site_path(text: str) -> bool:
    if not text.startswith("/") or text.startswith("//"):
        return False
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        return False
    parts = urlsplit(text)
    return not parts.scheme and not parts.netloc


def safe_next(target: str, default: str = DEFAULT_NEXT) -> str:
    """`target` as a same-site path (tabs and newlines removed, as a browser would), else `default`."""
    cleaned = _STRIPPED.sub("", target).strip(_C0_AND_SPACE)
    if "\\" in cleaned or len(cleaned) > 2000:
        return default
    if not (_same_site_path(cleaned) and _same_site_path(_browser_view(_decoded(cleaned)))):
        return default
    return cleaned


def bad_text(values: Iterable[str]) -> bool:
    """Any value holding a NUL, which no database text column (PostgreSQL's least of all) can store."""
    return any("\x00" in v for v in values)


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` limited to what an INTEGER id column holds: a larger number is a 404, not a 500."""

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None, max: int | None = None,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=MAX_ID if max is None else max, signed=signed)
