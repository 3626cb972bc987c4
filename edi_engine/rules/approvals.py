"""The approval chain: who must approve a refund, in which order, before its letter and corrected
claim may be written (the rule pack's `[approvals]`, default.toml).

Owns the roles' order (reviewer < approver < admin: a role may take any step a lesser one may), a
chain's steps for a finding's amount (the configured steps, and the extra ones above the amount
threshold), and who may take the next step given the steps already taken (the role, and four eyes:
nobody takes two steps of one finding). The lifecycle (rules/lifecycle.py) still has one APPROVE
decision: every step but the last leaves the finding open, the last moves it to approved. Knows
nothing of the database, HTTP or who is signed in: callers pass the steps taken and the person.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from edi_engine.errors import InputError, UsageError
from edi_engine.money import Cents, from_cents, to_cents

__all__ = ["ROLES", "ApprovalChain", "Progress", "Step", "Taken", "parse_chain", "progress", "role_allows"]

# The review app's roles, least first; cumulative.
ROLES = ("reviewer", "approver", "admin")


def role_allows(role: str | None, need: str) -> bool:
    """`role` may take a step that needs `need`. None is the CLI's operator, who holds the database
    itself and so every role (four eyes still holds by name)."""
    if role is None:
        return True
    return role in ROLES and need in ROLES and ROLES.index(role) >= ROLES.index(need)


@dataclass(frozen=True, slots=True)
class Step:
    """One approval step: its name as people say it ("proposal", "administrator approval") and the
    least role that may take it."""

    name: str
    role: str


@dataclass(frozen=True, slots=True)
class Taken:
    """A step taken on a finding, as the store keeps it (store/approvals.py)."""

    step: int  # 1-based position in the chain
    name: str
    role: str
    actor: str
    note: str = ""


DEFAULT_STEPS = (Step("approval", "approver"),)


@dataclass(frozen=True, slots=True)
class ApprovalChain:
    """[approvals]: the steps every refund takes; above `extra_above` (cents) the `extra_steps` follow."""

    steps: tuple[Step, ...] = DEFAULT_STEPS
    extra_above: Cents | None = None
    extra_steps: tuple[Step, ...] = ()
    four_eyes: bool = True

    def steps_for(self, amount: Decimal) -> tuple[Step, ...]:
        """The steps a refund of `amount` takes, in order: the extra ones only strictly above the threshold."""
        if self.extra_above is not None and to_cents(amount) > self.extra_above:
            return self.steps + self.extra_steps
        return self.steps

    def describe(self) -> str:
        text = " then ".join(f"{s.name} ({s.role})" for s in self.steps)
        if self.extra_above is not None and self.extra_steps:
            text += (f"; above {from_cents(self.extra_above):.2f} also "
                     + " then ".join(f"{s.name} ({s.role})" for s in self.extra_steps))
        return text


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a finding stands in its chain: the steps it takes and those taken (in force) so far."""

    steps: tuple[Step, ...]
    taken: tuple[Taken, ...]
    four_eyes: bool = True

    @property
    def next(self) -> Step | None:
        return self.steps[len(self.taken)] if len(self.taken) < len(self.steps) else None

    @property
    def number(self) -> int:
        """The 1-based number of the next step."""
        return len(self.taken) + 1

    @property
    def last(self) -> bool:
        """The next step is the last: taking it approves the refund."""
        return self.number == len(self.steps)

    @property
    def label(self) -> str:
        step = self.next
        return "" if step is None else f"step {self.number} of {len(self.steps)} ({step.name})"

    def refusal(self, actor: str, role: str | None) -> str | None:
        """Why `actor` (with `role`; None: the CLI's operator) may not take the next step, or None."""
        step = self.next
        if step is None:
            return "every approval step is taken"
        if not role_allows(role, step.role):
            return (f"{self.label} needs the {step.role} role or higher; "
                    f"the {role} role may not take it")
        if self.four_eyes:
            mine = [t for t in self.taken if t.actor.strip().casefold() == actor.strip().casefold()]
            if mine:
                return (f"{actor.strip()} took step {mine[0].step} ({mine[0].name}) of this finding; four eyes: "
                        f"another person takes {self.label}")
        return None


def _steps(raw: Any, where: str) -> tuple[Step, ...]:
    if not isinstance(raw, list):
        raise UsageError(f"rule pack: approvals.{where} is a list of {{ name = \"...\", role = \"...\" }}")
    out = []
    for i, item in enumerate(raw, 1):
        if isinstance(item, str):  # a bare role: the step is named for it
            item = {"name": f"{item} approval", "role": item}
        if not isinstance(item, dict) or set(item) - {"name", "role"} or "role" not in item:
            raise UsageError(f"rule pack: approvals.{where}[{i}] needs a role (and a name): "
                             f"{{ name = \"approval\", role = \"approver\" }}, got {item!r}")
        role, name = str(item["role"]).strip(), str(item.get("name") or f"{item['role']} approval").strip()
        if role not in ROLES:
            raise UsageError(f"rule pack: approvals.{where}[{i}]: role must be one of {', '.join(ROLES)}, got {role!r}")
        if not name or len(name) > 60 or not name.isprintable():
            raise UsageError(f"rule pack: approvals.{where}[{i}]: a step's name is 1 to 60 printable characters")
        out.append(Step(name, role))
    return tuple(out)


def parse_chain(raw: dict[str, Any]) -> ApprovalChain:
    """[approvals] of a rule pack (merged over default.toml's) as a chain; UsageError for a bad one."""
    unknown = set(raw) - {"steps", "extra_above", "extra_steps", "four_eyes"}
    if unknown:
        raise UsageError(f"rule pack: approvals: unknown settings {sorted(unknown)}")
    steps = _steps(raw.get("steps", [{"name": "approval", "role": "approver"}]), "steps")
    if not steps:
        raise UsageError("rule pack: approvals.steps needs at least one step: a refund is approved by someone")
    extra = _steps(raw.get("extra_steps", []), "extra_steps")
    threshold_text = str(raw.get("extra_above", "") or "").strip()
    threshold = None
    if threshold_text:
        try:
            amount = Decimal(threshold_text)
            threshold = to_cents(amount, "approvals.extra_above") if amount.is_finite() else None
        except (ArithmeticError, InputError):
            threshold = None
        if threshold is None or threshold < 0:
            raise UsageError(f"rule pack: approvals.extra_above is an amount such as \"1000.00\", "
                             f"got {threshold_text!r}")
        if not extra:
            raise UsageError("rule pack: approvals.extra_above is set but approvals.extra_steps lists no step")
    four_eyes = raw.get("four_eyes", True)
    if not isinstance(four_eyes, bool):
        raise UsageError(f"rule pack: approvals.four_eyes is true or false, got {four_eyes!r}")
    return ApprovalChain(steps, threshold, extra, four_eyes)


def progress(chain: ApprovalChain, amount: Decimal, taken: Sequence[Taken]) -> Progress:
    """The chain of a finding of `amount` with the steps in force taken so far (the first ones, in order)."""
    steps = chain.steps_for(amount)
    return Progress(steps, tuple(taken)[:len(steps)], chain.four_eyes)
