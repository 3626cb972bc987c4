"""`ingest FOLDER` on a `simulate` world (or a scenario pack) takes the X12 and names the README,
ground truth and CSVs it skipped, instead of failing them forever; a file given by name is read
whatever its name, so nothing named on the command line is silently dropped."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from edi_engine.cli import main


def test_a_simulated_world_ingests_cleanly_and_says_what_it_skipped(tmp_path: Path) -> None:
    world, db = tmp_path / "world", f"sqlite:///{tmp_path / 's.db'}"
    assert CliRunner().invoke(main, ["simulate", "--claims", "20", "--seed", "3", "--out", str(world)]).exit_code == 0
    x12 = sorted(p for p in world.iterdir() if p.suffix in (".835", ".837"))
    companions = sorted(p.name for p in world.iterdir() if p.suffix in (".md", ".json", ".csv"))
    assert x12 and "README.md" in companions and "expected.json" in companions
    result = CliRunner().invoke(main, ["--db", db, "ingest", str(world)])
    assert result.exit_code == 0, result.output
    assert f"files {len(x12)} ({len(x12)} ingested" in result.output and "0 failed" in result.output
    assert f"skipped {len(companions)} file(s)" in result.output and "README.md" in result.output
    named = CliRunner().invoke(main, ["--db", db, "ingest", str(world / "README.md")])
    assert named.exit_code != 0 and "not X12" in named.output  # given by name: read, and refused


def test_correct_refuses_flags_that_ask_for_different_claims(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'c.db'}"
    for args, says in ((["PCN1", "--void", "--replace"], "give one"),
                       (["PCN1", "--finding", "3"], "give it alone"),
                       (["PCN1", "--void", "--set", "line.1.charge=5.00"], "a void")):
        result = CliRunner().invoke(main, ["--db", db, "correct", *args, "-o", str(tmp_path / "x.837")])
        assert result.exit_code == 2 and says in result.output and "Traceback" not in result.output, args
        assert not (tmp_path / "x.837").exists()
