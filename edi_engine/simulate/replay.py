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

from edi_engine.errors import InputError, Position
from edi_engine.simulate.expected import Comparison, Finding, compare, dump_expected, load_expected

__all__ = ["ReplayResult", "actual_findings", "replay"]


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
        try:
            loaded = load_folder(engine, pack)
            rules = pack / "rules.toml"  # a pack's own rule pack over the default, when the point needs one
            detect(engine, as_of=as_of, rules_path=str(rules) if rules.is_file() else None)
            actual = actual_findings(engine)
        finally:
            engine.dispose()
    failed = tuple(r.file for r in loaded.ingest.results if not r.ok)
    if update:
        dump_expected(actual, expected_path, expected.generator if expected else None)
        expected = load_expected(expected_path)
    assert expected is not None
    return ReplayResult(pack, compare(expected.findings, actual), actual, expected.findings, failed)
