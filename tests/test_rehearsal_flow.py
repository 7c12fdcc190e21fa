"""What a rehearsal prints for a kept VM, and stopping one that is gone."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from click.testing import CliRunner

from bothost.cli import cli
from bothost.rehearsal.flow import keep_instructions
from bothost.rehearsal.session import RehearsalVM, stop_kept
from bothost.ssh import Target


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


def test_keep_prints_a_verify_line_that_checks_what_the_vm_runs(tmp_path: Path) -> None:
    """The printed `bothost verify` resolves to the VM's pinned target and the effective spec's checks."""
    import shlex

    from bothost.cli.options import load_spec
    from bothost.cli.session import Session
    from bothost.rehearsal.demo_bot import demo_archive, demo_bot
    from bothost.rehearsal.overrides import generate_admin_key, rehearsal_spec
    from bothost.role import RenderContext
    from bothost.userdata import role_checks

    config = Path(__file__).resolve().parent.parent / "Pulumi.example.yaml"
    identity, key_line = generate_admin_key(tmp_path)
    spec, _ = demo_bot(load_spec(config), demo_archive(tmp_path))
    effective, _ = rehearsal_spec(spec, key_line)
    pinned = (" ".join(key_line.split()[:2]),)  # any public key line will do as the pinned host key
    target = Target("127.0.0.1", 40022, effective.host.admin_user, pinned, identity)
    vm = SimpleNamespace(cfg=SimpleNamespace(pid_file=tmp_path / "qemu.pid"))
    rehearsal = RehearsalVM(spec=effective, target=target, ssh_port=40022, run_dir=tmp_path, vm=vm,
                            context=None, user_data="")
    line = next(text.strip() for text in keep_instructions(rehearsal, config).splitlines()
                if text.strip().startswith("bothost verify"))
    argv = shlex.split(line)[2:]
    options = {name: [argv[i + 1] for i in range(len(argv)) if argv[i] == name] for name in set(argv[::2])}
    session = Session(Path(options["--config"][0]), options["--host"][0], int(options["--port"][0]),
                      options["--user"][0], Path(options["--identity"][0]), tuple(options["--host-key"]))
    assert session.target == target  # every option given: no Pulumi CLI needed
    kept, expected = role_checks(session.spec, RenderContext()), role_checks(effective, RenderContext())
    assert [(c.id, c.command, c.expected) for c in kept] == [(c.id, c.command, c.expected) for c in expected]
    assert session.spec.bot.warnings() == []
