"""bothost:watch and bothost:watchSecrets: the watcher's channels, policy and pace; its tokens (secret)."""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass

from bothost.config.bot_secrets import secret_item
from bothost.config.bot_values import check_text
from bothost.config.host import NS
from bothost.config.raw import Encrypted, RawConfig, refuse_unknown_fields
from bothost.errors import ConfigError
from bothost.secret import Secret

WATCH_KEY = f"{NS}:watch"
WATCH_SECRETS_KEY = f"{NS}:watchSecrets"
CHANNELS = ("telegram", "webhook")
POLICIES = ("alert", "stop")
# Secret names under bothost:watchSecrets -> what each is for.
WATCH_SECRET_NAMES = {
    "telegramToken": "the Telegram bot token (from @BotFather)",
    "webhookUrl": "the webhook URL (its path is the credential)",
    "exchangeApiKey": "a separate READ-ONLY exchange key for the watcher (default: the bot's key)",
    "exchangeApiSecret": "its secret",
    "exchangePassphrase": "its passphrase (okx, kucoin, bitget)",
}
WATCH_FIELDS = {
    "channels": f"Where alarms go: a list of {', '.join(CHANNELS)} (required).",
    "telegramChatId": "The Telegram chat id alarms go to (with the telegram channel).",
    "telegramApi": "Telegram's Bot API base URL (default https://api.telegram.org; a local fake in tests).",
    "policy": "On a trade alarm: alert, or stop (alert, then stop the bot gracefully) (default alert).",
    "pollSeconds": "Seconds between two reads of the exchange and the host (15 to 3600, default 60).",
    "heartbeat": 'Send a daily "all quiet" message when nothing happened (default true).',
    "pairs": "Pairs a generic bot trades, e.g. [BTC/USDT] (the watcher asks freqtrade and hummingbot).",
    "diskPercent": "Alarm when a filesystem is this full (50 to 99, default 90).",
    "memoryPercent": "Alarm when this much memory is in use (50 to 99, default 90).",
    "verifyMinutes": "Minutes between two runs of the host's own verify, whose failed checks alarm "
    "(5 to 1440, default 15).",
}
WATCH_KEYS = {
    WATCH_KEY: "The watcher (object; fields in README, Watch). Unset: no watcher.",
    WATCH_SECRETS_KEY: "The watcher's secrets (secret object): "
    + "; ".join(f"{name}: {why}" for name, why in WATCH_SECRET_NAMES.items())
    + ".",
}
_PAIR = re.compile(r"[A-Za-z0-9]{1,20}[/_-][A-Za-z0-9]{1,20}(:[A-Za-z0-9]{1,20})?")
_CHAT = re.compile(r"-?[0-9]{1,20}|@[A-Za-z0-9_]{5,32}")


@dataclass(frozen=True)
class WatchSpec:
    """Validated watcher settings; its secrets stay wrapped (Secret, or Encrypted until resolved)."""

    channels: tuple[str, ...]
    policy: str
    poll_seconds: int
    heartbeat: bool
    telegram_chat_id: str | None
    telegram_api: str
    pairs: tuple[str, ...]
    disk_percent: int
    memory_percent: int
    secrets: tuple[tuple[str, Secret | Encrypted], ...]
    verify_minutes: int = 15

    def secret_names(self) -> set[str]:
        """Names of the watcher secrets that are set."""
        return {name for name, _ in self.secrets}


