"""`bothost teardown`: stop the bot gracefully, copy its data home, delete the server, keep the static IP."""

from __future__ import annotations

from pathlib import Path

import click

from bothost.cli.session import Session, with_session


@click.command("teardown")
@with_session
@click.option("--to", "destination", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Local folder for the bot's data (default: ./bothost-data/<stack>).")
@click.option("--release-ip", is_flag=True, help="Also delete the static IP (it is gone for good).")
@click.option("--skip-host", is_flag=True, help="The server is unreachable or gone: skip stop and copy.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def teardown(session: Session, destination: Path | None, release_ip: bool, skip_host: bool,
             yes: bool) -> None:
    """Stop the bot within its grace period, copy data and logs over SFTP, delete server and firewall."""
    from bothost.errors import BothostError
    from bothost.hetzner.client import connect
    from bothost.hetzner.teardown import destroy
    from bothost.keyaudit.guide import GUIDES
    from bothost.runbook import teardown as flow
    from bothost.runbook.exchange_key import running_key_hint
    from roles.bot.presets import bot_settings

    spec = session.spec
    destination = destination or Path("bothost-data") / spec.stack
    settings = bot_settings(spec.bot) if spec.bot else None
    client = connect()  # fails early (no token) before anything is stopped
    guide = GUIDES.get(spec.exchange.exchange) if spec.exchange else None
    if not yes:
        what = "and RELEASE its static IP" if release_ip else "(the static IP is kept)"
        click.confirm(f"Stop the bot and delete the server of stack {spec.stack} {what}?", abort=True)
    key_hint, ip = None, None
    if not skip_host:
        target, ip = session.target, session.static_ip
        with session.host() as host:
            if settings is not None:
                cancels = flow.CANCELS_ORDERS[settings.preset]
                click.echo(f"Stopping the bot (open orders cancelled on stop: {cancels})")
                key_hint = running_key_hint(host, settings.secrets_dir)
                stop = flow.stop_bot(host, settings, click.echo)
                if not stop.graceful and not stop.already_stopped:
                    click.echo("  ! the bot was killed, not stopped: look for open orders at the exchange")
                click.echo(f"Copying the bot's data to {destination}")
                flow.copy_data(host, settings.data_dir, settings.container, target.user, destination,
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
