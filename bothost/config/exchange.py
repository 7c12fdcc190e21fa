"""The exchange part of the stack config: which exchange, its API base, and the bot's key (secret)."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass

from bothost.config.host import NS
from bothost.config.names import hostname_problem, ip_literal
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
    f"{NS}:exchangeApiBase": "Override the exchange's API URL (https://host[:port] of a public host), e.g. "
    "for a testnet (default: its public API).",
    f"{NS}:allowLocalApiBase": "Accept an exchangeApiBase on a loopback or private address, over http too: "
    "only for a local fake exchange in tests (default false).",
    f"{NS}:allowUnrestrictedKey": "Deploy a key without a working IP whitelist, with a warning each time "
    "(default false; withdrawal, transfers, P2P and key editing are refused regardless).",
    f"{NS}:exchangeApiKey": "The bot's API key (secret: pulumi config set --secret).",
    f"{NS}:exchangeApiSecret": "The bot's API secret (secret; Coinbase: the CDP private key).",
    f"{NS}:exchangePassphrase": f"The API passphrase (secret; {', '.join(NEEDS_PASSPHRASE)} need one).",
}

LOCAL_KEY = f"{NS}:allowLocalApiBase"
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
    """https://host[:port] of a public host; http and local addresses only with allowLocalApiBase."""
    key = f"{NS}:exchangeApiBase"
    allow_local = raw.boolean(LOCAL_KEY, False)
    text = raw.raw(key)
    value = raw.string(key, default, fix=f"a URL such as {default}").removesuffix("/")
    shape = f"e.g. {default}, or remove the key for the default"
    if any(not char.isprintable() or char.isspace() for char in value) or len(value) > 300:
        raise ConfigError(key, text, "spaces, control characters or excess length in the URL", shape)
    parts = urllib.parse.urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ConfigError(key, value, "expected https://host[:port]", shape)
    if "@" in parts.netloc:
        raise ConfigError(key, value, "a user part (user@) would send the signed requests to the host after "
                          "the @", shape)
    if parts.path or parts.query or parts.fragment or value.endswith(("?", "#")) or ";" in value:
        raise ConfigError(key, value, "expected scheme://host[:port] without a path, query or fragment",
                          shape)
    netloc = re.fullmatch(r"(\[[0-9A-Fa-f:.]+\]|[^:\[\]]+)(?::([0-9]{1,5}))?", parts.netloc, re.ASCII)
    if netloc is None or (netloc.group(2) is not None and not 1 <= int(netloc.group(2)) <= 65535):
        raise ConfigError(key, value, "expected host[:port] with a port from 1 to 65535", shape)
    host = parts.hostname or ""
    never = _never_problem(host)
    if never:
        raise ConfigError(key, value, never, f"use the exchange's public API host, e.g. {default}")
    local = _local_problem(host)
    if local and not allow_local:
        raise ConfigError(key, value, local, f"use the exchange's public API ({default}); for a local "
                          f"fake exchange in tests set {LOCAL_KEY} true")
    if parts.scheme == "http" and not (allow_local and local):
        raise ConfigError(key, value, "plain http would send signed requests unencrypted",
                          f"use https://{parts.netloc}")
    return value


def _never_problem(host: str) -> str | None:
    """Why no API request may ever go to `host`: the cloud metadata service, addresses of no one, and names
    that are no DNS name (`2852039166` and `127.1` are IP addresses to the resolver)."""
    address = ip_literal(host)
    if address is None:
        return None if host == "localhost" else hostname_problem(host)
    if address.is_link_local or address.is_unspecified or address.is_multicast or \
            (address.is_reserved and not address.is_loopback):
        return f"{host} is link-local (the cloud metadata service), unspecified, multicast or reserved"
    return None


def _local_problem(host: str) -> str | None:
    """Why `host` is not a public API host (None: a public name or a global address)."""
    address = ip_literal(host)
    if address is not None:
        return None if address.is_global else f"{host} is a loopback or private address, not the exchange"
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return f"{host} names this machine or a local network, not the exchange"
    return None


def egress_ports(spec: ExchangeSpec | None) -> tuple[int, ...]:
    """The TCP ports the bot needs for its exchange: the documented ones and the API base's own port."""
    if spec is None:
        return ()
    port = urllib.parse.urlsplit(spec.api_base).port
    return tuple(sorted(set(EXCHANGE_PORTS[spec.exchange]) | ({port} if port else set())))
