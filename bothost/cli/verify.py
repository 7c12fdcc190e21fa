"""`bothost verify`: prove on the live host that every role's control is in force."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from bothost.cli.options import config_option, load_spec


@click.command()
@click.option("--host", help="Server address (default: the stack output whitelistIpv4).")
@click.option("--port", type=click.IntRange(1, 65535), help="SSH port (default: stack output sshPort, "
              "else bothost:sshPort).")
@click.option("--user", help="Admin user (default: stack output adminUser, else bothost:adminUser).")
@click.option("--identity", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Private key file (default: SSH agent and ~/.ssh keys).")
@click.option("--host-key", "host_keys", multiple=True, metavar="LINE",
              help="Pinned host public key line, repeatable (default: stack output hostPublicKeys).")
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def verify(host: str | None, port: int | None, user: str | None, identity: Path | None,
           host_keys: tuple[str, ...], config_path: Path, as_json: bool) -> None:
    """Run every role's checks on the host over one pinned SSH session; exit 1 if any fails."""
    from bothost.errors import BothostError
    from bothost.remote import Target
    from bothost.role import RenderContext
    from bothost.userdata import role_checks
    from bothost.verify.host import verify_target
    from bothost.verify.report import as_json as report_json
    from bothost.verify.report import as_table
    from bothost.verify.stack import StackOutputs, read_outputs

    spec = load_spec(config_path)
    outputs = StackOutputs(None, None, None, ())
    if not host_keys or not host:
        outputs = read_outputs(spec.stack)
    host = host or outputs.host
    if not host:
        raise BothostError("no host: pass --host, or deploy so the stack exports whitelistIpv4")
    pinned = tuple(" ".join(line.split()[:2]) for line in host_keys) or outputs.host_keys
    port = port or outputs.port or spec.host.ssh_port
    target = Target(host, port, user or outputs.user or spec.host.admin_user, pinned, identity)
    results = verify_target(target, role_checks(spec, RenderContext()))
    name = f"{target.user}@{target.host}:{target.port}"
    if as_json:
        click.echo(json.dumps(report_json(results, name), indent=2))
    else:
        click.echo(as_table(results, name))
    if not all(r.passed for r in results):
        sys.exit(1)
