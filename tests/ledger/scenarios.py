"""The claim every scenario starts from, and the remittances the traps are made of.

PCN1, billed to P1: 99213 100.00 (REF*6R L1) and 85025 50.00 (L2). P1 allows 80.00 and 40.00,
pays 64.00 + 40.00 = 104.00, patient responsibility 16.00 (coinsurance on L1)."""

from __future__ import annotations

from tests.ledger.build import Claim, Clp, Line, Svc


def claim(clm01: str = "PCN1", payer: str = "P1", sbr: str = "P", member: str = "M100") -> Claim:
    return Claim(clm01, payer, [Line("99213", "100.00", "L1"), Line("85025", "50.00", "L2")], sbr=sbr, member=member)


def paid(clp07: str = "ICN1", clm01: str = "PCN1", l1_paid: str = "64.00", status: str = "1",
         member: str = "M100") -> Clp:
    l1 = f"{100 - 16 - float(l1_paid):.2f}"
    total = f"{float(l1_paid) + 40:.2f}"
    return Clp(clm01, status, "150.00", total, "16.00", clp07, [
        Svc("99213", "100.00", l1_paid, "L1", [("CO", "45", l1), ("PR", "2", "16.00")], "80.00"),
        Svc("85025", "50.00", "40.00", "L2", [("CO", "45", "10.00")], "40.00")], member=member)


def reversal(of: Clp) -> Clp:
    neg = lambda a: f"{-float(a):.2f}"  # noqa: E731
    return Clp(of.clm01, "22", neg(of.charge), neg(of.paid), neg(of.pr), of.clp07,
               [Svc(s.code, neg(s.charge), neg(s.paid), s.ref6r, [(g, r, neg(a)) for g, r, a in s.cas])
                for s in of.svcs], member=of.member)


def denied_duplicate(clp07: str = "ICN9") -> Clp:
    return Clp("PCN1", "4", "150.00", "0.00", "0.00", clp07, [
        Svc("99213", "100.00", "0.00", "L1", [("OA", "18", "100.00")]),
        Svc("85025", "50.00", "0.00", "L2", [("OA", "18", "50.00")])])


def secondary(paid_amount: str, clp07: str = "SEC1") -> Clp:
    """P2 as secondary on L1 only (the coinsurance), balancing with OA-23 prior payer impact."""
    other = f"{100 - float(paid_amount):.2f}"
    return Clp("PCN1", "2", "150.00", paid_amount, "0.00", clp07, [
        Svc("99213", "100.00", paid_amount, "L1", [("OA", "23", other)]),
        Svc("85025", "50.00", "0.00", "L2", [("OA", "23", "50.00")])])
