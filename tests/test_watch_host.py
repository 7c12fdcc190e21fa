"""Host alarms: SSH logins from sshd's journal (real journalctl JSON), disk and memory, and the root helper's
status (the bot unhealthy, down or in a restart loop; a reboot pending; the clock unsynchronised; stale)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bothost.watch import hostalarms

GOLDEN = Path(__file__).parent / "golden"


def test_ssh_logins_from_the_real_journal() -> None:
    """`journalctl -o json SYSLOG_IDENTIFIER=sshd` of a rehearsal VM's disk (Debian 12, LogLevel VERBOSE): two
    logins, sshd's "Accepted key ... found at" lines, and a refused root login (not a login: no alarm)."""
    text = (GOLDEN / "watch-sshd-journal.json").read_text()
    alarms, cursor = hostalarms.ssh_logins(text)
    fingerprint = "SHA256:rtm2N5wrIBCaaQFNeCFiPgeOHX1+yoLFlqgRo/pFd10"
    assert [a.text for a in alarms] == [
        f"SSH login: bothost from 10.0.2.2 (publickey with ED25519 key {fingerprint})"
    ] * 2
    assert all(a.kind == "ssh-login" for a in alarms)
    assert cursor == json.loads(text.strip().splitlines()[-1])["__CURSOR"]
    assert len({a.key for a in alarms}) == len(alarms)  # each login its own alarm, repeats de-duplicated


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "Accepted password for root from 198.51.100.9 port 50022 ssh2",
            "SSH login: root from 198.51.100.9 (password)",
        ),
        (
            "Accepted publickey for bothost from 2001:db8::7 port 1 ssh2: RSA SHA256:abc/def+x",
            "SSH login: bothost from 2001:db8::7 (publickey with RSA key SHA256:abc/def+x)",
        ),
        ("Failed publickey for bothost from 198.51.100.9 port 50022 ssh2: ED25519 SHA256:x", None),
        ("Disconnected from user bothost 10.0.2.2 port 58300", None),
    ],
)
def test_which_sshd_lines_alarm(message: str, expected: str | None) -> None:
    line = json.dumps({"__CURSOR": "s=1;i=2", "MESSAGE": message, "SYSLOG_IDENTIFIER": "sshd"})
    alarms, cursor = hostalarms.ssh_logins(line + "\nnot json\n[1]\n")
    assert [a.text for a in alarms] == ([expected] if expected else []) and cursor == "s=1;i=2"


def test_journal_argv_resumes_after_the_cursor() -> None:
    assert hostalarms.journal_argv(None, 1700000000)[-3:] == [
        "--since",
        "@1700000000",
        "SYSLOG_IDENTIFIER=sshd",
    ]
    assert hostalarms.journal_argv("s=1;i=2", 0)[-3:] == [
        "--after-cursor",
        "s=1;i=2",
        "SYSLOG_IDENTIFIER=sshd",
    ]


def test_memory_and_disk_use_from_this_machine() -> None:
    with open("/proc/meminfo", encoding="ascii") as meminfo:
        used = hostalarms.meminfo_percent(meminfo.read())
    assert 0 < used < 100
    disk = hostalarms.disk_percent(os.statvfs("/"))
    assert 0 < disk <= 100
    assert hostalarms.meminfo_percent("MemTotal: 1000 kB\nMemAvailable: 50 kB\n") == 95


def test_usage_alarms_at_the_limits() -> None:
    alarms = hostalarms.usage_alarms({"/": 91, "/var/lib/docker": 89}, 90, 90, 90)
    assert [a.text for a in alarms] == ["disk / is 91% full (limit 90%)", "memory 90% in use (limit 90%)"]
    assert hostalarms.usage_alarms({"/": 10}, 10, 90, 90) == []


NOW = 1_800_000_000
BOT = {
    "container": "bothost-bot",
    "present": True,
    "running": True,
    "health": "healthy",
    "exit_code": 0,
    "started_at": "2026-11-29T10:00:00Z",
    "finished_at": "0001-01-01T00:00:00Z",
    "restart_count": 0,
}


