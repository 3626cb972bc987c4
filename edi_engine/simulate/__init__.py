"""Simulated worlds and scenario packs: the ground truth the matching and rules are measured against.

A seeded generator (world.py) plays a small healthcare billing office: three billing providers
(two 837P practices, one 837I hospital outpatient department), eight payers (Medicare Part B/A,
a Medicaid, commercial plans, one with a different 835 payer id, one without a fee schedule on
file), patients with primary and sometimes secondary coverage. It writes the 837s the office
sends, the 835s the payers return, the patients' payments and the contracts, and records which
credit balances it injected (scenarios.py) as expected findings (expected.py). The generator never
runs the engine: the expected findings come from what was injected.

Pack layout (one flat directory; every name is fixed except the X12 files'):

    DIR/
      YYYYMMDD-837P-NNNN.837      837P claims (1..chunk_claims claims each, all providers)
      YYYYMMDD-837I-NNNN.837      837I claims (hospital outpatient), when any
      YYYYMMDD-835-<N1*PR N104>-<TRN02>.835   one 835 per check (payer, payee, check date)
      patient_payments.csv        claim_id,payment_date,amount,method,reference (when any)
      fee_schedule.csv            payer_id,procedure_code,modifier,allowed_amount,effective_from,effective_to
      payer_aliases.csv           alias,payer_id (835 N1*PR N104 -> 837 2010BB NM109), when an aliased payer paid
      refunds.csv                 the provider's refund checks (the issued-checks register), when any
      expected.json               the ground truth (format: expected.py)
      README.md                   what the scenario is and why those findings

File names sort chronologically; ingest order must not matter anyway. To replay a pack: ingest
every *.837 and *.835, import patient_payments.csv and fee_schedule.csv, add each row of
payer_aliases.csv as a payer alias, run detection, compare with `load_expected(DIR /
"expected.json")` through `compare`; a pack with refunds.csv loads in steps at its checks' issue
dates (`replay.load_pack`).

Fee schedule rule (fees.py): allowed_amount is per unit; a line's contract allowed amount is
allowed_amount x units, from the row whose modifier is one of the line's modifiers, else the row
with modifier '', effective on the service date.

Public API:

    generate_world(claims, seed, *, out=None, scenario=None, start=DEFAULT_START, chunk_claims=2000,
                   mix=None, leading=()) -> World
    PACKS (name -> Pack), MIX (mixed rates), build_fixtures(root) (fixtures/ regenerated)
    Finding, ExpectedPack, load_expected(path), dump_expected(findings, path), dumps_expected, compare
"""

from __future__ import annotations

from edi_engine.simulate.expected import (
    CATEGORIES,
    Comparison,
    ExpectedPack,
    Finding,
    compare,
    dump_expected,
    dumps_expected,
    load_expected,
)
from edi_engine.simulate.packs import MIX, PACKS, Pack
from edi_engine.simulate.world import DEFAULT_START, World, generate_world

__all__ = [
    "CATEGORIES",
    "Comparison",
    "DEFAULT_START",
    "ExpectedPack",
    "Finding",
    "MIX",
    "PACKS",
    "Pack",
    "World",
    "compare",
    "dump_expected",
    "dumps_expected",
    "generate_world",
    "load_expected",
]
