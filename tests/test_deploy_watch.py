"""Deploy's watcher install over SSH: every file once, root-owned, tokens only on stdin into a 0400 file;
a rerun changes nothing; the bot's key stands in for a missing read-only key, with a warning."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from deploy_fake import WatchHost
from role_specs import make_spec

from bothost.deploy.watch import converge_watch, watch_secrets, watch_settings
from bothost.errors import BothostError
from bothost.keyaudit.bundle import watch_bundle
from bothost.role import CommandResult
from bothost.secret import Secret
from roles.watch import STATUS_TIMER, STOP_PATH, SYSUSERS_PATH, UNIT

TOKEN = "123456:TG-TOKEN-SENTINEL-77aa"
HOOK = "https://hooks.example.com/services/HOOK-SENTINEL-0b1c"
EXCHANGE_KEY, EXCHANGE_SECRET = "KEY-SENTINEL-1f2e", "SECRET-SENTINEL-3d4c"
READ_KEY, READ_SECRET = "READ-KEY-SENTINEL-5b6a", "READ-SECRET-SENTINEL-7980"
PASSWORD = "FT-PASSWORD-SENTINEL-c0de"
ALL = [TOKEN, HOOK, EXCHANGE_KEY, EXCHANGE_SECRET, READ_KEY, READ_SECRET, PASSWORD]


def spec(**watch_secrets_extra: str):
    return make_spec(
        exchange="okx",
        exchangeApiKey=EXCHANGE_KEY,
        exchangeApiSecret=EXCHANGE_SECRET,
        exchangePassphrase="PASS-SENTINEL-aa11",
        bot={"preset": "freqtrade"},
        botSecrets={"apiPassword": PASSWORD},
        watch={"channels": ["telegram", "webhook"], "telegramChatId": "42"},
        watchSecrets={"telegramToken": TOKEN, "webhookUrl": HOOK, **watch_secrets_extra},
    )


def resolve(value: object, _key: str) -> Secret:
    return value


def test_install_writes_everything_once_and_a_rerun_changes_nothing() -> None:
    host, notes = WatchHost(), []
    s = watch_settings(spec())
    secrets = watch_secrets(spec(), resolve, notes.append)
    written = converge_watch(host, s, secrets)
    assert set(written) >= {s.code_path, s.config_path, s.secrets_path, SYSUSERS_PATH}
    assert host.files[s.secrets_path][1:] == ("0400", "0:0")
    assert host.files[s.code_path][0] == watch_bundle()
    assert json.loads(host.files[s.config_path][0])["exchange"]["name"] == "okx"
    assert {"bothost-watch"} == host.users and {UNIT, STATUS_TIMER, STOP_PATH} <= host.active
    assert ["systemctl", "daemon-reload"] in host.commands
    mkdir = next(c for c in host.commands if c[0] == "mkdir")
    assert {"/etc/sysusers.d", "/etc/systemd/system", "/usr/local/sbin"} <= set(mkdir)  # before any write
    assert host.commands.index(mkdir) < min(i for i, c in enumerate(host.commands) if c[0] == "write-file")
    before = len(host.commands)
    assert converge_watch(host, s, secrets) == []
    rerun = host.commands[before:]
    assert ["systemctl", "restart", UNIT] not in rerun and ["systemctl", "daemon-reload"] not in rerun


def test_tokens_travel_only_in_the_secrets_file() -> None:
    host = WatchHost()
    s = watch_settings(spec())
    converge_watch(host, s, watch_secrets(spec(), resolve))
    stored = json.loads(host.files[s.secrets_path][0])
    assert stored["telegramToken"] == TOKEN and stored["apiPassword"] == PASSWORD
    others = [data for path, (data, _m, _o) in host.files.items() if path != s.secrets_path]
    for secret in ALL:
        assert secret not in host.wire_text()
        assert all(secret.encode() not in data for data in others), secret


def test_hummingbots_orders_token_is_derived_from_its_password_which_the_watcher_never_gets() -> None:
    from roles.bot.hummingbot import orders_token

    hb = make_spec(
        bot={"preset": "hummingbot", "env": {"SCRIPT_CONFIG": "pmm.yml"}},
        botSecrets={"configPassword": PASSWORD},
        watch={"channels": ["webhook"]},
        watchSecrets={"webhookUrl": HOOK},
    )
    stored = json.loads(watch_secrets(hb, resolve).reveal())
    assert stored == {"webhookUrl": HOOK, "botOrdersToken": orders_token(PASSWORD)}
    assert PASSWORD not in json.dumps(stored)


def test_the_bots_key_stands_in_with_a_warning_and_a_read_only_key_wins() -> None:
    notes: list[str] = []
    fallback = json.loads(watch_secrets(spec(), resolve, notes.append).reveal())
    assert fallback["exchangeApiKey"] == EXCHANGE_KEY and any("read-only key" in n for n in notes)
    notes.clear()
    own = json.loads(
        watch_secrets(
            spec(exchangeApiKey=READ_KEY, exchangeApiSecret=READ_SECRET), resolve, notes.append
        ).reveal()
    )
    assert (own["exchangeApiKey"], own["exchangeApiSecret"]) == (READ_KEY, READ_SECRET) and notes == []
    assert all(s not in repr(watch_secrets(spec(), resolve)) for s in ALL)


def test_a_watcher_that_does_not_start_is_an_error() -> None:
    class Dead(WatchHost):
        def _systemctl(self, args: list[str]) -> CommandResult:
            if args[0] == "is-active":
                return CommandResult(3, "")
            return super()._systemctl(args)

        def _journalctl(self, args: list[str]) -> CommandResult:
            return CommandResult(0, "KeyError: 'channels'\n")

    with pytest.raises(BothostError, match="did not start: KeyError"):
        converge_watch(Dead(), watch_settings(spec()), watch_secrets(spec(), resolve))


def test_no_watcher_configured() -> None:
    with pytest.raises(BothostError, match="bothost:watch is not set"):
        watch_settings(make_spec())


def test_pulumi_up_installs_the_watcher_after_the_bot_and_keeps_its_tokens_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import contextlib
    from dataclasses import asdict

    from infra_mocks import settle, start, stop

    import bothost.infra.bot_deployment as module
    from bothost.deploy.ops import secrets_for, settings_for
    from bothost.infra.bot_deployment import BotDeployment
    from bothost.rehearsal.demo_image import write_demo_image

    host = WatchHost()

    @contextlib.contextmanager
    def open_host(props: dict, *, wait: bool):
        yield host

    monkeypatch.setattr(module, "open_host", open_host)
    generic = make_spec(
        bot={"image": "bothost-demo:1"}, watch={"channels": ["webhook"]}, watchSecrets={"webhookUrl": HOOK}
    )
    s = watch_settings(generic)
    monitor = start()
    try:
        resource = BotDeployment(
            "bot",
            server_id="1001",
            host="203.0.113.50",
            port=22,
            user="bothost",
            host_keys=["ssh-ed25519 AAAA"],
            settings=settings_for(generic),
            secrets=secrets_for(generic, resolve),
            archive=str(write_demo_image(tmp_path / "v1.tar")),
            watch=asdict(s),
            watch_secrets=watch_secrets(generic, resolve),
        )
        settle(resource.spec_hash)
        registration = monitor.one("pulumi-python:dynamic/bothost:BotDeployment")
        assert registration.is_secret("watch_secrets") and not registration.is_secret("watch")
        assert "watch_secrets" in registration.additional_secret_outputs
        assert all(
            HOOK not in str(value) for key, value in registration.inputs.items() if key != "watch_secrets"
        )
    finally:
        stop()
    assert json.loads(host.files[s.secrets_path][0]) == {"webhookUrl": HOOK}
    assert host.running() == ["bothost-bot"] and UNIT in host.active


def test_the_watch_settings_cross_the_engines_wire_with_the_redacted_spec() -> None:
    """The provider process gets `watch` as the engine marshals it (a protobuf Struct): the settings come
    back equal, the drift check's spec decodes to the same checks, and no secret is in any of it."""
    import base64
    import pickle
    from dataclasses import asdict

    from engine_harness import deserialize, serialize

    from bothost.deploy.watch import settings_from
    from bothost.role import RenderContext
    from bothost.userdata import role_checks

    spec = make_spec(bot={"image": "bothost-demo:1"}, botSecrets={"telegramToken": "TG-BOT-SENTINEL-5"},
                     watch={"channels": ["webhook"]}, watchSecrets={"webhookUrl": HOOK})
    s = watch_settings(spec)
    wire = deserialize(serialize({"watch": asdict(s)}))["watch"]
    assert settings_from(wire) == s
    raw = base64.b64decode(settings_from(wire).checks_spec)
    assert b"SENTINEL" not in raw
    checks = role_checks(pickle.loads(raw), RenderContext())
    ours = role_checks(spec, RenderContext())
    assert [(c.id, c.command) for c in checks] == [(c.id, c.command) for c in ours]
