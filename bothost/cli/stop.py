"""`bothost stop`: stop the bot gracefully; it stays stopped (also across reboots) until the next deploy."""

from __future__ import annotations

from pathlib import Path

import click

from bothost.cli.options import config_option, load_spec
from bothost.cli.target import bot_host, resolve_target, target_options


@click.command()
@target_options
@config_option
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def stop(
    host: str | None,
    port: int | None,
    user: str | None,
    identity: Path | None,
    host_keys: tuple[str, ...],
    config_path: Path,
    yes: bool,
) -> None:
    """Stop the bot (SIGTERM, then stopGracePeriod to cancel open orders); `bothost deploy` starts it."""
    from bothost.deploy.ops import settings_for
    from bothost.deploy.ops import stop as stop_bot

    spec = load_spec(config_path)
    settings = settings_for(spec)
    target, _ = resolve_target(spec, host, port, user, identity, host_keys)
    if not yes:
        click.confirm(f"Stop the bot on {target.host}? It stays stopped until `bothost deploy`", abort=True)
    with bot_host(target) as connected:
        stop_bot(connected, settings, note=click.echo)
