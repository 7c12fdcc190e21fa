"""`bothost verify`: prove on the live host that every role's control is in force."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from bothost.cli.options import config_option, load_spec
from bothost.cli.target import resolve_target, target_options


@click.command()
@target_options
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def verify(host: str | None, port: int | None, user: str | None, identity: Path | None,
           host_keys: tuple[str, ...], config_path: Path, as_json: bool) -> None:
    """Run every role's checks on the host over one pinned SSH session; exit 1 if any fails."""
    from bothost.role import RenderContext
    from bothost.userdata import role_checks
    from bothost.verify.host import verify_target
    from bothost.verify.report import as_json as report_json
    from bothost.verify.report import as_table

    spec = load_spec(config_path)
    target, _ = resolve_target(spec, host, port, user, identity, host_keys)
    results = verify_target(target, role_checks(spec, RenderContext()))
    name = f"{target.user}@{target.host}:{target.port}"
    if as_json:
        click.echo(json.dumps(report_json(results, name), indent=2))
    else:
        click.echo(as_table(results, name))
    if not all(r.passed for r in results):
        sys.exit(1)
