"""Deploy the bot: read facts on the host, compare with the wanted state, act only on the difference."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bothost.deploy.botfiles import BotFiles, converge_bot_files, refuse_secrets
from bothost.deploy.image import Archive, ensure_image
from bothost.deploy.secretfiles import BotSecrets, content_digests, keyed_digests, secret_files
from bothost.deploy.swap import run_swap
from bothost.errors import BothostError
from bothost.facts import docker
from bothost.facts.files import parse_sha256sum, parse_stat, sha256_argv, stat_argv
from bothost.host import Host, audit_line
from bothost.progress import Report
from bothost.secret import Secret
from roles.bot.flags import SPEC_LABEL, command_args, create_argv, run_flags, stop_argv
from roles.bot.settings import HMAC_KEY_PATH, SECRET_FILE_MODE, BotSettings, hmac_key_argv

SPEC_VERSION = 1  # bump when the meaning of the spec hash changes
Preflight = Callable[[Host, BotSettings, BotSecrets], None]  # the exchange key audit; raises to refuse


class DeployError(BothostError):
    """The deploy could not finish; the message says what state the bot was left in."""


@dataclass
class DeployResult:
    """What a deploy did (no secrets): actions taken, and the times that make up the bot's downtime."""

    spec_hash: str
    image_id: str
    actions: list[str] = field(default_factory=list)
    stop_seconds: float | None = None  # docker stop of the old container (the bot's own shutdown)
    gap_seconds: float | None = None  # old container stopped -> new container's health command first passed
    stopped_at: float | None = None  # host clock (Unix seconds) when the old container had stopped
    start_seconds: float | None = None  # of that downtime: `docker start` of the new container

    @property
    def changed(self) -> bool:
        """True when anything on the host changed."""
        return bool(self.actions)


def spec_hash(s: BotSettings, image_id: str, secret_digests: dict[str, str], files_digest: str = "") -> str:
    """The hash stored as the container's label: flags, command, image id, keyed secret digests, bot files."""
    document = {
        "version": SPEC_VERSION,
        "flags": run_flags(s),
        "command": command_args(s),
        "image": image_id,
        "secrets": secret_digests,
    }
    if files_digest:  # only with bot.files, so hosts deployed without them keep their hash
        document["files"] = files_digest
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()


def deploy(
    host: Host,
    s: BotSettings,
    secrets: BotSecrets,
    *,
    archive: Archive | None = None,
    bot_files: BotFiles | None = None,
    preflight: Preflight | None = None,
    note: Report = lambda _: None,
) -> DeployResult:
    """Converge the host to run the bot as `s` says; does nothing when it already does."""
    files = secret_files(s, secrets)
    if bot_files is not None:
        refuse_secrets(bot_files, secrets)
    if preflight is not None:
        preflight(host, s, secrets)  # THE call site of the exchange key audit, before any change on the host
    with host.lock():
        actions: list[str] = []

        def act(action: str, **details: str) -> None:
            note(action + "".join(f" {k}={v}" for k, v in details.items()))
            host.audit(audit_line(f"bot.{action}", container=s.container, **details))
            actions.append(action)

        before = docker.parse_image(host.run(docker.inspect_image_argv(s.image)))
        image_id = ensure_image(host, s.image, archive, note)
        if before is None or before.id != image_id:
            act("image", ref=s.image, id=image_id[:19])
        for path in converge_dirs(host, s):
            act("directory", path=path)
        written = converge_secret_files(host, s, files)
        if written:
            act("secrets", files=",".join(written))
        if bot_files is not None:
            shipped = converge_bot_files(host, s.data_dir, s.file_owner, bot_files)
            if shipped:
                act("files", changed=",".join(shipped))
        digest = bot_files.digest if bot_files is not None else ""
        desired = spec_hash(s, image_id, keyed_digests(files, hmac_key(host)), digest)
        result = DeployResult(desired, image_id, actions)
        converge_container(host, s, image_id, desired, result, act, note)
        if not actions:
            note(f"no change: {s.container} runs {s.image} ({image_id[:19]}) as configured")
            host.audit(audit_line("bot.no-change", container=s.container, spec=desired[:12]))
        return result


def converge_dirs(host: Host, s: BotSettings) -> list[str]:
    """The secrets and data directories with their modes and owners; returns the paths it fixed."""
    wanted = {path: (mode, owner) for path, mode, owner in s.directories()}
    seen = parse_stat(host.run(stat_argv(wanted)))
    fixed = []
    for path, (mode, owner) in wanted.items():
        if seen.get(path) != (mode, owner):
            host.check(["mkdir", "-p", path])
            host.check(["chown", owner, path])
            host.check(["chmod", mode, path])
            fixed.append(path)
    return fixed


def converge_secret_files(host: Host, s: BotSettings, files: dict[str, Secret]) -> list[str]:
    """Write the secret files whose content, mode or owner differ; remove ones no longer wanted."""
    paths = {name: f"{s.secrets_dir}/{name}" for name in files}
    present = host.run(["find", s.secrets_dir, "-mindepth", "1", "-maxdepth", "1", "-printf", "%f\\n"])
    stale = sorted(set(present.stdout.split()) - set(files))
    if stale:
        host.check(["rm", "-f", "--", *(f"{s.secrets_dir}/{name}" for name in stale)])
    if not files:
        return [f"-{name}" for name in stale]
    digests = parse_sha256sum(host.run(sha256_argv(paths.values())))
    modes = parse_stat(host.run(stat_argv(paths.values())))
    wanted = content_digests(files)
    written = []
    for name, value in files.items():
        if digests.get(name) != wanted[name] or modes.get(paths[name]) != (SECRET_FILE_MODE, s.file_owner):
            host.write_file(paths[name], value.reveal().encode(), mode=SECRET_FILE_MODE, owner=s.file_owner)
            written.append(name)
    return written + [f"-{name}" for name in stale]


