"""`bothost render`: print the user_data the server would get."""

from __future__ import annotations

from pathlib import Path

import click

from bothost.cli.options import config_option, load_spec


@click.command()
@config_option
def render(config_path: Path) -> None:
    """Print the cloud-init user_data the server gets (host keys shown as placeholders)."""
    from bothost.role import RenderContext
    from bothost.userdata import render_user_data

    click.echo(render_user_data(load_spec(config_path), RenderContext()), nl=False)
