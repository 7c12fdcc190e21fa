"""The key audit as the deploy's preflight: the one place deploys (CLI and `pulumi up`) call it."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from bothost.config.exchange import ExchangeSpec
from bothost.errors import BothostError
from bothost.keyaudit.audit import AuditResult, audit
from bothost.progress import Report

if TYPE_CHECKING:
    from bothost.deploy.secretfiles import BotSecrets
    from bothost.host import Host
    from roles.bot.settings import BotSettings


def key_audit_preflight(exchange: ExchangeSpec | None, static_ip: str | None,
                        echo: Report) -> Callable[..., None]:
    """A deployer.Preflight that audits the key being deployed, from the host, and refuses a bad one."""

    def preflight(host: Host, settings: BotSettings, secrets: BotSecrets) -> None:
        if exchange is None:
            echo("key audit: skipped (no bothost:exchange configured, so no exchange key is deployed)")
            return
        if not static_ip:
            raise BothostError("the key audit needs the static IP the key is whitelisted to: deploy with "
                               "`pulumi up` first, or pass --host with the stack's whitelistIpv4")
        if secrets.exchange is None:
            raise BothostError("bothost:exchangeApiKey and bothost:exchangeApiSecret must both be set "
                               f"for the {exchange.exchange} key audit")
        result: AuditResult = audit(exchange, secrets.exchange, host, static_ip)
        echo(result.render())
        result.raise_if_refused()

    return preflight


def pulumi_preflight(host: Host, settings: BotSettings, secrets: BotSecrets, *, exchange: str, api_base: str,
                     allow_unrestricted_key: bool, static_ip: str) -> None:
    """The same audit inside `pulumi up` (bot_deployment's "module:function"); args are plain, non-secret.

    The key material comes from the deploy's secrets; the findings go to stderr, which `pulumi up` shows
    for dynamic providers (warnings such as an allowed unrestricted key are printed on every run).
    """
    spec = ExchangeSpec(exchange, api_base, allow_unrestricted_key, api_key=None, api_secret=None,
                        passphrase=None)
    key_audit_preflight(spec, static_ip, lambda line: print(line, file=sys.stderr))(host, settings, secrets)


def pulumi_preflight_args(exchange: ExchangeSpec | None, static_ip: object) -> dict[str, object] | None:
    """The plain keyword arguments pulumi_preflight takes (None: nothing to audit)."""
    if exchange is None:
        return None
    return {"exchange": exchange.exchange, "api_base": exchange.api_base,
            "allow_unrestricted_key": exchange.allow_unrestricted_key, "static_ip": static_ip}
