"""BotDeployment: the provider's create/diff/update/delete against a fake host, and secrecy under mocks."""

from __future__ import annotations

import base64
import dataclasses
from pathlib import Path

import dill
import pytest
from deploy_fake import FakeDockerHost
from infra_mocks import resolve, settle, start, stop

import bothost.infra.bot_deployment as module
from bothost.deploy.secretfiles import BotSecrets
from bothost.errors import RemoteError
from bothost.infra.bot_deployment import BotDeployment, BotDeploymentProvider, secrets_from, secrets_to_plain
from bothost.rehearsal.demo_image import write_demo_image
from bothost.secret import Credentials, Secret
from roles.bot.settings import BotSettings, Mount

API_SECRET = "exchange-secret-in-state-only-777"
SECRETS = BotSecrets(
    Credentials(Secret("key-abcdef123"), Secret(API_SECRET)), bot={"telegramToken": Secret("tg-999888777")}
)
SETTINGS = BotSettings(
    preset="generic",
    image="bothost-demo:1",
    entrypoint=None,
    args=None,
    env=(),
    user="1000:1000",
    data_dir="/srv/bothost/data",
    data_mounts=(Mount("/srv/bothost/data", "/data", False),),
    secret_names=("telegramToken",),
    health_cmd="true",
)
HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA"
DYNAMIC = "pulumi-python:dynamic/bothost:BotDeployment"


@pytest.fixture(autouse=True)
def handover_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Handed-over data lands in the test's own folder."""
    folder = tmp_path / "handover"
    monkeypatch.setenv("BOTHOST_HANDOVER_DIR", str(folder))
    return folder


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeDockerHost:
    """open_host yields the fake docker host and records how it was asked to connect."""
    import contextlib

    host = FakeDockerHost()
    host.connects = []

    @contextlib.contextmanager
    def open_host(props: dict, *, wait: bool):
        host.connects.append((props["host"], props["port"], tuple(props["host_keys"]), wait))
        yield host

    monkeypatch.setattr(module, "open_host", open_host)
    return host


def props(archive: Path, **changes: object) -> dict:
    """Provider props as the engine would pass them."""
    import json

    base = {
        "server_id": "1001",
        "host": "203.0.113.50",
        "port": 22,
        "user": "bothost",
        "host_keys": [HOST_KEY],
        "identity_file": None,
        "settings": json.loads(json.dumps(SETTINGS.to_dict())),
        "archive": str(archive),
        "archive_sha256": "x",
        "secrets": secrets_to_plain(SECRETS),
    }
    return {**base, **changes}


def test_secrets_round_trip() -> None:
    assert secrets_from(secrets_to_plain(SECRETS)) == SECRETS


def test_create_update_delete(tmp_path: Path, fake: FakeDockerHost) -> None:
    provider = BotDeploymentProvider()
    v1 = write_demo_image(tmp_path / "v1.tar", version="1")
    created = provider.create(props(v1))
    assert created.id == "203.0.113.50/bothost-bot"
    assert fake.connects[-1][3] is True  # the first deploy waits for boot and cloud-init
    assert fake.running() == ["bothost-bot"]
    assert created.outs["spec_hash"] and created.outs["image_id"].startswith("sha256:")
    olds = created.outs
    same = provider.diff(created.id, olds, props(v1))
    assert not same.changes and same.replaces == []
    v2 = write_demo_image(tmp_path / "v2.tar", version="2")
    changed = provider.diff(created.id, olds, props(v2, archive_sha256="y"))
    assert changed.changes and changed.replaces == []
    new_secret = dataclasses.replace(SECRETS.exchange, secret=Secret("new"))
    rotated = props(v1, secrets=secrets_to_plain(dataclasses.replace(SECRETS, exchange=new_secret)))
    assert provider.diff(created.id, olds, rotated).changes
    updated = provider.update(created.id, olds, props(v2, archive_sha256="y"))
    assert updated.outs["image_id"] != olds["image_id"]
    assert fake.events[-4:] == [
        "rename bothost-bot bothost-bot-prev",
        "rename bothost-bot-next bothost-bot",
        "stop bothost-bot-prev --time 90",
        "start bothost-bot",
    ]
    assert fake.connects[-1][3] is False
    provider.delete(created.id, updated.outs)
    assert fake.running() == [] and fake.containers == {}
    assert [p for p in fake.files if p.startswith("/etc/bothost/secrets/bot/")] == []
    assert "/etc/bothost/secrets/bot" not in fake.dirs
    assert API_SECRET not in fake.wire_text()


