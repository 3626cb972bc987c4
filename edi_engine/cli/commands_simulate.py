"""`simulate`: write a generated world (837s, 835s, CSVs, expected.json) to a directory."""

from __future__ import annotations

import click

from edi_engine.cli import handle_errors, main


@main.command()
@click.option("--claims", type=int, default=300, show_default=True, help="Number of claims (CLM01s) to generate.")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed: same seed, same bytes.")
@click.option("-o", "--out", "out", required=True, type=click.Path(file_okay=False), help="Directory to write.")
@click.option("--scenario", default=None, help="A named scenario pack (e.g. duplicate_payment); default: mixed.")
@click.option("--chunk", "chunk", type=int, default=2000, show_default=True, help="Claims per 837 file at most.")
@handle_errors
def simulate(claims: int, seed: int, out: str, scenario: str | None, chunk: int) -> None:
    """Generate a synthetic world of claims and remittances with its expected findings.

    Writes one 837 per batch of claims, one 835 per check, patient_payments.csv,
    fee_schedule.csv, payer_aliases.csv, expected.json and README.md into OUT.

    Example: edi-engine simulate --claims 300 --seed 7 -o world/
    """
    from edi_engine.simulate import generate_world

    world = generate_world(claims, seed, out=out, scenario=scenario, chunk_claims=chunk)
    counts = world.counts
    click.echo(f"{counts['claims']} claims, {counts['checks']} checks, {counts['findings']} expected findings; "
               f"{len(world.files)} files in {out}")
