"""Progress bars on stderr for the long commands (ingest, detect, imports, refund batches).

Shown only on a terminal and never with --json: a pipeline or a log gets the summary line alone,
and stdout carries nothing but the command's result. The layers report progress through a plain
`(done, total)` callback and know nothing of click; the bar is created when the first call says
how much there is to do, because detect learns its number of accounts only after loading facts.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

__all__ = ["Progress", "progress_bar"]

Progress = Callable[[int, int], None]  # (done, total): the layers' side


def _noop(done: int, total: int) -> None:
    pass


@contextmanager
def progress_bar(label: str, *, quiet: bool = False) -> Iterator[Progress]:
    """A `(done, total)` callback drawing a click progress bar on stderr, or doing nothing when
    stderr is no terminal or `quiet` (--json)."""
    if quiet or not sys.stderr.isatty():
        yield _noop
        return
    bar: Any = None
    try:
        def update(done: int, total: int) -> None:
            nonlocal bar
            if bar is None:
                bar = click.progressbar(length=max(total, 1), label=label, file=sys.stderr, show_pos=True)
                bar.__enter__()
            if total != bar.length:  # a total learnt late (the rows of a CSV) grows the bar
                bar.length = max(total, 1)
            bar.update(done - bar.pos)

        yield update
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
