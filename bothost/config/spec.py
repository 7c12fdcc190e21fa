"""The whole validated stack spec, composed from its parts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bothost.config.bot import BOT_KEYS, SECRETS_KEY, BotSpec, parse_bot
from bothost.config.exchange import EXCHANGE_KEYS, ExchangeSpec, parse_exchange
from bothost.config.host import HOST_KEYS, NS, HostSpec, parse_host
from bothost.config.raw import RawConfig
from bothost.config.watch import WATCH_KEYS, WATCH_SECRETS_KEY, WatchSpec, parse_watch

# Keys whose values are key material: stored in plain text they would sit readable in Pulumi.<stack>.yaml.
MUST_BE_SECRET = (f"{NS}:exchangeApiKey", f"{NS}:exchangeApiSecret", f"{NS}:exchangePassphrase", SECRETS_KEY,
                  WATCH_SECRETS_KEY)
# Keys outside the bothost namespace that we read or accept.
FOREIGN_KEYS = {"hcloud:token": "Hetzner Cloud API token (secret; read by the hcloud provider)."}


@dataclass(frozen=True)
class StackSpec:
    """Everything the program needs, validated; built once per run."""

    stack: str
    host: HostSpec
    bot: BotSpec | None = None  # None: no bot configured (bothost:bot unset)
    exchange: ExchangeSpec | None = None  # None: no exchange configured (bothost:exchange unset)
    watch: WatchSpec | None = None  # None: no watcher (bothost:watch unset)


def known_keys() -> dict[str, str]:
    """Every documented config key with its one-line doc."""
    return {**HOST_KEYS, **BOT_KEYS, **EXCHANGE_KEYS, **WATCH_KEYS}


def parse_spec(values: Mapping[str, object], stack: str = "dev") -> StackSpec:
    """Validate raw stack config (keys like `bothost:location`) into a StackSpec, or raise ConfigError.

    Every reader (stack file, Pulumi engine) marks which values are stored in plain text; key material
    among them is refused here, so no verb accepts it.
    """
    raw = values if isinstance(values, RawConfig) else RawConfig(values)
    raw.reject_unknown(NS, known_keys())
    raw.refuse_plain(MUST_BE_SECRET)
    return StackSpec(stack=stack, host=parse_host(raw), bot=parse_bot(raw),
                     exchange=parse_exchange(raw), watch=parse_watch(raw))
