"""`bothost report`: the monthly review in one command: logins, deploys, alarms, fills by pair."""

from __future__ import annotations

import datetime
import json

import click

from bothost.cli.session import Session, with_session


@click.command()
@with_session
@click.option("--days", type=click.IntRange(1, 366), default=30, show_default=True, help="How far back.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def report(session: Session, days: int, as_json: bool) -> None:
    """Print the last days' SSH logins, deploys, watcher alarms and fills by pair (bot or unexplained)."""
    from bothost.host import AUDIT_LOG
    from bothost.watch.report import build_report, render
    from roles.watch import UNIT

    journal = ["journalctl", "--no-pager", "-q", "-o", "json", "--since", f"-{days}d"]
    since = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=days)
    with session.host() as host:
        sshd = host.run([*journal, "SYSLOG_IDENTIFIER=sshd"], timeout=300).stdout
        watcher = host.run([*journal, "-u", UNIT], timeout=300).stdout
        audit = host.run(["cat", AUDIT_LOG]).stdout
    result = build_report(sshd, watcher, audit, since.strftime("%Y-%m-%dT%H:%M:%SZ"))
    click.echo(json.dumps(result, indent=2) if as_json else "\n".join(render(result)))
