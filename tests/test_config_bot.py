"""bothost:bot and bothost:botSecrets: defaults, validation errors with key and fix, secrets stay wrapped."""

from __future__ import annotations

import json

import pytest

from bothost.config.bot import DEFAULT_DATA_DIR, parse_bot
from bothost.config.raw import Encrypted, RawConfig
from bothost.config.spec import known_keys, parse_spec
from bothost.errors import ConfigError
from bothost.secret import Secret

DIGEST = "sha256:" + "a" * 64
GENERIC = {"image": f"ghcr.io/me/bot@{DIGEST}"}
HUMMINGBOT = {"preset": "hummingbot", "env": {"SCRIPT_CONFIG": "pmm.yml"}}


def bot(value: dict | None, secrets: dict | None = None):
    """parse_bot over a raw config holding these two keys."""
    values: dict[str, object] = {}
    if value is not None:
        values["bothost:bot"] = value
    if secrets is not None:
        values["bothost:botSecrets"] = secrets
    return parse_bot(RawConfig(values))


def test_unset_means_no_bot() -> None:
    assert bot(None) is None


def test_generic_defaults() -> None:
    spec = bot(GENERIC)
    assert (spec.preset, spec.stop_grace_period, spec.memory_bytes, spec.cpus, spec.data_dir) == (
        "generic",
        90,
        1024**3,
        1.0,
        DEFAULT_DATA_DIR,
    )
    assert spec.pinned and spec.warnings() == []


def test_presets_default_their_image_and_warn_when_unpinned() -> None:
    spec = bot({"preset": "freqtrade"}, {"apiPassword": "pw-123456789"})
    assert spec.image == "freqtradeorg/freqtrade:stable"
    assert not spec.pinned
    assert "not pinned by digest" in spec.warnings()[0]


def test_archive_images_are_not_warned_about() -> None:
    assert bot({"image": "bothost-demo:1", "imageArchive": "/tmp/demo.tar"}).warnings() == []


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("stopGracePeriod", "2m", 120),
        ("stopGracePeriod", 30, 30),
        ("stopGracePeriod", "45s", 45),
        ("memory", "512m", 512 * 1024**2),
        ("memory", "2g", 2 * 1024**3),
        ("cpus", "0.5", 0.5),
        ("cpus", 2, 2.0),
        ("env", {"LOG_LEVEL": "info", "DRY_RUN": True}, (("DRY_RUN", "True"), ("LOG_LEVEL", "info"))),
        ("args", ["--dry-run"], ("--dry-run",)),
        ("user", "10001:10001", "10001:10001"),
    ],
)
def test_accepted_values(field: str, value: object, expected: object) -> None:
    attribute = {"stopGracePeriod": "stop_grace_period", "memory": "memory_bytes"}.get(field, field)
    assert getattr(bot({**GENERIC, field: value}), attribute) == expected