def test_a_new_server_replaces_the_bot_delete_first(tmp_path: Path, fake: FakeDockerHost) -> None:
    """The engine's delete-before-replace of the server first asks each dependent's diff with the server's
    outputs unknown; a replace there makes it delete the bot (graceful stop) before the old server."""
    from pulumi.runtime import rpc

    provider = BotDeploymentProvider()
    v1 = write_demo_image(tmp_path / "v1.tar", version="1")
    created = provider.create(props(v1))
    for new_id in (rpc.UNKNOWN, "1002"):  # mid-replacement (unknown), then the new server's id
        moved = provider.diff(created.id, created.outs, props(v1, server_id=new_id))
        assert moved.replaces == ["server_id"] and moved.delete_before_replace is True
    assert provider.diff(created.id, created.outs, props(v1, identity_file="/ci/key")).changes is False


def test_replacement_stops_the_bot_with_its_grace_and_carries_its_data(
        tmp_path: Path, fake: FakeDockerHost, handover_home: Path) -> None:
    provider = BotDeploymentProvider()
    v1 = write_demo_image(tmp_path / "v1.tar", version="1")
    created = provider.create(props(v1))
    fake.files["/srv/bothost/data/tradesv3.sqlite"] = (b"open trades", "0644", "1000:1000")
    provider.delete(created.id, created.outs)  # the engine's DeleteReplacement, before the old server goes
    assert "stop bothost-bot --time 90" in fake.events  # the full stopGracePeriod, not the 30 s shutdown
    assert fake.running() == []
    assert list(handover_home.iterdir())  # the data is home
    old_data = fake.files.pop("/srv/bothost/data/tradesv3.sqlite")
    fake.containers.clear()
    fake.dirs.pop("/srv/bothost/data", None)  # the new server starts empty
    fake.commands.clear()
    provider.create(props(v1, server_id="1002"))
    assert fake.files["/srv/bothost/data/tradesv3.sqlite"][0] == old_data[0]
    assert fake.running() == ["bothost-bot"]
    restore = next(i for i, c in enumerate(fake.commands) if "restore-data" in c)
    create = next(i for i, c in enumerate(fake.commands) if c[:2] == ["docker", "create"])
    assert restore < create  # restored before the new bot's container exists
    fake.files.pop("/srv/bothost/data/tradesv3.sqlite")
    provider.create(props(v1, server_id="1003"))  # restored once only
    assert "/srv/bothost/data/tradesv3.sqlite" not in fake.files


