"""`bothost audit-key`: check the exchange key from the host before anything is deployed with it."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import click

from bothost.cli.options import config_option, load_spec
from bothost.cli.target import resolve_target, target_options


def open_remote(target: object) -> object:
    """The pinned SSH connection to the host (a seam for tests)."""
    from bothost.remote import Remote

    return Remote(target)


@click.command("audit-key")
@target_options
@click.option(
    "--static-ip",
    help="The IP the exchange must whitelist (default: stack output whitelistIpv4, else --host).",
)
@config_option
def audit_key(
    host: str | None,
    port: int | None,
    user: str | None,
    identity: Path | None,
    host_keys: tuple[str, ...],
    static_ip: str | None,
    config_path: Path,
) -> None:
    """Audit the exchange API key from the host: no withdrawal, IP whitelist proven, clock in sync.

    Secrets are read with `pulumi config --show-secrets` when the Pulumi CLI exists, else from
    BOTHOST_EXCHANGE_API_KEY, BOTHOST_EXCHANGE_API_SECRET and BOTHOST_EXCHANGE_PASSPHRASE, else asked for.
    """
    from bothost.config.secrets import SecretSource
    from bothost.errors import BothostError
    from bothost.keyaudit.audit import audit, credentials_from

    spec = load_spec(config_path)
    if spec.exchange is None:
        raise BothostError("bothost:exchange is not set: there is no exchange key to audit")
    target, exported_ip = resolve_target(spec, host, port, user, identity, host_keys)
    static_ip = static_ip or exported_ip or target.host
    try:
        ipaddress.ip_address(static_ip)
    except ValueError:
        raise BothostError(f"{static_ip} is not an IP address: pass --static-ip") from None
    creds = credentials_from(spec.exchange, SecretSource(config_path))
    with open_remote(target) as remote:
        result = audit(spec.exchange, creds, remote, static_ip)
    click.echo(result.render())
    result.raise_if_refused()
