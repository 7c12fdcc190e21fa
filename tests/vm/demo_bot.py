"""The demo bot as the VM tests deploy it (generic preset, bot uid, a 3 s SIGTERM cleanup, fresh secrets)."""

from __future__ import annotations

import secrets

from bothost.deploy.secretfiles import BotSecrets
from bothost.secret import Credentials, Secret
from roles.bot.settings import BotSettings, Mount

API_SECRET = "vmtest-" + secrets.token_urlsafe(24)
TELEGRAM = "vmtest-" + secrets.token_urlsafe(24)
SECRETS = BotSecrets(
    Credentials(Secret("vmtest-key-" + secrets.token_hex(8)), Secret(API_SECRET)),
    bot={"telegramToken": Secret(TELEGRAM)},
)
SETTINGS = BotSettings(
    preset="generic",
    image="bothost-demo:1",
    entrypoint=None,
    args=None,
    env=(("BOT_STOP_SECONDS", "3"), ("BOT_SECRET_FILE", "/run/secrets/exchange_api_secret")),
    user="10000:10000",  # the bot uid: no account on the host has it (bot-17)
    data_dir="/srv/bothost/data",
    data_mounts=(Mount("/srv/bothost/data", "/data", False),),
    secret_names=("telegramToken",),
    health_cmd="test -s /tmp/heartbeat && test $(( $(date +%s) - $(cat /tmp/heartbeat) )) -lt 30",
    stop_grace_period=20,
    memory_bytes=128 * 1024**2,
    cpus=0.5,
)

