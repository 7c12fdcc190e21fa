"""Day-2 operations on the bot: status, graceful stop, removal; and the deploy entry from a StackSpec."""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bothost.config.exchange import resolve_credentials
from bothost.config.raw import Encrypted
from bothost.deploy.botfiles import read_tree
from bothost.deploy.deployer import DeployResult, Preflight, deploy
from bothost.deploy.image import inspect_archive
from bothost.deploy.secretfiles import BotSecrets
from bothost.errors import BothostError
from bothost.facts import docker
from bothost.host import Host, audit_line
from bothost.progress import Report
from bothost.secret import Secret
from roles.bot.flags import stop_argv
from roles.bot.presets import stack_bot_settings
from roles.bot.settings import BotSettings

Resolve = Callable[[Secret | Encrypted | None, str], Secret]  # (value, config key) -> plain Secret
KILLED = 137  # docker's exit code when the grace period ran out and SIGKILL ended the bot


@dataclass(frozen=True)
class BotStatus:
    """What `bothost status` prints."""

    container: str
    state: str  # running, exited, ... or "absent"
    health: str
    image_id: str
    repo_digests: tuple[str, ...]
    started_at: str
    uptime: str

    def lines(self) -> list[str]:
        """Human-readable lines."""
        return [
            f"container  {self.container}",
            f"state      {self.state}",
            f"health     {self.health}",
            f"image      {self.image_id}",
            *(f"digest     {d}" for d in self.repo_digests),
            f"started    {self.started_at}",
            f"uptime     {self.uptime}",
        ]


@dataclass(frozen=True)
class StopReport:
    """How a stop ended: the bot's exit code, the seconds the stop took, and the grace period it had."""

    exit_code: int | None  # None: no container
    seconds: float
    grace: int
    already_stopped: bool  # nothing was running: nothing was done

    @property
    def graceful(self) -> bool:
        """True when the bot exited on SIGTERM within its grace period (not killed)."""
        return self.exit_code is not None and self.exit_code != KILLED


def settings_for(spec: object) -> BotSettings:
    """The bot's settings from a StackSpec (the same object roles/bot/ verifies)."""
    if getattr(spec, "bot", None) is None:
        raise BothostError("bothost:bot is not set: there is no bot to deploy (see README, Bot)")
    return stack_bot_settings(spec)


def bot_secret_key(name: str) -> str:
    """Key of a bot secret: bothost:botSecrets.telegramToken (env BOTHOST_BOT_SECRETS_TELEGRAM_TOKEN)."""
    return f"bothost:botSecrets.{name}"


def secrets_for(spec: object, resolve: Resolve) -> BotSecrets:
    """Every secret the bot needs, resolved (CLI: SecretSource; Pulumi: the engine's decrypted config)."""
    exchange = getattr(spec, "exchange", None)
    bot = {name: resolve(value, bot_secret_key(name)) for name, value in spec.bot.secrets}
    if exchange is None:
        return BotSecrets(bot=bot)
    return BotSecrets(exchange=resolve_credentials(exchange, resolve), bot=bot)


def deploy_spec(
    host: Host,
    spec: object,
    secrets: BotSecrets,
    *,
    archive: Path | None = None,
    preflight: Preflight | None = None,
    note: Report = lambda _: None,
) -> DeployResult:
    """Deploy the bot a StackSpec describes; archive overrides bot.imageArchive."""
    s = settings_for(spec)
    for warning in spec.bot.warnings():
        note(f"warning: {warning}")
    path = archive or (Path(spec.bot.image_archive) if spec.bot.image_archive else None)
    bot_files = read_tree(Path(spec.bot.files).expanduser()) if spec.bot.files else None
    return deploy(
        host,
        s,
        secrets,
        archive=inspect_archive(path) if path else None,
        bot_files=bot_files,
        preflight=preflight,
        note=note,
    )


def status(host: Host, s: BotSettings, now: datetime.datetime | None = None) -> BotStatus:
    """The container's state, health, image digest and uptime."""
    fact = docker.parse_container(host.run(docker.inspect_container_argv(s.container)))
    if fact is None:
        return BotStatus(s.container, "absent", "-", "-", (), "-", "-")
    image = docker.parse_image(host.run(docker.inspect_image_argv(fact.image_id)))
    return BotStatus(
        s.container,
        fact.status,
        fact.health or "no health check",
        fact.image_id,
        image.repo_digests if image else (),
        fact.started_at,
        uptime(fact.started_at, now) if fact.running else "-",
    )


def uptime(started_at: str, now: datetime.datetime | None = None) -> str:
    """Docker's StartedAt (RFC 3339, nanoseconds) to a short duration like 2d 3h 4m."""
    try:
        started = datetime.datetime.fromisoformat(started_at[:26].rstrip("Z") + "+00:00")
    except ValueError:
        return "?"
    seconds = int(((now or datetime.datetime.now(datetime.UTC)) - started).total_seconds())
    days, rest = divmod(max(seconds, 0), 86400)
    return (f"{days}d " if days else "") + f"{rest // 3600}h {rest % 3600 // 60}m {rest % 60}s"


def stop(host: Host, s: BotSettings, note: Report = lambda _: None) -> StopReport:
    """Stop the bot gracefully (full grace period), locked and audited; it stays stopped across reboots."""
    with host.lock():
        fact = docker.parse_container(host.run(docker.inspect_container_argv(s.container)))
        if fact is None or not fact.running:
            note(f"{s.container} is not running")
            return StopReport(fact.exit_code if fact else None, 0.0, s.stop_grace_period, True)
        note(f"stopping {s.container} (up to {s.stop_grace_period}s for the bot to cancel its orders)")
        started = time.monotonic()
        host.check(stop_argv(s.container, s.stop_grace_period), timeout=s.stop_grace_period + 60)
        seconds = time.monotonic() - started
        after = docker.parse_container(host.run(docker.inspect_container_argv(s.container)))
        if after is None or after.running:
            raise BothostError(f"bot container {s.container} is still running after docker stop")
        host.audit(audit_line("bot.stop", container=s.container))
        return StopReport(after.exit_code, seconds, s.stop_grace_period, False)


def remove(host: Host, s: BotSettings, note: Report = lambda _: None) -> None:
    """Stop gracefully, remove the containers and the secret files (the data directory stays)."""
    with host.lock():
        fact = docker.parse_container(host.run(docker.inspect_container_argv(s.container)))
        if fact is not None and fact.running:
            note(f"stopping {s.container}")
            host.check(stop_argv(s.container, s.stop_grace_period), timeout=s.stop_grace_period + 60)
        for name in (s.container, f"{s.container}-next", f"{s.container}-prev", f"{s.container}-failed"):
            host.run(["docker", "rm", "--force", name])
        host.check(["rm", "-rf", "--", s.secrets_dir])
        host.audit(audit_line("bot.remove", container=s.container))
