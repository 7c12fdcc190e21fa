"""The exchange part of the stack config: which exchange, its API base, and the bot's key (secret)."""

from __future__ import annotations

import ipaddress
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass

from bothost.config.host import NS
from bothost.config.raw import Encrypted, RawConfig
from bothost.errors import ConfigError
from bothost.secret import Credentials, Secret

DEFAULT_API_BASES: dict[str, str] = {
    "binance": "https://api.binance.com",
    "bybit": "https://api.bybit.com",
    "okx": "https://www.okx.com",
    "kraken": "https://api.kraken.com",
    "kucoin": "https://api.kucoin.com",
    "bitget": "https://api.bitget.com",
    "gate": "https://api.gateio.ws",
    "coinbase": "https://api.coinbase.com",
}
NEEDS_PASSPHRASE = ("okx", "kucoin", "bitget")
# TCP ports each exchange's REST API and websocket streams use, from its own docs; with restrictEgress the
# host allows exactly these (plus the API base's own port when exchangeApiBase names one).
EXCHANGE_PORTS: dict[str, tuple[int, ...]] = {
    # wss://stream.binance.com:9443 (also :443); https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams
    "binance": (443, 9443),
    # wss://stream.bybit.com (443); https://bybit-exchange.github.io/docs/v5/ws/connect
    "bybit": (443,),
    # wss://ws.okx.com:8443; https://www.okx.com/docs-v5/en/#overview-production-trading-services
    "okx": (443, 8443),
    # wss://ws.kraken.com (443); https://docs.kraken.com/api/docs/guides/spot-ws-intro
    "kraken": (443,),
    # the bullet token's instanceServers endpoint (wss, 443); https://www.kucoin.com/docs/websocket/basic-info/apply-connect-token/introduction
    "kucoin": (443,),
    # wss://ws.bitget.com/v2/ws/public (443); https://www.bitget.com/api-doc/common/websocket-intro
    "bitget": (443,),
    # wss://api.gateio.ws/ws/v4/ (443); https://www.gate.io/docs/developers/apiv4/ws/en/
    "gate": (443,),
    # wss://advanced-trade-ws.coinbase.com (443); https://docs.cdp.coinbase.com/advanced-trade/docs/ws-overview
    "coinbase": (443,),
}

EXCHANGE_KEYS: dict[str, str] = {
    f"{NS}:exchange": f"The bot's exchange: {', '.join(DEFAULT_API_BASES)} (unset: no key audit).",
    f"{NS}:exchangeApiBase": "Override the exchange's API URL, e.g. for a testnet (default: its public API).",
    f"{NS}:allowUnrestrictedKey": "Deploy a key without a working IP whitelist, with a warning each time "
    "(default false; withdrawal, transfers, P2P and key editing are refused regardless).",
    f"{NS}:exchangeApiKey": "The bot's API key (secret: pulumi config set --secret).",
    f"{NS}:exchangeApiSecret": "The bot's API secret (secret; Coinbase: the CDP private key).",
    f"{NS}:exchangePassphrase": f"The API passphrase (secret; {', '.join(NEEDS_PASSPHRASE)} need one).",
}

SecretValue = Secret | Encrypted


@dataclass(frozen=True)
class ExchangeSpec:
    """Validated exchange settings; key material stays Secret (or Encrypted until resolved)."""

    exchange: str
    api_base: str
    allow_unrestricted_key: bool
    api_key: SecretValue
    api_secret: SecretValue
    passphrase: SecretValue | None


def resolve_credentials(spec: ExchangeSpec,
                        resolve: Callable[[SecretValue | None, str], Secret]) -> Credentials:
    """The spec's key material, each value resolved by its config key (CLI: SecretSource.resolve; `pulumi
    up`: the engine's decrypted config)."""
    return Credentials(
        key=resolve(spec.api_key, f"{NS}:exchangeApiKey"),
        secret=resolve(spec.api_secret, f"{NS}:exchangeApiSecret"),
        passphrase=None if spec.passphrase is None else resolve(spec.passphrase, f"{NS}:exchangePassphrase"),
    )


def parse_exchange(raw: RawConfig) -> ExchangeSpec | None:
    """Validate the exchange keys; None when no exchange is configured (and then no key may be set)."""
    key = f"{NS}:exchange"
    if not raw.has(key):
        stray = [k for k in EXCHANGE_KEYS if k != key and raw.has(k)]
        if stray:
            raise ConfigError(
                key,
                None,
                f"{stray[0]} is set but no exchange is named",
                f"pulumi config set {key} binance (or another of {', '.join(DEFAULT_API_BASES)})",
            )
        return None
    exchange = raw.string(key, fix=f"one of {', '.join(DEFAULT_API_BASES)}").lower()
    if exchange not in DEFAULT_API_BASES:
        raise ConfigError(
            key,
            exchange,
            f"unsupported exchange; expected one of {', '.join(DEFAULT_API_BASES)}",
            f"pulumi config set {key} binance",
        )
    return ExchangeSpec(
        exchange=exchange,
        api_base=_api_base(raw, DEFAULT_API_BASES[exchange]),
        allow_unrestricted_key=raw.boolean(f"{NS}:allowUnrestrictedKey", False),
        api_key=_required_secret(raw, f"{NS}:exchangeApiKey"),
        api_secret=_required_secret(raw, f"{NS}:exchangeApiSecret"),
        passphrase=_passphrase(raw, exchange),
    )


def _required_secret(raw: RawConfig, key: str) -> SecretValue:
    value = raw.secret(key)
    if value is None or (isinstance(value, Secret) and not value.reveal().strip()):
        raise ConfigError(
            key,
            None,
            "the bot's exchange key needs this value",
            f"pulumi config set --secret {key} (paste it when asked, not on the command line)",
        )
    return value


def _passphrase(raw: RawConfig, exchange: str) -> SecretValue | None:
    key = f"{NS}:exchangePassphrase"
    if exchange in NEEDS_PASSPHRASE:
        return _required_secret(raw, key)
    if raw.has(key):
        raise ConfigError(key, "***", f"{exchange} API keys have no passphrase", f"pulumi config rm {key}")
    return None


def _api_base(raw: RawConfig, default: str) -> str:
    """An https URL; plain http only to a loopback or private address (a local fake or testnet proxy)."""
    key = f"{NS}:exchangeApiBase"
    value = raw.string(key, default, fix=f"a URL such as {default}").rstrip("/")
    parts = urllib.parse.urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.path not in ("",) or parts.query:
        raise ConfigError(
            key,
            value,
            "expected scheme://host[:port] without a path",
            f"e.g. {default}, or remove the key for the default",
        )
    if parts.scheme == "http" and not _private(parts.hostname):
        raise ConfigError(
            key, value, "plain http would send signed requests unencrypted", f"use https://{parts.netloc}"
        )
    return value


def _private(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost"
    return address.is_loopback or address.is_private


def egress_ports(spec: ExchangeSpec | None) -> tuple[int, ...]:
    """The TCP ports the bot needs for its exchange: the documented ones and the API base's own port."""
    if spec is None:
        return ()
    port = urllib.parse.urlsplit(spec.api_base).port
    return tuple(sorted(set(EXCHANGE_PORTS[spec.exchange]) | ({port} if port else set())))
