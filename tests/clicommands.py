"""Every runnable command of dockmig's Click group, by its full name.

The canary and hostile tests enumerate the CLI with this, so a command added
to the group is covered by both without a list kept by hand.
"""

from __future__ import annotations

import click

from dockmig.cli import main


def commands(group: click.Group = main, prefix: str = "") -> dict[str, click.Command]:
    """Groups opened up; a group that runs on its own counts as a command too."""
    found: dict[str, click.Command] = {}
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        assert command is not None, name
        full = f"{prefix}{name}"
        if isinstance(command, click.Group):
            found.update(commands(command, f"{full} "))
            if not command.invoke_without_command:
                continue
        found[full] = command
    return found
