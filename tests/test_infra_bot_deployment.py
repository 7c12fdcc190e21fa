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


def test_replaced_server_gets_the_bot_again(tmp_path: Path, fake: FakeDockerHost) -> None:
    provider = BotDeploymentProvider()
    v1 = write_demo_image(tmp_path / "v1.tar", version="1")
    created = provider.create(props(v1))
    replaced = props(v1, server_id="1002")  # same IP and host keys, but a new, empty server
    assert provider.diff(created.id, created.outs, replaced).changes
    fake.containers.clear()
    provider.update(created.id, created.outs, replaced)
    assert fake.connects[-1][3] is True  # waits for the new server's sshd and cloud-init
    assert fake.running() == ["bothost-bot"]


def test_delete_tolerates_a_server_that_is_gone(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def unreachable(props: dict, *, wait: bool):
        raise RemoteError("cannot SSH to bothost@203.0.113.50:22: [Errno 113] No route to host")

    monkeypatch.setattr(module, "open_host", unreachable)
    BotDeploymentProvider().delete("x", props(write_demo_image(tmp_path / "v1.tar")))


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
