"""`bothost logs`: the bot's output (from journald, through docker logs)."""

from __future__ import annotations

from pathlib import Path

import click

from bothost.cli.options import config_option, load_spec
from bothost.cli.target import bot_host, resolve_target, target_options


@click.command()
@target_options
@config_option
@click.option("-f", "--follow", is_flag=True, help="Keep printing new lines until Ctrl-C.")
@click.option(
    "-n",
    "--tail",
    "lines",
    type=click.IntRange(1, 100000),
    default=200,
    show_default=True,
    help="How many recent lines to show.",
)
def logs(
    host: str | None,
    port: int | None,
    user: str | None,
    identity: Path | None,
    host_keys: tuple[str, ...],
    config_path: Path,
    follow: bool,
    lines: int,
) -> None:
    """Print the bot's recent log lines, with timestamps."""
    from bothost.deploy.ops import settings_for

    spec = load_spec(config_path)
    settings = settings_for(spec)
    target, _ = resolve_target(spec, host, port, user, identity, host_keys)
    argv = [
        "docker",
        "logs",
        "--timestamps",
        "--tail",
        str(lines),
        *(["--follow"] if follow else []),
        settings.container,
    ]
    with bot_host(target) as connected:
        connected.stream(argv, lambda text: click.echo(text, nl=False))
