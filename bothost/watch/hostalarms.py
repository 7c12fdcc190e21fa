"""Host alarms (pure parsers, then thin readers): SSH logins from sshd's journal, disk and memory use, and
the bot's health, pending reboots and clock sync from the status file a root timer writes."""

from __future__ import annotations

import json
import os
import re
import subprocess

from .alarms import Alarm

# sshd's line for a login (auth2.c auth_log): "Accepted publickey for USER from ADDR port N ssh2: TYPE FP"
_ACCEPTED = re.compile(
    r"Accepted (?P<method>\S+) for (?P<user>\S+) from (?P<source>\S+) port (?P<port>\d+)"
    r"(?: [^\s:]+)?(?:: (?P<keytype>\S+) (?P<fingerprint>\S+))?"
)
RESTART_LOOP = 3  # the bot restarted this many times since the last status: a restart loop


def journal_argv(cursor: str | None, since_s: int) -> list[str]:
    """`journalctl` for sshd's messages after a cursor (or since a time), as JSON lines."""
    start = ["--after-cursor", cursor] if cursor else ["--since", f"@{since_s}"]
    return ["journalctl", "--no-pager", "-q", "-o", "json", *start, "SYSLOG_IDENTIFIER=sshd"]


def ssh_logins(journal_json: str) -> tuple[list[Alarm], str | None]:
    """`journalctl -o json` lines of sshd -> an alarm per accepted login, and the last cursor seen."""
    alarms, cursor = [], None
    for line in journal_json.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if not isinstance(entry, dict):
            continue
        cursor = entry.get("__CURSOR", cursor)
        message = entry.get("MESSAGE")
        match = _ACCEPTED.search(message) if isinstance(message, str) else None
        if not match:
            continue
        key = f" with {match['keytype']} key {match['fingerprint']}" if match["fingerprint"] else ""
        alarms.append(
            Alarm(
                "ssh-login",
                f"ssh-login:{entry.get('__CURSOR', line[:80])}",
                f"SSH login: {match['user']} from {match['source']} ({match['method']}{key})",
            )
        )
    return alarms, cursor


def meminfo_percent(meminfo: str) -> int:
    """/proc/meminfo -> percent of memory in use (MemTotal - MemAvailable)."""
    values = {}
    for line in meminfo.splitlines():
        name, _, rest = line.partition(":")
        if rest.split():
            values[name] = int(rest.split()[0])
    total = values.get("MemTotal", 0)
    return 0 if not total else round(100 * (total - values.get("MemAvailable", total)) / total)


def disk_percent(stat: os.statvfs_result) -> int:
    """os.statvfs -> percent of the blocks an unprivileged user can use that are used (df's Use%)."""
    used = stat.f_blocks - stat.f_bfree
    usable = used + stat.f_bavail
    return 0 if not usable else round(100 * used / usable)


def usage_alarms(disk: dict[str, int], memory: int, disk_limit: int, memory_limit: int) -> list[Alarm]:
    """An alarm per filesystem at or above disk_limit percent, and for memory at or above memory_limit."""
    alarms = [
        Alarm("disk-full", f"disk-full:{path}", f"disk {path} is {used}% full (limit {disk_limit}%)")
        for path, used in sorted(disk.items())
        if used >= disk_limit
    ]
    if memory >= memory_limit:
        alarms.append(Alarm("memory-full", "memory-full", f"memory {memory}% in use (limit {memory_limit}%)"))
    return alarms


