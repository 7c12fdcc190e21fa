"""On the rehearsal VM: auditd records who changed Docker's configuration, and what a person ran as root."""

from __future__ import annotations

import time

import pytest

from bothost.host import connect

pytestmark = pytest.mark.vm


def _search(remote, *criteria: str, wanted: str, timeout: float = 30.0) -> str:
    """ausearch's interpreted records for the criteria, once they contain `wanted` (auditd writes async)."""
    deadline = time.monotonic() + timeout
    while True:
        found = remote.run(["ausearch", "--input-logs", "--interpret", *criteria])
        if wanted in found.stdout or time.monotonic() > deadline:
            return found.stdout
        time.sleep(2)


def test_a_change_to_dockers_config_is_recorded_with_the_admins_login(vm) -> None:
    marker = f"/etc/docker/audit-test-{time.time_ns()}"
    with connect(vm.target, wait=60) as remote:
        try:
            remote.check(["touch", marker])
            records = _search(remote, "--key", "docker", "--file", marker, wanted=marker)
        finally:
            remote.check(["rm", "-f", marker])
    assert marker in records and "key=docker" in records
    assert f"auid={vm.target.user}" in records  # sudo keeps the login uid: the person is named


def test_a_root_command_by_a_person_is_recorded(vm) -> None:
    with connect(vm.target, wait=60) as remote:
        remote.check(["id", "-u"])  # as root through sudo
        records = _search(remote, "--key", "root-commands", "--executable", "/usr/bin/id", wanted="id -u")
    assert "proctitle=id -u" in records and f"auid={vm.target.user}" in records


def test_dockers_state_changed_by_a_person_is_recorded_but_not_dockerds_own_writes(vm) -> None:
    """CIS 1.1.5 without dockerd's own writes: an image load's files would flood the capped log."""
    from roles.audit import AuditRole

    volume = f"audit-test-{time.time_ns()}"
    marker = f"/var/lib/docker/audit-test-{time.time_ns()}"
    with connect(vm.target, wait=60) as remote:
        try:
            remote.check(["docker", "volume", "create", volume])  # dockerd makes /var/lib/docker/volumes/<it>
            remote.check(["touch", marker])  # a person's change, recorded after dockerd's
            records = _search(remote, "--key", "docker", wanted=marker)
        finally:
            remote.run(["docker", "volume", "rm", volume])
            remote.check(["rm", "-f", marker])
        role = AuditRole()
        loaded = next(c for c in role.checks(role.settings(vm.spec, vm.context)) if c.id == "aud-03")
        outcome = loaded.evaluate(remote.run(list(loaded.command)))
    assert marker in records and f"auid={vm.target.user}" in records
    assert volume not in records, records[-3000:]
    assert outcome.passed, outcome.actual  # auditd 3.0.9 lists the rule's `exe!=` as `exe=`
