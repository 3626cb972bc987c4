"""The `edi-engine` command line: each command parses its arguments, calls one layer, prints.

Business logic lives in the layers; errors from them (EdiEngineError) become one message on
stderr and the error's exit code, never a traceback.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from edi_engine.errors import EdiEngineError

__all__ = ["db_url", "handle_errors", "main"]

F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(func: F) -> F:
    """Turn an EdiEngineError into a one-line message and its exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except EdiEngineError as exc:
            click.echo(f"edi-engine: {exc}", err=True)
            sys.exit(exc.exit_code)
        except BrokenPipeError:  # `edi-engine parse big.835 | head`
            os._exit(0)

    return wrapper  # type: ignore[return-value]


def db_url(ctx: click.Context) -> str | None:
    """The --db URL (or EDI_ENGINE_DB) given to the command group; None means the default."""
    return (ctx.find_root().obj or {}).get("db_url")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", "db_url", envvar="EDI_ENGINE_DB", default=None, metavar="URL",
              help="Database URL (default: SQLite file edi-engine.db here; env EDI_ENGINE_DB).")
@click.version_option(package_name="edi-engine")
@click.pass_context
def main(ctx: click.Context, db_url: str | None) -> None:
    """Credit balance management over HIPAA X12 835/837."""
    ctx.obj = {"db_url": db_url}


# Each command lives in its own module and registers itself on `main` when imported.
from edi_engine.cli import (  # noqa: E402
    commands_findings,  # noqa: F401
    commands_outputs,  # noqa: F401
    commands_replay,  # noqa: F401
    commands_simulate,  # noqa: F401
    commands_store,  # noqa: F401
    commands_validate,  # noqa: F401
    commands_web,  # noqa: F401
    commands_x12,  # noqa: F401
)