def hmac_key(host: Host) -> bytes:
    """The host's key for secret digests, created on first use (it never leaves host and deployer)."""
    key = host.check(hmac_key_argv(show=True)).stdout.strip()
    if len(key) != 64:
        raise DeployError(f"{HMAC_KEY_PATH} on the host is not a 32-byte key")
    return bytes.fromhex(key)


def converge_container(
    host: Host,
    s: BotSettings,
    image_id: str,
    desired: str,
    result: DeployResult,
    act: Callable[..., None],
    note: Report,
) -> None:
    """Start, keep or swap the container; the old one trades until the one command that swaps them."""
    nxt, prev = f"{s.container}-next", f"{s.container}-prev"
    if docker.parse_container(host.run(docker.inspect_container_argv(nxt))) is not None:
        host.check(["docker", "rm", "--force", nxt])  # left by an interrupted deploy; never started
        act("cleanup", removed=nxt)
    current = docker.parse_container(host.run(docker.inspect_container_argv(s.container)))
    if current is not None and current.labels.get(SPEC_LABEL) == desired and current.image_id == image_id:
        if not current.running:
            swap(host, s, stop=running_others(host, s), result=result)
            act("start", image=image_id[:19])
            wait_healthy(host, s, note)
        return
    host.check(create_argv(s, nxt, image_id, desired))  # fails on bad flags while the old bot still trades
    old = running_others(host, s)
    if current is not None:
        if docker.parse_container(host.run(docker.inspect_container_argv(prev))) is not None:
            host.check(["docker", "rm", "--force", prev])
        host.check(["docker", "rename", s.container, prev])  # a running container keeps trading when renamed
        old = [prev] if current.running else old
    host.check(["docker", "rename", nxt, s.container])
    swap(host, s, stop=old, result=result)
    act(
        "swap" if old else "start",
        image=image_id[:19],
        spec=desired[:12],
        **({"stopped": ",".join(old), "stop_seconds": f"{result.stop_seconds or 0:.1f}"} if old else {}),
    )
    try:
        healthy_at = wait_healthy(host, s, note)
    except DeployError:
        if current is not None:
            rollback(host, s, prev, act)
        raise
    if result.gap_seconds is None and old and result.stopped_at is not None and healthy_at is not None:
        result.gap_seconds = healthy_at - result.stopped_at


def running_others(host: Host, s: BotSettings) -> list[str]:
    """Earlier containers of this bot that still run (after an interrupted swap): stopped before a start."""
    names = [f"{s.container}-prev", f"{s.container}-failed"]
    return [
        n
        for n in names
        if (f := docker.parse_container(host.run(docker.inspect_container_argv(n)))) and f.running
    ]


def swap(host: Host, s: BotSettings, *, stop: list[str], result: DeployResult) -> None:
    """Stop the old bot (full grace period) and start the new one in one round trip; record the times."""
    stamps = run_swap(host, s, stop)
    if len(stamps) >= 3:
        result.stopped_at = stamps[1]
        result.start_seconds = stamps[2] - stamps[1]
        result.stop_seconds = stamps[1] - stamps[0] if stop else None
    if len(stamps) == 4 and stop:
        result.gap_seconds = stamps[3] - stamps[1]


def wait_healthy(host: Host, s: BotSettings, note: Report, *, poll: float = 0.5) -> float | None:
    """Wait until docker reports the container healthy; fail early when it exits or turns unhealthy.

    Returns the host-clock time (Unix seconds) docker's first passing health check ended.
    """
    deadline = (
        time.monotonic()
        + s.health_start_period
        + s.health_interval * (s.health_retries + 1)
        + s.health_timeout
    )
    note(f"waiting for {s.container} to be healthy")
    while True:
        fact = docker.parse_container(host.run(docker.inspect_container_argv(s.container)))
        if fact is None or not fact.running or fact.health == "unhealthy":
            state = "gone" if fact is None else fact.status if not fact.running else "unhealthy"
            raise DeployError(f"{s.container} is {state} after start; see `bothost logs`")
        if fact.health == "healthy":
            return fact.first_healthy
        if time.monotonic() > deadline:
            raise DeployError(
                f"{s.container} did not become healthy in time (health: {fact.health}); see `bothost logs`"
            )
        time.sleep(poll)


def rollback(host: Host, s: BotSettings, prev: str, act: Callable[..., None]) -> None:
    """Put the previous container back after the new one failed its health check."""
    failed = f"{s.container}-failed"
    host.run(["docker", "rm", "--force", failed])
    host.check(stop_argv(s.container, 10), timeout=70)
    host.check(["docker", "rename", s.container, failed])
    host.check(["docker", "rename", prev, s.container])
    host.check(["docker", "start", s.container])
    act("rollback", kept=failed)
