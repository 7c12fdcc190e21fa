"""The command line: every verb has help, and starting it imports none of the heavy libraries."""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from bothost.cli import COMMANDS, cli

HEAVY = ("pulumi", "pulumi_hcloud", "paramiko", "cryptography", "hcloud", "jinja2", "ccxt")


def verbs() -> list[tuple[str, ...]]:
    """Every command path, subcommands of groups included."""
    paths = []
    for name in sorted(COMMANDS):
        command = cli.get_command(click.Context(cli), name)
        paths.append((name,))
        if isinstance(command, click.Group):
            paths.extend((name, sub) for sub in command.list_commands(click.Context(command)))
    return paths


@pytest.mark.parametrize("path", verbs(), ids=" ".join)
def test_every_verb_has_help(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_root_help_imports_no_heavy_library() -> None:
    code = ("import sys, json; from bothost.cli import cli; "
            "sys.argv = ['bothost', '--help']\n"
            "try:\n    cli.main(standalone_mode=False)\nexcept SystemExit:\n    pass\n"
            "print(json.dumps(sorted(m for m in sys.modules)))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(result.stdout.splitlines()[-1]))
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
    listed = {line.split()[0] for line in result.stdout.split("Commands:")[1].splitlines()[1:-1] if line}
    assert listed == set(COMMANDS)
