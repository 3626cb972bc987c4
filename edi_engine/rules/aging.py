"""The one aging of credit balances: by the day the credit arose (finding.arose_on, else the day it
was identified), in the rule pack's buckets (`[aging] buckets`, default 0-30, 31-60, 61-90, 90+).

The dashboard, `report credit-balances`, `findings list` and the exports all bucket through here,
so they agree to the cent (tests/rules/test_aging.py compares them). Knows nothing of the store.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from edi_engine.rules.pack import RulePack

__all__ = ["AgingBucket", "age_in_days", "aging", "bucket_index", "bucket_labels", "credit_date"]


def credit_date(arose_on: date | None, identified_on: date) -> date:
    """The day a credit is aged from: when its money arrived, else when it was found."""
    return arose_on or identified_on


def age_in_days(arose_on: date | None, identified_on: date, as_of: date) -> int:
    """Days since the credit arose; a credit dated after `as_of` is 0 days old."""
    return max(0, (as_of - credit_date(arose_on, identified_on)).days)


def bucket_labels(pack: RulePack) -> tuple[str, ...]:
    ends = pack.aging_buckets
    labels = [f"0-{ends[0]}"] + [f"{low + 1}-{high}" for low, high in zip(ends, ends[1:], strict=False)]
    return (*labels, f"{ends[-1]}+")


def bucket_index(pack: RulePack, age: int) -> int:
    for i, end in enumerate(pack.aging_buckets):
        if age <= end:
            return i
    return len(pack.aging_buckets)


@dataclass(frozen=True, slots=True)
class AgingBucket:
    label: str
    count: int
    amount: Decimal


def aging(pack: RulePack, credits: Iterable[tuple[date | None, date, Decimal]], as_of: date) -> tuple[AgingBucket, ...]:
    """Bucket (arose_on, identified_on, amount) triples: one row per bucket, in order, zeros kept."""
    labels = bucket_labels(pack)
    counts = [0] * len(labels)
    amounts = [Decimal("0.00")] * len(labels)
    for arose, identified, amount in credits:
        i = bucket_index(pack, age_in_days(arose, identified, as_of))
        counts[i] += 1
        amounts[i] += amount
    return tuple(AgingBucket(label, counts[i], amounts[i]) for i, label in enumerate(labels))
