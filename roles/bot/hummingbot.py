"""What the hummingbot preset knows about Hummingbot 2.x: its layout, bothost's start script, its health."""

from __future__ import annotations

from pathlib import Path

HOME = "/home/hummingbot"  # the official WORKDIR and Hummingbot's root (conf/, logs/, data/, scripts/)
# The directories Hummingbot writes or the user ships files into (bot.files: conf/ and scripts/).
DATA_DIRS = ("conf", "logs", "data", "scripts")
START_FILE = "bothost-hummingbot.py"  # bothost's start script, delivered read-only with the secret files
START_SOURCE = Path(__file__).with_name("hummingbot_start.py")
HEARTBEAT = "/tmp/bothost-heartbeat"  # the strategy clock's time, written by the start script (same path)
# A clock time older than this fails the health check (the clock ticks every second; written every 5 s).
STALE_AFTER = 60
# The start script answers the watcher here (GET /orders: the orders in Hummingbot's trades database, and
# its markets' pairs), published on the host's 127.0.0.1 only, as freqtrade's API is.
ORDERS_PORT = 8091
# The watcher's token for it: derived from the keystore password (the start script derives the same), so
# the watcher can ask for the orders but holds nothing that unlocks the keystore.
ORDERS_TOKEN_CONTEXT = b"bothost watcher: the bot's orders"
# bothost's exchange names -> Hummingbot's spot connectors (hummingbot/connector/exchange/<name>).
CONNECTORS = {
    "binance": "binance",
    "bybit": "bybit",
    "okx": "okx",
    "kraken": "kraken",
    "kucoin": "kucoin",
    "bitget": "bitget",
    "gate": "gate_io",
    "coinbase": "coinbase_advanced_trade",
}


def start_script() -> str:
    """The start script's source, as the container runs it."""
    return START_SOURCE.read_text()


def health_cmd(stale_after: int = STALE_AFTER, heartbeat: str = HEARTBEAT) -> str:
    """The docker health check: the strategy clock's last tick must be recent (sh, no Python start-up)."""
    return f"t=$(cut -d. -f1 {heartbeat}) && test $(( $(date +%s) - t )) -lt {stale_after}"


def orders_token(password: str) -> str:
    """The watcher's bearer token for GET /orders, from the configPassword secret."""
    import hashlib  # here: the roles are also imported on the host, where every import costs (verify.pyz)
    import hmac

    return hmac.new(password.encode(), ORDERS_TOKEN_CONTEXT, hashlib.sha256).hexdigest()
