"""Checks for the bot's process settings: text without control characters, argument lists, env variables."""

from __future__ import annotations

import ipaddress
import re

from bothost.errors import ConfigError

MAX_TEXT = 4096  # characters in one env value, argument or health command
MAX_ITEMS = 128  # env variables, command or args entries
# Names an env var must not have: such values belong in bothost:botSecrets (files, not `docker inspect`).
SECRET_LIKE = re.compile(r"(KEY|SECRET|TOKEN|PASS(WORD|PHRASE)?|PRIVATE)", re.IGNORECASE)
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}", re.ASCII)
_HOST_NAME = re.compile(
    r"(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*",
    re.ASCII,
)
# Freqtrade reads FREQTRADE__SECTION__KEY env vars and lets them override every config file, bothost's
# private one included (https://www.freqtrade.io/en/stable/configuration/#environment-variables). These
# config paths carry bothost's safety settings: cancel orders on stop, the API on loopback with its
# credentials (the health check uses them), the trading loop running, the key bothost audits and rotates.
FREQTRADE_ENV_PREFIX = "FREQTRADE__"
FREQTRADE_PROTECTED = {
    "cancel_open_orders_on_exit": "a stop or redeploy would leave the bot's orders open on the exchange",
    "initial_state": "bothost starts the trading loop (running); its health check needs it",
    "api_server": "bothost writes the API's listen address, port and credentials (loopback, SSH tunnel)",
    "exchange__key": "the exchange key must be the one bothost audits and rotates",
    "exchange__secret": "the exchange key must be the one bothost audits and rotates",
    "exchange__password": "the exchange key must be the one bothost audits and rotates",
    "exchange__uid": "the exchange key must be the one bothost audits and rotates",
}


def check_text(key: str, text: str, *, newlines: bool = True) -> str:
    """The text, unless it holds NUL or another control character (tab, and newline if allowed, excepted)
    or is longer than MAX_TEXT."""
    allowed = "\t\n" if newlines else "\t"
    if any(not char.isprintable() and char not in allowed for char in text):
        raise ConfigError(key, text, "contains a NUL or another control character",
                          "remove it; write the value as plain text")
    if len(text) > MAX_TEXT:
        raise ConfigError(key, text, f"longer than {MAX_TEXT} characters",
                          "shorten it; put bulk data in a file in the bot's data directory")
    return text


def argv_list(key: str, item: object) -> tuple[str, ...] | None:
    """A command or argument list (None when unset)."""
    if item is None:
        return None
    if not isinstance(item, list) or not all(isinstance(a, str) for a in item) or len(item) > MAX_ITEMS:
        raise ConfigError(key, item, f"expected a list of strings (at most {MAX_ITEMS})",
                          'write it as a YAML list, e.g. ["trade", "--dry-run"]')
    return tuple(check_text(f"{key}[{index}]", text) for index, text in enumerate(item))


def env_pairs(key: str, item: object, secrets_key: str) -> tuple[tuple[str, str], ...]:
    """Sorted (NAME, value) pairs of non-secret environment variables."""
    item = item or {}
    if not isinstance(item, dict) or len(item) > MAX_ITEMS:
        raise ConfigError(key, item, f"expected an object of at most {MAX_ITEMS} NAME: value pairs",
                          "e.g. {LOG_LEVEL: info}")
    pairs = []
    for name, text in sorted(item.items(), key=lambda pair: str(pair[0])):
        path = f"{key}.{name}"
        if not isinstance(name, str) or not _ENV_NAME.fullmatch(name):
            raise ConfigError(path, name, "not an environment variable name",
                              "use letters, digits and _, starting with a letter or _")
        _refuse_freqtrade_override(key, path, name, text, secrets_key)
        if SECRET_LIKE.search(name):
            raise ConfigError(path, "***", "looks like a secret; env values show in `docker inspect`",
                              f"pulumi config set --secret --path '{secrets_key}.{name}' and read "
                              f"/run/secrets/{name} in the bot")
        if isinstance(text, bool | float) or (isinstance(text, int) and abs(text) < 10**30):
            text = str(text)
        if not isinstance(text, str):
            raise ConfigError(path, text, "expected a string value", "quote the value")
        pairs.append((name, check_text(path, text)))
    return tuple(pairs)


def host_pairs(key: str, item: object) -> tuple[tuple[str, str], ...]:
    """Sorted (host name, IP) pairs for the container's /etc/hosts (RFC 1123 names)."""
    item = item or {}
    if not isinstance(item, dict) or len(item) > MAX_ITEMS:
        raise ConfigError(key, item, f"expected an object of at most {MAX_ITEMS} name: IP pairs",
                          "e.g. {api.binance.com: 10.0.2.2}")
    pairs = []
    for name, address in item.items():
        path = f"{key}.{name}"
        if not isinstance(name, str) or not _HOST_NAME.fullmatch(name):
            raise ConfigError(path, name, "not a host name", "use a DNS name such as api.binance.com")
        try:
            ip = ipaddress.ip_address(str(address))
        except ValueError:
            raise ConfigError(path, address, "not an IP address", "e.g. 10.0.2.2") from None
        pairs.append((name.lower(), str(ip)))
    return tuple(sorted(pairs))


def freqtrade_protected(name: str) -> str | None:
    """The freqtrade setting a FREQTRADE__* variable `name` would override that bothost sets, or None."""
    if not name.upper().startswith(FREQTRADE_ENV_PREFIX):
        return None
    setting = name[len(FREQTRADE_ENV_PREFIX):].lower()
    hits = (key for key in FREQTRADE_PROTECTED if setting == key or setting.startswith(key + "__"))
    return next(hits, None)


def _refuse_freqtrade_override(key: str, path: str, name: str, text: object, secrets_key: str) -> None:
    """Refuse a FREQTRADE__* variable that would override a safety setting bothost writes."""
    protected = freqtrade_protected(name)
    if protected is not None:
        raise ConfigError(path, "***" if SECRET_LIKE.search(name) else text,
                          f"overrides freqtrade's {protected.replace('__', '.')}, which bothost sets: "
                          f"{FREQTRADE_PROTECTED[protected]}",
                          f"remove it from {key} (secrets go in {secrets_key}; see README, The bot)")
