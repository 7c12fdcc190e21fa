"""Runbook flows on the rehearsal VM: SSH key rotation (old key refused after), teardown's stop and copy."""

from __future__ import annotations

import dataclasses
import tarfile
from pathlib import Path

import paramiko
import pytest

from bothost.host import connect
from bothost.runbook import ssh_keys, teardown

pytestmark = pytest.mark.vm
EXAMPLE = Path(__file__).resolve().parents[2] / "Pulumi.example.yaml"


def public_line(private: Path) -> str:
    key = paramiko.PKey.from_path(private)
    return f"{key.get_name()} {key.get_base64()} runbook-test"


def test_ssh_key_rotation_refuses_the_old_key_afterwards(vm, tmp_path: Path) -> None:
    old_identity = vm.target.identity
    new_identity = tmp_path / "new_ed25519"
    _keygen(new_identity)
    old_pub, new_pub = public_line(old_identity), public_line(new_identity)
    lines: list[str] = []
    with vm.remote() as remote:
        before = [ssh_keys.key_blob(k) for k in ssh_keys.read_keys(remote, vm.target.user)]
    others = [blob for blob in before if blob != ssh_keys.key_blob(old_pub)]
    try:
        final = ssh_keys.rotate_ssh_key(connect, vm.target, new_pub, new_identity, old_pub, lines.append)
        # The old key is gone, the new one is in, every other admin key is left alone.
        assert [ssh_keys.key_blob(k) for k in final] == [*others, ssh_keys.key_blob(new_pub)]
        assert ssh_keys.old_key_refused(connect, vm.target, old_identity, lines.append), lines
        with connect(dataclasses.replace(vm.target, identity=new_identity)) as remote:
            assert remote.run(["true"]).exit_status == 0
    finally:
        # Restore: rotate back with the same flow (new -> old), so the shared VM takes the old key again.
        new_target = dataclasses.replace(vm.target, identity=new_identity)
        if not ssh_keys.proves_login(connect, vm.target):
            ssh_keys.rotate_ssh_key(connect, new_target, old_pub, old_identity, new_pub, lines.append)
    assert ssh_keys.proves_login(connect, vm.target)
    assert not ssh_keys.proves_login(connect, dataclasses.replace(vm.target, identity=new_identity))


def _keygen(path: Path) -> None:
    """A fresh ed25519 private key file (paramiko cannot generate ed25519 keys)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PrivateKey.generate()
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                       serialization.NoEncryption()))
    path.chmod(0o600)


def test_teardown_stops_the_bot_gracefully_and_copies_its_data_home(vm, tmp_path: Path) -> None:
    from bothost.config import parse_spec
    from bothost.config.stackfile import read_stack_file
    from bothost.deploy.deployer import deploy
    from bothost.deploy.image import inspect_archive
    from bothost.deploy.secretfiles import BotSecrets
    from bothost.facts.docker import inspect_container_argv, parse_container
    from bothost.host import AUDIT_LOG
    from bothost.rehearsal.demo_image import write_demo_image
    from roles.bot.presets import stack_bot_settings

    archive = write_demo_image(tmp_path / "demo.tar", tag="bothost-demo:teardown", version="td")
    example = read_stack_file(EXAMPLE)
    raw = {key: example.raw(key) for key in list(example.keys())}
    raw["bothost:bot"] = {"preset": "generic", "image": "bothost-demo:teardown", "imageArchive": str(archive),
                          "stopGracePeriod": 20, "dataDir": "/srv/bothost/teardown-test"}
    settings = stack_bot_settings(parse_spec(raw, stack="example"))
    lines: list[str] = []
    with vm.remote() as remote:
        host = remote
        existed = parse_container(remote.run(inspect_container_argv(settings.container))) is not None
        if existed:
            pytest.fail(f"the shared VM already runs {settings.container}: this test would replace it")
        try:
            deploy(remote, settings, BotSecrets(), archive=inspect_archive(archive))
            stop = teardown.stop_bot(remote, settings, lines.append)
            assert stop.graceful and stop.exit_code == 0, lines  # the demo bot traps SIGTERM and exits 0
            assert 2 <= stop.seconds < settings.stop_grace_period, stop  # its cleanup ran; no SIGKILL
            logged = remote.check(["tail", "-n", "1", AUDIT_LOG]).stdout  # `bothost stop`'s path, audited
            assert f"bot.stop container={settings.container}" in logged, logged
            digests = teardown.copy_data(remote, settings.data_dir, settings.container, remote.target.user,
                                         tmp_path / "home", lines.append)
            assert set(digests) == {"data.tar.gz", "bot.log"}
            with tarfile.open(tmp_path / "home/data.tar.gz") as tar:
                sigterm = tar.extractfile("./sigterm.log").read().decode()
            assert "SIGTERM" in sigterm
            assert "got SIGTERM" in (tmp_path / "home/bot.log").read_text()
            again: list[str] = []
            teardown.copy_data(remote, settings.data_dir, settings.container, remote.target.user,
                               tmp_path / "home", again.append)
            assert all("already at" in line for line in again), again  # rerun: nothing fetched twice
            rerun = teardown.stop_bot(host, settings, again.append)
            assert rerun.already_stopped
        finally:
            remote.run(["docker", "rm", "--force", settings.container])
            remote.run(["rm", "-rf", "--", settings.data_dir, teardown.EXPORT_DIR])
