"""`edi-engine findings match FINDING --claim CLM01 [--line N] --by --note` and `findings unmatch`
(issue 13 item 2) on fixtures/manual_match_duplicate, run as a user would: ingest, import, detect,
match, detect, unmatch, detect. Refusals are one line on stderr with exit 2. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from edi_engine.cli import main

PACK = Path(__file__).resolve().parents[2] / "fixtures" / "manual_match_duplicate"


def _run(db: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--db", db, *args])
    return result.exit_code, result.stdout, result.stderr


def _findings(db: str) -> dict[tuple[str, str], dict]:  # type: ignore[type-arg]
    code, out, _ = _run(db, "findings", "--status", "all", "--format", "json")
    assert code == 0
    return {(f["category"], f["claim_id"]): f for f in json.loads(out)}


def test_match_detect_unmatch_detect(db_url: str) -> None:
    assert _run(db_url, "ingest", str(PACK))[0] == 0
    assert _run(db_url, "import", "patient-payments", str(PACK / "patient_payments.csv"))[0] == 0
    assert _run(db_url, "detect", "--as-of", "2024-12-01")[0] == 0
    found = _findings(db_url)
    assert set(found) == {("unmatched_payment", "PCN0766O01")}
    fid = str(found[("unmatched_payment", "PCN0766O01")]["id"])

    for args, message in [
        (["--claim", "PCN0000000"], "no stored claim 'PCN0000000'"),
        (["--claim", "PCN0766002"], "was billed to AHP01, not to NSB02"),
        (["--claim", "PCN0766001", "--line", "7"], "this claim payment has 6 service lines (SVC)"),
        (["--claim", "PCN0766001", "--note", " "], "needs a note saying why"),
    ]:
        code, out, err = _run(db_url, "findings", "match", fid, "--by", "ana", "--note", "EOB", *args)
        assert code == 2 and out == "" and message in err and "Traceback" not in err
        assert err.count("\n") == 1 and "WILLIAMS" not in err and "NSB000087071" not in err
    code, _, err = _run(db_url, "findings", "match", fid, "--claim", "PCN0766001", "--line", "0", "--by", "ana",
                        "--note", "x")
    assert code == 2 and "--line" in err

    code, out, _ = _run(db_url, "findings", "match", fid, "--claim", "PCN0766001", "--by", "ana", "--note",
                        "EOB: CLP01 mistyped, same member and services")
    assert code == 0
    assert out == (f"finding {fid}: 316.55 matched by hand to claim PCN0766001 (manual match #1); run "
                   "`edi-engine detect` to post it\n")
    code, out, _ = _run(db_url, "detect", "--as-of", "2024-12-01")
    assert code == 0 and "1 new" in out and "1 resolved" in out and "duplicate_payment 1" in out
    found = _findings(db_url)
    assert found[("unmatched_payment", "PCN0766O01")]["status"] == "resolved"
    dup = found[("duplicate_payment", "PCN0766001")]
    assert (dup["status"], dup["amount"], dup["refund_to"]) == ("open", "316.55", "payer")
    code, out, _ = _run(db_url, "explain", str(dup["id"]))
    assert "[paid again (matched by hand: manual match #1 by ana)]" in out and "CLP*PCN0766O01*" in out
    code, out, _ = _run(db_url, "audit", fid)
    assert "payment_matched" in out and "EOB: CLP01 mistyped" in out

    code, _, err = _run(db_url, "findings", "match", fid, "--claim", "PCN0766001", "--by", "bo", "--note", "x")
    assert code == 2 and "already matched by hand to claim PCN0766001 (manual match #1 by ana" in err
    code, out, _ = _run(db_url, "findings", "unmatch", fid, "--by", "bo", "--note", "payer: another claim")
    assert code == 0 and out.startswith(f"finding {fid}: manual match #1 to claim PCN0766001 undone")
    code, _, err = _run(db_url, "findings", "unmatch", fid, "--by", "bo", "--note", "again")
    assert code == 2 and "no manual match in force" in err
    assert "1 reopened" in _run(db_url, "detect", "--as-of", "2024-12-01")[1]
    found = _findings(db_url)
    assert found[("unmatched_payment", "PCN0766O01")]["status"] == "open"
    assert found[("duplicate_payment", "PCN0766001")]["status"] == "resolved"
    code, out, _ = _run(db_url, "audit", fid)
    assert "payment_unmatched" in out and "payer: another claim" in out


def test_match_needs_by_and_note() -> None:
    result = CliRunner().invoke(main, ["findings", "match", "1", "--claim", "PCN1"])
    assert result.exit_code == 2 and "Missing option" in result.stderr
