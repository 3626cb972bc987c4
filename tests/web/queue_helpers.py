"""Reading the queue page's rows back in tests."""

from __future__ import annotations

import re


def shown_ids(page: str) -> list[int]:
    """The finding ids of the queue's rows, in the page's order."""
    return [int(i) for i in re.findall(r'<td><a href="/findings/(\d+)">#', page)]
