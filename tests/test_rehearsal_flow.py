"""What a rehearsal prints for a kept VM, and stopping one that is gone."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from click.testing import CliRunner

from bothost.cli import cli
from bothost.rehearsal.flow import keep_instructions
from bothost.rehearsal.session import RehearsalVM, stop_kept
from bothost.remote import Target


def test_keep_instructions_give_a_pinned_ssh_line_and_a_stop_line(tmp_path: Path) -> None:
    target = Target("127.0.0.1", 40022, "bothost", ("ssh-ed25519 AAAA",), tmp_path / "id_ed25519")
    vm = SimpleNamespace(cfg=SimpleNamespace(pid_file=tmp_path / "qemu.pid"))
    rehearsal = RehearsalVM(spec=None, target=target, ssh_port=40022, run_dir=tmp_path, vm=vm, context=None,
                            user_data="")
    text = keep_instructions(rehearsal)
    assert (f"ssh -i {tmp_path}/id_ed25519 -p 40022 -o UserKnownHostsFile={tmp_path}/known_hosts "
            "bothost@127.0.0.1") in text
    assert f"bothost rehearse --stop {tmp_path}" in text
    assert f"kill $(cat {tmp_path}/qemu.pid)" in text


def test_stop_kept_never_signals_a_process_that_is_not_this_runs_qemu(tmp_path: Path) -> None:
    import os

    (tmp_path / "qemu.pid").write_text(f"{os.getpid()}\n")  # this test process, not a qemu
    assert stop_kept(tmp_path) is False
    assert not tmp_path.exists()


def test_stop_cli_on_a_gone_run(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["rehearse", "--stop", str(tmp_path / "gone")])
    assert result.exit_code == 0 and "No VM was running" in result.output
