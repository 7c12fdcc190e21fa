"""`bothost deploy`: run the configured bot on the host (pull first, swap gracefully, no-op if unchanged)."""

from __future__ import annotations

from pathlib import Path

import click

from bothost.cli.session import Session, with_session


@click.command()
@with_session
@click.option(
    "--image-archive",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Image tarball to stream over SSH instead of pulling (default: bothost:bot.imageArchive).",
)
def deploy(session: Session, image_archive: Path | None) -> None:
    """Audit the exchange key, then deploy or update the bot (and the watcher, with bothost:watch); secrets go
    over SSH into 0400 files only.

    Secrets are read with `pulumi config --show-secrets` when the Pulumi CLI exists, else from
    environment variables (BOTHOST_EXCHANGE_API_SECRET, BOTHOST_BOT_SECRETS_TELEGRAM_TOKEN for
    bothost:botSecrets.telegramToken, ...), else asked for.
    """
    from bothost.deploy.ops import deploy_spec, secrets_for, settings_for
    from bothost.deploy.watch import converge_watch, watch_secrets, watch_settings
    from bothost.keyaudit.preflight import key_audit_preflight

    spec = session.spec
    settings_for(spec)  # fail on a missing bot before asking for secrets or connecting
    secrets = secrets_for(spec, session.secrets.resolve)
    watch = (
        (watch_settings(spec), watch_secrets(spec, session.secrets.resolve, click.echo))
        if spec.watch
        else None
    )
    target = session.target
    preflight = key_audit_preflight(spec.exchange, session.static_ip or target.host, click.echo)
    with session.host() as host:
        result = deploy_spec(host, spec, secrets, archive=image_archive, preflight=preflight, note=click.echo)
        if watch is not None:
            converge_watch(host, *watch, note=click.echo)
    click.echo(
        f"{'deployed' if result.changed else 'unchanged'}: image {result.image_id[:19]}, "
        f"spec {result.spec_hash[:12]}"
    )
