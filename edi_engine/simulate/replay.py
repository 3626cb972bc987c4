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

__all__ = ["REFUNDS", "ReplayResult", "actual_findings", "replay"]

# A pack's refund checks: the issued-checks register (outputs/refunds.py) of refunds the provider
# sent, by category, claim and payer. The pack then replays in two steps: the files dated (by their
# YYYYMMDD- name) up to the first check, detect and the refunds; then the rest and detect again.
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
    from edi_engine.rules import detect
    from edi_engine.store import open_store
    from edi_engine.store.packs import load_folder

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
            if (pack / REFUNDS).is_file():
                failed = _replay_with_refunds(engine, pack, Path(tmp), as_of, rules_path)
            else:
                loaded = load_folder(engine, pack)
                detect(engine, as_of=as_of, rules_path=rules_path)
                failed = tuple(r.file for r in loaded.ingest.results if not r.ok)
            actual = actual_findings(engine)
        finally:
            engine.dispose()
    if update:
        dump_expected(actual, expected_path, expected.generator if expected else None)
        expected = load_expected(expected_path)
    assert expected is not None
    return ReplayResult(pack, compare(expected.findings, actual), actual, expected.findings, failed)


def _replay_with_refunds(engine: Engine, pack: Path, tmp: Path, as_of: date | str | None,
                         rules_path: str | None) -> tuple[str, ...]:
    import csv
    import shutil

    from edi_engine.outputs import decide
    from edi_engine.outputs.refunds import post_issued
    from edi_engine.rules import detect, list_findings
    from edi_engine.store.packs import load_folder

    with (pack / REFUNDS).open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    first = min(date.fromisoformat(r["issue_date"]) for r in rows)
    before, after = tmp / "before", tmp / "after"
    before.mkdir()
    after.mkdir()
    for f in sorted(pack.iterdir()):
        if f.name in (REFUNDS, "expected.json", "README.md") or not f.is_file():
            continue
        stamp = f.name[:8]
        later = stamp.isdigit() and date(int(stamp[:4]), int(stamp[4:6]), int(stamp[6:])) > first
        shutil.copy(f, (after if later else before) / f.name)
    loaded = [load_folder(engine, before)]
    detect(engine, as_of=first, rules_path=rules_path)
    with engine.connect() as conn:
        found = list_findings(conn, "open")
    for r in rows:  # a refund the provider sent was approved first
        for finding in found:
            if (finding.category, finding.claim_id, finding.payer_id or "") == (r["category"], r["claim_id"],
                                                                                 r["payer_id"]):
                decide(engine, finding.id, "approve", by="replay", note="refunded in the pack")
    post_issued(engine, pack / REFUNDS, by="replay", today=first)
    loaded.append(load_folder(engine, after))
    detect(engine, as_of=as_of, rules_path=rules_path)
    return tuple(r.file for load in loaded for r in load.ingest.results if not r.ok)
