"""bothost's start of Hummingbot, run inside its container (shipped read-only as /run/secrets/<this file>).

Hummingbot's own code does the work; this script only connects it to the files bothost delivers. It runs
under the image's Python (stdlib and hummingbot only, never bothost) and, like the official image's
bin/path_util.py, puts Hummingbot's root (/home/hummingbot) first on sys.path.

1. The keystore. On an empty conf/ the password from /run/secrets/configPassword creates it, exactly as
   Hummingbot's first launch and `hbot connect` do (store_password_verification); after that it must unlock
   it, or the bot stops with "invalid password".
2. The exchange key. bothost's files (/run/secrets/exchange_api_key, _secret, _passphrase) are written,
   encrypted with the keystore password, into conf/connectors/<connector>.yml whenever they differ from it
   (Security.update_secure_config, what `hbot connect --replace` does). So the key bothost audits and
   rotates is the key the bot trades with.
3. Hummingbot's headless engine (hummingbot.client.runner + hummingbot.cli.engine, 2.x): the script named
   by SCRIPT_CONFIG (conf/scripts/) or the strategy named by CONFIG_FILE_NAME (conf/strategies/), the same
   variables as the official image's quickstart. Its SIGTERM handler stops the strategy and cancels the open
   orders (stop_loop), then writes data/bot/status.json with running=false.
4. A heartbeat for the health check: every HEARTBEAT_EVERY seconds, while the strategy runs and its clock
   advances, the clock's time is written to HEARTBEAT. A dead or frozen trading loop leaves it stale.
5. The bot's orders for bothost's watcher (--orders-port): GET /orders with the bearer token derived from
   the password answers the orders Hummingbot recorded in its trades databases (data/*.sqlite, written when
   it handles each order's creation and fill) and its markets' trading pairs, as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import signal
import sqlite3
import sys
from contextlib import closing
from pathlib import Path

ROOT = "/home/hummingbot"  # the official image's layout: hummingbot/, conf/, logs/, data/, scripts/
SECRETS = Path("/run/secrets")
PASSWORD_FILE = "configPassword"
HEARTBEAT = Path("/tmp/bothost-heartbeat")
HEARTBEAT_EVERY = 5.0
CONF_DIRS = ("conf/connectors", "conf/strategies", "conf/scripts", "conf/controllers", "logs", "data")
# The watcher's token: HMAC of this with the password (roles/bot/hummingbot.py derives the same).
ORDERS_TOKEN_CONTEXT = b"bothost watcher: the bot's orders"
# Each recorded order: client order id, exchange order id, symbol ("BTC-USDT"), its last fill's time (ms).
ORDERS_SQL = (
    'SELECT o.id, o.exchange_order_id, o.symbol, MAX(f.timestamp) FROM "Order" o '
    'LEFT JOIN "TradeFill" f ON f.order_id = o.id GROUP BY o.id'
)
REQUEST_TIMEOUT = 5.0
# bothost's exchange files, matched to a connector's key fields by a word in the field's name, in this
# order (okx_secret_key is the secret, binance_api_key the key).
KEY_FILES = (
    ("passphrase", "exchange_passphrase"),
    ("secret", "exchange_api_secret"),
    ("key", "exchange_api_key"),
)


def read_secret(name: str) -> str:
    """A secret file's content without its trailing newline."""
    return (SECRETS / name).read_text().rstrip("\n")


def key_file_for(field: str) -> str | None:
    """The bothost file that holds a connector key field (binance_api_secret -> exchange_api_secret)."""
    return next((file for word, file in KEY_FILES if word in field), None)


def unlock(password: str) -> None:
    """Create the keystore on first run, else unlock it (exit 4 on a wrong password)."""
    from hummingbot.client.config.config_crypt import ETHKeyFileSecretManger, store_password_verification
    from hummingbot.client.config.security import Security

    manager = ETHKeyFileSecretManger(password)
    if Security.new_password_required():
        store_password_verification(manager)
        print("bothost: created Hummingbot's keystore from the configPassword secret", file=sys.stderr)
    if not Security.login(manager):
        sys.exit("bothost: invalid password: configPassword does not unlock conf/.password_verification")


def write_connector_keys(connector: str) -> None:
    """Put bothost's exchange key into the connector's encrypted config when it differs from it."""
    from hummingbot.client.config.config_helpers import ClientConfigAdapter
    from hummingbot.client.config.security import Security
    from hummingbot.client.settings import AllConnectorSettings

    keys = AllConnectorSettings.get_connector_config_keys(connector)
    if keys is None:
        sys.exit(f"bothost: connector {connector!r} has no API keys in this Hummingbot")
    config = ClientConfigAdapter(keys)
    fields = [
        item.attr
        for item in config.traverse(secure=False)
        if item.client_field_data is not None and item.client_field_data.is_connect_key
    ]
    wanted = {}
    for field in fields:
        file = key_file_for(field)
        if file is None or not (SECRETS / file).exists():
            sys.exit(f"bothost: no secret file for {connector}'s {field} (expected /run/secrets/{file})")
        wanted[field] = read_secret(file)
    if Security.api_keys(connector) == wanted:
        return
    for field, value in wanted.items():
        setattr(config, field, value)
    Security.update_secure_config(config)
    print(f"bothost: wrote the exchange key into conf/connectors/{connector}.yml", file=sys.stderr)


