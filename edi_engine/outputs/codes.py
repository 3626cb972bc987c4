"""The code lists a letter quotes: Claim Adjustment Reason Codes (CARC, the CAS reason codes) and
Remittance Advice Remark Codes (RARC: LQ*HE, MOA03-07, MIA05/20-23), each with its description.

Owns the two lists shipped in the package (outputs/codes/carc.csv, rarc.csv) and looking a code up.
The CARC texts are X12's as published (via OpenEMR's BillingUtilities, domain.md 4.2), shortened to
the description without its usage notes; the RARC list is the subset seen on credit-balance work
(domain.md 4.2; WPC's list as snapshotted in ashuang/pymltc, 2016). A code not on a list is named
with a pointer to the X12 list, never given another code's text. Knows nothing of findings.
"""

from __future__ import annotations

import csv
import io
from functools import cache
from importlib import resources

__all__ = ["UNLISTED", "carc_text", "rarc_text"]

UNLISTED = "description not in the code list shipped with edi-engine; see x12.org/codes"


@cache
def _codes(name: str) -> dict[str, str]:
    text = resources.files("edi_engine.outputs").joinpath("codes", name).read_text("utf-8")
    return {row["code"].strip().upper(): row["description"].strip() for row in csv.DictReader(io.StringIO(text))}


def carc_text(code: str) -> str:
    return _codes("carc.csv").get(code.strip().upper(), UNLISTED)


def rarc_text(code: str) -> str:
    return _codes("rarc.csv").get(code.strip().upper(), UNLISTED)
