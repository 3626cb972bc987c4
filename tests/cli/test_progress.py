"""Progress bars: on a terminal, ingest, detect and the CSV imports draw one on stderr that ends at
the whole count; with --json or without a terminal, stderr stays empty and stdout holds only the
result. The commands run in a child process whose stderr is a real pseudo-terminal."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from edi_engine.cli import main
from edi_engine.rules import detect
from edi_engine.store import open_store

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")


def _run_on_terminal(args: list[str], db: str) -> tuple[int, str, str]:
    """(exit code, stdout, what the terminal on stderr showed)."""
    leader, follower = pty.openpty()
    try:
        proc = subprocess.run([sys.executable, "-m", "edi_engine", "--db", db, *args], stdout=subprocess.PIPE,
                              stderr=follower, stdin=subprocess.DEVNULL, timeout=300, check=False)
        os.close(follower)
        follower = -1
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal is closed once the child's output is read
                break
            if not chunk:
                break
            shown += chunk
    finally:
        if follower >= 0:
            os.close(follower)
        os.close(leader)
    return proc.returncode, proc.stdout.decode(), shown.decode(errors="replace")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world")
    result = CliRunner().invoke(main, ["simulate", "--claims", "60", "--seed", "11", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_ingest_detect_and_import_draw_a_bar_that_ends_at_the_whole(world: Path, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'p.db'}"
    x12 = [p for p in world.iterdir() if p.suffix in (".835", ".837")]
    code, out, shown = _run_on_terminal(["ingest", str(world)], db)
    assert code == 0 and "files" in out
    assert "ingest" in shown and f"{len(x12)}/{len(x12)}" in shown  # the bar's label and its last position
    payments = next(world.glob("patient_payments*.csv"))
    lines = payments.read_bytes().count(b"\n")
    code, out, shown = _run_on_terminal(["import", "patient-payments", str(payments)], db)
    assert code == 0 and "imported" in out and f"{lines}/{lines}" in shown
    code, out, shown = _run_on_terminal(["detect", "--as-of", "2026-01-01"], db)
    assert code == 0 and "accounts" in out
    accounts = int(re.search(r"^(\d+) accounts", out, re.M).group(1))  # type: ignore[union-attr]
    assert "detect" in shown and f"{accounts}/{accounts}" in shown


def test_json_and_a_pipe_get_no_bar(world: Path, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'q.db'}"
    code, out, shown = _run_on_terminal(["ingest", "--json", str(world)], db)
    assert code == 0 and out.lstrip().startswith("{")
    assert "ingest" not in shown and "/" not in shown  # only the companion-files note, if any
    code, out, shown = _run_on_terminal(["detect", "--json", "--as-of", "2026-01-01"], db)
    assert code == 0 and out.lstrip().startswith("{") and shown == ""
    piped = subprocess.run([sys.executable, "-m", "edi_engine", "--db", db, "detect", "--as-of", "2026-01-01"],
                           capture_output=True, timeout=300, check=False)
    assert piped.returncode == 0 and piped.stderr == b""


def test_detect_reports_every_account_once_in_order(world: Path, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'r.db'}"
    assert CliRunner().invoke(main, ["--db", db, "ingest", str(world)]).exit_code == 0
    calls: list[tuple[int, int]] = []
    summary = detect(open_store(db), as_of="2026-01-01", progress=lambda done, total: calls.append((done, total)))
    assert calls[0] == (0, summary.accounts) and calls[-1] == (summary.accounts, summary.accounts)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_letters_draw_a_bar_over_the_findings_written(world: Path, tmp_path: Path) -> None:
    from edi_engine.outputs import decide
    from edi_engine.rules import categories, list_findings
    from edi_engine.store.packs import load_folder
    db = f"sqlite:///{tmp_path / 'l.db'}"
    engine = open_store(db)
    load_folder(engine, world)  # the payer aliases too: without them its 835s match no 837
    detect(engine, as_of="2026-01-01")
    with engine.connect() as conn:
        refunds = [f for f in list_findings(conn, "open") if categories.get(f.category).refund][:3]
    assert refunds, "the world has no refund to write a letter for"
    for f in refunds:
        decide(engine, f.id, "approve", by="ana", note="checked the EOB")
    code, out, shown = _run_on_terminal(["letters", "--format", "txt", "-o", str(tmp_path / "letters")], db)
    assert code == 0 and f"{len(refunds)} letters written" in out
    assert "letters" in shown and f"{len(refunds)}/{len(refunds)}" in shown