@pytest.mark.parametrize(
    ("value", "key", "problem"),
    [
        ({"preset": "gekko"}, "bothost:bot.preset", "unknown preset"),
        ({"preset": "generic"}, "bothost:bot.image", "needs an image"),
        ({"image": "Bad/Name:tag"}, "bothost:bot.image", "not a valid image reference"),
        ({"image": "bot@sha256:abc"}, "bothost:bot.image", "not a valid image reference"),
        ({**GENERIC, "colour": "red"}, "bothost:bot.colour", "unknown bot field"),
        ({**GENERIC, "stopGracePeriod": 0}, "bothost:bot.stopGracePeriod", "1 to 3600"),
        ({**GENERIC, "stopGracePeriod": "soon"}, "bothost:bot.stopGracePeriod", "1 to 3600"),
        ({**GENERIC, "memory": "12m"}, "bothost:bot.memory", "at least 64m"),
        ({**GENERIC, "memory": "lots"}, "bothost:bot.memory", "at least 64m"),
        ({**GENERIC, "cpus": 0}, "bothost:bot.cpus", "0.05 to 64"),
        ({**GENERIC, "dataDir": "relative/path"}, "bothost:bot.dataDir", "absolute path"),
        ({**GENERIC, "dataDir": "/srv/../etc"}, "bothost:bot.dataDir", "never in a system"),
        ({**GENERIC, "dataDir": "/etc/bot"}, "bothost:bot.dataDir", "never in a system"),
        ({**GENERIC, "env": {"API_KEY": "x"}}, "bothost:bot.env.API_KEY", "looks like a secret"),
        ({**GENERIC, "env": {"1BAD": "x"}}, "bothost:bot.env.1BAD", "not an environment variable name"),
        ({**GENERIC, "env": ["A=1"]}, "bothost:bot.env", "expected an object"),
        ({**GENERIC, "args": "trade"}, "bothost:bot.args", "list of strings"),
        ({**GENERIC, "user": "0:0"}, "bothost:bot.user", "uid 0 is root"),
        ({**GENERIC, "user": "bot"}, "bothost:bot.user", "numeric uid:gid"),
        ({**HUMMINGBOT, "user": "1000:1000"}, "bothost:bot.user", "fixes the user"),
        ({**GENERIC, "hosts": ["api.binance.com"]}, "bothost:bot.hosts", "expected an object"),
        ({**GENERIC, "hosts": {"-bad.com": "10.0.2.2"}}, "bothost:bot.hosts.-bad.com", "not a host name"),
        ({**GENERIC, "hosts": {"api.binance.com": "fake"}}, "bothost:bot.hosts.api.binance.com", "not an IP"),
        ({"preset": "hummingbot"}, "bothost:bot.env.SCRIPT_CONFIG", "nothing would trade"),
        (
            {"preset": "hummingbot", "env": {"HEADLESS_MODE": "true"}},
            "bothost:bot.env.SCRIPT_CONFIG",
            "neither is set",
        ),
    ],
)
def test_rejected_values_name_key_and_fix(value: dict, key: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        bot(value, {"apiPassword": "pw", "configPassword": "pw"})
    assert caught.value.key == key
    assert problem in caught.value.problem
    assert caught.value.fix


@pytest.mark.parametrize(
    ("preset", "needed"), [("freqtrade", "apiPassword"), ("hummingbot", "configPassword")]
)
def test_presets_require_their_secret(preset: str, needed: str) -> None:
    with pytest.raises(ConfigError) as caught:
        bot({"preset": preset, "env": {"SCRIPT_CONFIG": "pmm.yml"}})
    assert caught.value.key == f"bothost:botSecrets.{needed}"
    assert "--secret" in caught.value.fix


def test_secret_env_value_is_not_echoed() -> None:
    with pytest.raises(ConfigError) as caught:
        bot({**GENERIC, "env": {"TELEGRAM_TOKEN": "123:very-secret-token"}})
    assert "very-secret-token" not in str(caught.value)


def test_bot_secrets_stay_wrapped() -> None:
    spec = bot(GENERIC, {"telegramToken": "123:tok", "other": {"secure": "v1:abc"}})
    secrets = dict(spec.secrets)
    assert secrets["telegramToken"] == Secret("123:tok")
    assert secrets["other"] == Encrypted("v1:abc")
    assert "123:tok" not in repr(spec) and "123:tok" not in str(spec)


def test_bot_secrets_from_engine_json_string() -> None:
    spec = bot(GENERIC, json.dumps({"telegramToken": "123:tok"}))
    assert dict(spec.secrets)["telegramToken"].reveal() == "123:tok"


@pytest.mark.parametrize("name", ["exchange_api_key", "../etc/passwd", "has space", ""])
def test_bad_or_reserved_secret_names(name: str) -> None:
    with pytest.raises(ConfigError) as caught:
        bot(GENERIC, {name: "value-that-is-secret"})
    assert "value-that-is-secret" not in str(caught.value)


def test_secrets_without_bot_are_an_error() -> None:
    with pytest.raises(ConfigError, match="bothost:bot is not"):
        bot(None, {"telegramToken": "x"})


def test_spec_wiring() -> None:
    keys = known_keys()
    assert "bothost:bot" in keys and "bothost:botSecrets" in keys
    base = {
        "bothost:adminSshKeys": [
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHM8p2zW3ZlsbqQcNq2BNa0RDk8vg9k3Jw+VslVkRqDs"
        ],
        "bothost:adminCidrs": ["203.0.113.7/32"],
    }
    assert parse_spec(base).bot is None
    assert parse_spec({**base, "bothost:bot": GENERIC}).bot.image == GENERIC["image"]


@pytest.mark.parametrize(
    ("name", "value", "setting"),
    [
        ("FREQTRADE__CANCEL_OPEN_ORDERS_ON_EXIT", "false", "cancel_open_orders_on_exit"),
        ("FREQTRADE__API_SERVER__LISTEN_IP_ADDRESS", "0.0.0.0", "api_server"),
        ("FREQTRADE__API_SERVER__ENABLED", "false", "api_server"),
        ("FREQTRADE__INITIAL_STATE", "stopped", "initial_state"),
        ("FREQTRADE__EXCHANGE__KEY", "other-key-123", "exchange.key"),
        ("freqtrade__exchange__secret", "other-secret-456", "exchange.secret"),
        ("FREQTRADE__EXCHANGE__PASSWORD", "pass-789", "exchange.password"),
    ],
)
def test_freqtrade_env_overrides_of_safety_settings_are_refused(name: str, value: str, setting: str) -> None:
    with pytest.raises(ConfigError) as caught:
        bot({"preset": "freqtrade", "env": {name: value}}, {"apiPassword": "pw-1234567890"})
    message = str(caught.value)
    assert message.startswith(f"bothost:bot.env.{name} = ") and "\n" not in message
    assert f"overrides freqtrade's {setting}, which bothost sets" in message
    assert "other-key-123" not in message and "other-secret-456" not in message and "pass-789" not in message


def test_harmless_freqtrade_env_overrides_pass() -> None:
    spec = bot(
        {
            "preset": "freqtrade",
            "env": {"FREQTRADE__MAX_OPEN_TRADES": "3", "FREQTRADE__EXCHANGE__NAME": "binance"},
        },
        {"apiPassword": "pw-1234567890"},
    )
    assert ("FREQTRADE__MAX_OPEN_TRADES", "3") in spec.env


def test_hummingbot_gets_its_documented_memory_and_the_exchange_by_default() -> None:
    from role_specs import make_spec

    from roles.bot.presets import stack_bot_settings

    keys = {"exchangeApiKey": "key-123456789012", "exchangeApiSecret": "secret-1234567890",
            "exchangePassphrase": "passphrase-1234"}
    spec = make_spec(bot=HUMMINGBOT, botSecrets={"configPassword": "pw"}, exchange="OKX", **keys)
    assert spec.bot.memory_bytes == 4 * 1024**3
    # bothost:exchange, as its own parser validated and lowered it, names Hummingbot's connector.
    assert stack_bot_settings(spec).args[1:3] == ("--connector", "okx")
    assert stack_bot_settings(spec).exchange_files
    alone = stack_bot_settings(make_spec(bot=HUMMINGBOT, botSecrets={"configPassword": "pw"}))
    assert alone.args[1:3] == ("--connector", "binance") and not alone.exchange_files
    assert bot({**HUMMINGBOT, "env": {"CONFIG_FILE_NAME": "pure_mm.yml"}}, {"configPassword": "pw"})


def test_hosts_are_validated_and_sorted() -> None:
    spec = bot({**GENERIC, "hosts": {"Stream.Binance.com": "10.0.2.2", "api.binance.com": "10.0.2.2"}})
    assert spec.hosts == (("api.binance.com", "10.0.2.2"), ("stream.binance.com", "10.0.2.2"))
    assert bot(GENERIC).hosts == ()


def test_freqtrade_gets_its_documented_memory_by_default() -> None:
    assert bot({"preset": "freqtrade"}, {"apiPassword": "pw-1234567890"}).memory_bytes == 2 * 1024**3
    assert bot(GENERIC).memory_bytes == 1024**3
    assert (
        bot({"preset": "freqtrade", "memory": "1536m"}, {"apiPassword": "pw-1"}).memory_bytes
        == 1536 * 1024**2
    )


def test_bot_files_must_be_a_local_directory(tmp_path) -> None:
    assert bot({**GENERIC, "files": str(tmp_path)}).files == str(tmp_path)
    assert bot(GENERIC).files is None
    with pytest.raises(ConfigError, match=r"bothost:bot.files = .*: not a local directory"):
        bot({**GENERIC, "files": str(tmp_path / "missing")})
