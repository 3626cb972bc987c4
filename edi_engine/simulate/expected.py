"""Ground-truth findings of a scenario pack, and the expected.json format.

expected.json is one JSON object (UTF-8, two-space indent, keys sorted, newline at the end):

    {
      "format": 1,
      "generator": {"seed": 11, "claims": 6, "scenario": "duplicate_payment"},
      "findings": [
        {"amount": "86.40", "category": "duplicate_payment", "claim_id": "PCN0000001",
         "line": null, "note": "paid again on check ... (CLP07 ...)", "payer_id": "AHP01",
         "refund_to": "payer", "status": "open"}
      ]
    }

Only "findings" is required. Each finding has:

- category: duplicate_payment | payer_overpayment | cob_overpayment | patient_overpayment |
  unmatched_payment | era_without_deposit | deposit_without_era | remittance_conflict |
  msp_overpayment | pending_recoupment | cob_secondary_allowable | voided_claim_paid |
  voided_claim_patient_paid | double_recovery (unbalanced_remittance is never generated: every
  generated 835 balances; remittance_conflict, cob_secondary_allowable and a pending_recoupment
  forwarded by PLB FB only in hand-made packs);
- claim_id: CLM01 (= CLP01; for unmatched_payment the CLP01 that matches no claim); "" for the
  deposit findings, remittance_conflict and a forwarded balance (pending_recoupment under a PLB FB
  identifier that is no CLP07), which concern a payment, a deposit or a remittance, not a
  claim;
- payer_id: the canonical payer id (837 2010BB NM109; an 835 alias is mapped through
  payer_aliases.csv); for a patient_overpayment, the payer of the claim's primary coverage;
- amount: a string with exactly two decimals;
- refund_to: payer | patient | offset, or null for a finding that is no refund (unmatched_payment,
  unbalanced_remittance, the deposit findings, remittance_conflict, pending_recoupment,
  cob_secondary_allowable, double_recovery: unapplied cash, data quality, a remittance held for
  review, money the payer takes back itself, a payment a contract may allow, or money the payer owes
  the provider; "none" in `Finding.refund_to`; "" reads as null);
- status: open | resolved (resolved: a later remittance recovered the credit) | refunded (the
  provider's own check in the pack's refunds.csv repaid it);
- line (optional, not compared): REF*6R of the line, else its LX number, for line-level findings;
- note (optional, not compared): why the generator expects it.

Two findings are the same finding when (category, claim_id, payer_id, amount, refund_to,
status) are equal: `Finding.key`. `compare(expected, actual)` matches on that key as a multiset.
The list is sorted by key, then line, so a regenerated pack is byte-identical.
Knows nothing of the engine: `Finding.from_mapping` reads any object carrying these keys
(e.g. one element of `edi-engine findings --format json`), ignoring the others.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from edi_engine.errors import InputError, Position

__all__ = [
    "CATEGORIES",
    "Comparison",
    "ExpectedPack",
    "FORMAT_VERSION",
    "Finding",
    "NOT_A_REFUND",
    "REFUND_TO",
    "STATUSES",
    "compare",
    "dump_expected",
    "dumps_expected",
    "load_expected",
]

FORMAT_VERSION = 1
CATEGORIES = ("duplicate_payment", "payer_overpayment", "cob_overpayment", "patient_overpayment",
              "voided_claim_paid", "voided_claim_patient_paid", "unmatched_payment", "unbalanced_remittance",
              "era_without_deposit", "deposit_without_era", "remittance_conflict", "msp_overpayment", "double_recovery",
              "pending_recoupment", "cob_secondary_allowable")
NOT_A_REFUND = "none"  # expected.json's null: the finding is owed to no one (yet)
REFUND_TO = ("payer", "patient", "offset", NOT_A_REFUND)
STATUSES = ("open", "resolved", "approved", "refunded")  # the last two: a pack that records refunds
_CENT = Decimal("0.01")

Key = tuple[str, str, str, str, str, str]


def _amount_text(value: object) -> str:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r}") from None
    return str(amount.quantize(_CENT))


@dataclass(frozen=True, slots=True)
class Finding:
    category: str
    claim_id: str
    payer_id: str
    amount: str  # two decimals
    refund_to: str
    status: str = "open"
    line: str | None = field(default=None, compare=False)
    note: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", _amount_text(self.amount))
        if self.category not in CATEGORIES:
            raise ValueError(f"unknown category {self.category!r}")
        if self.refund_to not in REFUND_TO:
            raise ValueError(f"unknown refund_to {self.refund_to!r}")
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}")

    @property
    def key(self) -> Key:
        return (self.category, self.claim_id, self.payer_id, self.amount, self.refund_to, self.status)

    @property
    def decimal_amount(self) -> Decimal:
        return Decimal(self.amount)

    def to_json(self) -> dict[str, Any]:
        return {"category": self.category, "claim_id": self.claim_id, "payer_id": self.payer_id,
                "amount": self.amount, "refund_to": None if self.refund_to == NOT_A_REFUND else self.refund_to,
                "status": self.status,
                "line": self.line, "note": self.note}

    @classmethod
    def from_mapping(cls, obj: Mapping[str, Any]) -> Finding:
        line = obj.get("line")
        return cls(str(obj["category"]), str(obj["claim_id"] or ""), str(obj.get("payer_id") or ""),
                   str(obj["amount"]), str(obj["refund_to"] or NOT_A_REFUND), str(obj.get("status", "open")),
                   None if line is None else str(line), str(obj.get("note", "") or ""))


def _sort_key(f: Finding) -> tuple[Key, str]:
    return f.key, f.line or ""


@dataclass(frozen=True, slots=True)
class ExpectedPack:
    findings: tuple[Finding, ...]
    generator: Mapping[str, Any] = field(default_factory=dict)


def dumps_expected(findings: Iterable[Finding], generator: Mapping[str, Any] | None = None) -> str:
    doc: dict[str, Any] = {"format": FORMAT_VERSION,
                           "findings": [f.to_json() for f in sorted(findings, key=_sort_key)]}
    if generator:
        doc["generator"] = dict(generator)
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def dump_expected(findings: Iterable[Finding], path: str | Path,
                  generator: Mapping[str, Any] | None = None) -> None:
    Path(path).write_text(dumps_expected(findings, generator), encoding="utf-8")


def load_expected(path: str | Path) -> ExpectedPack:
    """Read expected.json; a missing key or unknown value is an InputError naming the finding."""
    name = str(path)
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read expected findings: {exc}", Position(name)) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("findings"), list):
        raise InputError("expected.json must be an object with a 'findings' list", Position(name))
    findings = []
    for i, obj in enumerate(doc["findings"]):
        try:
            findings.append(Finding.from_mapping(obj))
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"finding {i}: {exc}", Position(name)) from None
    generator = doc.get("generator")
    return ExpectedPack(tuple(sorted(findings, key=_sort_key)), generator if isinstance(generator, dict) else {})


@dataclass(frozen=True, slots=True)
class Comparison:
    missing: tuple[Finding, ...]  # expected, not found
    unexpected: tuple[Finding, ...]  # found, not expected

    @property
    def ok(self) -> bool:
        return not self.missing and not self.unexpected


def compare(expected: Iterable[Finding], actual: Iterable[Finding]) -> Comparison:
    """Multiset difference on Finding.key, both ways."""
    exp = sorted(expected, key=_sort_key)
    act = sorted(actual, key=_sort_key)
    exp_count = Counter(f.key for f in exp)
    act_count = Counter(f.key for f in act)
    missing: list[Finding] = []
    unexpected: list[Finding] = []
    seen: Counter[Key] = Counter()
    for f in exp:
        seen[f.key] += 1
        if seen[f.key] > act_count[f.key]:
            missing.append(f)
    seen.clear()
    for f in act:
        seen[f.key] += 1
        if seen[f.key] > exp_count[f.key]:
            unexpected.append(f)
    return Comparison(tuple(missing), tuple(unexpected))
