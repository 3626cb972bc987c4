"""`findings approve` through click with a two-step chain (SQLite and PostgreSQL): each step says
where the chain stands, four eyes is refused by name, and `letter`, `correct --finding` and `letters`
give nothing before the last approval."""

from __future__ import annotations

from click.testing import CliRunner

from edi_engine.cli import main
from edi_engine.outputs import audit_events

TWO = """
[approvals]
steps = [{ name = "proposal", role = "reviewer" }, { name = "approval", role = "approver" }]
"""


def _run(url: str, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, ["--db", url, *args])


def test_two_steps_through_the_cli(pack_store, db_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = pack_store("duplicate_payment")
    rules = tmp_path / "office.toml"
    rules.write_text(TWO)
    pdf, void = tmp_path / "letter.pdf", tmp_path / "void.837"
    first = _run(db_url, "findings", "approve", "1", "--by", "rita", "--note", "EOB shows two payments",
                 "--rules", str(rules))
    assert first.exit_code == 0, first.output
    assert first.output.strip() == ("finding 1: approval step 1 of 2 (proposal) recorded; "
                                    "next: step 2 of 2 (approval)")
    early = _run(db_url, "letter", "1", "-o", str(pdf))
    assert early.exit_code == 2 and "only after the last approval step" in early.output and not pdf.exists()
    early = _run(db_url, "correct", "--finding", "1", "--by", "rita", "-o", str(void))
    assert early.exit_code == 2 and "only after the last approval step" in early.output and not void.exists()
    batch = _run(db_url, "letters", "--status", "open", "-o", str(tmp_path / "batch"))
    assert batch.exit_code == 2 and "'open' is not one of" in batch.output
    twice = _run(db_url, "findings", "approve", "1", "--by", "rita", "--rules", str(rules))
    assert twice.exit_code == 2 and "four eyes" in twice.output
    last = _run(db_url, "findings", "approve", "1", "--by", "abe", "--rules", str(rules))
    assert last.exit_code == 0 and last.output.strip() == "finding 1: approve recorded"
    assert [(e.event, e.actor) for e in audit_events(engine, 1)][-2:] == [("step_approved", "rita"),
                                                                         ("approved", "abe")]
    assert _run(db_url, "letter", "1", "-o", str(pdf)).exit_code == 0 and pdf.read_bytes().startswith(b"%PDF")
    assert _run(db_url, "correct", "--finding", "1", "--by", "abe", "-o", str(void)).exit_code == 0
    written = [e.event for e in audit_events(engine, 1)]
    assert written.index("letter_written") > written.index("approved")
    assert written.index("corrected_claim_written") > written.index("approved")


def test_the_default_chain_approves_in_one_step(pack_store, db_url: str) -> None:  # type: ignore[no-untyped-def]
    pack_store("duplicate_payment")
    done = _run(db_url, "findings", "approve", "1", "--by", "maria")
    assert done.exit_code == 0 and done.output.strip() == "finding 1: approve recorded"
