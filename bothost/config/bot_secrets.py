"""bothost:botSecrets: named bot secrets, each a file in the container. Values never appear in an error."""

from __future__ import annotations

import re

from bothost.config.host import NS
from bothost.config.raw import Encrypted, RawConfig
from bothost.config.secrets import env_name
from bothost.errors import ConfigError
from bothost.secret import Secret

SECRETS_KEY = f"{NS}:botSecrets"
# Secret names bothost writes itself from the exchange keys; botSecrets may not reuse them.
RESERVED_SECRET_NAMES = (
    "exchange_api_key",
    "exchange_api_secret",
    "exchange_passphrase",
    "config-private.json",
)
_SECRET_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}", re.ASCII)  # a file name, and part of a variable name


def parse_bot_secrets(raw: RawConfig) -> tuple[tuple[str, Secret | Encrypted], ...]:
    """(name, value) pairs sorted by name; values stay wrapped."""
    fix = f"pulumi config set --secret --path '{SECRETS_KEY}.telegramToken' <value>"
    value = raw.mapping(SECRETS_KEY, fix=fix, secret=True) or {}
    pairs = []
    variables: dict[str, str] = {}
    for name, item in sorted(value.items()):
        key = f"{SECRETS_KEY}.{name}"
        if not _SECRET_NAME.fullmatch(name) or name in RESERVED_SECRET_NAMES:
            raise ConfigError(key, "***", "not a usable secret name (it becomes a file name) or reserved",
                              "use letters, digits and _, starting with a letter, e.g. telegramToken")
        item = secret_item(key, item, fix)
        # The CLI may read a secret from an environment variable named after it (config/secrets.py):
        # telegramToken, TelegramToken and telegram_token all end in ..._TELEGRAM_TOKEN.
        variable = env_name(f"{NS}:{name[0].lower()}{name[1:]}").removeprefix("BOTHOST_")
        if variable in variables:
            raise ConfigError(key, "***", f"{variables[variable]} maps to the same environment variable "
                              f"(..._{variable}); the names differ only in case or _",
                              f"rename or remove {key}")
        variables[variable] = name
        pairs.append((name, item))
    return tuple(pairs)


def secret_item(key: str, item: object, fix: str) -> Secret | Encrypted:
    """One value of a secret object, wrapped: `secure:` ciphertext stays Encrypted, plain text a Secret."""
    if isinstance(item, dict) and set(item) == {"secure"} and isinstance(item["secure"], str):
        item = Encrypted(item["secure"])
    if isinstance(item, str):
        item = Secret(item)
    if not isinstance(item, Secret | Encrypted) or not item:
        raise ConfigError(key, "***", "expected a non-empty secret string", fix)
    return item
