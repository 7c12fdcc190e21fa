"""`bothost teardown`: stop the bot gracefully, copy its data home, delete the server, keep the static IP."""

from __future__ import annotations

from pathlib import Path

import click

from bothost.cli.options import config_option, load_spec
from bothost.cli.target import resolve_target, target_options


def open_remote(target: object) -> object:
    """The pinned SSH connection to the host (a seam for tests)."""
    from bothost.remote import Remote

    return Remote(target)


@click.command("teardown")
@target_options
@click.option("--to", "destination", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Local folder for the bot's data (default: ./bothost-data/<stack>).")
@click.option("--release-ip", is_flag=True, help="Also delete the static IP (it is gone for good).")
@click.option("--skip-host", is_flag=True, help="The server is unreachable or gone: skip stop and copy.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@config_option
def teardown(host: str | None, port: int | None, user: str | None, identity: Path | None,
             host_keys: tuple[str, ...], destination: Path | None, release_ip: bool, skip_host: bool,
             yes: bool, config_path: Path) -> None:
    """Stop the bot within its grace period, copy data and logs over SFTP, delete server and firewall."""
    from bothost.deploy.host import SSHHost
    from bothost.errors import BothostError
    from bothost.hetzner.client import connect
    from bothost.hetzner.teardown import destroy
    from bothost.keyaudit.guide import GUIDES
    from bothost.runbook import teardown as flow
    from roles.bot.presets import bot_settings

    spec = load_spec(config_path)
    destination = destination or Path("bothost-data") / spec.stack
    settings = bot_settings(spec.bot) if spec.bot else None
    client = connect()  # fails early (no token) before anything is stopped
    guide = GUIDES.get(spec.exchange.exchange) if spec.exchange else None
    if not yes:
        what = "and RELEASE its static IP" if release_ip else "(the static IP is kept)"
        click.confirm(f"Stop the bot and delete the server of stack {spec.stack} {what}?", abort=True)
    key_hint, ip = None, None
    if not skip_host:
        target, ip = resolve_target(spec, host, port, user, identity, host_keys)
        with open_remote(target) as remote:
            if settings is not None:
                cancels = flow.CANCELS_ORDERS[settings.preset]
                click.echo(f"Stopping the bot (open orders cancelled on stop: {cancels})")
                path = f"{settings.secrets_dir}/exchange_api_key"
                found = remote.run(["head", "-c", "4", path])
                key_hint = found.stdout.strip() or None if found.exit_status == 0 else None
                stop = flow.stop_bot(SSHHost(remote), settings, click.echo)
                if not stop.graceful and not stop.already_stopped:
                    click.echo("  ! the bot was killed, not stopped: look for open orders at the exchange")
                click.echo(f"Copying the bot's data to {destination}")
                flow.copy_data(remote, settings.data_dir, settings.container, target.user, destination,
                               click.echo)
    elif not yes:
        raise BothostError("--skip-host loses the bot's data and its graceful stop: add --yes to confirm")
    click.echo("Deleting at Hetzner")
    kept = destroy(client, spec.stack, release_ip, lambda line: click.echo(f"  {line}"))
    click.echo(f"Pulumi's state still lists what was deleted: run `pulumi refresh --yes --stack {spec.stack}`"
               + ("" if release_ip else " (the static IP stays protected in the stack)"))
    click.echo(flow.exchange_checklist(guide.title if guide else None, guide.page if guide else None,
                                       key_hint,
                                       ip or (kept[0] if kept else None), release_ip))
