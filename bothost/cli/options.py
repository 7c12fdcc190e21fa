"""Options shared by several commands."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from bothost.config.stackfile import DEFAULT_STACK_FILE

if TYPE_CHECKING:
    from bothost.config import StackSpec

config_option = click.option(
    "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_STACK_FILE, show_default=True,
    help="Stack file to read (Pulumi.<stack>.yaml).",
)


def load_spec(config_path: Path) -> StackSpec:
    """Read and validate a stack file into a StackSpec."""
    from bothost.config import parse_spec
    from bothost.config.stackfile import read_stack_file, stack_name

    return parse_spec(read_stack_file(config_path), stack=stack_name(config_path))
