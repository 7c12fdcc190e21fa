"""`bothost rehearse`: boot the exact user_data on a local Debian 12 VM and verify every control."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bothost.cli.options import config_option, load_spec


@click.command()
@config_option
@click.option("--image", "image_path", type=click.Path(dir_okay=False, path_type=Path),
              help="A Debian 12 cloud image (qcow2, e.g. debian-12-genericcloud-amd64.qcow2) instead of the "
                   "image bothost builds and caches; used through an overlay, never modified.")
@click.option("--ssh-port", type=click.IntRange(1, 65535), help="Host port forwarded to the VM's SSH "
              "(default: a free one).")
@click.option("--keep", is_flag=True, help="Leave the VM running and print how to log in and stop it.")
@click.option("--stop", "stop_dir", type=click.Path(file_okay=False, path_type=Path), metavar="RUN_DIR",
              help="Stop a VM left running by --keep.")
def rehearse(config_path: Path, image_path: Path | None, ssh_port: int | None, keep: bool,
             stop_dir: Path | None) -> None:
    """Boot the stack's user_data on a local VM (qemu), verify it, and stop it (exit 1 if a check fails)."""
    from bothost.rehearsal.flow import rehearse as run
    from bothost.rehearsal.image import ensure_image, recipe_for_spec, user_image
    from bothost.rehearsal.session import stop_kept

    if stop_dir is not None:
        found = stop_kept(stop_dir)
        click.echo(f"{'Stopped the VM and removed' if found else 'No VM was running; removed'} {stop_dir}")
        return
    spec = load_spec(config_path)
    image = user_image(image_path) if image_path else ensure_image(recipe_for_spec(spec))
    if not run(spec, image, ssh_port=ssh_port, keep=keep, config_path=config_path):
        sys.exit(1)
