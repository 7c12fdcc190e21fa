"""A server replacement as `pulumi up` runs it, on the rehearsal VM: the bot provider's delete stops the old
bot with its grace period and takes its data home; create on the (emptied) host restores it first."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest

from bothost.deploy.secretfiles import BotSecrets
from bothost.infra.bot_deployment import BotDeploymentProvider, secrets_to_plain
from bothost.rehearsal.demo_image import write_demo_image
from roles.bot.settings import BotSettings, Mount

pytestmark = pytest.mark.vm

DATA = "/srv/bothost/replacement-test"
SETTINGS = BotSettings(
    preset="generic", image="bothost-demo:replace", entrypoint=None, args=None,
    env=(("BOT_STOP_SECONDS", "3"),), user="1000:1000", data_dir=DATA,
    data_mounts=(Mount(DATA, "/data", False),), secret_names=(), health_cmd="true", stop_grace_period=20,
)


def test_replacement_stops_the_old_bot_gracefully_and_moves_its_data(vm, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("BOTHOST_HANDOVER_DIR", str(tmp_path / "handover"))
    monkeypatch.delenv("BOTHOST_SSH_IDENTITY_FILE", raising=False)
    archive = write_demo_image(tmp_path / "demo.tar", tag="bothost-demo:replace", version="r1")
    target = vm.target
    props = {
        "server_id": "1", "host": target.host, "port": target.port, "user": target.user,
        "host_keys": list(target.host_keys), "identity_file": str(target.identity),
        "settings": json.loads(json.dumps(SETTINGS.to_dict())), "archive": str(archive),
        "archive_sha256": "r1", "secrets": secrets_to_plain(BotSecrets()), "preflight_args": {},
    }
    provider = BotDeploymentProvider()
    with vm.remote() as remote:
        if remote.run(["docker", "inspect", SETTINGS.container]).exit_status == 0:
            pytest.fail(f"the shared VM already runs {SETTINGS.container}: this test would replace it")
    try:
        created = provider.create(props)
        with vm.remote() as remote:
            remote.write_file(f"{DATA}/trades.json", b'{"open": 2}\n', mode="0644", owner="1000:1000")
        provider.delete(created.id, created.outs)  # the engine's DeleteReplacement, old server still up
        with tarfile.open(tmp_path / "handover" / created.id.replace("/", "_") / "data.tar.gz") as tar:
            names = tar.getnames()
            sigterm = tar.extractfile("./sigterm.log").read().decode()
        assert "./trades.json" in names
        assert "SIGTERM" in sigterm  # the bot ran its SIGTERM cleanup: a graceful stop, not a kill
        with vm.remote() as remote:
            assert remote.run(["docker", "inspect", SETTINGS.container]).exit_status != 0  # removed
            remote.check(["rm", "-rf", "--", DATA])  # the new server starts without the data
        provider.create({**props, "server_id": "2"})
        with vm.remote() as remote:
            restored = remote.check(["cat", f"{DATA}/trades.json"]).stdout
            state = remote.check(["docker", "inspect", "--format", "{{.State.Status}}", SETTINGS.container])
        assert restored == '{"open": 2}\n' and state.stdout.strip() == "running"
    finally:
        with vm.remote() as remote:
            remote.run(["docker", "rm", "--force", SETTINGS.container])
            remote.run(["rm", "-rf", "--", DATA, "/etc/bothost/secrets/bot"])
