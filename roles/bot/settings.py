"""The bot container's settings: one object, read by the role's changes, its run flags and its checks."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from bothost.config.paths import BOT_DATA_ROOT
from bothost.config.uids import DEFAULT_BOT_UID
from bothost.role import from_wire

CONTAINER = "bothost-bot"
SECRETS_DIR = "/etc/bothost/secrets"  # root 0700: nothing below it is reachable by other host users
BOT_SECRETS_DIR = f"{SECRETS_DIR}/bot"  # owned by the container user; mounted read-only
SECRETS_MOUNT = "/run/secrets"  # where the bot reads its secret files inside the container
FREQTRADE_PRIVATE_CONFIG = "config-private.json"
HMAC_KEY_PATH = f"{SECRETS_DIR}/deploy-hmac.key"  # root 0600; keys the secret digests in the spec label
SECRET_FILE_MODE = "0400"  # the bot only reads its secrets
DATA_DIR_MODE = "0750"  # the bot's own state: its user only, its group may read
ROOT_DIRS = ((SECRETS_DIR, "0700", "0:0"),)  # present with or without a bot
# Every bot's data lives below this root-owned directory (bothost:bot.dataDir is checked against it), so a
# data directory can never be /etc, a home or a log directory that the container would then own.
DATA_ROOT = BOT_DATA_ROOT
DATA_ROOT_MODE = "0755"  # root's; the bot may traverse it to reach its own directory
# The uid and gid the bot runs as unless its image needs another: no host account has them (not the admin,
# 1000, nor a system account), so an escape or a file the bot writes belongs to nobody on the host.
BOT_UID = DEFAULT_BOT_UID
# Creates the 32-byte HMAC key once (an existing key is kept, so deploys and first boot agree on it).
CREATE_HMAC_KEY = 'umask 077; [ -s "$1" ] || head -c 32 /dev/urandom > "$1"'


@dataclass(frozen=True)
class Mount:
    """A bind mount from the host into the container."""

    source: str
    target: str
    read_only: bool


@dataclass(frozen=True)
class BotSettings:
    """Everything that decides the container; docker run flags and verify checks both read this."""

    preset: str  # freqtrade, hummingbot or generic
    image: str  # image reference as configured
    entrypoint: tuple[str, ...] | None  # None keeps the image's entrypoint
    args: tuple[str, ...] | None  # None keeps the image's CMD
    env: tuple[tuple[str, str], ...]  # non-secret environment only; secrets are files
    user: str | None  # uid:gid; None keeps the image's user
    data_dir: str  # host directory for the bot's writable state
    data_mounts: tuple[Mount, ...]  # data_dir (or its sub-directories) into the container
    secret_names: tuple[str, ...]  # bot secret files in BOT_SECRETS_DIR (besides the exchange ones), sorted
    health_cmd: str  # run by docker in the container; the deploy waits for "healthy"
    stop_grace_period: int = 90  # seconds from SIGTERM to SIGKILL: the bot cancels its open orders meanwhile
    memory_bytes: int = 1024**3  # memory limit: a leaking bot is killed rather than starving sshd
    cpus: float = 1.0  # CPU limit: the host stays responsive to SSH and updates
    pids_limit: int = 512  # process/thread limit: a fork bomb or runaway thread pool stays contained
    tmpfs_size: str = "64m"  # /tmp size; the root filesystem is read-only, so this is the only scratch space
    published: tuple[tuple[str, int, int], ...] = ()  # (host ip, host port, container port); 127.0.0.1 only
    hosts: tuple[tuple[str, str], ...] = ()  # (name, ip) added to the container's /etc/hosts (bot.hosts)
    restart: str = "unless-stopped"  # back after a crash and after reboots; stays down after `bothost stop`
    log_driver: str = "journald"  # capped with the journal (roles/base), kept across container swaps
    health_interval: int = (
        10  # seconds between docker's checks (deploys also run the check at once after start)
    )
    health_timeout: int = 10  # seconds one health check may take
    health_retries: int = 3  # consecutive failures before "unhealthy"
    health_start_period: int = 60  # seconds of start-up during which failures do not count
    container: str = CONTAINER  # the container's name on the host
    secrets_dir: str = BOT_SECRETS_DIR  # host directory of the bot's secret files
    exchange_files: bool = True  # deliver exchange_api_key/_secret/_passphrase as files (not freqtrade's way)
    cancel_open_orders_on_exit: bool = True  # freqtrade: cancel open orders when SIGTERM arrives

    @property
    def file_owner(self) -> str:
        """uid:gid that owns the data and secret files (the container user, so the bot can read them)."""
        return "0:0" if self.user is None else self.user

    def directories(self) -> list[tuple[str, str, str]]:
        """Host directories as (path, mode, uid:gid): first boot creates them, every deploy fixes them.

        A data mount that is data_dir itself is listed twice, as first boot has always created it.
        """
        return [
            *ROOT_DIRS,
            (self.secrets_dir, "0700", self.file_owner),
            (DATA_ROOT, DATA_ROOT_MODE, "0:0"),
            *((path, DATA_DIR_MODE, self.file_owner) for path in (self.data_dir, *self.mount_sources())),
        ]

    def mount_sources(self) -> list[str]:
        """The host side of each data mount."""
        return [m.source for m in self.data_mounts]

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-able form (for the Pulumi dynamic provider's inputs)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> BotSettings:
        """Inverse of to_dict, also after Pulumi's wire format (numbers as floats, None values dropped)."""
        values = from_wire(cls, data)
        values["env"] = tuple(tuple(p) for p in values["env"])
        values["hosts"] = tuple(tuple(p) for p in values.get("hosts", ()))
        values["published"] = tuple((ip, int(hp), int(cp)) for ip, hp, cp in values.get("published", ()))
        values["data_mounts"] = tuple(Mount(**m) if isinstance(m, dict) else m for m in values["data_mounts"])
        return cls(**values)


def hmac_key_argv(*, show: bool = False) -> tuple[str, ...]:
    """Create the host's HMAC key unless it exists (show: then print it as hex, for the deployer)."""
    script = CREATE_HMAC_KEY + ('; od -An -tx1 "$1" | tr -d " \\n"' if show else "")
    return ("sh", "-c", script, "hmac-key", HMAC_KEY_PATH)
