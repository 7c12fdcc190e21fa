"""bothost:watch and bothost:watchSecrets: defaults, every refusal as one line naming the key, secrets never
echoed and never accepted in plain text."""

from __future__ import annotations

import pytest
from role_specs import make_spec

from bothost.config import RawConfig, parse_spec
from bothost.config.raw import Encrypted
from bothost.config.spec import MUST_BE_SECRET
from bothost.config.watch import WATCH_SECRETS_KEY, parse_watch
from bothost.errors import ConfigError

TOKEN = "123456:TG-TOKEN-SENTINEL-77aa"
HOOK = "https://hooks.example.com/services/HOOK-SENTINEL-0b1c"
SECRETS = {"telegramToken": TOKEN, "webhookUrl": HOOK}


def watch(secrets: dict | None = None, **fields: object) -> object:
    values = {"bothost:watch": {"channels": ["telegram", "webhook"], "telegramChatId": "-100123", **fields}}
    values[WATCH_SECRETS_KEY] = SECRETS if secrets is None else secrets
    return parse_watch(RawConfig(values))


def test_defaults() -> None:
    spec = watch()
    assert (spec.channels, spec.policy, spec.poll_seconds, spec.heartbeat) == (
        ("telegram", "webhook"),
        "alert",
        60,
        True,
    )
    assert (spec.telegram_api, spec.pairs, spec.disk_percent, spec.memory_percent) == (
        "https://api.telegram.org",
        (),
        90,
        90,
    )
    assert spec.secret_names() == {"telegramToken", "webhookUrl"}


def test_unset_means_no_watcher_and_secure_values_stay_encrypted() -> None:
    assert make_spec().watch is None
    spec = watch({"telegramToken": {"secure": "v1:abc"}, "webhookUrl": {"secure": "v1:def"}})
    assert all(isinstance(value, Encrypted) for _, value in spec.secrets)


@pytest.mark.parametrize(
    ("fields", "secrets", "key", "words"),
    [
        ({"channels": ["sms"]}, None, "bothost:watch.channels", "unknown channel"),
        ({"channels": []}, None, "bothost:watch.channels", None),
        ({"policy": "panic"}, None, "bothost:watch.policy", "alert, stop"),
        ({"pollSeconds": 5}, None, "bothost:watch.pollSeconds", "from 15 to 3600"),
        ({"heartbeat": "sometimes"}, None, "bothost:watch.heartbeat", "true or false"),
        ({"telegramChatId": "my chat"}, None, "bothost:watch.telegramChatId", "chat id"),
        ({"telegramApi": "http://10.0.0.5:8081"}, None, "bothost:watch.telegramApi", "plain http"),
        (
            {"telegramApi": "https://api.telegram.org/bot123"},
            None,
            "bothost:watch.telegramApi",
            "https://host",
        ),
        ({"pairs": ["BTC USDT"]}, None, "bothost:watch.pairs", "not a pair"),
        ({"diskPercent": 100}, None, "bothost:watch.diskPercent", "from 50 to 99"),
        ({"verifyMinutes": 1}, None, "bothost:watch.verifyMinutes", "from 5 to 1440"),
        ({"colour": "red"}, None, "bothost:watch.colour", "unknown watch field"),
        ({}, {"webhookUrl": HOOK}, f"{WATCH_SECRETS_KEY}.telegramToken", "telegram channel needs"),
        ({}, {**SECRETS, "password": "x"}, f"{WATCH_SECRETS_KEY}.password", "unknown watcher secret"),
        ({}, {**SECRETS, "exchangeApiKey": "k"}, f"{WATCH_SECRETS_KEY}.exchangeApiSecret", "both"),
        ({}, {**SECRETS, "webhookUrl": ""}, f"{WATCH_SECRETS_KEY}.webhookUrl", "non-empty secret"),
    ],
)
def test_refusals_name_the_key_in_one_line(
    fields: dict, secrets: dict | None, key: str, words: str | None
) -> None:
    with pytest.raises(ConfigError) as caught:
        watch(secrets, **fields)
    message = str(caught.value)
    assert caught.value.key == key and "\n" not in message and "Fix:" in message
    assert words is None or words in message, message
    assert TOKEN not in message and HOOK not in message


def test_secrets_without_a_watcher_are_refused() -> None:
    with pytest.raises(ConfigError, match="bothost:watch is not"):
        parse_watch(RawConfig({WATCH_SECRETS_KEY: SECRETS}))


def test_plain_text_watch_secrets_are_refused_by_the_spec() -> None:
    assert WATCH_SECRETS_KEY in MUST_BE_SECRET
    values = {
        "bothost:adminSshKeys": [make_spec().host.admin_ssh_keys[0]],
        "bothost:adminCidrs": ["203.0.113.7/32"],
        "bothost:watch": {"channels": ["webhook"]},
        WATCH_SECRETS_KEY: {"webhookUrl": HOOK},
    }
    with pytest.raises(ConfigError) as caught:
        parse_spec(RawConfig(values, plain=list(values)))
    assert caught.value.key == WATCH_SECRETS_KEY and HOOK not in str(caught.value)


def test_local_telegram_fake_needs_allow_local() -> None:
    spec = parse_watch(
        RawConfig(
            {
                "bothost:watch": {
                    "channels": ["telegram"],
                    "telegramChatId": "42",
                    "telegramApi": "http://127.0.0.1:9/",
                },
                WATCH_SECRETS_KEY: {"telegramToken": TOKEN},
                "bothost:allowLocalApiBase": True,
            }
        )
    )
    assert spec.telegram_api == "http://127.0.0.1:9"
