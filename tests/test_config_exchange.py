"""The exchange part of the stack config."""

from __future__ import annotations

import pytest

from bothost.config.exchange import EXCHANGE_KEYS, parse_exchange
from bothost.config.raw import Encrypted, RawConfig
from bothost.config.spec import known_keys
from bothost.errors import ConfigError
from bothost.secret import Secret

KEYS = {"bothost:exchangeApiKey": "k-sentinel", "bothost:exchangeApiSecret": "s-sentinel"}


def test_no_exchange_means_no_audit() -> None:
    assert parse_exchange(RawConfig({})) is None


def test_defaults_and_secret_wrapping() -> None:
    spec = parse_exchange(RawConfig({"bothost:exchange": "Binance", **KEYS}))
    assert spec.exchange == "binance" and spec.api_base == "https://api.binance.com"
    assert spec.allow_unrestricted_key is False and spec.passphrase is None
    assert isinstance(spec.api_secret, Secret) and "s-sentinel" not in repr(spec)


def test_encrypted_values_stay_encrypted() -> None:
    spec = parse_exchange(
        RawConfig(
            {
                "bothost:exchange": "okx",
                "bothost:exchangeApiKey": Encrypted("v1:a"),
                "bothost:exchangeApiSecret": Encrypted("v1:b"),
                "bothost:exchangePassphrase": Encrypted("v1:c"),
            }
        )
    )
    assert isinstance(spec.api_secret, Encrypted) and isinstance(spec.passphrase, Encrypted)


@pytest.mark.parametrize(
    ("values", "key", "problem"),
    [
        ({"bothost:exchange": "ftx", **KEYS}, "bothost:exchange", "unsupported exchange"),
        ({"bothost:exchange": "binance"}, "bothost:exchangeApiKey", "needs this value"),
        ({"bothost:exchange": "okx", **KEYS}, "bothost:exchangePassphrase", "needs this value"),
        (
            {"bothost:exchange": "binance", **KEYS, "bothost:exchangePassphrase": "p"},
            "bothost:exchangePassphrase",
            "no passphrase",
        ),
        (
            {"bothost:exchange": "binance", **KEYS, "bothost:exchangeApiBase": "http://api.binance.com"},
            "bothost:exchangeApiBase",
            "unencrypted",
        ),
        (
            {"bothost:exchange": "binance", **KEYS, "bothost:exchangeApiBase": "https://x.example/api"},
            "bothost:exchangeApiBase",
            "without a path",
        ),
        (KEYS, "bothost:exchange", "no exchange is named"),
    ],
)
def test_invalid_values_name_key_and_fix(values: dict, key: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_exchange(RawConfig(values))
    assert caught.value.key == key and problem in caught.value.problem
    assert "s-sentinel" not in str(caught.value) and "k-sentinel" not in str(caught.value)


@pytest.mark.parametrize(
    ("base", "local"),
    [("http://127.0.0.1:8080", True), ("http://10.0.2.2:9000", True),
     ("https://testnet.binance.vision", False)],
)
def test_api_base_override(base: str, local: bool) -> None:
    values = {"bothost:exchange": "binance", **KEYS, "bothost:exchangeApiBase": base + "/"}
    spec = parse_exchange(RawConfig({**values, **({"bothost:allowLocalApiBase": True} if local else {})}))
    assert spec.api_base == base


def test_keys_are_documented_in_known_keys() -> None:
    assert set(EXCHANGE_KEYS) <= set(known_keys())
