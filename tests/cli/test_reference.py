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


def _sections(text: str) -> dict[str, str]:
    parts = text.split("\n## ")
    return {part.split("\n", 1)[0]: part for part in parts[1:]}


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_reference_documents_every_command_and_option(name: str, command: click.Command) -> None:
    # Compared by content rather than byte for byte: click versions wrap help text differently.
    stale = "docs/cli.md is stale: run `python -m edi_engine.cli.reference > docs/cli.md`"
    documented = _sections(DOCS.read_text(encoding="utf-8"))
    assert name in documented, stale
    for param in command.params:
        for opt in getattr(param, "opts", []):
            if opt.startswith("-"):
                assert opt in documented[name], f"{name} {opt}: {stale}"
    first_line = (command.help or "").strip().splitlines()[0].split("(")[0].strip()
    assert " ".join(first_line.split()[:4]) in " ".join(documented[name].split()), stale


def test_generated_reference_has_the_same_sections() -> None:
    assert _sections(render_reference()).keys() == _sections(DOCS.read_text(encoding="utf-8")).keys()


def test_readme_names_every_top_level_command() -> None:
    readme = (DOCS.parents[1] / "README.md").read_text(encoding="utf-8")
    for name, _ in COMMANDS:
        if name.count(" ") == 1:
            assert f"`{name}" in readme, f"README does not mention {name}"
