"""The presets (freqtrade, hummingbot, generic) and the settings they make of a configured bot."""

from __future__ import annotations

from bothost.config import StackSpec
from bothost.config.bot import BotSpec
from roles.bot import freqtrade, hummingbot
from roles.bot.settings import BOT_UID, FREQTRADE_PRIVATE_CONFIG, SECRETS_MOUNT, BotSettings, Mount

BOT_USER = f"{BOT_UID}:{BOT_UID}"


def stack_bot_settings(spec: StackSpec) -> BotSettings:
    """The stack's bot settings (its exchange from bothost:exchange): what deploy, verify and verbs use."""
    if spec.bot is None:
        raise ValueError("the stack configures no bot")
    return bot_settings(spec.bot, exchange=spec.exchange.exchange if spec.exchange else None)


def bot_settings(bot: BotSpec, *, exchange: str | None) -> BotSettings:
    """The settings for a configured bot (exchange: the configured exchange, None without a key), preset
    then config."""
    preset = dict(PRESETS[bot.preset](bot, exchange))
    preset["exchange_files"] = preset.get("exchange_files", True) and exchange is not None
    names = sorted({name for name, _ in bot.secrets} | set(preset.pop("extra_secrets")))
    entrypoint, args, health = preset.pop("entrypoint"), preset.pop("args"), preset.pop("health_cmd")
    env = tuple(preset.pop("env", ())) + bot.env  # the preset's first: a docker --env given later wins
    return BotSettings(
        preset=bot.preset,
        image=bot.image,
        entrypoint=bot.command if bot.command is not None else entrypoint,
        args=bot.args if bot.args is not None else args,
        env=env,
        data_dir=bot.data_dir,
        secret_names=tuple(names),
        health_cmd=bot.health_cmd or health,
        stop_grace_period=bot.stop_grace_period,
        memory_bytes=bot.memory_bytes,
        cpus=bot.cpus,
        hosts=bot.hosts,
        **preset,
    )


def _freqtrade(bot: BotSpec, exchange: str | None) -> dict[str, object]:
    """freqtradeorg/freqtrade as the bot uid, not the image's ftuser (1000, the admin's uid on the host);
    user_data is its only writable directory."""
    user_data = freqtrade.USER_DATA
    return {
        "user": BOT_USER,
        # The image installs freqtrade with `pip install --user` under ftuser's home: Python finds it
        # through HOME (docker sets HOME=/ for a uid the image does not know). Read-only, like the rest.
        "data_mounts": (Mount(bot.data_dir, user_data, False),),
        "entrypoint": None,  # the image's: freqtrade
        "args": (
            "trade",
            "--config",
            f"{user_data}/config.json",
            "--config",
            freqtrade.PRIVATE_CONFIG,
            "--db-url",
            f"sqlite:///{user_data}/tradesv3.sqlite",
        ),
        "env": (*freqtrade.APP_ENV, ("HOME", "/home/ftuser")),
        "extra_secrets": (FREQTRADE_PRIVATE_CONFIG,),
        "exchange_files": False,  # the exchange key travels inside the private config file
        "health_cmd": freqtrade.health_cmd(),
        # Start-up (imports, markets, first candles) takes minutes on a small or emulated CPU.
        "health_start_period": 300,
        # The check starts a Python beside a bot that may be busy analysing: docker's own default timeout.
        "health_timeout": 30,
        "published": (("127.0.0.1", freqtrade.API_PORT, freqtrade.API_PORT),),  # API/FreqUI via SSH tunnel
    }


def _hummingbot(bot: BotSpec, exchange: str | None) -> dict[str, object]:
    """hummingbot/hummingbot 2.x as the bot uid (not the image's 1000, the admin's uid on the host),
    headless, through bothost's start script (hummingbot_start.py)."""
    return {
        "user": BOT_USER,
        "data_mounts": tuple(
            Mount(f"{bot.data_dir}/{d}", f"{hummingbot.HOME}/{d}", False) for d in hummingbot.DATA_DIRS
        ),
        "entrypoint": ("python3",),  # the image's Python (the official image has its conda env on PATH)
        "args": (
            f"{SECRETS_MOUNT}/{hummingbot.START_FILE}",
            "--connector",
            hummingbot.CONNECTORS.get(exchange or "binance", exchange or "binance"),
            "--orders-port",
            str(hummingbot.ORDERS_PORT),
        ),
        # The orders the watcher reads (GET /orders, with a token), on the host's loopback only.
        "published": (("127.0.0.1", hummingbot.ORDERS_PORT, hummingbot.ORDERS_PORT),),
        # The image installs Hummingbot's dependencies with `pip install --user` under the image user's home:
        # Python finds them through HOME (docker sets HOME=/ for a uid the image does not know).
        "env": (("HOME", hummingbot.HOME),),
        "extra_secrets": (hummingbot.START_FILE,),
        "health_cmd": hummingbot.health_cmd(),
        # Start-up (imports, keystore, markets, order books) takes minutes on a small or emulated CPU.
        "health_start_period": 300,
    }


def _generic(bot: BotSpec, exchange: str | None) -> dict[str, object]:
    """Any image: the bot uid unless configured, data at /data, secrets at /run/secrets/<name>."""
    return {
        "user": bot.user or BOT_USER,
        "data_mounts": (Mount(bot.data_dir, "/data", False),),
        "entrypoint": None,
        "args": None,
        "extra_secrets": (),
        "health_cmd": "test -s /tmp/heartbeat && test $(( $(date +%s) - $(cat /tmp/heartbeat) )) -lt 30",
    }


PRESETS = {"freqtrade": _freqtrade, "hummingbot": _hummingbot, "generic": _generic}