def test_delete_skips_only_a_server_hetzner_says_is_gone(monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:
    from fakes.hetzner import FakeHetzner

    from bothost.errors import AuthenticationFailed

    def unreachable(props: dict, *, wait: bool):
        raise RemoteError("cannot SSH to bothost@203.0.113.50:22: [Errno 113] No route to host")

    def refused(props: dict, *, wait: bool):
        raise AuthenticationFailed("bothost@203.0.113.50:22 refused key /k: Authentication failed.")

    archive = write_demo_image(tmp_path / "v1.tar")
    with FakeHetzner() as hetzner:
        ids = hetzner.state.add_stack()
        monkeypatch.setenv("HCLOUD_TOKEN", hetzner.state.token)
        monkeypatch.setenv("HCLOUD_ENDPOINT", hetzner.endpoint)
        monkeypatch.setattr(module, "open_host", refused)
        with pytest.raises(AuthenticationFailed):  # the host is there and refused us: never "gone"
            BotDeploymentProvider().delete("x", props(archive, server_id=str(ids["server"])))
        monkeypatch.setattr(module, "open_host", unreachable)
        with pytest.raises(RemoteError, match="still exists"):
            BotDeploymentProvider().delete("x", props(archive, server_id=str(ids["server"])))
        hetzner.state.servers.clear()
        BotDeploymentProvider().delete("x", props(archive, server_id=str(ids["server"])))  # really gone
        monkeypatch.delenv("HCLOUD_TOKEN")
        with pytest.raises(RemoteError, match="HCLOUD_TOKEN"):  # cannot ask Hetzner: do not guess
            BotDeploymentProvider().delete("x", props(archive, server_id=str(ids["server"])))


def test_the_identity_file_is_used_alone_and_env_overrides_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import contextlib

    seen = []

    @contextlib.contextmanager
    def connect(target, *, wait):
        seen.append(target.identity)
        yield object()

    monkeypatch.setattr("bothost.host.connect", connect)
    monkeypatch.delenv("BOTHOST_SSH_IDENTITY_FILE", raising=False)
    base = {"host": "203.0.113.50", "port": 22, "user": "bothost", "host_keys": [HOST_KEY]}
    with module.open_host({**base, "identity_file": "~/.ssh/bothost"}, wait=False):
        pass
    monkeypatch.setenv("BOTHOST_SSH_IDENTITY_FILE", "/runner/.ssh/bothost_deploy")
    with module.open_host({**base, "identity_file": "~/.ssh/bothost"}, wait=False):
        pass
    assert seen == [Path("~/.ssh/bothost").expanduser(), Path("/runner/.ssh/bothost_deploy")]


def test_preflight_is_loaded_by_name_and_called(tmp_path: Path, fake: FakeDockerHost) -> None:
    calls.clear()
    BotDeploymentProvider(preflight="test_infra_bot_deployment:record").create(
        props(write_demo_image(tmp_path / "v1.tar"), preflight_args={"static_ip": "203.0.113.50"})
    )
    assert calls == [("bothost-bot", True, "203.0.113.50")]


calls: list[tuple[str, bool, str]] = []


def record(host: object, settings: BotSettings, secrets: BotSecrets, *, static_ip: str) -> None:
    """A stand-in preflight that records its call."""
    calls.append((settings.container, bool(secrets.exchange), static_ip))


def test_secret_inputs_stay_secret_under_mocks(tmp_path: Path, fake: FakeDockerHost) -> None:
    monitor = start()
    try:
        resource = BotDeployment(
            "bot",
            server_id="1001",
            host="203.0.113.50",
            port=22,
            user="bothost",
            host_keys=[HOST_KEY],
            settings=SETTINGS,
            secrets=SECRETS,
            archive=str(write_demo_image(tmp_path / "v1.tar")),
        )
        settle(resource.spec_hash)
        registration = monitor.one(DYNAMIC)
        assert registration.is_secret("secrets")
        assert "secrets" in registration.additional_secret_outputs
        assert not any(registration.is_secret(k) for k in ("host", "settings", "archive"))
        provider = base64.b64decode(registration.plain("__provider"))
        assert API_SECRET.encode() not in provider
        assert isinstance(dill.loads(provider), BotDeploymentProvider)
        for key, value in registration.inputs.items():
            if key != "secrets":
                assert API_SECRET not in str(value), key
        spec_hash, secret = resolve(resource.spec_hash)
        assert spec_hash and not secret
        assert fake.running() == ["bothost-bot"]  # the mocks ran the provider's create against the fake
    finally:
        stop()


def test_bot_files_changes_redeploy_and_are_synced(tmp_path: Path, fake: FakeDockerHost) -> None:
    from bothost.deploy.botfiles import read_tree

    tree = tmp_path / "files"
    tree.mkdir()
    (tree / "config.json").write_text('{"max_open_trades": 1}\n')
    provider = BotDeploymentProvider()
    v1 = write_demo_image(tmp_path / "v1.tar", version="1")
    first = props(v1, files=str(tree), files_digest=read_tree(tree).digest)
    created = provider.create(first)
    assert fake.files["/srv/bothost/data/config.json"][0] == b'{"max_open_trades": 1}\n'
    assert not provider.diff(created.id, created.outs, first).changes
    (tree / "config.json").write_text('{"max_open_trades": 2}\n')
    second = props(v1, files=str(tree), files_digest=read_tree(tree).digest)
    assert provider.diff(created.id, created.outs, second).changes
    provider.update(created.id, created.outs, second)
    assert fake.files["/srv/bothost/data/config.json"][0] == b'{"max_open_trades": 2}\n'
    assert "stop bothost-bot-prev --time 90" in fake.events  # the bot restarted gracefully