def status(**changes: object) -> dict:
    bot = {**BOT, **changes.pop("bot", {})}
    return {
        "written_s": NOW - 30,
        "bot": bot,
        "reboot_required_s": None,
        "ntp_synchronized": True,
        "upgrade_result": "success",
        **changes,
    }


@pytest.mark.parametrize(
    ("now_status", "previous", "kinds"),
    [
        (status(), status(), []),
        (status(bot={"health": "unhealthy"}), status(), ["bot-unhealthy"]),
        (status(bot={"running": False, "exit_code": 137}), status(), ["bot-down"]),
        (status(bot={"restart_count": 5}), status(bot={"restart_count": 1}), ["bot-restarting"]),
        (status(bot={"restart_count": 2}), status(bot={"restart_count": 1}), []),
        (status(reboot_required_s=NOW - 3 * 86400), None, ["reboot-pending"]),
        (status(reboot_required_s=NOW - 3600), None, []),
        (status(ntp_synchronized=False), None, ["clock-unsynced"]),
        (status(upgrade_result="exit-code"), None, ["upgrades-failed"]),
        (status(upgrade_result="success"), None, []),
        (status(written_s=NOW - 3600), None, ["status-stale"]),
        ({"written_s": NOW, "bot": {"container": "bothost-bot", "present": False}}, None, []),
    ],
)
def test_status_alarms(now_status: dict, previous: dict | None, kinds: list[str]) -> None:
    assert [a.kind for a in hostalarms.status_alarms(now_status, previous, NOW, 300)] == kinds


def test_status_file_reader(tmp_path: Path) -> None:
    path = tmp_path / "status.json"
    assert hostalarms.read_status(str(path)) is None
    path.write_text("{not json")
    assert hostalarms.read_status(str(path)) is None
    path.write_text(json.dumps(status()))
    assert hostalarms.read_status(str(path))["bot"]["container"] == "bothost-bot"


def test_a_first_start_reads_back_the_logins_it_was_starting_through(monkeypatch: pytest.MonkeyPatch) -> None:
    from bothost.watch.main import FIRST_LOOKBACK_S, HostWatch

    asked: list[tuple[str | None, int]] = []
    monkeypatch.setattr(hostalarms, "read_journal", lambda cursor, since: asked.append((cursor, since)) or "")
    monkeypatch.setattr(hostalarms, "read_usage", lambda paths: ({}, 0))
    watch = HostWatch({"disk_paths": ["/"], "disk_percent": 90, "memory_percent": 90,
                       "status_path": "/nonexistent/status.json", "poll_seconds": 15}, {})
    watch.tick(1_000_000)
    watch.tick(1_000_015)
    # Under the rehearsal VM's emulation the watcher's Python took a minute to start; a login in that minute
    # came before its first tick and was missed when reading began at the first tick.
    assert asked == [(None, 1_000_000 - FIRST_LOOKBACK_S)] * 2


def test_drift_alarms_one_per_failed_check_and_when_stale() -> None:
    """The host's own verify report: each failed check alarms with its result (the same result once: its key
    repeats), a changed result alarms again, a report older than the limit says the timer stopped."""
    failed = {"id": "ssh-01", "title": "Key-only authentication", "expected": "passwordauthentication=no",
              "actual": "passwordauthentication=yes"}
    report = {"written_s": 1000, "checked": 86, "skipped": ["ssh-13", "ssh-14"], "failed": [failed]}
    alarms = hostalarms.drift_alarms(report, 1100, 2400)
    assert [a.kind for a in alarms] == ["control-drift"]
    assert "ssh-01" in alarms[0].text and "passwordauthentication=yes" in alarms[0].text
    assert alarms[0].key == hostalarms.drift_alarms(report, 1500, 2400)[0].key
    other = {**report, "failed": [{**failed, "actual": "kbdinteractiveauthentication=yes"}]}
    assert hostalarms.drift_alarms(other, 1100, 2400)[0].key != alarms[0].key
    assert hostalarms.drift_alarms({**report, "failed": []}, 1100, 2400) == []
    stale = hostalarms.drift_alarms(report, 1000 + 2401, 2400)
    assert [a.kind for a in stale] == ["verify-stale"]
