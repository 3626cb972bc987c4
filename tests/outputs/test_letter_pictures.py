"""Each kind of letter rendered to PNG with poppler's `pdftoppm` into test-artifacts/letters/, to be
looked at; the test checks what a picture can show: US Letter pages, the letterhead's rule and name in
the accent colour at the top, ink on every page but no page of solid ink (the words are test_letter_fields.py's)."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy.engine import Engine

from edi_engine.outputs import decide, detect_with_audit, record_refund, render_letter
from edi_engine.rules import list_findings
from edi_engine.store import open_store
from tests.outputs.conftest import FIXTURES, load_pack
from tests.outputs.test_letter_fields import OFFICE, _double_recovery

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "letters"
DPI = 60
ACCENT = (31, 78, 121)  # outputs/pdf.py's letterhead colour

pytestmark = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) not installed")


def _load(url: str, name: str) -> Engine:
    pack = FIXTURES / name
    engine = open_store(url)
    load_pack(engine, pack)
    last = max(date(int(p.name[:4]), int(p.name[4:6]), int(p.name[6:8])) for p in pack.glob("*.835"))
    rules = pack / "rules.toml"
    detect_with_audit(engine, as_of=last + timedelta(days=1), rules_path=str(rules) if rules.is_file() else None)
    return engine


# name -> (pack, category, recipient, what was decided)
KINDS = {
    "duplicate-payment-recoup": ("duplicate_payment", "duplicate_payment", "payer", ""),
    "duplicate-payment-check": ("duplicate_payment", "duplicate_payment", "payer", "check"),
    "payer-overpayment": ("payer_overpayment", "payer_overpayment", "payer", "check"),
    "cob-overpayment": ("cob_overpayment", "cob_overpayment", "payer", ""),
    "msp-overpayment": ("msp_primary_payer", "msp_overpayment", "payer", "check"),
    "voided-claim": ("voided_claim_paid", "voided_claim_paid", "payer", ""),
    "double-recovery": ("double_recovery", "double_recovery", "payer", ""),
    "patient-refund-check": ("patient_overpayment", "patient_overpayment", "patient", "check"),
    "patient-refund": ("voided_claim_paid", "voided_claim_patient_paid", "patient", ""),
    "patient-credit-offset": ("mixed", "patient_overpayment", "patient", "offset"),
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_letter_kind_looks_like_a_letter(tmp_path: Path, kind: str) -> None:
    pack, category, to, decided = KINDS[kind]
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = _double_recovery(url) if category == "double_recovery" else _load(url, pack)
    with engine.connect() as conn:
        found = [f for f in list_findings(conn, "all") if f.category == category and f.status != "resolved"
                 and (decided != "offset" or f.refund_to == "offset")]
    f = found[0]
    if decided:
        decide(engine, f.id, "approve", by="ana")
    if decided == "check":
        record_refund(engine, f.id, by="ana", method="check", number="70412", paid_on=f.identified_on.isoformat())
    elif decided == "offset":
        decide(engine, f.id, "offset", by="ana", note="patient agreed by phone")
    rules = tmp_path / "office.toml"
    rules.write_text(OFFICE.format(payer=f.payer_id), encoding="utf-8")
    pdf = tmp_path / f"{kind}.pdf"
    pdf.write_bytes(render_letter(engine, f.id, to=to, today=f.identified_on + timedelta(days=1),
                                  rules_path=str(rules)))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob(f"{kind}-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-png", "-r", str(DPI), str(pdf), str(ARTIFACTS / kind)], check=True)
    pages = sorted(ARTIFACTS.glob(f"{kind}-*.png"))
    assert 1 <= len(pages) <= 3, pages
    first = Image.open(pages[0]).convert("RGB")
    assert first.size == (round(8.5 * DPI), round(11 * DPI))  # US Letter, portrait
    top = first.crop((0, 0, first.width, first.height // 6)).tobytes()
    accent = sum(1 for i in range(0, len(top), 3)
                 if all(abs(top[i + k] - ACCENT[k]) < 40 for k in range(3)))
    assert accent > 150, "no letterhead name and rule in the accent colour at the top"
    for page in pages:
        histogram = Image.open(page).convert("L").histogram()
        ink = sum(histogram[:128]) / sum(histogram)
        assert 0.002 < ink < 0.25, (page.name, ink)
    assert (tmp_path / f"{kind}.pdf").stat().st_size > 2000