async def heartbeat(hb) -> None:
    """Write the strategy clock's time while the strategy runs and the clock advances."""
    last = 0.0
    while True:
        await asyncio.sleep(HEARTBEAT_EVERY)
        core = hb.trading_core
        now = core.clock.current_timestamp if core.clock is not None else 0.0
        if core._strategy_running and now > last:
            last = now
            HEARTBEAT.write_text(f"{int(now)}\n")


def orders_token(password: str) -> str:
    """The watcher's bearer token for GET /orders (never the password itself)."""
    return hmac.new(password.encode(), ORDERS_TOKEN_CONTEXT, hashlib.sha256).hexdigest()


def recorded_orders(data_dir: Path) -> list[list]:
    """Every order in Hummingbot's trades databases (one per strategy or script it has run)."""
    rows: list[list] = []
    for database in sorted(data_dir.glob("*.sqlite")):
        # A short busy wait: this runs on Hummingbot's event loop, which must not stall behind a writer.
        with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=1.0)) as connection:
            try:
                rows += [list(row) for row in connection.execute(ORDERS_SQL)]
            except sqlite3.OperationalError:  # a database Hummingbot has not created its tables in yet
                continue
    return rows


def market_pairs(hb) -> list[str]:
    """The trading pairs of the markets the strategy runs on."""
    markets = getattr(hb.trading_core, "markets", None) or {}
    return sorted({pair for market in markets.values() for pair in getattr(market, "trading_pairs", ())})


def http_answer(status: str, document: object = None) -> bytes:
    """An HTTP/1.0 reply with a JSON body."""
    body = json.dumps(document).encode()
    head = f"HTTP/1.0 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


def orders_reply(head: bytes, token: str, hb) -> bytes:
    """The reply to one request: the orders for GET /orders with the token, else an error."""
    lines = head.decode("latin-1").split("\r\n")
    fields = dict(line.split(":", 1) for line in lines[1:] if ":" in line)
    authorization = next((v.strip() for k, v in fields.items() if k.strip().lower() == "authorization"), "")
    if not hmac.compare_digest(authorization.encode(), f"Bearer {token}".encode()):
        return http_answer("401 Unauthorized", {"error": "token"})
    if lines[0].split(" ")[:2] != ["GET", "/orders"]:
        return http_answer("404 Not Found", {"error": "GET /orders only"})
    try:
        orders = recorded_orders(Path(ROOT, "data"))
    except sqlite3.Error as error:  # e.g. locked by Hummingbot's own write: the watcher asks again next poll
        return http_answer("503 Service Unavailable", {"error": f"trades database: {error}"})
    return http_answer("200 OK", {"orders": orders, "pairs": market_pairs(hb)})


async def serve_orders(hb, port: int, token: str):
    """Answer the watcher on the container's port (docker publishes it on the host's 127.0.0.1 only)."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), REQUEST_TIMEOUT)
            writer.write(orders_reply(head, token, hb))
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(answer, "0.0.0.0", port)


async def run(
    connector: str, password: str, script_config: str | None, strategy_file: str | None, orders_port: int
) -> int:
    """Hummingbot's headless boot (as its engine does it), then its own serve loop with the heartbeat."""
    from hummingbot.cli.engine import _serve
    from hummingbot.client.config.config_crypt import ETHKeyFileSecretManger
    from hummingbot.client.config.config_helpers import load_client_config_map_from_file
    from hummingbot.client.runner import (
        bootstrap_application,
        load_and_start_strategy,
        wait_for_gateway_ready,
    )

    client_config = load_client_config_map_from_file()
    unlock(password)
    write_connector_keys(connector)
    name = Path(script_config or strategy_file or "hummingbot").stem
    hb = await bootstrap_application(
        client_config,
        ETHKeyFileSecretManger(password),
        strategy_file_name=name,
        override_log_level=client_config.log_level,
        headless=True,
    )
    if hb is None:
        return 4
    if not await load_and_start_strategy(
        hb, config_file_name=strategy_file, v2_conf=script_config, headless=True
    ):
        print("bothost: Hummingbot could not load the strategy; see logs/", file=sys.stderr)
        return 1
    await wait_for_gateway_ready(hb)
    server = await serve_orders(hb, orders_port, orders_token(password))
    beat = asyncio.ensure_future(heartbeat(hb))
    try:
        await _serve(hb, name)  # Hummingbot's: returns after SIGTERM/SIGINT, orders cancelled
    finally:
        beat.cancel()
        server.close()
        HEARTBEAT.unlink(missing_ok=True)
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connector", required=True, help="Hummingbot's connector name, e.g. binance")
    parser.add_argument("--orders-port", type=int, required=True, help="where the watcher asks for orders")
    args = parser.parse_args()
    # Until Hummingbot's own handler is in place there are no orders: a stop may simply end the process
    # (as PID 1 the default action would be to ignore SIGTERM and wait for SIGKILL).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.path.insert(0, ROOT)
    os.chdir(ROOT)
    for directory in CONF_DIRS:
        Path(ROOT, directory).mkdir(parents=True, exist_ok=True)
    script_config = os.environ.get("SCRIPT_CONFIG") or None
    strategy_file = os.environ.get("CONFIG_FILE_NAME") or None
    if not (script_config or strategy_file):
        sys.exit(
            "bothost: set SCRIPT_CONFIG (conf/scripts/*.yml) or CONFIG_FILE_NAME (conf/strategies/*.yml)"
        )
    password = read_secret(PASSWORD_FILE)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    code = run(args.connector, password, script_config, strategy_file, args.orders_port)
    sys.exit(loop.run_until_complete(code))


if __name__ == "__main__":
    main()
