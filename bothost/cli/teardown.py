"""`bothost teardown`: stop the bot gracefully, copy its data home, `pulumi destroy` all but the static IP."""

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
@click.option("--api-only", is_flag=True,
              help="The stack's Pulumi state is lost: delete through the Hetzner API, not pulumi destroy.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def teardown(session: Session, destination: Path | None, release_ip: bool, skip_host: bool,
             api_only: bool, yes: bool) -> None:
    """Stop the bot within its grace period, copy data and logs over SFTP, then `pulumi destroy
    --exclude-protected` (the static IP stays; --release-ip deletes it too). Prints each Pulumi command."""
    from bothost.errors import BothostError
    from bothost.hetzner.client import connect
    from bothost.hetzner.teardown import delete_servers, destroy, keep_or_release_ips, lift_ip_protection
    from bothost.keyaudit.guide import GUIDES
    from bothost.runbook import teardown as flow
    from bothost.runbook.exchange_key import running_key_hint
    from bothost.runbook.pulumi_destroy import PulumiCli, destroy_argv, refresh_argv, unprotect_argv
    from roles.bot.presets import stack_bot_settings

    spec = session.spec
    destination = destination or Path("bothost-data") / spec.stack
    settings = stack_bot_settings(spec) if spec.bot else None
    client = connect()  # fails early (no token) before anything is stopped
    identity = session.options[3]
    pulumi = None if api_only else PulumiCli(session.config_path, identity)  # likewise: no Pulumi CLI
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
    report = lambda line: click.echo(f"  {line}")  # noqa: E731
    if pulumi is None:
        click.echo("Deleting at Hetzner (API only)")
        kept = destroy(client, spec.stack, release_ip, report)
        click.echo(f"Pulumi's state (if any) still lists them: `pulumi refresh --yes --stack {spec.stack}`")
    else:
        click.echo("Deleting with Pulumi (the protected static IP stays)")
        if skip_host:  # the bot's own delete needs the host, or Hetzner's word that the server is gone
            delete_servers(client, spec.stack, report)
            pulumi.run(refresh_argv(spec.stack), report)
        pulumi.run(destroy_argv(spec.stack, keep_protected=True), report)
        if release_ip:
            lift_ip_protection(client, spec.stack, report)
            pulumi.run(unprotect_argv(spec.stack), report)
            pulumi.run(destroy_argv(spec.stack, keep_protected=False), report)
        kept = keep_or_release_ips(client, spec.stack, release_ip, report)
    click.echo(flow.exchange_checklist(guide.title if guide else None, guide.page if guide else None,
                                       key_hint,
                                       ip or (kept[0] if kept else None), release_ip))
