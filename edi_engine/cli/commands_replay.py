"""`replay` and `demo`: scenario packs through the whole pipeline."""

from __future__ import annotations

import sys
import tempfile
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import click

from edi_engine.cli import db_url, handle_errors, main
from edi_engine.cli.commands_findings import echo_table

# The bundled demo pack: fixtures/mixed in a checkout; regenerated (deterministically, same
# seed) where the package was installed without the repository's fixtures.
_CHECKOUT_MIXED = Path(__file__).resolve().parents[2] / "fixtures" / "mixed"


@main.command("replay")
@click.argument("pack", type=click.Path(exists=True, file_okay=False))
@click.option("--update", is_flag=True, help="Rewrite the pack's expected.json with what the engine finds.")
@click.option("--as-of", "as_of", metavar="DATE", help="Date findings are identified on (default today).")
@handle_errors
def replay_cmd(pack: str, update: bool, as_of: str | None) -> None:
    """Replay PACK in a temporary database, detect, and compare with its expected.json.

    Prints the differences and exits 1 on any.

    Example: edi-engine replay fixtures/duplicate_payment
    """
    from edi_engine.simulate.replay import replay

    result = replay(pack, as_of=as_of, update=update)
    for name in result.failed_files:
        click.echo(f"failed to ingest: {name}", err=True)
    for f in result.comparison.missing:
        click.echo(f"missing:    {f.category} claim {f.claim_id} payer {f.payer_id} {f.amount} to {f.refund_to} "
                   f"({f.status})")
    for f in result.comparison.unexpected:
        click.echo(f"unexpected: {f.category} claim {f.claim_id} payer {f.payer_id} {f.amount} to {f.refund_to} "
                   f"({f.status})")
    verdict = "updated" if update else ("clean" if result.ok else "differs")
    click.echo(f"{pack}: {len(result.actual)} findings, {len(result.expected)} expected: {verdict}")
    if not result.ok and not update:
        sys.exit(1)


# The day after the bundled pack's last check (2025-02-18): the demo reads as the office would that
# day. Run as of today, every credit of the 2024 pack would be identified two years late.
DEMO_AS_OF = "2025-02-19"


@main.command("demo")
@click.option("--as-of", "as_of", metavar="DATE",
              help=f"Date findings are identified on (default {DEMO_AS_OF}, the day after the pack's last check).")
@click.pass_context
@handle_errors
def demo_cmd(ctx: click.Context, as_of: str | None) -> None:
    """Load the bundled mixed pack (300 claims) into the database, detect, and print the findings.

    Uses --db / EDI_ENGINE_DB, by default ./edi-engine.db. Safe to repeat: files already stored
    are skipped and detect changes nothing the second time.

    Example: edi-engine demo
    """
    from edi_engine.outputs import detect_with_audit
    from edi_engine.rules import list_findings
    from edi_engine.store import open_store
    from edi_engine.store.packs import load_folder

    engine = open_store(db_url(ctx))
    with tempfile.TemporaryDirectory(prefix="edi-demo-") as tmp:
        pack = _CHECKOUT_MIXED
        if not (pack / "expected.json").is_file():
            from edi_engine.simulate.build_fixtures import MIXED, pack_contents

            pack = Path(tmp)
            for name, data in pack_contents(MIXED).items():
                (pack / name).write_bytes(data)
        loaded = load_folder(engine, pack)
    totals = loaded.ingest.totals()
    click.echo(f"Loaded {pack.name}: {totals['files']} files ({totals['ingested']} new, "
               f"{totals['already_ingested']} already stored), {totals['claims']} claims, "
               f"{totals['payments']} payments.")
    import os

    from edi_engine.rules import AS_OF_ENV, categories
    summary = detect_with_audit(engine, as_of=as_of or os.environ.get(AS_OF_ENV) or DEMO_AS_OF)
    with engine.connect() as conn:
        rows = [r.to_json() for r in list_findings(conn, "open")]
        recovered = sum(1 for r in list_findings(conn, "resolved"))
    looked = f"{summary.accounts} accounts" if summary.mode == "full" else \
        f"{summary.accounts} accounts touched since the last run"
    click.echo(f"Detect as of {summary.as_of}: {looked}, {summary.inserted} new findings; "
               f"{len(rows)} open, {recovered} already recovered by the payer.\n")
    echo_table(rows)
    credits = [r for r in rows if categories.get(r["category"]).refund]
    unapplied = [r for r in rows if not categories.get(r["category"]).refund]
    sections = [("Open credit by category:", credits, "category"), ("Open credit by payer:", credits, "payer_id"),
                ("Not refunds (unapplied cash and data to check) by category:", unapplied, "category")]
    for title, group, key in sections:
        if not group:
            continue
        sums: dict[str, list[Decimal]] = defaultdict(list)
        names: dict[str, str] = {}
        for r in group:
            sums[r[key] or "-"].append(Decimal(r["amount"]))
            if key == "payer_id" and r.get("payer_name"):
                names[r[key]] = r["payer_name"]
        click.echo(f"\n{title}")
        width = max(22, *(len(name) for name in sums))  # voided_claim_patient_paid is 25
        for name, amounts in sorted(sums.items()):
            click.echo(f"  {name:<{width}} {len(amounts):>4}  {sum(amounts, Decimal(0)):>12.2f}"
                       + (f"  {names[name]}" if name in names else ""))
