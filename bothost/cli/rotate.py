"""`bothost rotate exchange-key|ssh-key|host-keys|host`: replace a credential without downtime or lockout."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from bothost.cli import session as cli_session
from bothost.cli.session import Session, with_session

if TYPE_CHECKING:
    from bothost.config import StackSpec
    from bothost.config.secrets import SecretSource
    from bothost.host import Host
    from bothost.secret import Credentials


@click.group("rotate")
def rotate() -> None:
    """Rotate the exchange key, the admin SSH key, or the whole host (keeping the static IP)."""


@rotate.command("ssh-key")
@with_session
@click.option("--new-key", "new_key", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The NEW private key file (its .pub must be beside it).")
@click.option("--old-key", "old_key", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The OLD public key (.pub) to remove (default: --identity's .pub).")
@click.option("--yes", is_flag=True, help="Do not ask before removing the old key.")
def ssh_key(session: Session, new_key: Path, old_key: Path | None, yes: bool) -> None:
    """Add the new admin key, prove a fresh login with it, then remove the old one (never the last)."""
    from bothost.errors import BothostError
    from bothost.runbook.ssh_keys import config_hint, old_key_refused, rotate_ssh_key

    target = session.target
    identity = target.identity
    new_pub = Path(f"{new_key}.pub")
    old_pub = old_key or (Path(f"{identity}.pub") if identity else None)
    if not new_pub.exists() or old_pub is None or not old_pub.exists():
        raise BothostError("need the new key's .pub beside it and the old public key (--old-key, or "
                           "--identity with its .pub beside it)")
    if not yes:
        click.confirm(f"Replace {old_pub} with {new_pub} on {target.user}@{target.host}?", abort=True)
    connect = cli_session.connect_host
    final = rotate_ssh_key(connect, target, new_pub.read_text(), new_key, old_pub.read_text(), click.echo)
    if identity is not None and not old_key_refused(connect, target, identity, click.echo):
        raise BothostError("the old key still logs in: it is listed again (by hand?); rerun the rotation")
    click.echo(config_hint(session.spec.stack, final))


@rotate.command("exchange-key")
@with_session
@click.option("--static-ip", help="The whitelisted IP (default: stack output whitelistIpv4).")
@click.option("--yes", is_flag=True, help="Do not ask before restarting the bot.")
def exchange_key(session: Session, static_ip: str | None, yes: bool) -> None:
    """Audit the NEW key set in the stack config, push it, restart the bot, wait healthy, name the old key.

    First put the new key into the config: pulumi config set --secret bothost:exchangeApiKey (and Secret).
    """
    from bothost.errors import BothostError
    from bothost.keyaudit.audit import audit, credentials_from
    from bothost.keyaudit.guide import GUIDES
    from bothost.runbook.exchange_key import ExchangeRotation, rotate_exchange_key, running_key_hint
    from roles.bot.presets import stack_bot_settings

    spec = session.spec
    if spec.exchange is None or spec.bot is None:
        raise BothostError("bothost:exchange and bothost:bot must be set to rotate the exchange key")
    target, exported_ip = session.target, session.static_ip
    source = session.secrets
    creds = credentials_from(spec.exchange, source)
    guide = GUIDES[spec.exchange.exchange]
    if not yes:
        click.confirm(f"Audit the new {guide.title} key and restart the bot on {target.host} with it?",
                      abort=True)
    with session.host() as host:
        rotation = ExchangeRotation(
            guide.title, guide.page,
            audit=lambda: audit(spec.exchange, creds, host, static_ip or exported_ip or target.host),
            push=lambda: _push(spec, source, creds, host),
            healthy=lambda: _healthy(spec, host),
            old_key_hint=lambda: running_key_hint(host, stack_bot_settings(spec).secrets_dir),
        )
        click.echo(rotate_exchange_key(rotation, click.echo))


def _push(spec: StackSpec, source: SecretSource, creds: Credentials, host: Host) -> None:
    """Deploy the bot with the new key files (the deploy restarts it and waits until healthy)."""
    from bothost.deploy.deployer import deploy
    from bothost.deploy.ops import bot_secret_key, settings_for
    from bothost.deploy.secretfiles import BotSecrets

    # The same lookup keys as `bothost deploy` (e.g. env BOTHOST_BOT_SECRETS_TELEGRAM_TOKEN).
    bot = {name: source.resolve(value, bot_secret_key(name)) for name, value in spec.bot.secrets}
    secrets = BotSecrets(creds, bot)
    deploy(host, settings_for(spec), secrets, note=lambda line: click.echo(f"    {line}"))


def _healthy(spec: StackSpec, host: Host) -> bool:
    """docker reports the bot container running and healthy."""
    from bothost.facts import docker
    from roles.bot.presets import stack_bot_settings

    fact = docker.parse_container(host.run(docker.inspect_container_argv(stack_bot_settings(spec).container)))
    return fact is not None and fact.running and fact.health == "healthy"


@rotate.command("host-keys")
def host_keys_() -> None:
    """Host keys are rotated by replacing the host: they live in Pulumi state and in user_data."""
    click.echo("SSH host keys are generated into Pulumi state and baked into the first boot, so they are "
               "rotated with the host:\n  bothost rotate host --yes\n(new keys are pinned from the stack "
               "outputs; the static IP and the exchange whitelist stay).")


@rotate.command("host")
@click.option("--stack", required=True, help="Stack to rotate.")
@click.option("--yes", is_flag=True, help="Do not ask before replacing the server.")
def host(stack: str, yes: bool) -> None:
    """Replace the server (new host keys) while keeping the static IP; then redeploy and verify."""
    from bothost.runbook.rotate_host import rotate_host

    if not yes:
        click.confirm(f"Replace the server of stack {stack} (the bot stops meanwhile)?", abort=True)
    rotate_host(stack, click.echo)
