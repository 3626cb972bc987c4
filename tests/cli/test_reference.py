"""Every command has help with an example, and docs/cli.md is the current --help of every command."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from edi_engine.cli.reference import iter_commands, render_reference

DOCS = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
COMMANDS = iter_commands()


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_command_has_help_with_an_example(name: str, command: click.Command) -> None:
    assert command.help, f"{name} has no help"
    if not isinstance(command, click.Group):
        assert "Example:" in command.help, f"{name} has no Example: line"


def test_reference_is_current() -> None:
    assert DOCS.read_text(encoding="utf-8") == render_reference(), (
        "docs/cli.md is stale: run `python -m edi_engine.cli.reference > docs/cli.md`")


def test_readme_names_every_top_level_command() -> None:
    readme = (DOCS.parents[1] / "README.md").read_text(encoding="utf-8")
    for name, _ in COMMANDS:
        if name.count(" ") == 1:
            assert f"`{name}" in readme, f"README does not mention {name}"
