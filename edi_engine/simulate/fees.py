"""Contracts: each payer's allowed amount per procedure, modifier and year, and the provider's charges.

Owns the fee-schedule rule the generator pays by and documents for the engine:

- `allowed_amount` in fee_schedule.csv is per unit; a line's contracted allowed amount is
  `allowed_amount x units` (SV104 / SV205), rounded to cents half-up;
- the row used is the one of the line's payer (canonical 837 id) and procedure code whose
  `modifier` equals one of the line's modifiers, else the row with modifier '' (any modifier);
- among those, the row whose `effective_from`..`effective_to` (inclusive) holds the service date.

Each payer has one row set per calendar year (the next year's fees are 3% higher). Payers with
`fee_schedule_exported` False still pay by a contract, but their rows stay out of the CSV.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from edi_engine.simulate.catalog import CODES, INSTITUTIONAL_CODES, INSTITUTIONAL_FEES
from edi_engine.simulate.model import Line, Payer, money

__all__ = ["FeeRow", "FeeSchedule", "Chargemaster", "FEE_SCHEDULE_COLUMNS"]

FEE_SCHEDULE_COLUMNS = ("payer_id", "procedure_code", "modifier", "allowed_amount", "effective_from", "effective_to")
_PC_SHARE = Decimal("0.36")  # professional component (modifier 26) share of the global fee
_YEARLY_RAISE = Decimal("1.03")


@dataclass(frozen=True, slots=True)
class FeeRow:
    payer_id: str
    procedure_code: str
    modifier: str
    allowed_amount: Decimal  # per unit
    effective_from: date
    effective_to: date


class FeeSchedule:
    """Every payer's contract, for the years the world spans."""

    def __init__(self, payers: Iterable[Payer], factors: dict[str, Decimal], years: range,
                 rng: random.Random) -> None:
        self._rows: dict[tuple[str, str, str, int], FeeRow] = {}
        self._exported: list[FeeRow] = []
        base: dict[str, Decimal] = {c.code: c.base_fee for c in CODES}
        base.update(INSTITUTIONAL_FEES)
        professional = {c.code for c in CODES if c.professional_component}
        for payer in payers:
            for code in sorted(base):
                # A per-code wobble around the payer's factor, fixed for the world.
                fee = money(base[code] * factors[payer.payer_id] * Decimal(rng.randint(95, 105)) / 100)
                for year in years:
                    modifiers = [""] + (["26"] if code in professional else [])
                    for modifier in modifiers:
                        amount = fee if modifier == "" else money(fee * _PC_SHARE)
                        row = FeeRow(payer.payer_id, code, modifier, amount, date(year, 1, 1), date(year, 12, 31))
                        self._rows[(payer.payer_id, code, modifier, year)] = row
                        if payer.fee_schedule_exported:
                            self._exported.append(row)
                    fee = money(fee * _YEARLY_RAISE)

    def unit_fee(self, payer_id: str, line: Line) -> Decimal:
        year = line.service_date.year
        for modifier in line.modifiers:
            row = self._rows.get((payer_id, line.procedure, modifier, year))
            if row is not None:
                return row.allowed_amount
        return self._rows[(payer_id, line.procedure, "", year)].allowed_amount

    def allowed(self, payer_id: str, line: Line) -> Decimal:
        """The contracted allowed amount of a line: unit fee x units."""
        return money(self.unit_fee(payer_id, line) * line.units)

    @property
    def exported_rows(self) -> list[FeeRow]:
        return self._exported

    def to_csv(self) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(FEE_SCHEDULE_COLUMNS)
        for r in self._exported:
            writer.writerow((r.payer_id, r.procedure_code, r.modifier, f"{r.allowed_amount:.2f}",
                             r.effective_from.isoformat(), r.effective_to.isoformat()))
        return out.getvalue().encode("utf-8")


class Chargemaster:
    """The provider's price list: per unit, whole dollars, well above any contract."""

    def __init__(self, rng: random.Random) -> None:
        base: dict[str, Decimal] = {c.code: c.base_fee for c in CODES}
        base.update(INSTITUTIONAL_FEES)
        self._price: dict[str, Decimal] = {}
        for code in sorted(base):
            # 1.9x-3.0x the base fee: above the richest contract (1.5 x 1.05 x 1.03^years).
            price = (base[code] * Decimal(rng.randint(190, 300)) / 100).quantize(Decimal("1"))
            self._price[code] = max(price, Decimal("5")) + Decimal("0.00")
        self._institutional = {hcpcs: rev for rev, hcpcs in INSTITUTIONAL_CODES}

    def charge(self, code: str, modifiers: tuple[str, ...], units: Decimal) -> Decimal:
        price = self._price[code]
        if "26" in modifiers:
            price = money(price * Decimal("0.40"))
        return money(price * units)
