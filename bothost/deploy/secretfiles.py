"""The bot's secret files: their names come from BotSettings, their contents only from Secret values."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from bothost.errors import BothostError
from bothost.secret import Credentials, Secret
from roles.bot import hummingbot
from roles.bot.freqtrade import API_PORT
from roles.bot.settings import FREQTRADE_PRIVATE_CONFIG, BotSettings

# freqtrade config paths for bot secrets with a known meaning (others are only files under /run/secrets).
FREQTRADE_SECRET_PATHS = {
    "apiPassword": ("api_server", "password"),
    "jwtSecretKey": ("api_server", "jwt_secret_key"),
    "wsToken": ("api_server", "ws_token"),
    "telegramToken": ("telegram", "token"),
}


@dataclass(frozen=True)
class BotSecrets:
    """Secret values for the bot, already decrypted; every one wrapped so it never prints."""

    exchange: Credentials | None = None  # bothost:exchangeApiKey/Secret/Passphrase
    bot: Mapping[str, Secret] = field(default_factory=dict)  # bothost:botSecrets, name -> value

    def __repr__(self) -> str:
        return f"BotSecrets(names={sorted(self.names())})"

    def names(self) -> set[str]:
        """The names of the secrets that are set (names are not secret)."""
        return set(self.exchange_files()) | set(self.bot)

    def exchange_files(self) -> dict[str, Secret]:
        """The exchange secrets that are set, by file name."""
        return self.exchange.files() if self.exchange else {}


def secret_files(s: BotSettings, secrets: BotSecrets) -> dict[str, Secret]:
    """File name -> content: s.secret_names, plus the exchange files when s delivers them."""
    available: dict[str, Secret] = dict(secrets.bot)
    if FREQTRADE_PRIVATE_CONFIG in s.secret_names:
        available[FREQTRADE_PRIVATE_CONFIG] = freqtrade_private_config(s, secrets)
    if hummingbot.START_FILE in s.secret_names:  # not secret, but read-only beside the files it reads
        available[hummingbot.START_FILE] = Secret(hummingbot.start_script())
    missing = [name for name in s.secret_names if name not in available]
    if missing:
        raise BothostError(
            f"secrets not set: {', '.join(missing)}; set them with "
            "`pulumi config set --secret ...` (see README, Secrets)"
        )
    files = {name: available[name] for name in s.secret_names}
    if s.exchange_files:
        files.update(secrets.exchange_files())
    return dict(sorted(files.items()))


def freqtrade_private_config(s: BotSettings, secrets: BotSecrets) -> Secret:
    """freqtrade's second config file: exchange key, API credentials and the exit behaviour."""
    creds = secrets.exchange
    if creds is None:
        raise BothostError("freqtrade needs bothost:exchangeApiKey and bothost:exchangeApiSecret")
    exchange = {"key": creds.key.reveal(), "secret": creds.secret.reveal()}
    if creds.passphrase:
        exchange["password"] = creds.passphrase.reveal()
    document: dict[str, dict[str, object]] = {
        "exchange": exchange,
        # Inside its own network namespace; docker publishes the port on the host's 127.0.0.1 only.
        "api_server": {
            "enabled": True,
            "listen_ip_address": "0.0.0.0",
            "listen_port": API_PORT,
            "username": "freqtrader",
        },
    }
    api_password = secrets.bot.get("apiPassword")
    if api_password and "jwtSecretKey" not in secrets.bot:
        # A stable per-password JWT key, so freqtrade never falls back to a well-known default.
        derived = hmac.new(
            api_password.reveal().encode(), b"bothost freqtrade jwt", hashlib.sha256
        ).hexdigest()
        document["api_server"]["jwt_secret_key"] = derived
    for name, (section, key) in FREQTRADE_SECRET_PATHS.items():
        if name in secrets.bot:
            document.setdefault(section, {})[key] = secrets.bot[name].reveal()
    document["cancel_open_orders_on_exit"] = s.cancel_open_orders_on_exit  # type: ignore[assignment]
    document["initial_state"] = "running"  # type: ignore[assignment]  # freqtrade's default is stopped
    return Secret(json.dumps(document, indent=2, sort_keys=True) + "\n")


def keyed_digests(files: Mapping[str, Secret], key: bytes) -> dict[str, str]:
    """HMAC-SHA256 of each file under a host-held key: changes when a secret rotates, reveals nothing."""
    return {
        name: hmac.new(key, value.reveal().encode(), hashlib.sha256).hexdigest()
        for name, value in sorted(files.items())
    }


def content_digests(files: Mapping[str, Secret]) -> dict[str, str]:
    """sha256 of each file's content, compared in memory with the host's `sha256sum`; never printed."""
    return {name: hashlib.sha256(value.reveal().encode()).hexdigest() for name, value in files.items()}
