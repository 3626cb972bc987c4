"""The registry of finding categories: for each, its detect function and everything the other
layers need to know of it -- who is owed, the letter's wording, the CMS-838 reason, the correction
it proposes, the credit that caps it.

Owns the one place a category is named. The detect run, the rule pack, letters, reports,
corrected claims, the CLI and the review pages read this registry; none of them names a
category. A name not registered is an error (UsageError), never a default: a payer refund must
not silently get the patient's wording. Adding a category is one module with a `detect` of the
`Detect` signature, one `register(Category(...))` (here for the built-in ones), one scenario pack.

Allocation: a credit is reported once. The categories with a `pool` are capped, in registry
order, by that pool of the account's credit (ledger.credit: the payers' credit or the patient's),
so findings never add up to more than the credit balance. Knows nothing of X12 bytes or HTML.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from edi_engine.errors import UsageError
from edi_engine.ledger import AccountView, StoreFacts
from edi_engine.rules import (
    cob_overpayment,
    cob_secondary_allowable,
    deposit_without_era,
    double_recovery,
    duplicate_payment,
    era_without_deposit,
    msp_overpayment,
    patient_overpayment,
    payer_overpayment,
    pending_recoupment,
    remittance_conflict,
    unbalanced_remittance,
    unmatched_payment,
    voided_claim,
)
from edi_engine.rules.candidate import Candidate

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from edi_engine.rules.pack import RulePack

__all__ = ["Category", "Cms838", "Correction", "Detect", "Letter", "Owed", "Pool", "StoreDetect", "all_categories",
           "get", "names", "refund_names", "register", "registered", "unregister"]

# One account's candidates; the rule pack carries the category's settings (tolerances, CARC sets).
Detect = Callable[[AccountView, StoreFacts, "RulePack"], list[Candidate]]
# Candidates tied to no account (a PLB with no claim, an 835 transaction); full runs only.
StoreDetect = Callable[["Connection", StoreFacts, "RulePack"], list[Candidate]]


class Owed(StrEnum):
    """Who the credit is owed to: who the letter goes to."""

    PAYER = "payer"
    PATIENT = "patient"
    PROVIDER = "provider"  # the payer owes the provider: the letter asks the payer to return money
    NONE = "none"  # not a refund: a data-quality or application finding


class Correction(StrEnum):
    """The corrected 837 a finding proposes (CLM05-3 frequency 7 replaces, 8 voids)."""

    REPLACE = "replace"
    VOID = "void"  # of the adjudication paid again (the 835 CLP07 it names)
    NONE = "none"


class Pool(StrEnum):
    """The part of the account's credit (ledger.credit) that caps a category's findings."""

    PAYER = "payer"
    PATIENT = "patient"


@dataclass(frozen=True, slots=True)
class Letter:
    """The refund letter's wording. `reason` is a str.format text: payer letters get payer_name,
    amount and allowed; patient notices get share, paid and amount (all already formatted)."""

    carc: str  # the CARC the letter cites first; "" when no CARC says it (a provider's own void)
    reason: str


@dataclass(frozen=True, slots=True)
class Cms838:
    """The Medicare credit balance report's line (CMS-838 instructions: reason 1 duplicate, 2 MSP /
    other insurer primary, 3 other). `explanation` is a str.format text over the evidence's keys;
    empty: the evidence summary."""

    reason: str
    explanation: str = ""


@dataclass(frozen=True, slots=True)
class Category:
    name: str
    detect: Detect
    owed: Owed
    refund: bool  # a refund is owed (letters, credit-balance reports, deadlines); else unapplied or data quality
    letter: Letter | None  # required for a refund
    cms838: Cms838 | None  # on the Medicare credit balance report
    correction: Correction
    pool: Pool | None  # capped by this credit, in registry order; None: not capped (not a credit)
    detect_store: StoreDetect | None = None

    @property
    def label(self) -> str:
        return self.name.replace("_", " ")

    @property
    def letter_to(self) -> str:
        """Who a refund letter goes to: the patient notice for a patient credit, else the payer letter."""
        return "patient" if self.owed is Owed.PATIENT else "payer"

    def __post_init__(self) -> None:
        if self.refund and (self.letter is None or self.owed is Owed.NONE):
            raise UsageError(f"category {self.name}: a refund needs a letter and someone it is owed to")


_REGISTRY: dict[str, Category] = {}


def register(category: Category) -> Category:
    if category.name in _REGISTRY:
        raise UsageError(f"category {category.name} is already registered")
    _REGISTRY[category.name] = category
    return category


def unregister(name: str) -> None:
    get(name)
    del _REGISTRY[name]


@contextmanager
def registered(category: Category) -> Iterator[Category]:
    """The category registered for the block, and gone after it (tests, throwaway categories)."""
    register(category)
    try:
        yield category
    finally:
        _REGISTRY.pop(category.name, None)


def get(name: str) -> Category:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UsageError(f"unknown finding category {name!r}; known: {', '.join(_REGISTRY)}") from None


def names() -> tuple[str, ...]:
    return tuple(_REGISTRY)


def all_categories() -> tuple[Category, ...]:
    return tuple(_REGISTRY.values())


def refund_names() -> tuple[str, ...]:
    return tuple(c.name for c in _REGISTRY.values() if c.refund)


# -- the built-in categories, in allocation order -------------------------------------------------
# A deferred recoupment first: the payer has already said it takes that money back (a negative PLB
# WO/FB after re-adjudicating downward, domain.md 4.6), so it is no void, duplicate or COB credit to
# refund as well. Then a voided claim: the void makes every payment on it owed back, so nothing of
# its credit is left to call a duplicate, an overpayment or a patient overpayment.

def _orphan_plbs(conn: Connection, facts: StoreFacts, pack: RulePack) -> list[Candidate]:
    return unmatched_payment.orphan_plbs(facts)


def _remittance_conflicts(conn: Connection, facts: StoreFacts, pack: RulePack) -> list[Candidate]:
    return remittance_conflict.conflicts(conn, facts)


def _unbalanced_transactions(conn: Connection, facts: StoreFacts, pack: RulePack) -> list[Candidate]:
    return unbalanced_remittance.transactions(conn, facts, pack.balancing_tolerance)


def _forwarded_balances(conn: Connection, facts: StoreFacts, pack: RulePack) -> list[Candidate]:
    return pending_recoupment.forwarded_balances(conn, facts)


# Owed to the payer but no refund: the payer recoups it itself (no letter, deadline or "approve
# refund"); capped by the payers' credit like any money the account holds for a payer.
register(Category(
    pending_recoupment.CATEGORY, pending_recoupment.detect, Owed.PAYER, False, None, None, Correction.NONE,
    Pool.PAYER, _forwarded_balances))
register(Category(
    voided_claim.CATEGORY, voided_claim.detect, Owed.PAYER, True,
    Letter("", "We voided this claim (837 claim frequency 8, referencing your claim number). {payer_name} paid "
               "{amount} on a claim that should not have been billed; the payment is returned."),
    Cms838("3", "claim voided by the provider (frequency 8), ICN {voided_icn}"), Correction.NONE, Pool.PAYER))
register(Category(
    voided_claim.PATIENT_CATEGORY, voided_claim.detect_patient, Owed.PATIENT, True,
    Letter("", "The claim for these services was withdrawn (voided), so you owe nothing for it. You paid "
               "{paid}; the {amount} is returned to you."),
    Cms838("3", "claim voided by the provider (frequency 8), ICN {voided_icn}; beneficiary payment"),
    Correction.NONE, Pool.PATIENT))
register(Category(
    duplicate_payment.CATEGORY, duplicate_payment.detect, Owed.PAYER, True,
    Letter("18", "{payer_name} paid this claim more than once for the same services. The later payment of "
                 "{amount} duplicates the earlier one and is returned."),
    Cms838("1"), Correction.VOID, Pool.PAYER))
register(Category(
    payer_overpayment.CATEGORY, payer_overpayment.detect, Owed.PAYER, True,
    Letter("45", "{payer_name} paid more for these services than it owed under the allowed amount less the "
                 "patient's share; the excess of {amount} is returned."),
    Cms838("3"), Correction.NONE, Pool.PAYER))
register(Category(
    msp_overpayment.CATEGORY, msp_overpayment.detect, Owed.PAYER, True,
    Letter("22", "{payer_name} paid these services as primary payer, and an insurer that is primary to Medicare "
                 "paid them as primary too. Under the Medicare Secondary Payer rules (42 CFR 411.33, 489.20(h)) "
                 "Medicare's payment less what Medicare owes as secondary payer, {amount}, is returned; the "
                 "primary insurer's explanation of benefits is enclosed."),
    Cms838("2", "primary payer {primary_payer}"), Correction.NONE, Pool.PAYER))
register(Category(
    cob_overpayment.CATEGORY, cob_overpayment.detect, Owed.PAYER, True,
    Letter("22", "The payments of all insurers together exceed the amount allowed by the primary insurer "
                 "({allowed}). Under coordination of benefits the excess of {amount} paid by {payer_name} is "
                 "returned."),
    Cms838("2", "primary payer {primary_payer}"), Correction.NONE, Pool.PAYER))
# Within a listed secondary's own allowed (NAIC COB): a review flag, no refund; capped after the COB
# refund it is carved out of, so together they are never more than the payers' credit.
register(Category(
    cob_secondary_allowable.CATEGORY, cob_secondary_allowable.detect, Owed.NONE, False, None, None,
    Correction.NONE, Pool.PAYER))
register(Category(
    patient_overpayment.CATEGORY, patient_overpayment.detect, Owed.PATIENT, True,
    Letter("A0", "Your share of these charges, after your insurance paid, is {share}. You paid {paid}, so you "
                 "paid {amount} more than you owe."),
    Cms838("3"), Correction.NONE, Pool.PATIENT))
register(Category(
    unmatched_payment.CATEGORY, unmatched_payment.detect, Owed.NONE, False, None, None, Correction.NONE, None,
    _orphan_plbs))
register(Category(
    unbalanced_remittance.CATEGORY, unbalanced_remittance.detect, Owed.NONE, False, None, None, Correction.NONE,
    None, _unbalanced_transactions))
# The provider is owed: a payer recouped what the provider had already refunded. Not a credit
# (no pool, no deadline, no CMS-838 line), not a refund the provider makes.
register(Category(
    double_recovery.CATEGORY, double_recovery.detect, Owed.PROVIDER, False,
    Letter("", "We refunded {payer_name}'s overpayment of this claim by our own check, which {payer_name} "
               "received; {payer_name} then recouped the same overpayment again from a later remittance "
               "(provider-level adjustment). The {amount} recovered twice is owed back to us: please return "
               "it or reverse the recoupment."),
    None, Correction.NONE, None))
# Bank deposits (rules/reassociation.py runs them store-wide in a full detect run): unapplied cash,
# owed to nobody.
register(Category(
    era_without_deposit.CATEGORY, era_without_deposit.detect, Owed.NONE, False, None, None, Correction.NONE, None))
register(Category(
    deposit_without_era.CATEGORY, deposit_without_era.detect, Owed.NONE, False, None, None, Correction.NONE, None))
register(Category(
    remittance_conflict.CATEGORY, remittance_conflict.detect, Owed.NONE, False, None, None, Correction.NONE,
    None, _remittance_conflicts))
