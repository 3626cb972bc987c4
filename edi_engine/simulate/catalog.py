"""Fixed reference data of the simulated world: procedure codes, payers, providers, names.

Owns the tables only (no randomness, no X12). Fees are per unit, in the spirit of a national
physician fee schedule; every payer's contract is a multiple of them (see fees.py). Names,
identifiers and addresses are invented; NPIs carry a valid check digit.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

__all__ = [
    "CODES",
    "PAYERS_COLUMNS",
    "FIRST_NAMES",
    "INSTITUTIONAL_CODES",
    "LAST_NAMES",
    "PAYER_TABLE",
    "PROVIDER_TABLE",
    "PayerRow",
    "payers_rows",
    "ProcedureCode",
    "STREETS",
    "TOWNS",
    "npi_with_check_digit",
]


@dataclass(frozen=True, slots=True)
class ProcedureCode:
    code: str
    base_fee: Decimal  # per unit
    kind: str  # em (evaluation/management), proc, lab, rad, therapy, drug, vaccine
    max_units: int = 1
    side: bool = False  # takes RT/LT
    professional_component: bool = False  # has a modifier-26 fee row


def _c(code: str, fee: str, kind: str, max_units: int = 1, side: bool = False, pc: bool = False) -> ProcedureCode:
    return ProcedureCode(code, Decimal(fee), kind, max_units, side, pc)


CODES: tuple[ProcedureCode, ...] = (
    _c("99202", "74.80", "em"), _c("99203", "114.60", "em"), _c("99204", "171.20", "em"),
    _c("99212", "57.30", "em"), _c("99213", "91.90", "em"), _c("99214", "130.10", "em"),
    _c("99215", "183.20", "em"), _c("99396", "121.40", "em"), _c("G0439", "131.60", "em"),
    _c("36415", "3.00", "lab"), _c("80053", "10.56", "lab"), _c("85025", "7.77", "lab"),
    _c("81002", "3.48", "lab"), _c("83036", "9.71", "lab"),
    _c("93000", "16.95", "proc"), _c("20610", "61.80", "proc", side=True), _c("11102", "94.30", "proc"),
    _c("17110", "119.80", "proc"), _c("96372", "14.10", "proc"), _c("90471", "16.90", "vaccine"),
    _c("90686", "19.20", "vaccine"),
    _c("71046", "29.80", "rad", pc=True), _c("73610", "32.40", "rad", side=True, pc=True),
    _c("72100", "36.20", "rad", pc=True),
    _c("97110", "28.70", "therapy", max_units=4), _c("97140", "26.90", "therapy", max_units=3),
    _c("J1885", "0.38", "drug", max_units=8), _c("J3301", "1.62", "drug", max_units=6),
)

# Outpatient hospital lines: (revenue code, HCPCS) pairs, fees from CODES scaled in fees.py.
INSTITUTIONAL_CODES: tuple[tuple[str, str], ...] = (
    ("0450", "99284"), ("0300", "80053"), ("0305", "85025"), ("0320", "71046"), ("0636", "J1885"),
    ("0730", "93000"), ("0510", "99213"), ("0420", "97110"),
)
INSTITUTIONAL_FEES: dict[str, Decimal] = {"99284": Decimal("285.40")}


@dataclass(frozen=True, slots=True)
class PayerRow:
    payer_id: str
    name: str
    payer_type: str
    filing_indicator: str  # 837 SBR09
    remit_filing_indicator: str  # 835 CLP06
    remit_id: str
    tin: str
    fee_factor: Decimal
    weight: int  # relative share of primary coverage
    sends_allowed: bool = True
    fee_schedule_exported: bool = True
    pays_by_eft: bool = True
    institutional: bool = False  # takes 837I (Medicare Part A style)
    professional: bool = True


PAYER_TABLE: tuple[PayerRow, ...] = (
    PayerRow("MCRB1", "MEDICARE PART B JURISDICTION Z", "medicare", "MB", "MB", "MCRB1", "936000101",
             Decimal("1.00"), 22),
    PayerRow("MCRA1", "MEDICARE PART A JURISDICTION Z", "medicare", "MA", "MA", "MCRA1", "936000102",
             Decimal("1.00"), 0, institutional=True, professional=False),
    PayerRow("SKMCD", "STATE MEDICAID PROGRAM", "medicaid", "MC", "MC", "SKMCD", "936000103",
             Decimal("0.72"), 10, sends_allowed=False),
    PayerRow("AHP01", "ACME HEALTH PLAN", "commercial", "CI", "15", "AHP01", "951000201",
             Decimal("1.35"), 18, institutional=True),
    PayerRow("NSB02", "NORTHSTAR BLUE", "commercial", "BL", "12", "NSB02", "951000202",
             Decimal("1.28"), 16, institutional=True),
    PayerRow("CVH03", "CLEARVIEW HMO", "commercial", "HM", "HM", "CVH03", "951000203",
             Decimal("1.18"), 10, pays_by_eft=False),
    # An aliased payer: 837 NM109 "PPN04", 835 N1*PR N104 "PPN835" (payer_aliases.csv maps them).
    PayerRow("PPN04", "PINNACLE PPO NETWORK", "commercial", "12", "12", "PPN835", "951000204",
             Decimal("1.42"), 10),
    # No contract on file: the engine has only its stated allowed (AMT*B6) to go by.
    PayerRow("HWT05", "HEARTWOOD TRUST BENEFITS", "commercial", "CI", "15", "HWT05", "951000205",
             Decimal("1.50"), 6, fee_schedule_exported=False, pays_by_eft=False),
)


PAYERS_COLUMNS = ("id", "name", "type", "refund_address", "contact", "fax", "email", "letter_preferences", "aliases")


def payers_rows() -> list[tuple[str, ...]]:
    """PAYER_TABLE as `edi-engine payers import` reads it: a made-up refund desk for each payer (555 numbers,
    example.com addresses), the 835 id as an alias where it differs from the 837's."""
    rows: list[tuple[str, ...]] = []
    for n, p in enumerate(PAYER_TABLE, 1):
        medicare = p.payer_type == "medicare"
        desk = "OVERPAYMENT RECOVERY UNIT" if medicare else "REFUND DEPARTMENT"
        address = f"ATTN {desk}|PO BOX {40000 + 17 * n}|SPRINGFIELD IL 627{n:02d}-{n:04d}"
        rows.append((p.payer_id, p.name, p.payer_type, address, f"Provider refunds, (217) 555-01{n:02d}",
                     f"(217) 555-02{n:02d}", "" if medicare else f"refunds@{p.payer_id.lower()}.example.com",
                     "mail" if medicare else "mail;fax", p.remit_id if p.remit_id != p.payer_id else ""))
    return rows


