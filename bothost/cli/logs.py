"""`bothost logs`: the bot's output (from journald, through docker logs)."""

from __future__ import annotations

import click

from bothost.cli.session import Session, with_session


@click.command()
@with_session
@click.option("-f", "--follow", is_flag=True, help="Keep printing new lines until Ctrl-C.")
@click.option("-n", "--tail", "lines", type=click.IntRange(1, 100000), default=200, show_default=True,
              help="How many recent lines to show.")
def logs(session: Session, follow: bool, lines: int) -> None:
    """Print the bot's recent log lines, with timestamps."""
    from bothost.deploy.ops import settings_for

    settings = settings_for(session.spec)
    argv = ["docker", "logs", "--timestamps", "--tail", str(lines), *(["--follow"] if follow else []),
            settings.container]
    with session.host() as host:
        host.stream(argv, lambda text: click.echo(text, nl=False))
