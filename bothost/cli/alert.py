"""`bothost alert test`: one message on each of the watcher's channels, from the host (or from here)."""

from __future__ import annotations

import click

from bothost.cli.session import Session, with_session


@click.group()
def alert() -> None:
    """The watcher's alarm channels."""


@alert.command("test")
@with_session
@click.option(
    "--local", is_flag=True, help="Send from this machine with the stack's tokens, not from the host."
)
def test(session: Session, local: bool) -> None:
    """Send one test message on each channel (Telegram, webhook) and say which ones arrived."""
    from bothost.errors import BothostError

    results = _local(session) if local else _on_host(session)
    for result in results:
        click.echo(f"{result['channel']}: {'sent' if result['ok'] else result.get('error', 'failed')}")
    if not all(result["ok"] for result in results):
        raise BothostError("a channel did not take the test message; check its token or URL (README, Watch)")


def _on_host(session: Session) -> list[dict]:
    """Start the watcher's test unit on the host (same user, sandbox and tokens) and read what it reported."""
    from bothost.errors import BothostError
    from roles.watch import TEST_UNIT

    with session.host() as host:
        started = host.run(["systemctl", "start", TEST_UNIT], timeout=120)
        invocation = host.run(["systemctl", "show", "--property=InvocationID", "--value", TEST_UNIT])
        lines = host.run(
            [
                "journalctl",
                "--no-pager",
                "-q",
                "-o",
                "cat",
                f"_SYSTEMD_INVOCATION_ID={invocation.stdout.strip()}",
            ]
        ).stdout
    results = test_lines(lines)
    if not results:
        detail = (started.stderr.strip() or lines.strip())[-200:]
        raise BothostError(
            f"the watcher's test unit reported nothing ({detail or 'no output'}); "
            "is the watcher deployed? (bothost deploy with bothost:watch set)"
        )
    return results


def test_lines(text: str) -> list[dict]:
    """The watcher's `--test` output: one JSON object per channel."""
    from bothost.watch.report import journal_entries

    return [event for event in journal_entries(text) if event.get("event") == "test"]


def _local(session: Session) -> list[dict]:
    """The same test from this machine, with the channel tokens resolved here."""
    from bothost.config.watch import WATCH_SECRETS_KEY
    from bothost.deploy.watch import watch_settings
    from bothost.watch.main import test_results

    spec = session.spec
    settings = watch_settings(spec)
    secrets = {
        name: session.secrets.resolve(value, f"{WATCH_SECRETS_KEY}.{name}").reveal()
        for name, value in spec.watch.secrets
        if name in ("telegramToken", "webhookUrl")
    }
    return test_results(settings.config(), secrets)
