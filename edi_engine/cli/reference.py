"""The CLI reference (docs/cli.md), generated from every command's --help.

    python -m edi_engine.cli.reference > docs/cli.md

A test compares docs/cli.md with this output, so the reference never drifts from the code.
"""

from __future__ import annotations

import click

from edi_engine.cli import main

__all__ = ["iter_commands", "render_reference"]

_WIDTH = 100  # fixed, so the reference does not depend on the terminal it was generated in


def iter_commands(group: click.Group = main, prefix: str = "edi-engine") -> list[tuple[str, click.Command]]:
    """(full name, command) for every command and subcommand, depth first, sorted by name."""
    out: list[tuple[str, click.Command]] = []
    ctx = click.Context(group, info_name=prefix)
    for name in sorted(group.list_commands(ctx)):
        command = group.get_command(ctx, name)
        if command is None:
            continue
        full = f"{prefix} {name}"
        out.append((full, command))
        if isinstance(command, click.Group):
            out.extend(iter_commands(command, full))
    return out


def _help(full: str, command: click.Command) -> str:
    parts = full.split()
    ctx = click.Context(main, info_name=parts[0], terminal_width=_WIDTH, max_content_width=_WIDTH)
    for part in parts[1:]:
        group = ctx.command
        assert isinstance(group, click.Group)
        sub = group.get_command(ctx, part)
        assert sub is not None
        ctx = click.Context(sub, info_name=part, parent=ctx, terminal_width=_WIDTH, max_content_width=_WIDTH)
    return command.get_help(ctx)


def render_reference() -> str:
    lines = ["# edi-engine command reference", "",
             "Generated from each command's `--help` by `python -m edi_engine.cli.reference > docs/cli.md`.", ""]
    top = click.Context(main, info_name="edi-engine", terminal_width=_WIDTH, max_content_width=_WIDTH)
    lines += ["## edi-engine", "", "```", main.get_help(top), "```", ""]
    for full, command in iter_commands():
        lines += [f"## {full}", "", "```", _help(full, command), "```", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    click.echo(render_reference(), nl=False)
