"""The bot container's settings: one object, used both to build the container and to verify it."""

from __future__ import annotations

from dataclasses import MISSING, asdict, dataclass, fields

from bothost.config.bot import BotSpec

CONTAINER = "bothost-bot"
SECRETS_DIR = "/etc/bothost/secrets"  # root 0700: nothing below it is reachable by other host users
BOT_SECRETS_DIR = f"{SECRETS_DIR}/bot"  # owned by the container user; mounted read-only
SECRETS_MOUNT = "/run/secrets"  # where the bot reads its secret files inside the container
FREQTRADE_PRIVATE_CONFIG = "config-private.json"


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
    user: str | None  # uid:gid; None only for hummingbot, whose image needs root (reported by verify)
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
    restart: str = "unless-stopped"  # back after a crash and after reboots; stays down after `bothost stop`
    log_driver: str = "journald"  # logs rotate with the journal and never fill the disk
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
    def runs_as_root(self) -> bool:
        """True when the container user is root (hummingbot)."""
        return self.user is None or self.user.split(":")[0] == "0"

    @property
    def file_owner(self) -> str:
        """uid:gid that owns the data and secret files (the container user, so the bot can read them)."""
        return "0:0" if self.user is None else self.user

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-able form (for the Pulumi dynamic provider's inputs)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> BotSettings:
        """Inverse of to_dict, also after Pulumi's wire format (numbers as floats, None values dropped)."""
        values: dict[str, object] = {}
        for f in fields(cls):
            value = data.get(f.name)
            if value is None:
                if f.default is MISSING:
                    values[f.name] = None  # an optional field the wire dropped
                continue
            values[f.name] = int(value) if f.type == "int" else value
        for name in ("entrypoint", "args", "secret_names"):
            if values.get(name) is not None:
                values[name] = tuple(values[name])
        values["env"] = tuple(tuple(p) for p in values["env"])
        values["published"] = tuple((ip, int(hp), int(cp)) for ip, hp, cp in values.get("published", ()))
        values["data_mounts"] = tuple(Mount(**m) if isinstance(m, dict) else m for m in values["data_mounts"])
        return cls(**values)


def bot_settings(bot: BotSpec, *, exchange: bool = True) -> BotSettings:
    """The settings for a configured bot (exchange: an exchange key is configured), preset then config."""
    preset = dict(_PRESETS[bot.preset](bot))
    preset["exchange_files"] = preset.get("exchange_files", True) and exchange
    names = sorted({name for name, _ in bot.secrets} | set(preset.pop("extra_secrets")))
    entrypoint, args, health = preset.pop("entrypoint"), preset.pop("args"), preset.pop("health_cmd")
    return BotSettings(
        preset=bot.preset,
        image=bot.image,
        entrypoint=bot.command if bot.command is not None else entrypoint,
        args=bot.args if bot.args is not None else args,
        env=bot.env,
        data_dir=bot.data_dir,
        secret_names=tuple(names),
        health_cmd=bot.health_cmd or health,
        stop_grace_period=bot.stop_grace_period,
        memory_bytes=bot.memory_bytes,
        cpus=bot.cpus,
        **preset,
    )


def _freqtrade(bot: BotSpec) -> dict[str, object]:
    """freqtradeorg/freqtrade: runs as ftuser (1000); user_data is its only writable directory."""
    user_data = "/freqtrade/user_data"
    return {
        "user": "1000:1000",
        "data_mounts": (Mount(bot.data_dir, user_data, False),),
        "entrypoint": None,  # the image's: freqtrade
        "args": (
            "trade",
            "--config",
            f"{user_data}/config.json",
            "--config",
            f"{SECRETS_MOUNT}/{FREQTRADE_PRIVATE_CONFIG}",
            "--db-url",
            f"sqlite:///{user_data}/tradesv3.sqlite",
        ),
        "extra_secrets": (FREQTRADE_PRIVATE_CONFIG,),
        "exchange_files": False,  # the exchange key travels inside the private config file
        "health_cmd": 'python3 -c "import urllib.request; '
        "urllib.request.urlopen('http://127.0.0.1:8080/api/v1/ping', timeout=5)\"",
        "published": (("127.0.0.1", 8080, 8080),),  # the REST API/FreqUI, reached through an SSH tunnel
    }


def _hummingbot(bot: BotSpec) -> dict[str, object]:
    """hummingbot/hummingbot: its image runs as root; conf, logs and data are its writable directories."""
    home = "/home/hummingbot"
    return {
        "user": None,
        "data_mounts": tuple(
            Mount(f"{bot.data_dir}/{d}", f"{home}/{d}", False) for d in ("conf", "logs", "data")
        ),
        "entrypoint": ("/bin/bash", "-lc"),
        # CONFIG_PASSWORD goes from its file into the process environment only, never `docker inspect`.
        "args": (
            f'export CONFIG_PASSWORD="$(cat {SECRETS_MOUNT}/configPassword)" && '
            "conda activate hummingbot && exec ./bin/hummingbot_quickstart.py",
        ),
        "extra_secrets": (),
        "health_cmd": "kill -0 1",  # hummingbot has no health endpoint: the check proves its process lives
    }


def _generic(bot: BotSpec) -> dict[str, object]:
    """Any image: uid 1000 unless configured, data at /data, secrets at /run/secrets/<name>."""
    return {
        "user": bot.user or "1000:1000",
        "data_mounts": (Mount(bot.data_dir, "/data", False),),
        "entrypoint": None,
        "args": None,
        "extra_secrets": (),
        "health_cmd": "test -s /tmp/heartbeat && test $(( $(date +%s) - $(cat /tmp/heartbeat) )) -lt 30",
    }


_PRESETS = {"freqtrade": _freqtrade, "hummingbot": _hummingbot, "generic": _generic}
