"""Rendering of the jinja2 templates in templates/ (strict: a missing variable is an error)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"
BANNER = "Managed by bothost: changes here are overwritten on the next deploy."


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )


def render(template: str, **variables: object) -> str:
    """Render templates/<template> with the given variables and the banner."""
    return _environment().get_template(template).render(banner=BANNER, **variables)
