"""roles/bot/hummingbot: which bothost file feeds each connector key field, the health check, and the
orders the start script answers the watcher."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import subprocess
import threading
import time
from contextlib import closing
from pathlib import Path
from types import SimpleNamespace

import pytest

from bothost.keyaudit.probe.wire import call
from bothost.watch.bot import BotOrder, BotUnreadable, HummingbotApi, hummingbot_orders
from roles.bot import hummingbot, hummingbot_start  # the script the container runs (stdlib at import)


@pytest.mark.parametrize(
    ("field", "file"),
    [
        # Field names from Hummingbot 2.16's connector configs (hummingbot/connector/exchange/*/*_utils.py).
        ("binance_api_key", "exchange_api_key"),
        ("binance_api_secret", "exchange_api_secret"),
        ("bybit_api_secret", "exchange_api_secret"),
        ("okx_api_key", "exchange_api_key"),
        ("okx_secret_key", "exchange_api_secret"),
        ("okx_passphrase", "exchange_passphrase"),
        ("kucoin_secret_key", "exchange_api_secret"),
        ("gate_io_api_key", "exchange_api_key"),
        ("coinbase_advanced_trade_api_secret", "exchange_api_secret"),
        ("binance_domain", None),
    ],
)
def test_connector_key_fields_map_to_bothosts_exchange_files(field: str, file: str | None) -> None:
    assert hummingbot_start.key_file_for(field) == file


def test_every_exchange_bothost_audits_has_a_connector() -> None:
    from bothost.config.exchange import DEFAULT_API_BASES

    assert set(hummingbot.CONNECTORS) == set(DEFAULT_API_BASES)


@pytest.mark.parametrize(("age", "healthy"), [(0, True), (50, True), (70, False), (None, False)])
def test_health_follows_the_age_of_the_strategy_clock(tmp_path: Path, age: int | None, healthy: bool) -> None:
    beat = tmp_path / "heartbeat"
    if age is not None:
        beat.write_text(f"{time.time() - age:.3f}\n")
    result = subprocess.run(
        ["/bin/sh", "-c", hummingbot.health_cmd(heartbeat=str(beat))], capture_output=True
    )
    assert (result.returncode == 0) is healthy


def test_the_start_script_is_what_the_preset_delivers() -> None:
    assert hummingbot.start_script() == Path(hummingbot_start.__file__).read_text()
    assert str(hummingbot_start.HEARTBEAT) == hummingbot.HEARTBEAT  # what it writes is what health reads
    assert hummingbot_start.ROOT == hummingbot.HOME
    assert "import bothost" not in hummingbot.start_script()  # it runs on the image's Python


def _trades_database(path: Path, orders: list[tuple], fills: list[tuple]) -> None:
    """A trades database with Hummingbot 2.16's columns (hummingbot/model/order.py, trade_fill.py)."""
    with closing(sqlite3.connect(path)) as db, db:
        db.execute(
            'CREATE TABLE "Order" (id TEXT PRIMARY KEY, config_file_path TEXT, strategy TEXT, market TEXT, '
            "symbol TEXT, base_asset TEXT, quote_asset TEXT, creation_timestamp INTEGER, order_type TEXT, "
            "amount NUMERIC, price NUMERIC, last_status TEXT, last_update_timestamp INTEGER, "
            "exchange_order_id TEXT, position TEXT)"
        )
        db.execute(
            'CREATE TABLE "TradeFill" (market TEXT, symbol TEXT, timestamp INTEGER, order_id TEXT, '
            "trade_type TEXT, price NUMERIC, amount NUMERIC, exchange_trade_id TEXT)"
        )
        for client_id, symbol, exchange_id in orders:
            db.execute(
                'INSERT INTO "Order" VALUES (?, "c.yml", "pmm", "binance", ?, "BTC", "USDT", 1700000000000, '
                '"LIMIT", 0.01, 30000, "OrderCreated", 1700000000000, ?, NULL)',
                (client_id, symbol, exchange_id),
            )
        for order_id, timestamp in fills:
            db.execute(
                'INSERT INTO "TradeFill" VALUES ("binance", "BTC-USDT", ?, ?, "BUY", 30000, 0.005, ?)',
                (timestamp, order_id, f"t{timestamp}"),
            )


