"""The `edi-engine` command line: each command parses its arguments, calls one layer, prints.

Business logic lives in the layers. The root group is the one error boundary (`_EdiGroup.invoke`),
so every command, a new one included, ends in one line on stderr and a non-zero exit, never a
traceback:

- an EdiEngineError: its message and its class's exit code (1 input, 2 usage);
- a file the system refuses (OSError: missing folder, permission, port in use): the path and the
  system's reason, exit 1;
- a database that cannot be opened or used (SQLAlchemy OperationalError): the URL (password
  masked) and the driver's first line, exit 1;
- anything else is a bug: its type and where it was raised, exit 70 (EX_SOFTWARE). Its message is
  not shown, since it may quote data; EDI_ENGINE_DEBUG=1 re-raises it with its traceback.
"""

from __future__ import annotations

import functools
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from edi_engine.errors import EdiEngineError, UsageError

__all__ = ["EXIT_BUG", "LazyChoice", "db_url", "handle_errors", "main", "output_file"]

EXIT_BUG = 70  # EX_SOFTWARE (sysexits.h): an exception the code did not expect

F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(func: F) -> F:
    """Turn an EdiEngineError into a one-line message and its exit code. The root group's boundary
    does this and more for every command; this per-command form predates it and prints the same."""

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


class LazyChoice(click.Choice[str]):
    """A click.Choice whose choices are loaded when first needed (help, completion, a value to
    check), so a command's module imports nothing heavy to declare its options: `import
    edi_engine.cli` stays light (see tests/cli/test_startup.py)."""

    def __init__(self, load: Callable[[], Sequence[str]], case_sensitive: bool = True) -> None:
        self._load = load
        self._loaded: tuple[str, ...] | None = None
        super().__init__((), case_sensitive)

    @property
    def choices(self) -> tuple[str, ...]:
        if self._loaded is None:
            self._loaded = tuple(self._load())
        return self._loaded

    @choices.setter
    def choices(self, value: Sequence[str]) -> None:
        if value:
            self._loaded = tuple(value)


def db_url(ctx: click.Context) -> str | None:
    """The --db URL (or EDI_ENGINE_DB) given to the command group; None means the default."""
    return (ctx.find_root().obj or {}).get("db_url")


def output_file(path: str) -> str:
    """`path` (or "-") for a file the command will write, refused before any work when its folder is
    missing, so a letter or a correction is not rendered (and audited) only to fail at the write."""
    if path != "-":
        folder = Path(path).parent
        if not folder.is_dir():
            raise UsageError(f"cannot write {path}: folder {folder} does not exist")
        if Path(path).is_dir():
            raise UsageError(f"cannot write {path}: it is a folder")
    return path


def _database(ctx: click.Context) -> str:
    from edi_engine.store.url import resolve_url, safe_url

    try:
        url = resolve_url(db_url(ctx))
    except EdiEngineError:
        return "database"
    where = f"database {safe_url(url)}"
    if url.drivername.startswith("sqlite") and url.database and url.database != ":memory:":
        folder = Path(url.database).parent
        if not folder.is_dir():
            where += f" (folder {folder} does not exist)"
    return where


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _describe(exc: Exception, ctx: click.Context) -> tuple[str, int]:
    """The one-line message and exit code for an exception that reached the boundary."""
    if isinstance(exc, EdiEngineError):
        return str(exc), exc.exit_code
    # A SQLAlchemy error can only come from a command that imported SQLAlchemy: look for the
    # module instead of importing it, so the boundary costs nothing to commands without a store.
    sa_exc = sys.modules.get("sqlalchemy.exc")
    if sa_exc is not None and isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError)):
        # The driver's first line only: SQLAlchemy appends the statement and its parameters.
        orig = exc.orig
        return f"{_database(ctx)}: {_first_line(orig) if orig is not None else 'cannot be used'}", 1
    if isinstance(exc, OSError):
        reason = exc.strerror or _first_line(exc)
        if exc.filename is not None and exc.filename2 is not None:
            return f"{exc.filename} -> {exc.filename2}: {reason}", 1
        if exc.filename is not None:
            return f"{exc.filename}: {reason}", 1
        return reason, 1
    if isinstance(exc, MemoryError):
        return "out of memory", 1
    frames = traceback.extract_tb(exc.__traceback__)
    where = ""
    if frames:
        frame = frames[-1]
        package = Path(__file__).resolve().parents[1]
        try:
            shown = str(Path(frame.filename).resolve().relative_to(package.parent))
        except ValueError:
            shown = Path(frame.filename).name
        where = f" at {shown}:{frame.lineno}"
    return (f"internal error: {type(exc).__name__}{where}; this is a bug, please report it "
            "(EDI_ENGINE_DEBUG=1 shows the traceback)"), EXIT_BUG


class _EdiGroup(click.Group):
    """The root group: its invoke() is the CLI's error boundary (see the module docstring)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except BrokenPipeError:  # `edi-engine parse big.835 | head`
            os._exit(0)
        except Exception as exc:
            if os.environ.get("EDI_ENGINE_DEBUG"):
                raise
            message, code = _describe(exc, ctx)
            click.echo(f"edi-engine: {message}", err=True)
            sys.exit(code)


@click.group(cls=_EdiGroup, context_settings={"help_option_names": ["-h", "--help"]})
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
    commands_refunds,  # noqa: F401
    commands_replay,  # noqa: F401
    commands_simulate,  # noqa: F401
    commands_store,  # noqa: F401
    commands_tasks,  # noqa: F401
    commands_validate,  # noqa: F401
    commands_web,  # noqa: F401
    commands_x12,  # noqa: F401
)
