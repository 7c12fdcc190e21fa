"""Day-2 operations: status, stop and remove against the fake host; settings and secrets from a spec."""

from __future__ import annotations

import datetime

import pytest
from deploy_fake import FakeDockerHost
from role_specs import make_spec

from bothost.deploy.ops import bot_secret_key, remove, secrets_for, settings_for, status, stop, uptime
from bothost.errors import BothostError
from bothost.secret import Secret


def test_uptime() -> None:
    now = datetime.datetime(2026, 1, 3, 4, 5, 6, tzinfo=datetime.UTC)
    assert uptime("2026-01-01T00:00:00.123456789Z", now) == "2d 4h 5m 5s"  # whole seconds, rounded down
    assert uptime("2026-01-03T04:00:00Z", now) == "0h 5m 6s"
    assert uptime("garbage", now) == "?"


def test_settings_and_secrets_from_spec() -> None:
    spec = make_spec(
        bot={"image": "me/bot:1"},
        botSecrets={"telegramToken": "tg"},
        exchange="okx",
        exchangeApiKey="k",
        exchangeApiSecret="s",
        exchangePassphrase="p",
    )
    settings = settings_for(spec)
    assert settings.exchange_files and settings.secret_names == ("telegramToken",)
    seen: list[str] = []

    def resolve(value: object, key: str) -> Secret:
        seen.append(key)
        return value

    found = secrets_for(spec, resolve)
    assert found.names() == {
        "exchange_api_key",
        "exchange_api_secret",
        "exchange_passphrase",
        "telegramToken",
    }
    assert seen == [
        bot_secret_key("telegramToken"),
        "bothost:exchangeApiKey",
        "bothost:exchangeApiSecret",
        "bothost:exchangePassphrase",
    ]
    with pytest.raises(BothostError, match="bothost:bot is not set"):
        settings_for(make_spec())


def test_status_stop_remove() -> None:
    spec = make_spec(bot={"image": "me/bot:1"})
    settings = settings_for(spec)
    host = FakeDockerHost()
    assert status(host, settings).state == "absent"
    host.images["sha256:1"] = {"tags": {"me/bot:1"}, "labels": {}}
    host.run(["docker", "create", "--name", "bothost-bot", "me/bot:1"])
    host.run(["docker", "start", "bothost-bot"])
    shown = status(host, settings)
    assert (shown.state, shown.health, shown.image_id) == ("running", "healthy", "sha256:1")
    assert "uptime" in "\n".join(shown.lines())
    assert stop(host, settings).already_stopped is False
    assert host.events[-1] == "stop bothost-bot --time 90" and host.audit_lines[-1].split()[2] == "bot.stop"
    assert stop(host, settings).already_stopped is True
    remove(host, settings)
    assert host.containers == {} and host.audit_lines[-1].split()[2] == "bot.remove"


def test_rehearsal_demo_bot_keeps_limits_and_needs_no_registry(tmp_path) -> None:
    from bothost.deploy.image import inspect_archive
    from bothost.deploy.secretfiles import secret_files
    from bothost.rehearsal.demo_bot import demo_archive, demo_bot, demo_secrets

    spec = make_spec(
        bot={"preset": "freqtrade", "memory": "2g", "stopGracePeriod": 60},
        botSecrets={"apiPassword": "real-password"},
        exchange="binance",
        exchangeApiKey="k",
        exchangeApiSecret="s",
    )
    rehearsed, overrides = demo_bot(spec, demo_archive(tmp_path))
    assert (rehearsed.bot.preset, rehearsed.bot.image) == ("generic", "bothost-demo:1")
    assert rehearsed.bot.warnings() == []  # a local tarball: the registry digest warning is not for it
    assert demo_bot(spec)[0].bot.warnings()  # (without the tarball the same image would draw it)
    assert (rehearsed.bot.memory_bytes, rehearsed.bot.stop_grace_period) == (2 * 1024**3, 60)
    assert [key for key, _, _ in overrides] == ["bothost:bot.image", "bothost:bot.preset"]
    demo = demo_secrets(rehearsed)
    files = secret_files(settings_for(rehearsed), demo)
    assert sorted(files) == ["apiPassword", "exchange_api_key", "exchange_api_secret"]
    assert "real-password" not in {v.reveal() for v in files.values()}
    assert inspect_archive(demo_archive(tmp_path)).kind == "docker-archive"
    without_bot, _ = demo_bot(make_spec())
    assert settings_for(without_bot).secret_names == ("telegramToken",)
