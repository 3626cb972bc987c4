"""`db upgrade`, `ingest`, `import`, `payers alias`: the store's commands.

Each parses its arguments, calls one function of edi_engine.store, prints. Progress goes to
stderr only when stderr is a terminal; results go to stdout (as JSON with --json).
"""

from __future__ import annotations

import json

import click

from edi_engine.cli import handle_errors, main
from edi_engine.store import migrate
from edi_engine.store.engine import create_store_engine
from edi_engine.store.url import resolve_url, safe_url


def _url(ctx: click.Context) -> str | None:
    return (ctx.obj or {}).get("db_url")


@main.group("db")
def db_group() -> None:
    """Database schema maintenance."""


@db_group.command("upgrade")
@click.pass_context
@handle_errors
def db_upgrade(ctx: click.Context) -> None:
    """Create or upgrade the database schema to this version's head.

    Example: edi-engine --db postgresql+psycopg://edi@db/edi db upgrade
    """
    engine = create_store_engine(_url(ctx))
    before, after = migrate.upgrade(engine)
    where = safe_url(resolve_url(_url(ctx)))
    click.echo(f"{where}: schema at {after}" + ("" if before == after else f" (was {before or 'empty'})"))


@db_group.command("current")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def db_current(ctx: click.Context, as_json: bool) -> None:
    """Print the database's schema revision and this version's head.

    Example: edi-engine db current
    """
    engine = create_store_engine(_url(ctx))
    with engine.connect() as conn:
        current = migrate.current_revision(conn)
    info = {"current": current, "head": migrate.head_revision()}
    click.echo(json.dumps(info) if as_json else f"current {current or 'none'}, head {info['head']}")
