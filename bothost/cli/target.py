"""Shared SSH-target options (like `bothost verify`'s) and their resolution from stack outputs."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import click


def target_options(command: Callable) -> Callable:
    """--host, --port, --user, --identity and --host-key, each defaulting to the stack outputs."""
    for option in reversed(
        [
            click.option("--host", help="Server address (default: the stack output whitelistIpv4)."),
            click.option(
                "--port",
                type=click.IntRange(1, 65535),
                help="SSH port (default: stack output sshPort, else bothost:sshPort).",
            ),
            click.option(
                "--user", help="Admin user (default: stack output adminUser, else bothost:adminUser)."
            ),
            click.option(
                "--identity",
                type=click.Path(exists=True, dir_okay=False, path_type=Path),
                help="Private key file (default: SSH agent and ~/.ssh keys).",
            ),
            click.option(
                "--host-key",
                "host_keys",
                multiple=True,
                metavar="LINE",
                help="Pinned host public key line, repeatable (default: stack output hostPublicKeys).",
            ),
        ]
    ):
        command = option(command)
    return command


def resolve_target(
    spec: object,
    host: str | None,
    port: int | None,
    user: str | None,
    identity: Path | None,
    host_keys: tuple[str, ...],
) -> tuple[object, str | None]:
    """The pinned Target, and the static IP the stack exports (None when only --host was given)."""
    from bothost.errors import BothostError
    from bothost.remote import Target
    from bothost.verify.stack import StackOutputs, read_outputs

    outputs = StackOutputs(None, None, None, ())
    if not host_keys or not host:
        outputs = read_outputs(spec.stack)
    address = host or outputs.host
    if not address:
        raise BothostError("no host: pass --host, or deploy so the stack exports whitelistIpv4")
    pinned = tuple(" ".join(line.split()[:2]) for line in host_keys) or outputs.host_keys
    target = Target(
        address,
        port or outputs.port or spec.host.ssh_port,
        user or outputs.user or spec.host.admin_user,
        pinned,
        identity,
    )
    return target, outputs.host


@contextlib.contextmanager
def bot_host(target: object) -> Iterator[object]:
    """A pinned SSH connection to the target, as the deploy module's Host."""
    from bothost.deploy.host import SSHHost
    from bothost.remote import Remote

    with Remote(target) as remote:
        yield SSHHost(remote)
