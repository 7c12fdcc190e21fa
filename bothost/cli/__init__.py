"""The bothost command line: the runbook's verbs. Heavy libraries load only in the command that runs."""

from __future__ import annotations

import importlib
import os
import sys

import click

# verb -> "module:function"; each module holds one command and imports what it needs inside it.
COMMANDS: dict[str, str] = {
    "render": "bothost.cli.render:render",
    "ci-ssh": "bothost.cli.ci_ssh:ci_ssh",
    "rotate": "bothost.cli.rotate:rotate",
    "teardown": "bothost.cli.teardown:teardown",
    "rehearse": "bothost.cli.rehearse:rehearse",
    "verify": "bothost.cli.verify:verify",
    "audit-key": "bothost.cli.audit_key:audit_key",
    "deploy": "bothost.cli.deploy:deploy",
    "status": "bothost.cli.status:status",
    "logs": "bothost.cli.logs:logs",
    "stop": "bothost.cli.stop:stop",
    "alert": "bothost.cli.alert:alert",
    "report": "bothost.cli.report:report",
}


class LazyGroup(click.Group):
    """A group that imports a command's module only when that command is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attribute = target.split(":")
        return getattr(importlib.import_module(module), attribute)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="bothost")
def cli() -> None:
    """Run a crypto trading bot on a hardened Hetzner host you own."""


def main() -> None:
    """Entry point: user errors become one line and exit 2; BOTHOST_DEBUG=1 shows tracebacks."""
    from bothost.errors import BothostError

    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except BothostError as exc:
        if os.environ.get("BOTHOST_DEBUG"):
            raise
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
