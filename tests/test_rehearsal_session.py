"""Waiting for first boot: progress from the serial console, completion from `cloud-init status --wait`."""

from __future__ import annotations

import io
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from bothost.errors import RemoteError
from bothost.rehearsal import session
from bothost.role import CommandResult

STAGES = [
    "[ 31.2] cloud-init[201]: Cloud-init v. 22.4.2 running 'init-local' at Tue. Up 30.9 seconds.\n",
    "[ 45.0] cloud-init[301]: Cloud-init v. 22.4.2 running 'init' at Tue. Up 44.8 seconds.\n",
]


class BootingRemote:
    """`cloud-init status --wait` that returns once the console shows the init stage."""

    def __init__(self, log: Path, status: CommandResult) -> None:
        self.log, self.status = log, status
        self.argv: list[str] = []

    def __enter__(self) -> BootingRemote:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def run(self, argv, **kwargs) -> CommandResult:
        self.argv = list(argv)
        for line in STAGES:
            time.sleep(0.6)
            with self.log.open("a") as handle:
                handle.write(line)
        time.sleep(0.6)
        return self.status


def _rehearsal(tmp_path: Path, running: bool = True) -> SimpleNamespace:
    log = tmp_path / "serial.log"
    vm = SimpleNamespace(cfg=SimpleNamespace(serial_log=log), running=lambda: running)
    return SimpleNamespace(target=None, vm=vm)


def test_progress_shows_elapsed_and_each_stage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(session, "POLL_SECONDS", 0.1)
    rehearsal = _rehearsal(tmp_path)
    remote = BootingRemote(rehearsal.vm.cfg.serial_log, CommandResult(0, "\nstatus: done\n"))
    monkeypatch.setattr(session, "connect", lambda target, wait: remote)
    out = io.StringIO()
    result = session.wait_for_cloud_init(rehearsal, out, timeout=60)
    assert result.exit_status == 0
    assert remote.argv == ["cloud-init", "status", "--wait", "--long"]
    lines = out.getvalue().splitlines()
    assert [line.split("] ", 1)[1] for line in lines] == [
        "booting the kernel", "cloud-init: init-local", "cloud-init: init (network, users, SSH keys, files)",
        "cloud-init done: done"]
    assert all(line.lstrip().startswith("[") and " s]" in line for line in lines)


def test_a_vm_that_dies_during_boot_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rehearsal = _rehearsal(tmp_path, running=False)
    monkeypatch.setattr(session, "connect", lambda target, wait: time.sleep(5))
    with pytest.raises(RemoteError, match="stopped during boot"):
        session.wait_for_cloud_init(rehearsal, io.StringIO(), timeout=60)


def test_ssh_failure_is_raised_to_the_caller(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(target, wait):
        raise RemoteError("did not accept SSH")

    monkeypatch.setattr(session, "connect", refuse)
    with pytest.raises(RemoteError, match="did not accept SSH"):
        session.wait_for_cloud_init(_rehearsal(tmp_path), io.StringIO(), timeout=60)


class RebootingRemote:
    """A connection to the guest: the old boot's sshd may drop it while the guest shuts down."""

    def __init__(self, boot_id: str, drops: bool = False) -> None:
        self.boot_id, self.drops, self.commands = boot_id, drops, []

    def __enter__(self) -> RebootingRemote:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def run(self, argv, **kwargs) -> CommandResult:
        self.commands.append(list(argv))
        if self.drops:
            raise RemoteError("cat on 127.0.0.1: connection failed: Connection reset by peer")
        return CommandResult(0, self.boot_id + "\n")


def test_reboot_retries_when_the_dying_sshd_drops_the_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    before, dying, after = RebootingRemote("old"), RebootingRemote("old", drops=True), RebootingRemote("new")
    connections = iter([dying, after])
    monkeypatch.setattr(session, "connect", lambda target, wait: next(connections))
    monkeypatch.setattr(session.time, "sleep", lambda seconds: None)
    vm = SimpleNamespace(target=None, remote=lambda: before)
    session.RehearsalVM.reboot(vm, timeout=60)
    assert ["systemctl", "reboot"] in before.commands
    assert ["systemctl", "is-system-running", "--wait"] in after.commands  # waited on the NEW boot