def status_alarms(status: dict, previous: dict | None, now_s: int, stale_s: int) -> list[Alarm]:
    """The root timer's status file: the bot unhealthy, stopped or restarting in a loop; unattended upgrades
    failing; a reboot pending; the clock unsynchronised; the file itself stale (the timer stopped)."""
    alarms = []
    written = status.get("written_s", 0)
    if now_s - written > stale_s:
        alarms.append(
            Alarm(
                "status-stale",
                f"status-stale:{written}",
                f"the host status was last written {now_s - written} s ago: its timer is not running",
            )
        )
    bot = status.get("bot")
    if isinstance(bot, dict) and bot.get("present"):
        name = bot.get("container", "bot")
        if bot.get("health") == "unhealthy":
            alarms.append(
                Alarm(
                    "bot-unhealthy",
                    f"bot-unhealthy:{bot.get('started_at')}",
                    f"{name} is unhealthy (docker health check failing)",
                )
            )
        if not bot.get("running"):
            alarms.append(
                Alarm(
                    "bot-down",
                    f"bot-down:{bot.get('finished_at')}",
                    f"{name} is not running (exit {bot.get('exit_code')})",
                )
            )
        before = (previous or {}).get("bot") or {}
        restarts = bot.get("restart_count", 0) - before.get("restart_count", bot.get("restart_count", 0))
        if restarts >= RESTART_LOOP:
            alarms.append(
                Alarm(
                    "bot-restarting",
                    f"bot-restarting:{bot.get('restart_count')}",
                    f"{name} restarted {restarts} times since the last status: a restart loop",
                )
            )
    if status.get("reboot_required_s") and now_s - status["reboot_required_s"] > 2 * 86400:
        alarms.append(
            Alarm(
                "reboot-pending",
                f"reboot-pending:{status['reboot_required_s']}",
                "a reboot for security updates has been pending for more than 2 days",
            )
        )
    if status.get("upgrade_result") not in (None, "", "success"):
        alarms.append(
            Alarm(
                "upgrades-failed",
                f"upgrades-failed:{status['upgrade_result']}",
                f"unattended upgrades failed ({status['upgrade_result']}): security fixes are not "
                "being installed; see `journalctl -u apt-daily-upgrade`",
            )
        )
    if status.get("ntp_synchronized") is False:
        alarms.append(Alarm("clock-unsynced", "clock-unsynced", "the host clock is not NTP-synchronised"))
    return alarms


def drift_alarms(report: dict, now_s: int, stale_s: int) -> list[Alarm]:
    """The host's own verify (a root timer runs the roles' checks): an alarm per failed check, once per
    distinct result; one when the report is stale (its timer stopped, or a run hangs)."""
    written = report.get("written_s", 0)
    if now_s - written > stale_s:
        return [Alarm("verify-stale", f"verify-stale:{written}",
                      f"the host's own verify last ran {now_s - written} s ago: its timer is not running")]
    alarms = []
    for failed in report.get("failed") or []:
        if not isinstance(failed, dict):
            continue
        check, actual = failed.get("id", "?"), str(failed.get("actual", ""))[:300]
        alarms.append(Alarm(
            "control-drift", f"control-drift:{check}:{actual}",
            f"control {check} failed on the host: {failed.get('title', '')}: {actual} (expected "
            f"{str(failed.get('expected', ''))[:200]}); run `bothost verify`, then see RUNBOOK.md"))
    return alarms


def read_journal(cursor: str | None, since_s: int) -> str:
    """sshd's new journal lines (the watcher's user is in systemd-journal); empty when journalctl fails."""
    done = subprocess.run(
        journal_argv(cursor, since_s), capture_output=True, text=True, timeout=60, check=False
    )
    return done.stdout if done.returncode == 0 else ""


def read_usage(paths: tuple[str, ...]) -> tuple[dict[str, int], int]:
    """Disk use of each path that exists, and memory use, in percent."""
    disk = {path: disk_percent(os.statvfs(path)) for path in paths if os.path.exists(path)}
    with open("/proc/meminfo", encoding="ascii") as meminfo:
        return disk, meminfo_percent(meminfo.read())


def read_status(path: str) -> dict | None:
    """The root timer's status JSON, or None when it is missing or unreadable."""
    try:
        with open(path, encoding="utf-8") as handle:
            value = json.load(handle)
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None
