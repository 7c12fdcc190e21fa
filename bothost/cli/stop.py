"""`bothost stop`: stop the bot gracefully; it stays stopped (also across reboots) until the next deploy."""

from __future__ import annotations

import click

from bothost.cli.session import Session, with_session


@click.command()
@with_session
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def stop(session: Session, yes: bool) -> None:
    """Stop the bot (SIGTERM, then stopGracePeriod to cancel open orders); `bothost deploy` starts it."""
    from bothost.deploy.ops import settings_for
    from bothost.deploy.ops import stop as stop_bot

    settings = settings_for(session.spec)
    if not yes:
        click.confirm(f"Stop the bot on {session.target.host}? It stays stopped until `bothost deploy`",
                      abort=True)
    with session.host() as host:
        stop_bot(host, settings, note=click.echo)
