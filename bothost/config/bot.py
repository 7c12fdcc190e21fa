"""The bot part of the stack config: which container runs, its limits, and its named secrets."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from bothost.config.host import NS
from bothost.config.raw import Encrypted, RawConfig
from bothost.errors import ConfigError
from bothost.secret import Secret

BOT_KEY = f"{NS}:bot"
SECRETS_KEY = f"{NS}:botSecrets"
PRESETS = ("freqtrade", "hummingbot", "generic")
DEFAULT_IMAGES = {
    "freqtrade": "freqtradeorg/freqtrade:stable",
    "hummingbot": "hummingbot/hummingbot:latest",
}
DEFAULT_DATA_DIR = "/srv/bothost/data"
DEFAULT_GRACE = 90  # seconds: time for the bot to cancel open orders after SIGTERM
DEFAULT_MEMORY = "1g"
# Presets whose software documents more: Freqtrade asks for 2GB RAM (https://www.freqtrade.io/en/stable/,
# "Hardware requirements"); pandas frames of many pairs plus ccxt's markets grow past 1g.
PRESET_MEMORY = {"freqtrade": "2g"}
DEFAULT_CPUS = 1.0
# Names an env var must not have: such values belong in bothost:botSecrets (files, not `docker inspect`).
SECRET_LIKE = re.compile(r"(KEY|SECRET|TOKEN|PASS(WORD|PHRASE)?|PRIVATE)", re.IGNORECASE)
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
# Secret names bothost writes itself from the exchange keys; botSecrets may not reuse them.
# Bot secrets a preset cannot run without (name -> what it is for).
REQUIRED_SECRETS = {
    "freqtrade": {"apiPassword": "the password of freqtrade's REST API (reached through an SSH tunnel)"},
    "hummingbot": {"configPassword": "hummingbot's CONFIG_PASSWORD, which decrypts its connector keys"},
}
RESERVED_SECRET_NAMES = (
    "exchange_api_key",
    "exchange_api_secret",
    "exchange_passphrase",
    "config-private.json",
)

# Every key this module reads, with its one-line documentation (fields are documented in BOT_FIELDS).
BOT_KEYS: dict[str, str] = {
    BOT_KEY: "The bot container (object; fields below). Unset: the host runs no bot.",
    SECRETS_KEY: "Named bot secrets (secret object name -> value, e.g. telegramToken); each becomes the "
    "read-only file /run/secrets/<name> in the container.",
}
BOT_FIELDS: dict[str, str] = {
    "preset": "freqtrade, hummingbot or generic (default generic).",
    "image": "Image reference; pin it by digest (name@sha256:...) so a deploy runs exactly what you tested.",
    "imageArchive": "Local image tarball (docker save, or a rootfs tar for docker import) streamed over SSH "
    "instead of pulling; for hosts without registry access.",
    "command": "Entrypoint override as a list (default: the image's or the preset's).",
    "args": "Arguments as a list (default: the image's or the preset's).",
    "env": "Non-secret environment variables (object); secret-looking names are refused.",
    "user": "uid:gid the container runs as (generic only; default 1000:1000; root is refused).",
    "stopGracePeriod": f"Seconds between SIGTERM and SIGKILL on stop (default {DEFAULT_GRACE}), so the bot "
    "can cancel its open orders.",
    "memory": f"Memory limit, e.g. 512m or 2g (default {DEFAULT_MEMORY}; "
    f"freqtrade {PRESET_MEMORY['freqtrade']}, as its docs ask).",
    "cpus": f"CPU limit in cores, e.g. 0.5 (default {DEFAULT_CPUS}).",
    "dataDir": f"Host directory for the bot's writable data (default {DEFAULT_DATA_DIR}).",
    "files": "Local directory of the bot's own files (freqtrade: config.json, strategies/), synced into "
    "dataDir on every deploy; a changed file restarts the bot gracefully. Secrets stay out (bothost "
    "delivers them).",
    "healthCmd": "Shell command run in the container to prove health (default: the preset's; for generic, "
    "/tmp/heartbeat must hold a Unix time less than 30 s old).",
}
_IMAGE_REF = re.compile(
    r"(?:[a-z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:[._-]+[a-z0-9]+)*(?:/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[0-9a-f]{64})?"
)
_SECRET_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")  # a file name, and part of an env variable name
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SIZE = re.compile(r"([0-9]+)([kmg]?)b?", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


@dataclass(frozen=True)
class BotSpec:
    """Validated bot settings from the stack config; secrets stay wrapped (Secret or Encrypted)."""

    preset: str
    image: str
    image_archive: str | None
    command: tuple[str, ...] | None
    args: tuple[str, ...] | None
    env: tuple[tuple[str, str], ...]
    user: str | None
    stop_grace_period: int
    memory_bytes: int
    cpus: float
    data_dir: str
    health_cmd: str | None
    files: str | None  # local directory synced into data_dir (bothost.deploy.botfiles)
    secrets: tuple[tuple[str, Secret | Encrypted], ...]

    @property
    def pinned(self) -> bool:
        """True when the image is referenced by digest."""
        return "@sha256:" in self.image

    def warnings(self) -> list[str]:
        """Things that are allowed but worth a warning at deploy time."""
        found = []
        if not self.pinned and self.image_archive is None:
            found.append(
                f"{BOT_KEY}.image {self.image} is not pinned by digest: a registry push changes what "
                "runs on the next deploy. Pin it as name@sha256:<digest>."
            )
        return found


def parse_bot(raw: RawConfig) -> BotSpec | None:
    """Validate `bothost:bot` and `bothost:botSecrets`; None when no bot is configured."""
    fix = f"pulumi config set --path '{BOT_KEY}.image' freqtradeorg/freqtrade:stable (see README)"
    value = raw.mapping(BOT_KEY, fix=fix)
    if value is None:
        if raw.has(SECRETS_KEY):
            raise ConfigError(SECRETS_KEY, "(set)", f"bot secrets are set but {BOT_KEY} is not", fix)
        return None
    unknown = sorted(set(value) - set(BOT_FIELDS))
    if unknown:
        raise ConfigError(
            f"{BOT_KEY}.{unknown[0]}",
            value[unknown[0]],
            "unknown bot field",
            f"use one of {', '.join(BOT_FIELDS)}",
        )
    preset = _text(value, "preset", "generic")
    if preset not in PRESETS:
        raise ConfigError(
            f"{BOT_KEY}.preset",
            preset,
            f"unknown preset; expected one of {', '.join(PRESETS)}",
            f"pulumi config set --path '{BOT_KEY}.preset' generic",
        )
    secrets = _secrets(raw)
    for name, purpose in REQUIRED_SECRETS.get(preset, {}).items():
        if name not in dict(secrets):
            raise ConfigError(
                f"{SECRETS_KEY}.{name}",
                None,
                f"the {preset} preset needs {purpose}",
                f"pulumi config set --secret --path '{SECRETS_KEY}.{name}' <value>",
            )
    return BotSpec(
        preset=preset,
        image=_image(value, preset),
        image_archive=_text(value, "imageArchive", None),
        command=_argv(value, "command"),
        args=_argv(value, "args"),
        env=_env(value),
        user=_user(value, preset),
        stop_grace_period=_grace(value),
        memory_bytes=_memory(value, PRESET_MEMORY.get(preset, DEFAULT_MEMORY)),
        cpus=_cpus(value),
        data_dir=_data_dir(value),
        health_cmd=_text(value, "healthCmd", None),
        files=_files(value),
        secrets=secrets,
    )


def _text(value: dict[str, object], field: str, default: str | None) -> str | None:
    item = value.get(field)
    if item is None:
        return default
    if not isinstance(item, str) or not item.strip():
        raise ConfigError(f"{BOT_KEY}.{field}", item, "expected a non-empty string", BOT_FIELDS[field])
    return item.strip()


def _files(value: dict[str, object]) -> str | None:
    folder = _text(value, "files", None)
    if folder is not None and not Path(folder).expanduser().is_dir():
        raise ConfigError(
            f"{BOT_KEY}.files", folder, "not a local directory", "point it at your bot's files folder"
        )
    return folder


def _image(value: dict[str, object], preset: str) -> str:
    image = _text(value, "image", DEFAULT_IMAGES.get(preset))
    if image is None:
        raise ConfigError(
            f"{BOT_KEY}.image",
            None,
            "the generic preset needs an image",
            f"pulumi config set --path '{BOT_KEY}.image' registry/name@sha256:<digest>",
        )
    if not _IMAGE_REF.fullmatch(image):
        raise ConfigError(
            f"{BOT_KEY}.image",
            image,
            "not a valid image reference",
            "write it as [registry/]name[:tag][@sha256:<64 hex digits>], lower-case",
        )
    return image


def _argv(value: dict[str, object], field: str) -> tuple[str, ...] | None:
    item = value.get(field)
    if item is None:
        return None
    if not isinstance(item, list) or not all(isinstance(a, str) for a in item):
        raise ConfigError(
            f"{BOT_KEY}.{field}",
            item,
            "expected a list of strings",
            'write it as a YAML list, e.g. ["trade", "--dry-run"]',
        )
    return tuple(item)


def _env(value: dict[str, object]) -> tuple[tuple[str, str], ...]:
    item = value.get("env") or {}
    if not isinstance(item, dict):
        raise ConfigError(
            f"{BOT_KEY}.env", item, "expected an object of NAME: value", "e.g. {LOG_LEVEL: info}"
        )
    pairs = []
    for name, text in sorted(item.items()):
        key = f"{BOT_KEY}.env.{name}"
        if not isinstance(name, str) or not _ENV_NAME.fullmatch(name):
            raise ConfigError(key, name, "not an environment variable name", "use letters, digits and _")
        _refuse_freqtrade_override(key, name, text)
        if SECRET_LIKE.search(name):
            raise ConfigError(
                key,
                "***",
                "looks like a secret; env values show in `docker inspect`",
                f"pulumi config set --secret --path '{SECRETS_KEY}.{name}' and read "
                f"/run/secrets/{name} in the bot",
            )
        if isinstance(text, bool | int | float):
            text = str(text)
        if not isinstance(text, str):
            raise ConfigError(key, text, "expected a string value", "quote the value")
        pairs.append((name, text))
    return tuple(pairs)


def _refuse_freqtrade_override(key: str, name: str, text: object) -> None:
    """Refuse a FREQTRADE__* variable that would override a safety setting bothost writes."""
    if not name.upper().startswith(FREQTRADE_ENV_PREFIX):
        return
    path = name[len(FREQTRADE_ENV_PREFIX) :].lower()
    for protected, why in FREQTRADE_PROTECTED.items():
        if path == protected or path.startswith(protected + "__"):
            shown = "***" if SECRET_LIKE.search(name) else text
            raise ConfigError(
                key,
                shown,
                f"overrides freqtrade's {protected.replace('__', '.')}, which bothost sets: {why}",
                f"remove it from {BOT_KEY}.env (secrets go in {SECRETS_KEY}; see README, The bot)",
            )


def _user(value: dict[str, object], preset: str) -> str | None:
    user = _text(value, "user", None)
    if user is None:
        return None
    key = f"{BOT_KEY}.user"
    if preset != "generic":
        raise ConfigError(
            key, user, f"the {preset} preset fixes the user its image needs", "remove the field"
        )
    match = re.fullmatch(r"([0-9]{1,10}):([0-9]{1,10})", user)
    if not match:
        raise ConfigError(key, user, "expected numeric uid:gid", "e.g. 1000:1000")
    if int(match.group(1)) == 0 or int(match.group(2)) == 0:
        raise ConfigError(
            key,
            user,
            "root in the container is refused for the generic preset",
            "use the unprivileged user the image was built for, e.g. 1000:1000",
        )
    return user


def _grace(value: dict[str, object]) -> int:
    item = value.get("stopGracePeriod", DEFAULT_GRACE)
    text = str(item).strip().lower()
    match = re.fullmatch(r"([0-9]+)\s*(s|m)?", text) if not isinstance(item, bool) else None
    seconds = int(match.group(1)) * (60 if match.group(2) == "m" else 1) if match else -1
    if not 1 <= seconds <= 3600:
        raise ConfigError(
            f"{BOT_KEY}.stopGracePeriod",
            item,
            "expected 1 to 3600 seconds (e.g. 90 or 2m)",
            f"pulumi config set --path '{BOT_KEY}.stopGracePeriod' {DEFAULT_GRACE}",
        )
    return seconds


def _memory(value: dict[str, object], default: str) -> int:
    item = value.get("memory", default)
    match = _SIZE.fullmatch(str(item).strip()) if not isinstance(item, bool) else None
    size = int(match.group(1)) * _UNITS[match.group(2).lower()] if match else 0
    if size < 64 * 1024**2:
        raise ConfigError(
            f"{BOT_KEY}.memory",
            item,
            "expected a size of at least 64m, e.g. 512m or 2g",
            f"pulumi config set --path '{BOT_KEY}.memory' {default}",
        )
    return size


def _cpus(value: dict[str, object]) -> float:
    item = value.get("cpus", DEFAULT_CPUS)
    try:
        cpus = float(item) if not isinstance(item, bool) else 0.0
    except (TypeError, ValueError):
        cpus = 0.0
    if not 0.05 <= cpus <= 64:
        raise ConfigError(
            f"{BOT_KEY}.cpus",
            item,
            "expected a number of cores from 0.05 to 64",
            f"pulumi config set --path '{BOT_KEY}.cpus' {DEFAULT_CPUS}",
        )
    return cpus


def _data_dir(value: dict[str, object]) -> str:
    path = _text(value, "dataDir", DEFAULT_DATA_DIR) or DEFAULT_DATA_DIR
    if not re.fullmatch(r"(/[A-Za-z0-9._-]+)+", path) or ".." in path.split("/"):
        raise ConfigError(
            f"{BOT_KEY}.dataDir",
            path,
            "expected an absolute path without .. or spaces",
            f"e.g. {DEFAULT_DATA_DIR}",
        )
    if path.split("/")[1] in ("etc", "proc", "sys", "dev", "boot", "usr", "bin", "sbin", "lib", "run"):
        raise ConfigError(
            f"{BOT_KEY}.dataDir",
            path,
            "a system directory",
            f"use a path under /srv, e.g. {DEFAULT_DATA_DIR}",
        )
    return path


def _secrets(raw: RawConfig) -> tuple[tuple[str, Secret | Encrypted], ...]:
    fix = f"pulumi config set --secret --path '{SECRETS_KEY}.telegramToken' <value>"
    value = raw.mapping(SECRETS_KEY, fix=fix) or {}
    pairs = []
    for name, item in sorted(value.items()):
        key = f"{SECRETS_KEY}.{name}"
        if not _SECRET_NAME.fullmatch(str(name)) or name in RESERVED_SECRET_NAMES:
            raise ConfigError(
                key,
                "***",
                "not a usable secret name (it becomes a file name) or reserved",
                "use letters, digits and _, starting with a letter, e.g. telegramToken",
            )
        if isinstance(item, dict) and set(item) == {"secure"}:
            item = Encrypted(str(item["secure"]))
        if isinstance(item, str):
            item = Secret(item)
        if not isinstance(item, Secret | Encrypted) or not item:
            raise ConfigError(key, "***", "expected a non-empty secret string", fix)
        pairs.append((str(name), item))
    return tuple(pairs)
