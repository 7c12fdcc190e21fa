"""`bothost verify`: prove on the live host that every role's control is in force."""

from __future__ import annotations

import json
import sys

import click

from bothost.cli.session import Session, with_session


@click.command()
@with_session
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def verify(session: Session, as_json: bool) -> None:
    """Run every role's checks on the host over one pinned SSH session; exit 1 if any fails."""
    from bothost.role import RenderContext
    from bothost.userdata import role_checks
    from bothost.verify.report import as_json as report_json
    from bothost.verify.report import as_table
    from bothost.verify.runner import verify_target

    target = session.target
    results = verify_target(target, role_checks(session.spec, RenderContext()))
    name = str(target)
    if as_json:
        click.echo(json.dumps(report_json(results, name), indent=2))
    else:
        click.echo(as_table(results, name))
    if not all(r.passed for r in results):
        sys.exit(1)
