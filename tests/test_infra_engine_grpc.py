"""Each dynamic provider as the engine runs it: serialized by the SDK, served by a fresh
`python -m pulumi.dynamic` process, called over gRPC (Check, Create, Diff, Update, Read, Delete), with the
props plain (what the engine sends providers that accept no secrets) and secret-wrapped."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import grpc
import pytest
from engine_harness import DynamicProviderProcess, changes, secret
from infra_mocks import unwrap as plain
from pulumi.runtime import rpc
from role_specs import make_spec
from test_infra_bot_deployment import SECRETS, SETTINGS

from bothost.deploy.watch import watch_secrets, watch_settings
from bothost.infra.bot_deployment import BotDeploymentProvider, secrets_from, secrets_to_plain
from bothost.infra.host_keys import ALGORITHMS, HostKeysProvider
from bothost.infra.location_lock import LocationLockProvider
from bothost.rehearsal.demo_image import write_demo_image
from roles.watch import UNIT

HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHM8p2zW3ZlsbqQcNq2BNa0RDk8vg9k3Jw+VslVkRqDs"
WRAPS = [False, True]


@pytest.fixture(scope="module")
def host_keys_process():
    with DynamicProviderProcess(HostKeysProvider()) as process:
        yield process


@pytest.mark.parametrize("wrap", WRAPS)
def test_host_keys_lifecycle_in_the_provider_process(host_keys_process, wrap: bool) -> None:
    p = host_keys_process
    news = p.with_provider({"algorithms": secret(ALGORITHMS) if wrap else ALGORITHMS})
    inputs, failures = p.check({}, news)
    assert failures == [] and plain(inputs["algorithms"]) == ALGORITHMS
    id_, outs = p.create(news)
    outs = plain(outs)
    assert id_ == outs["ed25519_fingerprint"] and "PRIVATE KEY" in outs["ed25519_private"]
    assert outs["rsa_public"].startswith("ssh-rsa ")
    same = p.diff(id_, outs, news)
    assert changes(same) is False and list(same.replaces) == []
    policy = p.diff(id_, outs, p.with_provider({"algorithms": "ed25519+rsa8192"}))
    assert changes(policy) is True and list(policy.replaces) == ["algorithms"]
    kept = plain(p.update(id_, outs, news))
    assert kept["ed25519_private"] == outs["ed25519_private"]  # an update never rotates keys
    read_id, read = p.read(id_, {**outs, "__provider": p.serialized})
    assert read_id == id_ and plain(read)["rsa_private"] == outs["rsa_private"]
    p.delete(id_, {**outs, "__provider": p.serialized})  # keys live only in state: nothing to delete


@pytest.mark.parametrize("wrap", WRAPS)
def test_location_lock_refuses_a_move_at_check(wrap: bool) -> None:
    with DynamicProviderProcess(LocationLockProvider()) as p:
        first = p.with_provider({"location": "fsn1"})
        assert p.check({}, first)[1] == []
        id_, outs = p.create(first)
        assert (id_, plain(outs)["location"]) == ("fsn1", "fsn1")
        moved = p.with_provider({"location": "nbg1"})
        _, failures = p.check(plain(outs), moved)
        assert [prop for prop, _ in failures] == ["location"]
        assert "cannot move" in failures[0][1] and "pulumi config set bothost:location fsn1" in failures[0][1]
        assert changes(p.diff(id_, plain(outs), first)) is False
        assert p.read(id_, {**plain(outs), "__provider": p.serialized})[0] == "fsn1"
        p.delete(id_, {**plain(outs), "__provider": p.serialized})


def bot_props(archive: Path, **changes_: object) -> dict:
    return {
        "server_id": "1001", "host": "203.0.113.50", "port": 22, "user": "bothost", "host_keys": [HOST_KEY],
        "identity_file": None, "settings": json.loads(json.dumps(SETTINGS.to_dict())),
        "archive": str(archive),
        "archive_sha256": "x", "secrets": secrets_to_plain(SECRETS), "preflight_args": {}, **changes_,
    }


@pytest.mark.parametrize("wrap", WRAPS)
def test_bot_deployment_lifecycle_in_the_provider_process(tmp_path: Path, wrap: bool) -> None:
    archive = write_demo_image(tmp_path / "v1.tar", version="1")
    env = {"BOTHOST_FAKE_DOCKER_HOST": "1", "BOTHOST_HANDOVER_DIR": str(tmp_path / "handover")}
    with DynamicProviderProcess(BotDeploymentProvider(), env=env) as p:
        props = bot_props(archive)
        if wrap:
            props["secrets"] = secret(props["secrets"])
        news = p.with_provider(props)
        assert p.check({}, news)[1] == []
        id_, outs = p.create(news)
        outs = plain(outs)
        assert id_ == "203.0.113.50/bothost-bot" and outs["image_id"].startswith("sha256:")
        # Nulls do not cross the wire (exchange_passphrase); the engine marks `secrets` secret in state
        # (additional_secret_outputs), see test_infra_bot_deployment.
        assert secrets_from(outs["secrets"]) == SECRETS
        assert changes(p.diff(id_, outs, news)) is False
        # The engine's dependent-replacement probe: the server's id is unknown while it is replaced.
        probe = p.diff(id_, outs, p.with_provider({**props, "server_id": rpc.UNKNOWN}))
        assert list(probe.replaces) == ["server_id"] and probe.deleteBeforeReplace is True
        v2 = write_demo_image(tmp_path / "v2.tar", version="2")
        changed = p.with_provider({**props, "archive": str(v2), "archive_sha256": "y"})
        update = p.diff(id_, outs, changed)
        assert changes(update) is True and list(update.replaces) == []
        updated = plain(p.update(id_, outs, changed))
        assert updated["image_id"] != outs["image_id"]
        p.delete(id_, {**updated, "__provider": p.serialized})


def test_bot_delete_refuses_to_guess_over_grpc(tmp_path: Path) -> None:
    """An unreachable host that Hetzner cannot confirm gone fails the delete (no silent skip)."""
    archive = write_demo_image(tmp_path / "v1.tar", version="1")
    env = {"HCLOUD_TOKEN": "", "BOTHOST_HANDOVER_DIR": str(tmp_path / "handover")}
    with DynamicProviderProcess(BotDeploymentProvider(), env=env) as p:
        props = p.with_provider(bot_props(archive, host="127.0.0.1", port=1))  # nothing listens on port 1
        with pytest.raises(grpc.RpcError) as caught:
            p.delete("127.0.0.1/bothost-bot", props)
        assert "the bot was not stopped" in caught.value.details()


@pytest.mark.parametrize("wrap", WRAPS)
def test_the_watcher_installs_from_the_provider_process_with_its_tokens_intact(tmp_path: Path, wrap: bool):
    """The watcher rides with the bot: its settings and its tokens cross the engine's wire into a fresh
    provider process, which installs them on the host; a new token alone updates the secrets file."""

    def tokens_for(hook: str) -> tuple[dict, str]:
        spec = make_spec(bot={"preset": "freqtrade"}, botSecrets={"apiPassword": "FT-PW-SENTINEL"},
                         watch={"channels": ["webhook"]}, watchSecrets={"webhookUrl": hook})
        settings = json.loads(json.dumps(asdict(watch_settings(spec))))
        return settings, watch_secrets(spec, lambda v, _k: v).reveal()

    state = tmp_path / "host.json"
    archive = write_demo_image(tmp_path / "v1.tar", version="1")
    env = {"BOTHOST_FAKE_DOCKER_HOST": "1", "BOTHOST_HANDOVER_DIR": str(tmp_path / "handover"),
           "BOTHOST_FAKE_HOST_STATE": str(state)}
    watch, tokens = tokens_for("https://hooks.example.com/HOOK-SENTINEL-1")
    with DynamicProviderProcess(BotDeploymentProvider(), env=env) as p:
        props = bot_props(archive, watch=watch, watch_secrets=secret(tokens) if wrap else tokens)
        news = p.with_provider(props)
        assert p.check({}, news)[1] == []
        id_, outs = p.create(news)
        host = json.loads(state.read_text())
        secrets_file = host["files"][watch["config_dir"] + "/secrets.json"]
        assert json.loads(secrets_file[0]) == json.loads(tokens) and secrets_file[1:] == ["0400", "0:0"]
        assert json.loads(tokens)["apiPassword"] == "FT-PW-SENTINEL"  # the bot's API password rides along
        config = json.loads(host["files"][watch["config_dir"] + "/config.json"][0])
        assert config["bot"]["kind"] == "freqtrade" and "HOOK-SENTINEL" not in json.dumps(config)
        assert host["users"] == ["bothost-watch"] and UNIT in host["active"]
        outs = plain(outs)
        assert json.loads(outs["watch_secrets"]) == json.loads(tokens)
        assert changes(p.diff(id_, outs, news)) is False
        _, rotated = tokens_for("https://hooks.example.com/HOOK-SENTINEL-2")
        changed = p.with_provider({**props, "watch_secrets": secret(rotated) if wrap else rotated})
        assert changes(p.diff(id_, outs, changed)) is True
        updated = plain(p.update(id_, outs, changed))
        host = json.loads(state.read_text())
        assert "HOOK-SENTINEL-2" in host["files"][watch["config_dir"] + "/secrets.json"][0]
        p.delete(id_, {**updated, "__provider": p.serialized})
