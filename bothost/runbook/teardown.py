"""Leave the service: stop the bot gracefully, copy its data home over SFTP, then delete the server."""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from pathlib import Path

from bothost.errors import BothostError
from bothost.remote import Remote
from bothost.runbook.steps import Report

EXPORT_DIR = "/var/tmp/bothost-export"  # root-made copies the admin may read over SFTP; removed afterwards
KILLED = 137  # docker's exit code when the grace period ran out and SIGKILL ended the bot
CANCELS_ORDERS = {
    "freqtrade": "yes: freqtrade cancels its open orders on SIGTERM (cancel_open_orders_on_exit)",
    "hummingbot": "not guaranteed: check for open orders at the exchange after the stop",
    "generic": "depends on your bot: check for open orders at the exchange after the stop",
}


@dataclass(frozen=True)
class StopReport:
    """How the bot ended: exit code, seconds the stop took, and the grace period it had."""

    exit_code: int | None
    seconds: float
    grace: int
    already_stopped: bool

    @property
    def graceful(self) -> bool:
        """True when the bot exited on SIGTERM within its grace period (not killed)."""
        return self.exit_code is not None and self.exit_code != KILLED


def container_state(remote: Remote, container: str) -> tuple[str, int | None] | None:
    """(status, exit code) of the container, or None when it does not exist."""
    result = remote.run(["docker", "inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", container])
    if result.exit_status != 0:
        return None
    status, _, code = result.stdout.strip().partition(" ")
    return status, int(code) if code.isdigit() else None


def stop_bot(remote: Remote, container: str, grace: int, report: Report) -> StopReport:
    """`docker stop --time GRACE`: SIGTERM, then up to GRACE seconds before SIGKILL; safe to rerun."""
    state = container_state(remote, container)
    if state is None:
        report(f"  = bot: no container {container} (already removed)")
        return StopReport(None, 0.0, grace, True)
    if state[0] != "running":
        report(f"  = bot: already stopped ({state[0]}, exit code {state[1]})")
        return StopReport(state[1], 0.0, grace, True)
    started = time.monotonic()
    remote.check(["docker", "stop", "--time", str(grace), container], timeout=grace + 60)
    seconds = time.monotonic() - started
    after = container_state(remote, container)
    if after is None or after[0] == "running":
        raise BothostError(f"bot container {container} is still running after docker stop")
    stop = StopReport(after[1], seconds, grace, False)
    if stop.graceful:
        report(f"  + bot: stopped on SIGTERM after {seconds:.1f} s (grace {grace} s, exit code {after[1]})")
    else:
        report(f"  ! bot: did not exit within its {grace} s grace period and was killed: check open orders")
    # Keep it down across reboots until the server is gone.
    remote.run(["docker", "update", "--restart", "no", container])
    return stop


def export_argv(data_dir: str, container: str, user: str) -> list[list[str]]:
    """Root commands that stage the data dir (as a tarball) and the bot's logs for the admin to fetch."""
    owner = f"{user}:{user}"
    return [
        ["install", "-d", "-m", "0700", "-o", user, "-g", user, EXPORT_DIR],
        ["tar", "-C", data_dir, "-czf", f"{EXPORT_DIR}/data.tar.gz", "."],
        ["sh", "-c", 'journalctl --no-pager -o short-iso CONTAINER_NAME="$1" > "$2"', "export-logs",
         container, f"{EXPORT_DIR}/bot.log"],
        ["chown", owner, f"{EXPORT_DIR}/data.tar.gz", f"{EXPORT_DIR}/bot.log"],
    ]


def remote_digests(remote: Remote, names: list[str]) -> dict[str, str]:
    """sha256 of each staged file on the host."""
    result = remote.check(["sha256sum", *(f"{EXPORT_DIR}/{name}" for name in names)])
    digests = {}
    for line in result.stdout.splitlines():
        match = re.fullmatch(r"([0-9a-f]{64})\s+\*?(.+)", line.strip())
        if match:
            digests[Path(match[2]).name] = match[1]
    return digests


def local_digest(path: Path) -> str | None:
    """sha256 of a local file, or None when it does not exist."""
    if not path.exists():
        return None
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def copy_data(remote: Remote, data_dir: str, container: str, user: str, destination: Path,
              report: Report) -> dict[str, str]:
    """Stage, fetch over SFTP, verify by sha256; skips files already home intact; returns name -> digest."""
    names = ["data.tar.gz", "bot.log"]
    if remote.run(["test", "-d", data_dir]).exit_status != 0:
        raise BothostError(f"the bot's data directory {data_dir} does not exist on the host")
    for argv in export_argv(data_dir, container, user):
        remote.check(argv, timeout=600)
    wanted = remote_digests(remote, names)
    destination.mkdir(parents=True, exist_ok=True)
    import paramiko

    with paramiko.SFTPClient.from_transport(remote.transport()) as sftp:
        for name in names:
            local = destination / name
            if local_digest(local) == wanted.get(name):
                report(f"  = copy {name}: already at {local}")
                continue
            sftp.get(f"{EXPORT_DIR}/{name}", str(local))
            if local_digest(local) != wanted.get(name):
                raise BothostError(f"{local} differs from the host's copy (sha256): rerun to fetch it again")
            report(f"  + copy {name}: {local} ({local.stat().st_size} bytes, sha256 verified)")
    remote.run(["rm", "-rf", "--", EXPORT_DIR])
    return wanted


def exchange_checklist(exchange_title: str | None, page: str | None, key_hint: str | None, ip: str | None,
                       released: bool) -> str:
    """What the user must still do at the exchange, naming the key."""
    key = f"the API key starting {key_hint}..." if key_hint else "the API key this bot used"
    where = f"{exchange_title} ({page})" if exchange_title else "your exchange's API-management page"
    lines = ["Left for you to do at the exchange:", f"  [ ] Delete {key} at {where}."]
    if ip:
        verb = "Remove" if released else "Keep or remove"
        lines.append(f"  [ ] {verb} {ip} from the whitelist of any other "
                     f"key{' (the IP is released: someone else may get it)' if released else ''}.")
    lines.append("  [ ] Check that no open orders or positions are left.")
    return "\n".join(lines)
