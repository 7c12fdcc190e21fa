"""Leave the service: stop the bot gracefully, copy its data home over SFTP, then delete the server."""

from __future__ import annotations

import hashlib
from pathlib import Path

from bothost.deploy import ops
from bothost.errors import BothostError
from bothost.facts.files import parse_sha256sum, sha256_argv
from bothost.host import Host
from bothost.progress import Report
from roles.bot.settings import BotSettings

EXPORT_DIR = "/var/tmp/bothost-export"  # root-made copies the admin may read over SFTP; removed afterwards
CANCELS_ORDERS = {
    "freqtrade": "yes: freqtrade cancels its open orders on SIGTERM (cancel_open_orders_on_exit)",
    "hummingbot": "yes: Hummingbot's headless engine stops its strategy and cancels open orders on SIGTERM",
    "generic": "depends on your bot: check for open orders at the exchange after the stop",
}


def stop_bot(host: Host, s: BotSettings, report: Report) -> ops.StopReport:
    """`bothost stop`'s path (lock, SIGTERM, the grace period, audit log), then no restart; safe to rerun."""
    stop = ops.stop(host, s)
    if stop.already_stopped:
        report(f"  = bot: no container {s.container} (already removed)" if stop.exit_code is None
               else f"  = bot: already stopped (exit code {stop.exit_code})")
        return stop
    if stop.graceful:
        report(f"  + bot: stopped on SIGTERM after {stop.seconds:.1f} s "
               f"(grace {stop.grace} s, exit code {stop.exit_code})")
    else:
        report(f"  ! bot: did not exit within its {stop.grace} s grace period and was killed: "
               "check open orders")
    # Keep it down across reboots until the server is gone.
    host.run(["docker", "update", "--restart", "no", s.container])
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


def remote_digests(remote: Host, names: list[str]) -> dict[str, str]:
    """sha256 of each staged file on the host."""
    return parse_sha256sum(remote.check(sha256_argv(f"{EXPORT_DIR}/{name}" for name in names)))


def local_digest(path: Path) -> str | None:
    """sha256 of a local file, or None when it does not exist."""
    if not path.exists():
        return None
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def copy_data(remote: Host, data_dir: str, container: str, user: str, destination: Path,
              report: Report) -> dict[str, str]:
    """Stage, fetch over SFTP, verify by sha256; skips files already home intact; returns name -> digest."""
    names = ["data.tar.gz", "bot.log"]
    if remote.run(["test", "-d", data_dir]).exit_status != 0:
        raise BothostError(f"the bot's data directory {data_dir} does not exist on the host")
    for argv in export_argv(data_dir, container, user):
        remote.check(argv, timeout=600)
    wanted = remote_digests(remote, names)
    destination.mkdir(parents=True, exist_ok=True)
    with remote.sftp() as sftp:
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
