"""The real Freqtrade (the built image's rootfs, in a chroot) under the preset, against the fake exchange.

The fast loop before the VM: the preset's own arguments, env, private config and health check, with the
image's user and layout. It trades (a limit order that stays open), the watcher's reader finds that order in
its REST API, its health check follows the trading loop, and SIGTERM makes it cancel its open order
(cancel_open_orders_on_exit) before it exits.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from bots.chroot import built_rootfs, chroot_argv, run_in
from bots.freqtrade_files import write_freqtrade_files
from fakes.binance_spot import BinanceSpot
from fakes.exchanges import HOST_IP

from bothost.config.bot import parse_bot
from bothost.config.raw import RawConfig
from bothost.deploy.secretfiles import BotSecrets, secret_files
from bothost.secret import Credentials, Secret
from bothost.watch.bot import FreqtradeApi
from roles.bot import freqtrade
from roles.bot.presets import bot_settings

KEY, SECRET, API_PASSWORD = "K" * 64, "S" * 64, "api-password-1234"


@pytest.fixture(scope="module")
def rootfs() -> Path:
    from bothost.rehearsal.freqtrade_image import FREQTRADE_RECIPE

    return built_rootfs(FREQTRADE_RECIPE, "Freqtrade")


def owned_dir(path: Path, owner: tuple[int, int]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    os.chown(path, *owner)
    return path


def test_real_freqtrade_trades_reports_its_loop_and_cancels_on_sigterm(rootfs: Path, tmp_path: Path) -> None:
    from bothost.rehearsal.freqtrade_image import FREQTRADE_RECIPE

    fake = BinanceSpot(KEY, SECRET)
    settings = bot_settings(
        parse_bot(
            RawConfig({"bothost:bot": {"preset": "freqtrade"}, "bothost:botSecrets": {"apiPassword": "set"}})
        ),
        exchange="binance",
    )
    uid, gid = settings.user.split(":")  # the preset's bot uid, which no host account has
    owner = (int(uid), int(gid))
    data, secrets_dir, scratch = (owned_dir(tmp_path / d, owner) for d in ("data", "secrets", "tmp"))
    write_freqtrade_files(data, fake.door(HOST_IP))
    for path in data.rglob("*"):
        os.chown(path, *owner)
    files = secret_files(
        settings,
        BotSecrets(Credentials(Secret(KEY), Secret(SECRET)), bot={"apiPassword": Secret(API_PASSWORD)}),
    )
    for name, value in files.items():
        content = value.reveal()
        if name == "config-private.json":  # this machine is shared: the API stays on its loopback
            document = json.loads(content)
            document["api_server"]["listen_ip_address"] = "127.0.0.1"
            content = json.dumps(document)
        (secrets_dir / name).write_text(content)
        os.chown(secrets_dir / name, *owner)
        (secrets_dir / name).chmod(0o400)
    mounts = {freqtrade.USER_DATA: data, "/run/secrets": secrets_dir, "/tmp": scratch}
    argv = ["freqtrade", *settings.args]
    log = (tmp_path / "freqtrade.log").open("w")
    bot = subprocess.Popen(
        chroot_argv(rootfs, FREQTRADE_RECIPE, mounts, argv, dict(settings.env), settings.user),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        assert fake.wait_for(lambda f: f.placed(), 240), (tmp_path / "freqtrade.log").read_text()[-3000:]
        order = fake.placed()[0]
        assert (order.symbol, order.side) == ("BTCUSDT", "BUY") and float(order.price) < 60000
        assert fake.open_orders() and fake.unhandled == []
        as_bot = {"env": dict(settings.env), "user": settings.user}
        health = ["/bin/sh", "-c", settings.health_cmd]
        # The order is placed inside the first loop; /health reports it once that loop has finished.
        def healthy() -> bool:
            return run_in(rootfs, FREQTRADE_RECIPE, mounts, health, **as_bot).returncode == 0

        assert until(healthy, 60), "the preset's health check did not pass within 60 s of the first order"
        # The watcher's reader of the bot's book (watch/bot.py) knows the open order from the real API.
        book = FreqtradeApi(f"http://127.0.0.1:{freqtrade.API_PORT}", "freqtrader", API_PASSWORD).book()
        assert book.knows(str(order.order_id)) and book.pairs == {"BTCUSDT"}, book
        # A stopped trading loop (its API thread still answers /ping) fails the check once it is stale.
        api_post("/api/v1/stop")
        time.sleep(12)
        quick = ["/bin/sh", "-c", freqtrade.health_cmd(stale_after=10)]
        stale = run_in(rootfs, FREQTRADE_RECIPE, mounts, quick, **as_bot)
        assert stale.returncode != 0 and "trading loop not running" in stale.stderr
        api_post("/api/v1/start")
        started = time.monotonic()
        bot.send_signal(signal.SIGTERM)
        assert bot.wait(90) in (0, 130)  # freqtrade exits 130 after its SIGTERM handler's cleanup
        stop_seconds = time.monotonic() - started
    finally:
        if bot.poll() is None:
            bot.kill()
        fake.close()
    assert [c.order_id for c in fake.cancels()] == [order.order_id], "the open order was not cancelled"
    assert fake.open_orders() == []
    output = (tmp_path / "freqtrade.log").read_text()
    assert "Could not chown" not in output
    assert KEY not in output and SECRET not in output and API_PASSWORD not in output
    print(f"freqtrade stopped {stop_seconds:.1f} s after SIGTERM")


def until(condition: Callable[[], bool], seconds: float) -> bool:
    """Whether `condition` holds within `seconds`, asked every two seconds."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(2)
    return True


def api_post(path: str) -> None:
    """POST to the local bot's REST API with its basic-auth credentials."""
    auth = base64.b64encode(f"freqtrader:{API_PASSWORD}".encode()).decode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{freqtrade.API_PORT}{path}",
        method="POST",
        headers={"Authorization": f"Basic {auth}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