def npi_with_check_digit(nine: str) -> str:
    """An NPI: nine digits plus the Luhn check digit computed over the 80840 prefix."""
    digits = [int(d) for d in "80840" + nine]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return nine + str((10 - total % 10) % 10)


# (npi stem, tin, name, address, city, state, zip, taxonomy, institutional)
PROVIDER_TABLE: tuple[tuple[str, str, str, str, str, str, str, str, bool], ...] = (
    ("165432198", "471234501", "RIVERSIDE FAMILY MEDICINE", "120 RIVER ROAD", "SPRINGFIELD", "IL", "627010001",
     "207Q00000X", False),
    ("178654329", "471234502", "LAKEVIEW ORTHOPEDICS", "88 LAKESHORE DRIVE", "SPRINGFIELD", "IL", "627020002",
     "207X00000X", False),
    ("154329876", "471234503", "MERCY VALLEY HOSPITAL", "1 MERCY WAY", "SPRINGFIELD", "IL", "627030003",
     "282N00000X", True),
)

FIRST_NAMES: tuple[tuple[str, str], ...] = (
    ("MARY", "F"), ("LINDA", "F"), ("SUSAN", "F"), ("KAREN", "F"), ("NANCY", "F"), ("BETTY", "F"),
    ("HELEN", "F"), ("SANDRA", "F"), ("DONNA", "F"), ("CAROL", "F"), ("RUTH", "F"), ("SHARON", "F"),
    ("LAURA", "F"), ("EMILY", "F"), ("GRACE", "F"), ("OLIVIA", "F"), ("AVA", "F"), ("MIA", "F"),
    ("JAMES", "M"), ("JOHN", "M"), ("ROBERT", "M"), ("MICHAEL", "M"), ("WILLIAM", "M"), ("DAVID", "M"),
    ("RICHARD", "M"), ("JOSEPH", "M"), ("THOMAS", "M"), ("CHARLES", "M"), ("DANIEL", "M"), ("MATTHEW", "M"),
    ("ANTHONY", "M"), ("MARK", "M"), ("PAUL", "M"), ("STEVEN", "M"), ("NOAH", "M"), ("LIAM", "M"),
)
LAST_NAMES: tuple[str, ...] = (
    "SMITH", "JOHNSON", "WILLIAMS", "BROWN", "JONES", "GARCIA", "MILLER", "DAVIS", "RODRIGUEZ", "MARTINEZ",
    "HERNANDEZ", "LOPEZ", "GONZALEZ", "WILSON", "ANDERSON", "THOMAS", "TAYLOR", "MOORE", "JACKSON", "MARTIN",
    "LEE", "PEREZ", "THOMPSON", "WHITE", "HARRIS", "SANCHEZ", "CLARK", "RAMIREZ", "LEWIS", "ROBINSON",
    "WALKER", "YOUNG", "ALLEN", "KING", "WRIGHT", "SCOTT", "TORRES", "NGUYEN", "HILL", "FLORES",
)
STREETS: tuple[str, ...] = ("OAK ST", "MAPLE AVE", "PINE ST", "CEDAR LN", "ELM ST", "WALNUT DR", "BIRCH RD",
                            "CHESTNUT ST", "HICKORY CT", "SPRUCE WAY")
TOWNS: tuple[tuple[str, str, str], ...] = (("SPRINGFIELD", "IL", "62701"), ("CHATHAM", "IL", "62629"),
                                          ("ROCHESTER", "IL", "62563"), ("SHERMAN", "IL", "62684"),
                                          ("PETERSBURG", "IL", "62675"))