def test_the_watcher_reads_every_order_of_every_trades_database(tmp_path: Path) -> None:
    _trades_database(
        tmp_path / "pmm.sqlite",
        [("buy-BTC-USDT-1", "BTC-USDT", "28457"), ("sell-BTC-USDT-2", "BTC-USDT", None)],
        [("buy-BTC-USDT-1", 1_700_000_001_000), ("buy-BTC-USDT-1", 1_700_000_002_000)],
    )
    _trades_database(tmp_path / "older.sqlite", [("buy-ETH-USDT-9", "ETH-USDT", "77")], [])
    sqlite3.connect(tmp_path / "new.sqlite").close()  # created, its tables not yet
    rows = hummingbot_start.recorded_orders(tmp_path)
    assert sorted(hummingbot_orders(rows)) == [
        BotOrder("", "sell-BTC-USDT-2", "BTCUSDT", None),
        BotOrder("28457", "buy-BTC-USDT-1", "BTCUSDT", 1_700_000_002_000),  # the last of its fills
        BotOrder("77", "buy-ETH-USDT-9", "ETHUSDT", None),
    ]


def test_the_watchers_token_is_derived_alike_on_both_sides_and_is_not_the_password() -> None:
    token = hummingbot.orders_token("keystore-password-1234")
    assert token == hummingbot_start.orders_token("keystore-password-1234")
    assert "keystore-password-1234" not in token and len(token) == 64
    assert hummingbot.ORDERS_TOKEN_CONTEXT == hummingbot_start.ORDERS_TOKEN_CONTEXT


@pytest.fixture
def orders_endpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The start script's endpoint on a real socket, over a stand-in for Hummingbot's running application."""
    (tmp_path / "data").mkdir()
    _trades_database(tmp_path / "data/pmm.sqlite", [("buy-BTC-USDT-1", "BTC-USDT", "28457")], [])
    monkeypatch.setattr(hummingbot_start, "ROOT", str(tmp_path))
    monkeypatch.setattr(hummingbot_start, "REQUEST_TIMEOUT", 0.5)
    market = SimpleNamespace(trading_pairs=["BTC-USDT", "ETH-USDT"])
    hb = SimpleNamespace(trading_core=SimpleNamespace(markets={"binance": market}))
    loop = asyncio.new_event_loop()
    token = hummingbot_start.orders_token("pw")
    server = loop.run_until_complete(hummingbot_start.serve_orders(hb, 0, token))
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}", token
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    server.close()
    loop.run_until_complete(server.wait_closed())
    loop.close()


def test_the_endpoint_answers_the_orders_and_pairs_to_the_token_only(orders_endpoint) -> None:
    base, token = orders_endpoint
    book = HummingbotApi(base, token, {"SOLUSDT"}, timeout=5).book()
    assert book.orders == [BotOrder("28457", "buy-BTC-USDT-1", "BTCUSDT", None)]
    assert book.pairs == {"BTCUSDT", "ETHUSDT", "SOLUSDT"} and book.names == ("BTC-USDT", "ETH-USDT")
    with pytest.raises(BotUnreadable, match="HTTP 401"):
        HummingbotApi(base, hummingbot_start.orders_token("other"), set(), timeout=5).book()
    assert call(base, "GET", "/", headers={"Authorization": f"Bearer {token}"}).status == 404
    assert call(base, "POST", "/orders", headers={"Authorization": f"Bearer {token}"}).status == 404


def test_the_endpoint_drops_a_request_that_never_ends(orders_endpoint) -> None:
    base, _token = orders_endpoint
    with socket.create_connection(("127.0.0.1", int(base.rsplit(":", 1)[1])), timeout=5) as peer:
        peer.sendall(b"GET /orders HTTP/1.0\r\n")  # no blank line: the head never ends
        assert peer.recv(100) == b""  # closed after REQUEST_TIMEOUT, nothing answered


def test_an_unreachable_endpoint_is_unreadable_not_a_crash() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with pytest.raises(BotUnreadable, match="hummingbot API unreachable"):
        HummingbotApi(f"http://127.0.0.1:{port}", "t", set(), timeout=2).book()


def test_the_watchers_config_for_a_hummingbot_reads_this_endpoint(orders_endpoint) -> None:
    from bothost.watch.main import book_reader

    base, token = orders_endpoint
    read = book_reader({"bot": {"kind": "hummingbot", "api_url": base}, "pairs": ["SOL/USDT"]},
                       {"botOrdersToken": token})
    book = read()
    assert book.knows("28457") and book.knows("", "buy-BTC-USDT-1") and not book.knows("666")
    assert book.pairs == {"BTCUSDT", "ETHUSDT", "SOLUSDT"}


def test_an_unreadable_database_is_a_503_not_a_dropped_connection(orders_endpoint, tmp_path: Path) -> None:
    base, token = orders_endpoint
    (tmp_path / "data/broken.sqlite").write_bytes(b"not a database, but named like one" * 100)
    with pytest.raises(BotUnreadable, match="HTTP 503"):
        HummingbotApi(base, token, set(), timeout=5).book()
