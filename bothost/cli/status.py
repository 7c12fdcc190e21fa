"""`bothost status`: the bot container's state, health, image digest and uptime."""

from __future__ import annotations

from pathlib import Path

import click

from bothost.cli.options import config_option, load_spec
from bothost.cli.target import bot_host, resolve_target, target_options


@click.command()
@target_options
@config_option
def status(
    host: str | None,
    port: int | None,
    user: str | None,
    identity: Path | None,
    host_keys: tuple[str, ...],
    config_path: Path,
) -> None:
    """Show the bot container's state, health, image digest and uptime; exit 1 unless running and healthy."""
    import sys

    from bothost.deploy.ops import settings_for
    from bothost.deploy.ops import status as bot_status

    spec = load_spec(config_path)
    settings = settings_for(spec)
    target, _ = resolve_target(spec, host, port, user, identity, host_keys)
    with bot_host(target) as connected:
        found = bot_status(connected, settings)
    click.echo("\n".join(found.lines()))
    if (found.state, found.health) != ("running", "healthy"):
        sys.exit(1)
