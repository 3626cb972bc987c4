"""Which situations a pack holds, the mixed world's rates, and each pack's README.

Owns the pack catalogue: one pack per finding category and per trap (issue 4), each a list of
(scenario, variant) instances placed on the first days of a small world of normal claims, with
the seed and size fixtures/ is built with; and MIX, the relative rates of the mixed world.
Knows nothing of X12 or files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from edi_engine.simulate.expected import Finding

__all__ = ["MIX", "MIXED_MIX", "MIXED_PACK", "PACKS", "Pack", "readme"]


@dataclass(frozen=True, slots=True)
class Pack:
    instances: tuple[tuple[str, str], ...]
    claims: int  # the fixture's claim count (instances + normal claims)
    seed: int
    what: str
    why: str


PACKS: dict[str, Pack] = {
    "duplicate_payment": Pack(
        (("duplicate_payment", ""),), 5, 101,
        "The payer pays the same claim on two checks, under two payer claim control numbers (CLP07).",
        "One open duplicate_payment: the amount is the second payment's CLP04, owed back to the payer."),
    "duplicate_reversed": Pack(
        (("duplicate_payment", ""), ("duplicate_reversed", "")), 6, 102,
        "Two duplicates: one stays open; the payer reverses the other itself (CLP02 22, the duplicate's CLP07) "
        "on a later check, which also carries other claims so the check stays positive.",
        "The reversed duplicate was a credit until the reversal: a resolved duplicate_payment, not an open one."),
    "duplicate_recouped": Pack(
        (("duplicate_recouped", ""),), 5, 103,
        "A duplicate payment the payer takes back on a later check through PLB WO, reference = the "
        "duplicate's CLP07, amount = its CLP04.",
        "The credit was recovered by the recoupment: a resolved duplicate_payment."),
    "payer_overpayment": Pack(
        (("payer_overpayment", "contract"), ("payer_overpayment", "allowed"), ("payer_overpayment", "charge")), 7, 104,
        "Three lines paid above what the payer owed (owed = min(contract allowed, billed charge) - line PR): "
        "priced above the fee schedule (AMT*B6 above contract); paid above its own AMT*B6 less PR; a line billed "
        "below contract and paid at contract.",
        "One open payer_overpayment per line: the excess of SVC03 over what was owed. The patient paid "
        "exactly their share, so nothing else is due."),
    "cob_overpayment": Pack(
        (("cob_overpayment", ""),), 5, 105,
        "A secondary payer (CLP02 2) pays its own full allowed amount as if primary, ignoring what the primary paid.",
        "One open cob_overpayment owed by the secondary (it paid last): primary CLP04 + secondary CLP04 - the "
        "primary's allowed (sum of AMT*B6)."),
    "patient_overpayment": Pack(
        tuple(("patient_overpayment", v) for v in ("estimate", "twice", "offset", "cob_copay")), 8, 106,
        "Patients who paid more than their final share: an estimate above the share at the visit; a statement "
        "paid twice; an estimate above the share by a patient who owes more on another claim; a copay collected "
        "when the secondary later paid the whole share.",
        "One open patient_overpayment each: patient payments - final patient responsibility (the last payer's "
        "CLP05). The patient with another open balance gets refund_to offset."),
    "unmatched_payment": Pack(
        (("unmatched_payment", ""),), 4, 107,
        "A payment (CLP) whose patient control number (CLP01) is no claim this provider sent.",
        "One open unmatched_payment for its CLP04: unapplied cash, not a refund (no refund_to, no "
        "deadline, no letter) until a claim turns up and it is matched."),
    "reversal_repayment": Pack(
        (("reversal_repayment", "same_check"), ("reversal_repayment", "later_check")), 6, 108,
        "Two underpaid claims reversed (CLP02 22) and paid again correctly: once with reversal and correction on "
        "the same check, once with the correction on a later check.",
        "No findings: a reversal then re-adjudication is not a duplicate, and no money is over-collected."),
    "reversal_only": Pack(
        (("reversal_only", ""),), 5, 109,
        "A payment taken back (CLP02 22) and never paid again.",
        "No findings: the claim becomes a receivable, not a credit."),
    "split_claim": Pack(
        (("split_claim", ""), ("split_claim", "")), 6, 110,
        "Claims the payer split into two CLPs with the same CLP01, different CLP07 and disjoint lines.",
        "No findings: each line was paid once."),
    "carc18_denial": Pack(
        (("carc18_denial", ""), ("carc18_denial", "")), 6, 111,
        "Paid claims followed by a duplicate-claim denial of the resubmission (CLP02 4, OA-18, nothing paid).",
        "No findings: the payer caught the duplicate; nothing was paid twice."),
    "cob_correct": Pack(
        (("cob_correct", ""), ("cob_correct", "")), 6, 112,
        "Primary then secondary: the secondary pays exactly the primary's patient responsibility (OA-23).",
        "No findings: the payers together paid exactly the primary's allowed amount."),
    "patient_exact": Pack(
        (("patient_exact", ""), ("patient_exact", "")), 5, 113,
        "Patients who paid exactly their share, in one or two payments.",
        "No findings."),
    "payer_alias": Pack(
        (("duplicate_payment", "alias"), ("normal", "alias"), ("normal", "alias")), 5, 114,
        "A payer whose 835 N1*PR id (PPN835) differs from its 837 payer id (PPN04); payer_aliases.csv maps them. "
        "One of its claims is paid twice.",
        "One open duplicate_payment under the canonical payer id PPN04."),
}

# The demo pack: MIX, after a few issue-11 situations it must show whatever the draw: a Medicare
# Part A inpatient stay paid twice (an open credit on an 837I Medicare fee-for-service claim, so the
# demo's CMS-838 has a line), an MSP double primary, a crossover, a re-coded line priced as billed.
MIXED_PACK = Pack((("drg", "duplicate"), ("msp", "employer"), ("crossover", "patient_paid"),
                   ("recoded", "priced_as_billed")), 300, 2027,
                  "About 300 claims mixing every situation at the rates of MIX, after a Medicare inpatient stay "
                  "paid twice, an MSP double primary, a Medicare crossover and a re-coded line priced as billed.",
                  "Each finding is listed with the situation that produced it (note).")

# Relative rates of each situation per placement in a mixed world.
MIX: dict[str, float] = {
    "normal": 74.0, "denied": 2.0, "patient_exact": 2.0, "split_claim": 1.5, "carc18_denial": 1.5,
    "reversal_repayment": 1.5, "reversal_only": 0.8, "cob_correct": 3.0,
    "duplicate_payment": 2.0, "duplicate_reversed": 0.8, "duplicate_recouped": 0.8,
    "payer_overpayment": 3.0, "cob_overpayment": 1.5, "patient_overpayment": 3.0, "unmatched_payment": 0.8,
    # how payers really pay (issue 11): traps and credits the hand-written packs show one by one
    "split_institutional": 0.6, "void": 0.8, "replacement": 0.8, "crossover": 1.0, "msp": 0.5, "drg": 0.8,
    "recoded": 1.0, "deferred_recoupment": 0.8, "provider_refund": 0.5,
}

# The demo pack's mix: MIX without the provider's own refund checks. The demo loads the pack as
# an office ingests its files (no refunds.csv register to post); the README's day then approves and
# refunds findings itself.
MIXED_MIX: dict[str, float] = {name: rate for name, rate in MIX.items() if name != "provider_refund"}


def readme(scenario: str | None, seed: int, claims: int, findings: Sequence[Finding]) -> str:
    pack = PACKS[scenario] if scenario is not None else MIXED_PACK
    title = scenario or "mixed"
    lines = [f"# {title}", "", pack.what, "", f"Expected: {pack.why}", "",
             f"Generated by edi_engine.simulate (seed {seed}, {claims} claims); regenerate with "
             "`python -m edi_engine.simulate.build_fixtures`. Do not edit by hand.", ""]
    if findings and len(findings) <= 12:
        lines += ["| category | claim | payer | amount | to | status | why |", "|---|---|---|---|---|---|---|"]
        lines += [f"| {f.category} | {f.claim_id} | {f.payer_id} | {f.amount} | {f.refund_to} | {f.status} | "
                  f"{f.note} |" for f in findings]
        lines.append("")
    elif findings:
        counts: dict[str, int] = {}
        for f in findings:
            counts[f"{f.category} ({f.status})"] = counts.get(f"{f.category} ({f.status})", 0) + 1
        lines += [f"- {k}: {v}" for k, v in sorted(counts.items())] + [""]
    else:
        lines += ["No findings expected.", ""]
    return "\n".join(lines)
