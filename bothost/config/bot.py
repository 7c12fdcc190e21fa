"""The bot part of the stack config: which container runs, its limits, and its named secrets."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from bothost.config.bot_secrets import SECRETS_KEY, parse_bot_secrets
from bothost.config.bot_values import argv_list, check_text, env_pairs, host_pairs
from bothost.config.host import NS
from bothost.config.image_ref import image_problem
from bothost.config.paths import BOT_DATA_ROOT, data_dir_problem
from bothost.config.raw import Encrypted, RawConfig, refuse_unknown_fields
from bothost.config.uids import BOT_UIDS, DEFAULT_BOT_UID, bot_id_problem
from bothost.errors import ConfigError
from bothost.secret import Secret

BOT_KEY = f"{NS}:bot"
PRESETS = ("freqtrade", "hummingbot", "generic")
DEFAULT_IMAGES = {
    "freqtrade": "freqtradeorg/freqtrade:stable",
    "hummingbot": "hummingbot/hummingbot:latest",
}
DEFAULT_DATA_DIR = f"{BOT_DATA_ROOT}/data"
DEFAULT_GRACE = 90  # seconds: time for the bot to cancel open orders after SIGTERM
DEFAULT_MEMORY = "1g"
# Presets whose software documents more: Freqtrade asks for 2GB RAM (https://www.freqtrade.io/en/stable/,
# "Hardware requirements"); pandas frames of many pairs plus ccxt's markets grow past 1g.
# Hummingbot asks for 4 GB RAM per instance (https://hummingbot.org/client/installation, "System
# Requirements"): its connectors, pandas and numba load at start.
PRESET_MEMORY = {"freqtrade": "2g", "hummingbot": "4g"}
DEFAULT_CPUS = 1.0
MAX_MEMORY = 256 * 1024**3  # more than the largest Hetzner cloud server has
# Bot secrets a preset cannot run without (name -> what it is for).
REQUIRED_SECRETS = {
    "freqtrade": {"apiPassword": "the password of freqtrade's REST API (reached through an SSH tunnel)"},
    "hummingbot": {"configPassword": "the password of hummingbot's keystore (its encrypted connector keys)"},
}

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
    "user": f"uid:gid the container runs as (generic only), each from {BOT_UIDS.start} to "
    f"{BOT_UIDS.stop - 1}: ids no host login or system account has.",
    "stopGracePeriod": f"Seconds between SIGTERM and SIGKILL on stop (default {DEFAULT_GRACE}), so the bot "
    "can cancel its open orders.",
    "memory": f"Memory limit, e.g. 512m or 2g (default {DEFAULT_MEMORY}; "
    f"freqtrade {PRESET_MEMORY['freqtrade']}, as its docs ask).",
    "cpus": f"CPU limit in cores, e.g. 0.5 (default {DEFAULT_CPUS}).",
    "dataDir": f"Host directory for the bot's writable data, under {BOT_DATA_ROOT}/ "
    f"(default {DEFAULT_DATA_DIR}).",
    "files": "Local directory of the bot's own files (freqtrade: config.json, strategies/), synced into "
    "dataDir on every deploy; a changed file restarts the bot gracefully. Secrets stay out (bothost "
    "delivers them).",
    "hosts": "Host names pinned to IPs in the container (object name -> IP; docker --add-host), e.g. an "
    "exchange's API names to a testnet proxy or the rehearsal's fake exchange (default none).",
    "healthCmd": "Shell command run in the container to prove health (default: the preset's; for generic, "
    "/tmp/heartbeat must hold a Unix time less than 30 s old).",
}
_SIZE = re.compile(r"([0-9]{1,15})([kmg]?)b?", re.IGNORECASE)
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
    hosts: tuple[tuple[str, str], ...] = ()  # (name, ip) pairs for the container's /etc/hosts

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
    refuse_unknown_fields(BOT_KEY, value, BOT_FIELDS, "bot")
    preset = _text(value, "preset", "generic")
    if preset not in PRESETS:
        raise ConfigError(
            f"{BOT_KEY}.preset",
            preset,
            f"unknown preset; expected one of {', '.join(PRESETS)}",
            f"pulumi config set --path '{BOT_KEY}.preset' generic",
        )
    secrets = parse_bot_secrets(raw)
    for name, purpose in REQUIRED_SECRETS.get(preset, {}).items():
        if name not in dict(secrets):
            raise ConfigError(
                f"{SECRETS_KEY}.{name}",
                None,
                f"the {preset} preset needs {purpose}",
                f"pulumi config set --secret --path '{SECRETS_KEY}.{name}' <value>",
            )
    env = env_pairs(f"{BOT_KEY}.env", value.get("env"), SECRETS_KEY)
    if preset == "hummingbot":
        _require_hummingbot_run(env)
    return BotSpec(
        preset=preset,
        image=_image(value, preset),
        image_archive=_archive(value),
        command=argv_list(f"{BOT_KEY}.command", value.get("command")),
        args=argv_list(f"{BOT_KEY}.args", value.get("args")),
        env=env,
        user=_user(value, preset),
        stop_grace_period=_grace(value),
        memory_bytes=_memory(value, PRESET_MEMORY.get(preset, DEFAULT_MEMORY)),
        cpus=_cpus(value),
        data_dir=_data_dir(value),
        health_cmd=_health_cmd(value),
        files=_files(value),
        secrets=secrets,
        hosts=host_pairs(f"{BOT_KEY}.hosts", value.get("hosts")),
    )


def _require_hummingbot_run(env: tuple[tuple[str, str], ...]) -> None:
    """Hummingbot trades only what SCRIPT_CONFIG or CONFIG_FILE_NAME names (its quickstart's variables)."""
    if not {"SCRIPT_CONFIG", "CONFIG_FILE_NAME"} & {name for name, _ in env}:
        raise ConfigError(
            f"{BOT_KEY}.env.SCRIPT_CONFIG",
            None,
            "the hummingbot preset runs the script config (conf/scripts/) named by SCRIPT_CONFIG, or the "
            "strategy (conf/strategies/) named by CONFIG_FILE_NAME; neither is set, so nothing would trade",
            f"pulumi config set --path '{BOT_KEY}.env.SCRIPT_CONFIG' my_pmm.yml (and ship conf/ and "
            f"scripts/ with {BOT_KEY}.files)",
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
    if folder is None:
        return None
    check_text(f"{BOT_KEY}.files", folder, newlines=False)
    if not Path(folder).expanduser().is_dir():
        raise ConfigError(
            f"{BOT_KEY}.files", folder, "not a local directory", "point it at your bot's files folder"
        )
    return folder


def _archive(value: dict[str, object]) -> str | None:
    path = _text(value, "imageArchive", None)
    if path is not None:
        check_text(f"{BOT_KEY}.imageArchive", path, newlines=False)
    return path


def _health_cmd(value: dict[str, object]) -> str | None:
    command = _text(value, "healthCmd", None)
    if command is not None:
        check_text(f"{BOT_KEY}.healthCmd", command)
    return command


def _image(value: dict[str, object], preset: str) -> str:
    image = _text(value, "image", DEFAULT_IMAGES.get(preset))
    if image is None:
        raise ConfigError(
            f"{BOT_KEY}.image",
            None,
            "the generic preset needs an image",
            f"pulumi config set --path '{BOT_KEY}.image' registry/name@sha256:<digest>",
        )
    problem = image_problem(image)
    if problem:
        raise ConfigError(
            f"{BOT_KEY}.image",
            image,
            problem,
            "write it as [registry/]name[:tag][@sha256:<64 hex digits>], lower-case",
        )
    return image


def _user(value: dict[str, object], preset: str) -> str | None:
    user = _text(value, "user", None)
    if user is None:
        return None
    key = f"{BOT_KEY}.user"
    if preset != "generic":
        raise ConfigError(
            key, user, f"the {preset} preset fixes the user its image needs", "remove the field"
        )
    example = f"{DEFAULT_BOT_UID}:{DEFAULT_BOT_UID}"
    match = re.fullmatch(r"([0-9]{1,10}):([0-9]{1,10})", user)
    if not match:
        raise ConfigError(key, user, "expected numeric uid:gid", f"e.g. {example}")
    problem = bot_id_problem(int(match.group(1)), int(match.group(2)))
    if problem:
        raise ConfigError(
            key,
            user,
            f"{problem}: the bot must never run as a host account",
            f"remove the field for the default {example}, or pick ids from {BOT_UIDS.start} to "
            f"{BOT_UIDS.stop - 1} (files the image owns stay readable if they are world-readable)",
        )
    return f"{int(match.group(1))}:{int(match.group(2))}"


def _grace(value: dict[str, object]) -> int:
    item = value.get("stopGracePeriod", DEFAULT_GRACE)
    text = item.strip().lower() if isinstance(item, str) else str(item) if isinstance(item, int) else ""
    match = re.fullmatch(r"([0-9]{1,9})\s*(s|m)?", text) if not isinstance(item, bool) else None
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
    small = isinstance(item, int) and abs(item) < 10**30
    text = item if isinstance(item, str) else str(item) if small else ""
    match = _SIZE.fullmatch(text.strip()) if not isinstance(item, bool) else None
    size = int(match.group(1)) * _UNITS[match.group(2).lower()] if match else 0
    if not 64 * 1024**2 <= size <= MAX_MEMORY:
        raise ConfigError(
            f"{BOT_KEY}.memory",
            item,
            f"expected a size of at least 64m and at most {MAX_MEMORY // 1024**3}g, e.g. 512m or 2g",
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
    problem = data_dir_problem(path)
    if problem:
        raise ConfigError(f"{BOT_KEY}.dataDir", path, problem, f"use a directory like {DEFAULT_DATA_DIR}")
    return path
