"""A generated world of 837P claims and their 835 remittances, for store tests and bench/ingest.py.

Deterministic for a seed. Each claim i has CLM01 "PCN{i:08d}", 1-3 lines with REF*6R, and a
matching CLP (paid, partly paid or denied) with SVC lines, CAS adjustments and AMT*B6; each 835
carries a PLB. Names and ids are synthetic (no PHI). Built with the project's X12 writer.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal
from pathlib import Path

from edi_engine.x12.writer import Transaction, write_interchange

PAYERS = [("PAYER01", "ACME HEALTH"), ("PAYER02", "BLUE SKY PLAN"), ("PAYER03", "STATE MEDICAID")]
CODES = [("99213", Decimal("125.00")), ("99214", Decimal("180.00")), ("85025", Decimal("32.50")),
         ("80053", Decimal("47.25")), ("93000", Decimal("65.00"))]


@dataclass(frozen=True)
class WorldFiles:
    claims: int
    lines: int
    files_837: list[Path]
    files_835: list[Path]

    @property
    def all(self) -> list[Path]:
        return self.files_837 + self.files_835


def _d8(d: date) -> str:
    return d.strftime("%Y%m%d")


def _claim(rng: random.Random, i: int) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]], int]:
    """(837 2000B..2400 segments, 835 2100/2110 segments, number of lines) for claim i."""
    payer_id, payer_name = PAYERS[i % len(PAYERS)]
    dos = date(2024, 1, 1) + timedelta(days=i % 300)
    nlines = 1 + i % 3
    lines = [CODES[(i + k) % len(CODES)] for k in range(nlines)]
    total = sum((c for _, c in lines), Decimal("0"))
    pcn = f"PCN{i:08d}"
    c837: list[tuple[str, ...]] = [
        ("HL", str(2 + i), "1", "22", "0"), ("SBR", "P", "18", "", "", "", "", "", "", "CI"),
        ("NM1", "IL", "1", f"LAST{i}", f"FIRST{i}", "", "", "", "MI", f"M{i:09d}"),
        ("DMG", "D8", "19800101", "F"),
        ("NM1", "PR", "2", payer_name, "", "", "", "", "PI", payer_id),
        ("CLM", pcn, f"{total:.2f}", "", "", "11:B:1", "Y", "A", "Y", "Y"),
        ("HI", "ABK:R51"),
    ]
    for k, (code, charge) in enumerate(lines, 1):
        c837 += [("LX", str(k)),
                 ("SV1", f"HC:{code}" + (":25" if k == 2 else ""), f"{charge:.2f}", "UN", "1", "", "", "1"),
                 ("DTP", "472", "D8", _d8(dos)), ("REF", "6R", f"{pcn}L{k}")]
    mode = i % 5  # 0-2 paid at 80%, 3 denied, 4 overpaid (a credit balance)
    c835: list[tuple[str, ...]] = []
    svc: list[tuple[str, ...]] = []
    paid_total = pr_total = Decimal("0")
    for k, (code, charge) in enumerate(lines, 1):
        if mode == 3:
            paid, co, pr = Decimal("0"), charge, Decimal("0")
        else:
            allowed = (charge * Decimal("0.80")).quantize(Decimal("0.01"))
            pr = Decimal("10.00") if k == 1 else Decimal("0")
            paid = allowed - pr + (Decimal("5.00") if mode == 4 else Decimal("0"))
            co = charge - paid - pr
        paid_total += paid
        pr_total += pr
        svc += [("SVC", f"HC:{code}" + (":25" if k == 2 else ""), f"{charge:.2f}", f"{paid:.2f}", "", "1"),
                ("DTM", "472", _d8(dos))]
        cas = ["CAS", "CO", "45" if mode != 3 else "50", f"{co:.2f}"]
        if pr:
            svc += [tuple(cas), ("CAS", "PR", "2", f"{pr:.2f}", "1")]
        else:
            svc.append(tuple(cas))
        svc += [("REF", "6R", f"{pcn}L{k}")]
        if mode != 3:
            svc.append(("AMT", "B6", f"{(charge * Decimal('0.80')).quantize(Decimal('0.01')):.2f}"))
    status = "4" if mode == 3 else "1"
    c835 += [("CLP", pcn, status, f"{total:.2f}", f"{paid_total:.2f}", f"{pr_total:.2f}", "12", f"ICN{i:010d}", "11",
              "1"),
             ("NM1", "QC", "1", f"LAST{i}", f"FIRST{i}", "", "", "", "MI", f"M{i:09d}"),
             ("DTM", "232", _d8(dos)), ("DTM", "233", _d8(dos))] + svc
    return c837, c835, nlines


def write_world(folder: Path, claims: int, per_file: int = 1000, seed: int = 7, sender: str = "SENDER") -> WorldFiles:
    """Write ceil(claims/per_file) 837P files and as many 835s (one per payer batch) into folder."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    f837: list[Path] = []
    f835: list[Path] = []
    nlines = 0
    for f, start in enumerate(range(0, claims, per_file)):
        body837: list[tuple[str, ...]] = [
            ("BHT", "0019", "00", f"B{f}", "20240301", "1200", "CH"),
            ("NM1", "41", "2", "SUBMITTER", "", "", "", "", "46", "S1"), ("PER", "IC", "DESK", "TE", "5555551212"),
            ("NM1", "40", "2", "CLEARINGHOUSE", "", "", "", "", "46", "R1"),
            ("HL", "1", "", "20", "1"), ("NM1", "85", "2", "CLINIC", "", "", "", "", "XX", "1234567893"),
            ("N3", "1 MAIN ST"), ("N4", "TOWN", "NY", "10001"), ("REF", "EI", "123456789"),
        ]
        clps: list[tuple[str, ...]] = []
        paid = Decimal("0")
        for i in range(start, min(start + per_file, claims)):
            a, b, n = _claim(rng, i)
            nlines += n
            body837 += a
            clps += b
            paid += Decimal(b[0][4])
        plb = Decimal("2.50")
        header835: list[tuple[str, ...]] = [
            ("BPR", "I", f"{paid - plb:.2f}", "C", "ACH", "CCP", "01", "999999999", "DA", "123456", "1512345678", "",
             "01", "999988880", "DA", "98765", "20240401"),
            ("TRN", "1", f"EFT{f:08d}", "1512345678"), ("DTM", "405", "20240401"),
            ("N1", "PR", PAYERS[f % 3][1]), ("N3", "PO BOX 1"), ("N4", "CITY", "NY", "10001"),
            ("REF", "2U", PAYERS[f % 3][0]),
            ("PER", "BL", "EDI", "TE", "8005551212"),
            ("N1", "PE", "CLINIC", "XX", "1234567893"), ("REF", "TJ", "123456789"), ("LX", "1"),
        ]
        body835 = header835 + clps + [("PLB", "1234567893", "20241231", "L6:INT", f"{-plb:.2f}".replace("--", ""),
                                        "WO:ICN0000000001", f"{plb * 2:.2f}")]
        stamp = dict(date=date(2024, 4, 1), time=time(12, 0))
        p837 = folder / f"claims_{f:05d}.837"
        p837.write_bytes(write_interchange([Transaction("837", "0001", "005010X222A1", body837)], sender_id=sender,
                                           receiver_id="RECEIVER", control_number=2 * f + 1, **stamp))
        p835 = folder / f"remit_{f:05d}.835"
        p835.write_bytes(write_interchange([Transaction("835", "0001", "005010X221A1", body835)], sender_id=sender,
                                           receiver_id="RECEIVER", control_number=2 * f + 2, **stamp))
        f837.append(p837)
        f835.append(p835)
    return WorldFiles(claims, nlines, f837, f835)