def parse_watch(raw: RawConfig) -> WatchSpec | None:
    """Validate `bothost:watch` and `bothost:watchSecrets`; None when no watcher is configured."""
    fix = f"pulumi config set --path '{WATCH_KEY}.channels[0]' telegram (see README, Watch)"
    value = raw.mapping(WATCH_KEY, fix=fix)
    if value is None:
        if raw.has(WATCH_SECRETS_KEY):
            raise ConfigError(
                WATCH_SECRETS_KEY, "(set)", f"watcher secrets are set but {WATCH_KEY} is not", fix
            )
        return None
    refuse_unknown_fields(WATCH_KEY, value, WATCH_FIELDS, "watch")
    fields = RawConfig({f"{WATCH_KEY}.{name}": item for name, item in value.items()})
    channels = fields.string_list(key("channels"), fix=fix)
    if not channels:
        raise ConfigError(key("channels"), [], "at least one channel is needed, or alarms go nowhere", fix)
    for channel in channels:
        if channel not in CHANNELS:
            raise ConfigError(
                key("channels"), channel, f"unknown channel; expected {' or '.join(CHANNELS)}", fix
            )
    policy = fields.string(key("policy"), "alert", fix=f"pulumi config set --path '{key('policy')}' alert")
    if policy not in POLICIES:
        raise ConfigError(
            key("policy"),
            policy,
            f"expected one of {', '.join(POLICIES)}",
            f"pulumi config set --path '{key('policy')}' alert",
        )
    secrets = _secrets(raw)
    chat = None
    if "telegram" in channels:
        chat = fields.string(
            key("telegramChatId"),
            fix=f"pulumi config set --path '{key('telegramChatId')}' <chat id> (ask @userinfobot)",
        )
        if not _CHAT.fullmatch(chat):
            raise ConfigError(
                key("telegramChatId"),
                chat,
                "expected a numeric chat id or @channelname",
                "ask @userinfobot for your chat id",
            )
    for channel, name in (("telegram", "telegramToken"), ("webhook", "webhookUrl")):
        if channel in channels and name not in dict(secrets):
            raise ConfigError(
                f"{WATCH_SECRETS_KEY}.{name}",
                None,
                f"the {channel} channel needs {WATCH_SECRET_NAMES[name]}",
                f"pulumi config set --secret --path '{WATCH_SECRETS_KEY}.{name}' <value>",
            )
    pairs = fields.string_list(key("pairs"), [], fix="a list like [BTC/USDT, ETH/USDT]")
    for pair in pairs:
        if not _PAIR.fullmatch(pair):
            raise ConfigError(key("pairs"), pair, "not a pair", "write pairs as BASE/QUOTE, e.g. BTC/USDT")
    return WatchSpec(
        channels=tuple(dict.fromkeys(channels)),
        policy=policy,
        poll_seconds=fields.integer(key("pollSeconds"), 60, low=15, high=3600),
        heartbeat=fields.boolean(key("heartbeat"), True),
        telegram_chat_id=chat,
        telegram_api=_api(fields, key("telegramApi"), raw.boolean(f"{NS}:allowLocalApiBase", False)),
        pairs=pairs,
        disk_percent=fields.integer(key("diskPercent"), 90, low=50, high=99),
        memory_percent=fields.integer(key("memoryPercent"), 90, low=50, high=99),
        secrets=secrets,
        verify_minutes=fields.integer(key("verifyMinutes"), 15, low=5, high=1440),
    )


def key(name: str) -> str:
    """The full config key of a watch field."""
    return f"{WATCH_KEY}.{name}"


def _api(fields: RawConfig, key: str, allow_local: bool) -> str:
    url = fields.string(key, "https://api.telegram.org", fix="https://api.telegram.org")
    check_text(key, url, newlines=False)
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.path.strip("/") or parts.query:
        raise ConfigError(key, url, "expected https://host[:port]", "remove it for https://api.telegram.org")
    if parts.scheme == "http" and not allow_local:
        raise ConfigError(
            key,
            url,
            "plain http sends the bot token readable",
            "use https, or set bothost:allowLocalApiBase for a local fake in tests",
        )
    return url.rstrip("/")


def _secrets(raw: RawConfig) -> tuple[tuple[str, Secret | Encrypted], ...]:
    fix = f"pulumi config set --secret --path '{WATCH_SECRETS_KEY}.telegramToken' <value>"
    value = raw.mapping(WATCH_SECRETS_KEY, fix=fix, secret=True) or {}
    pairs = []
    for name, item in sorted(value.items()):
        key = f"{WATCH_SECRETS_KEY}.{name}"
        if name not in WATCH_SECRET_NAMES:
            raise ConfigError(
                key, "***", "unknown watcher secret", f"use one of {', '.join(WATCH_SECRET_NAMES)}"
            )
        pairs.append((name, secret_item(key, item, fix)))
    names = {name for name, _ in pairs}
    if ("exchangeApiKey" in names) != ("exchangeApiSecret" in names):
        raise ConfigError(
            f"{WATCH_SECRETS_KEY}.exchangeApiSecret",
            "***",
            "a read-only key needs both its key and its secret",
            f"set both {WATCH_SECRETS_KEY}.exchangeApiKey and .exchangeApiSecret",
        )
    return tuple(pairs)
