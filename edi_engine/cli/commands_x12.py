"""`parse` and `validate`: the X12 layer's commands."""

from __future__ import annotations

from edi_engine.cli import main  # noqa: F401
