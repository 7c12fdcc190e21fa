"""`bothost audit-key`: check the exchange key from the host before anything is deployed with it."""

from __future__ import annotations

import ipaddress

import click

from bothost.cli.session import Session, with_session


@click.command("audit-key")
@with_session
@click.option(
    "--static-ip",
    help="The IP the exchange must whitelist (default: stack output whitelistIpv4, else --host).",
)
def audit_key(session: Session, static_ip: str | None) -> None:
    """Audit the exchange API key from the host: no withdrawal, IP whitelist proven, clock in sync.

    Secrets are read with `pulumi config --show-secrets` when the Pulumi CLI exists, else from
    BOTHOST_EXCHANGE_API_KEY, BOTHOST_EXCHANGE_API_SECRET and BOTHOST_EXCHANGE_PASSPHRASE, else asked for.
    """
    from bothost.errors import BothostError
    from bothost.keyaudit.audit import audit, credentials_from

    spec = session.spec
    if spec.exchange is None:
        raise BothostError("bothost:exchange is not set: there is no exchange key to audit")
    static_ip = static_ip or session.static_ip or session.target.host
    try:
        ipaddress.ip_address(static_ip)
    except ValueError:
        raise BothostError(f"{static_ip} is not an IP address: pass --static-ip") from None
    creds = credentials_from(spec.exchange, session.secrets)
    with session.host() as host:
        result = audit(spec.exchange, creds, host, static_ip)
    click.echo(result.render())
    result.raise_if_refused()
