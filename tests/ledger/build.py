"""Small hand-built 837P and 835 files for ledger and rules tests, written with the project's
X12 writer and stored through the store's ingest. Amounts are strings ("100.00") as in X12."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal
from pathlib import Path

from sqlalchemy.engine import Engine

from edi_engine.store.ingest import ingest_file
from edi_engine.x12.writer import Transaction, write_interchange

_N = iter(range(100, 10**9))
DOS = "20240105"


@dataclass
class Line:
    code: str
    charge: str
    ref6r: str = ""
    units: str = "1"
    dos: str = DOS
    mods: str = ""


@dataclass
class Claim:
    clm01: str
    payer: str
    lines: list[Line]
    member: str = "M100"
    patient: tuple[str, str] = ("DOE", "JANE")
    freq: str = "1"
    f8: str = ""
    sbr: str = "P"

    @property
    def charge(self) -> Decimal:
        return sum((Decimal(ln.charge) for ln in self.lines), Decimal("0"))


@dataclass
class Svc:
    code: str
    charge: str
    paid: str
    ref6r: str = ""
    cas: list[tuple[str, str, str]] = field(default_factory=list)  # (group, reason, amount)
    allowed: str | None = None
    dos: str = DOS
    units: str = "1"
    submitted: str = ""  # SVC06 code
    mods: str = ""


@dataclass
class Clp:
    clm01: str
    status: str
    charge: str
    paid: str
    pr: str
    clp07: str
    svcs: list[Svc] = field(default_factory=list)
    cas: list[tuple[str, str, str]] = field(default_factory=list)
    member: str = "M100"
    filing: str = "12"


def _837_claim(c: Claim, hl: int) -> list[tuple[str, ...]]:
    segs: list[tuple[str, ...]] = [
        ("HL", str(hl), "1", "22", "0"), ("SBR", c.sbr, "18", "", "", "", "", "", "", "CI"),
        ("NM1", "IL", "1", c.patient[0], c.patient[1], "", "", "", "MI", c.member),
        ("DMG", "D8", "19800101", "F"),
        ("NM1", "PR", "2", "PAYER " + c.payer, "", "", "", "", "PI", c.payer),
        ("CLM", c.clm01, f"{c.charge:.2f}", "", "", f"11:B:{c.freq}", "Y", "A", "Y", "Y"),
    ]
    if c.f8:
        segs.append(("REF", "F8", c.f8))
    segs.append(("HI", "ABK:R51"))
    for k, ln in enumerate(c.lines, 1):
        segs += [("LX", str(k)), ("SV1", f"HC:{ln.code}" + (f":{ln.mods}" if ln.mods else ""), ln.charge, "UN",
                                   ln.units, "", "", "1"), ("DTP", "472", "D8", ln.dos)]
        if ln.ref6r:
            segs.append(("REF", "6R", ln.ref6r))
    return segs


def file_837(claims: list[Claim]) -> bytes:
    body: list[tuple[str, ...]] = [
        ("BHT", "0019", "00", f"B{next(_N)}", "20240110", "1200", "CH"),
        ("NM1", "41", "2", "SUBMITTER", "", "", "", "", "46", "S1"), ("PER", "IC", "DESK", "TE", "5555551212"),
        ("NM1", "40", "2", "CLEARINGHOUSE", "", "", "", "", "46", "R1"),
        ("HL", "1", "", "20", "1"), ("NM1", "85", "2", "CLINIC", "", "", "", "", "XX", "1234567893"),
        ("N3", "1 MAIN ST"), ("N4", "TOWN", "NY", "10001"), ("REF", "EI", "123456789"),
    ]
    for i, c in enumerate(claims):
        body += _837_claim(c, 2 + i)
    n = next(_N)
    return write_interchange([Transaction("837", f"{n:04d}", "005010X222A1", body)], sender_id="CLINIC",
                             receiver_id="CLEARING", functional_id="HC", control_number=n,
                             date=date(2024, 1, 10), time=time(12, 0))


def _clp_segments(c: Clp) -> list[tuple[str, ...]]:
    segs: list[tuple[str, ...]] = [("CLP", c.clm01, c.status, c.charge, c.paid, c.pr, c.filing, c.clp07, "11", "1")]
    for g, r, a in c.cas:
        segs.append(("CAS", g, r, a))
    segs += [("NM1", "QC", "1", "DOE", "JANE", "", "", "", "MI", c.member)]
    for s in c.svcs:
        svc06 = f"HC:{s.submitted}" if s.submitted else ""
        segs.append(("SVC", f"HC:{s.code}" + (f":{s.mods}" if s.mods else ""), s.charge, s.paid, "", s.units, svc06))
        segs.append(("DTM", "472", s.dos))
        for g, r, a in s.cas:
            segs.append(("CAS", g, r, a))
        if s.ref6r:
            segs.append(("REF", "6R", s.ref6r))
        if s.allowed is not None:
            segs.append(("AMT", "B6", s.allowed))
    return segs


def file_835(payer: str, trn02: str, paid_on: str, clps: list[Clp],
             plbs: list[tuple[str, str, str]] = ()) -> bytes:  # type: ignore[assignment]
    total = sum((Decimal(c.paid) for c in clps), Decimal("0")) - sum((Decimal(a) for _r, _f, a in plbs), Decimal("0"))
    # BPR02 is never negative (RFI 2287): a net-negative remittance is a debit, BPR03 D.
    body: list[tuple[str, ...]] = [
        ("BPR", "I", f"{abs(total):.2f}", "D" if total < 0 else "C", "CHK", "", "", "", "", "", "", "", "", "", "", "",
         paid_on),
        ("TRN", "1", trn02, "1" + payer),
        ("N1", "PR", "PAYER " + payer, "XV", payer), ("PER", "BL", "EDI", "TE", "8005551212"),
        ("N1", "PE", "CLINIC", "XX", "1234567893"),
        ("LX", "1"),
    ]
    for c in clps:
        body += _clp_segments(c)
    for reason, ref, amount in plbs:
        body.append(("PLB", "1234567893", "20241231", f"{reason}:{ref}", amount))
    n = next(_N)
    return write_interchange([Transaction("835", f"{n:04d}", "005010X221A1", body)], sender_id="PAYER" + payer,
                             receiver_id="CLINIC", functional_id="HP", control_number=n,
                             date=date(2024, 2, 1), time=time(12, 0))


class Store:
    """Write files into a folder and ingest them into the engine's store."""

    def __init__(self, engine: Engine, folder: Path) -> None:
        self.engine, self.folder, self.files = engine, folder, []

    def add(self, name: str, data: bytes) -> Path:
        path = self.folder / name
        path.write_bytes(data)
        self.files.append(path)
        return path

    def ingest(self, *paths: Path) -> None:
        for p in paths or self.files:
            r = ingest_file(self.engine, p)
            assert r.ok, (p, r.error)

    def patient_payments(self, name: str, rows: list[tuple[str, str, str]]) -> Path:
        from edi_engine.store.imports import import_patient_payments
        path = self.folder / name
        path.write_text("claim_id,payment_date,amount,method,reference\n"
                        + "".join(f"{c},{d},{a},card,R{i}\n" for i, (c, d, a) in enumerate(rows)))
        import_patient_payments(self.engine, path)
        return path
