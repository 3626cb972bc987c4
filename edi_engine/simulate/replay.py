"""Replay a scenario pack: load it into a fresh database, detect, compare with its expected.json.

Sits beside the CLI rather than inside a layer: it drives the whole pipeline (store, ledger,
rules) the way a user would, and judges the result against the pack's ground truth. The engine
itself never reads expected.json.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from edi_engine.errors import InputError, Position
from edi_engine.simulate.expected import Comparison, Finding, compare, dump_expected, load_expected

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

__all__ = ["REFUNDS", "ReplayResult", "actual_findings", "load_pack", "replay"]

# A pack's refund checks: the issued-checks register (outputs/refunds.py) of refunds the provider
# sent, by category, claim and payer. The pack then replays in steps (load_pack): the files dated
# (by their YYYYMMDD- name) up to each check's issue date, detect and the refunds; then the rest and
# detect again.
REFUNDS = "refunds.csv"


@dataclass(frozen=True, slots=True)
class ReplayResult:
    pack: Path
    comparison: Comparison
    actual: tuple[Finding, ...]
    expected: tuple[Finding, ...]
    failed_files: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.comparison.ok and not self.failed_files


def actual_findings(engine: object) -> tuple[Finding, ...]:
    """Every stored finding, in the fields expected.json compares."""
    from edi_engine.rules import list_findings

    with engine.connect() as conn:  # type: ignore[attr-defined]
        return tuple(Finding.from_mapping(f.to_json()) for f in list_findings(conn, "all"))


def replay(pack: str | Path, *, as_of: date | str | None = None, update: bool = False) -> ReplayResult:
    """Replay `pack` in a temporary SQLite database; with update, rewrite its expected.json."""
    from edi_engine.store import open_store

    pack = Path(pack)
    expected_path = pack / "expected.json"
    if not update and not expected_path.is_file():
        raise InputError("no expected.json in the pack (use --update to write one)", Position(str(pack)))
    expected = load_expected(expected_path) if expected_path.is_file() else None
    with tempfile.TemporaryDirectory(prefix="edi-replay-") as tmp:
        engine = open_store(f"sqlite:///{Path(tmp) / 'replay.db'}")
        rules = pack / "rules.toml"  # a pack's own rule pack over the default, when the point needs one
        rules_path = str(rules) if rules.is_file() else None
        try:
            work = Path(tmp) / "steps"
            work.mkdir()
            failed = load_pack(engine, pack, work, as_of=as_of, rules_path=rules_path)
            actual = actual_findings(engine)
        finally:
            engine.dispose()
    if update:
        dump_expected(actual, expected_path, expected.generator if expected else None)
        expected = load_expected(expected_path)
    assert expected is not None
    return ReplayResult(pack, compare(expected.findings, actual), actual, expected.findings, failed)


def _stamp(name: str) -> date | None:
    """The date a pack file's YYYYMMDD- name carries, if any."""
    stamp = name[:8]
    if len(name) > 8 and name[8] == "-" and stamp.isdigit():
        return date(int(stamp[:4]), int(stamp[4:6]), int(stamp[6:]))
    return None


def load_pack(engine: Engine, pack: Path, work: Path, *, as_of: date | str | None = None,
              rules_path: str | None = None, final_detect: bool = True) -> tuple[str, ...]:
    """Load `pack` into `engine` and detect, as the office lived it; returns the files that failed.

    Without refunds.csv: every file, then detect. With it (the provider's refund checks), in steps,
    one per issue date of its rows: the dated files and patient payments up to that date, detect
    the rows' claims as of that date, approve the findings the checks repay and post the rows;
    then the rest (and any bank deposits) and detect over everything. `work`: an empty folder for
    the steps' copies. final_detect False leaves the last detect to the caller (bench/detect.py
    times it).
    """
    import csv
    import io
    import shutil

    from edi_engine.outputs import decide
    from edi_engine.outputs.refunds import post_issued
    from edi_engine.rules import detect, list_findings
    from edi_engine.store.packs import load_folder

    if not (pack / REFUNDS).is_file():
        loaded = load_folder(engine, pack)
        if final_detect:
            detect(engine, as_of=as_of, rules_path=rules_path)
        return tuple(r.file for r in loaded.ingest.results if not r.ok)
    with (pack / REFUNDS).open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header, rows = list(reader.fieldnames or ()), list(reader)
    days = sorted({date.fromisoformat(r["issue_date"]) for r in rows})
    payments_header: list[str] = []
    payments: list[dict[str, str]] = []
    if (pack / "patient_payments.csv").is_file():
        with (pack / "patient_payments.csv").open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            payments_header, payments = list(reader.fieldnames or ()), list(reader)
    dated = [f for f in sorted(pack.iterdir()) if f.is_file() and _stamp(f.name) is not None]
    first_only = ("fee_schedule.csv", "payer_aliases.csv")
    last_only = ("deposits.csv",)

    def table(path: Path, columns: list[str], table_rows: list[dict[str, str]]) -> None:
        out = io.StringIO()
        writer = csv.DictWriter(out, columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(table_rows)
        path.write_text(out.getvalue(), encoding="utf-8")

    failed: list[str] = []
    done: set[str] = set()
    for i, day in enumerate([*days, None]):
        stage = work / f"step-{i:03d}"
        stage.mkdir()
        for f in dated:
            stamp = _stamp(f.name)
            if f.name not in done and (day is None or (stamp is not None and stamp <= day)):
                shutil.copy(f, stage / f.name)
                done.add(f.name)
        for f in sorted(pack.iterdir()):
            if f.is_file() and _stamp(f.name) is None and (
                    (i == 0 and f.name in first_only)
                    or (day is None and (f.name in last_only or f.suffix == ".bai2"))):
                shutil.copy(f, stage / f.name)
        due = [r for r in payments if day is None or date.fromisoformat(r["payment_date"]) <= day]
        payments = [r for r in payments if r not in due]
        if due:
            table(stage / "patient_payments.csv", payments_header, due)
        loaded = load_folder(engine, stage)
        failed += [r.file for r in loaded.ingest.results if not r.ok]
        if day is None:
            break
        group = [r for r in rows if date.fromisoformat(r["issue_date"]) == day]
        detect(engine, as_of=day, rules_path=rules_path, only=sorted({r["claim_id"] for r in group}))
        with engine.connect() as conn:
            found = list_findings(conn, "open")
        for r in group:  # a refund the provider sent was approved first
            for finding in found:
                if (finding.category, finding.claim_id, finding.payer_id or "") == (r["category"], r["claim_id"],
                                                                                     r["payer_id"]):
                    decide(engine, finding.id, "approve", by="replay", note="refunded in the pack")
        table(stage / REFUNDS, header, group)
        post_issued(engine, stage / REFUNDS, by="replay", today=day)
    if final_detect:
        detect(engine, as_of=as_of, rules_path=rules_path)
    return tuple(failed)
