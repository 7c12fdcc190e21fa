"""On a live Debian 12 VM: verify is green for the hardened example, catches a broken control, and the
result passes ssh-audit's hardened policy. (That a stock Debian 12 sshd fails the policy is proven without a
VM boot: tests/test_roles_ssh.py runs the same sshd with Debian's stock settings and host keys.)"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from bothost.facts.timesync import timesync_servers_argv
from bothost.host import connect
from bothost.verify.runner import verify_target

pytestmark = pytest.mark.vm

POLICY = "Hardened Debian 12 (version 3)"
SSH_AUDIT = str(Path(sys.executable).parent / "ssh-audit")
PASSWORD_DROPIN = "/etc/ssh/sshd_config.d/00-test-password.conf"  # sorts first: sshd keeps the first value
NTP_DROPIN = "/etc/systemd/timesyncd.conf.d/50-test-servers.conf"  # after bothost's 10-: an empty NTP= resets
TIMESYNCD = "systemd-timesyncd.service"


def failing(vm) -> set[str]:
    """Ids of the checks that fail on the VM right now."""
    return {r.check.id for r in verify_target(vm.target, vm.checks()) if not r.passed}


def ssh_audit(port: int) -> tuple[int, dict]:
    """ssh-audit's policy verdict for 127.0.0.1:PORT (exit 0 pass, 3 fail) and its JSON report."""
    done = subprocess.run([SSH_AUDIT, "-j", "-P", POLICY, "-p", str(port), "127.0.0.1"], capture_output=True,
                          text=True, timeout=300)
    return done.returncode, json.loads(done.stdout)


def test_verify_is_all_green_on_the_hardened_example(vm) -> None:
    results = verify_target(vm.target, vm.checks())
    failed = {r.check.id: r.outcome.actual for r in results if not r.passed}
    assert failed == {}
    assert len(results) == len(vm.checks()) > 0


def test_hardened_sshd_passes_ssh_audit_policy(vm) -> None:
    status, report = ssh_audit(vm.ssh_port)
    assert (status, report["passed"], report["errors"]) == (0, True, [])


def _as_root(vm, *commands: Sequence[str]) -> None:
    with connect(vm.target, wait=60) as remote:  # sshd may still be re-reading its config
        for argv in commands:
            remote.check(argv)


def _allow_passwords(vm) -> None:
    with connect(vm.target, wait=60) as remote:
        remote.write_file(PASSWORD_DROPIN, b"PasswordAuthentication yes\nAuthenticationMethods any\n",
                          mode="0644")
        remote.check(["systemctl", "reload", "ssh.service"])


def _other_ntp_servers(vm) -> None:
    with connect(vm.target, wait=60) as remote:
        remote.write_file(NTP_DROPIN, b"[Time]\nNTP=\nNTP=pool.example.org\n", mode="0644")
        remote.check(["systemctl", "restart", TIMESYNCD])


BREAKAGES = {
    "password-login": (
        _allow_passwords,
        lambda vm: _as_root(vm, ["rm", "-f", PASSWORD_DROPIN], ["systemctl", "reload", "ssh.service"]),
        {"ssh-01", "ssh-13"},  # sshd -T shows it, and a client is now offered passwords
    ),
    "firewall-gone": (
        lambda vm: _as_root(vm, ["nft", "delete", "table", "inet", "bothost"]),
        lambda vm: _as_root(vm, ["systemctl", "reload-or-restart", "nftables.service"]),
        {"fw-01", "fw-02", "fw-03"},  # no inbound drop, no SSH source filter, no metadata block
    ),
    "audit-rule-removed": (
        lambda vm: _as_root(vm, ["auditctl", "-W", "/etc/docker", "-p", "wa", "-k", "docker"]),
        lambda vm: _as_root(vm, ["augenrules", "--load"]),
        {"aud-03"},  # the loaded rules no longer match the rendered ones
    ),
    "ntp-servers-changed": (
        _other_ntp_servers,
        lambda vm: _as_root(vm, ["rm", "-f", NTP_DROPIN], ["systemctl", "restart", TIMESYNCD]),
        {"time-01"},  # timesyncd now runs with another server
    ),
    "daemon-json-world-writable": (
        lambda vm: _as_root(vm, ["chmod", "0666", "/etc/docker/daemon.json"]),
        lambda vm: _as_root(vm, ["chmod", "0644", "/etc/docker/daemon.json"]),
        {"dock-08"},  # CIS Docker 3.18
    ),
}


@pytest.mark.parametrize("name", sorted(BREAKAGES))
def test_verify_fails_exactly_the_broken_control(vm, name: str) -> None:
    breaks, restores, expected = BREAKAGES[name]
    before = failing(vm)
    try:
        breaks(vm)
        assert failing(vm) - before == expected
    finally:
        restores(vm)
    assert failing(vm) == before


def test_the_ntp_servers_fact_says_what_timedatectl_says(vm) -> None:
    """time-01's fact reads timesyncd's files in-process; on the real host it must agree with timesyncd's own
    answer (over D-Bus) in every state, and tell a change the running daemon has not read yet."""
    timedatectl = ["timedatectl", "show-timesync", "--property=SystemNTPServers", "--value"]
    with connect(vm.target, wait=60) as remote:

        def both() -> tuple[str, str]:
            fact = remote.check(list(timesync_servers_argv())).stdout.strip()
            return remote.check(timedatectl).stdout.strip(), fact

        deployed, fact = both()
        assert fact == deployed == " ".join(vm.spec.host.ntp_servers)
        try:
            other = b"[Time]\nNTP=\nNTP=pool.example.org ntp1.example.org\n"
            remote.write_file(NTP_DROPIN, other, mode="0644")
            assert both() == (deployed, "pool.example.org ntp1.example.org (in the files, not yet in effect: "
                                        "timesyncd started before they changed)")
            remote.check(["systemctl", "restart", TIMESYNCD])
            assert both() == ("pool.example.org ntp1.example.org",) * 2
        finally:
            remote.check(["rm", "-f", NTP_DROPIN])
            remote.check(["systemctl", "restart", TIMESYNCD])
        assert both() == (deployed, deployed)


def test_controls_survive_a_reboot(vm) -> None:
    before = failing(vm)
    vm.reboot()
    assert failing(vm) == before
