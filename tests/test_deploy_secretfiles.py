"""Secret files: names from the settings, freqtrade's private config, digests that reveal nothing."""

from __future__ import annotations

import json

import pytest

from bothost.config.bot import parse_bot
from bothost.config.raw import RawConfig
from bothost.deploy.secretfiles import BotSecrets, content_digests, keyed_digests, secret_files
from bothost.errors import BothostError
from bothost.secret import Credentials, Secret
from roles.bot.presets import bot_settings

KEY, SECRET, PASS = Secret("key-1234567890"), Secret("secret-0987654321"), Secret("passphrase-42")


def settings(preset: str, secrets: dict[str, str]):
    """Settings for a preset with these bot secret names."""
    bot = {"preset": preset} if preset != "generic" else {"image": "me/bot:1"}
    raw = RawConfig({"bothost:bot": bot, "bothost:botSecrets": secrets})
    return bot_settings(parse_bot(raw), exchange="binance")


def test_generic_gets_one_file_per_secret_plus_exchange_files() -> None:
    s = settings("generic", {"telegramToken": "t"})
    secrets = BotSecrets(Credentials(KEY, SECRET, PASS), bot={"telegramToken": Secret("tok-1")})
    files = secret_files(s, secrets)
    assert {n: v.reveal() for n, v in files.items()} == {
        "exchange_api_key": KEY.reveal(),
        "exchange_api_secret": SECRET.reveal(),
        "exchange_passphrase": PASS.reveal(),
        "telegramToken": "tok-1",
    }


def test_freqtrade_private_config() -> None:
    s = settings("freqtrade", {"apiPassword": "x", "telegramToken": "t"})
    bot = {"apiPassword": Secret("api-pw-123"), "telegramToken": Secret("tg-456")}
    files = secret_files(s, BotSecrets(Credentials(KEY, SECRET, PASS), bot=bot))
    assert sorted(files) == ["apiPassword", "config-private.json", "telegramToken"]  # no exchange_* files
    config = json.loads(files["config-private.json"].reveal())
    assert config["exchange"] == {"key": KEY.reveal(), "secret": SECRET.reveal(), "password": PASS.reveal()}
    assert config["api_server"]["password"] == "api-pw-123"
    assert config["api_server"]["listen_port"] == 8080
    assert (
        len(config["api_server"]["jwt_secret_key"]) == 64
        and "api-pw-123" not in config["api_server"]["jwt_secret_key"]
    )
    assert config["telegram"] == {"token": "tg-456"}
    assert config["cancel_open_orders_on_exit"] is True
    assert "***" in repr(files["config-private.json"])


def test_freqtrade_without_exchange_key_is_refused() -> None:
    s = settings("freqtrade", {"apiPassword": "x"})
    with pytest.raises(BothostError, match="exchangeApiKey"):
        secret_files(s, BotSecrets(bot={"apiPassword": Secret("pw")}))


def test_missing_bot_secret_is_named_without_values() -> None:
    s = settings("generic", {"telegramToken": "t"})
    with pytest.raises(BothostError, match="secrets not set: telegramToken") as caught:
        secret_files(s, BotSecrets(Credentials(KEY, SECRET)))
    assert KEY.reveal() not in str(caught.value)


def test_keyed_digest_changes_with_secret_and_key_and_hides_it() -> None:
    one = keyed_digests({"a": Secret("value-1")}, b"k" * 32)
    assert one != keyed_digests({"a": Secret("value-2")}, b"k" * 32)
    assert one != keyed_digests({"a": Secret("value-1")}, b"j" * 32)
    assert one["a"] != content_digests({"a": Secret("value-1")})["a"]  # unkeyed digests stay in memory only
    assert "value-1" not in repr(BotSecrets(bot={"a": Secret("value-1")}))
