"""`bothost status`: the bot container's state, health, image digest and uptime."""

from __future__ import annotations

import click

from bothost.cli.session import Session, with_session


@click.command()
@with_session
def status(session: Session) -> None:
    """Show the bot container's state, health, image digest and uptime; exit 1 unless running and healthy."""
    import sys

    from bothost.deploy.ops import settings_for
    from bothost.deploy.ops import status as bot_status

    settings = settings_for(session.spec)
    with session.host() as host:
        found = bot_status(host, settings)
    click.echo("\n".join(found.lines()))
    if (found.state, found.health) != ("running", "healthy"):
        sys.exit(1)
