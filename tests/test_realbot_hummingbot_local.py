"""The real Hummingbot (the built image's rootfs, in a chroot) under the preset, against the fake exchange.

The fast loop before the VM: the preset's own command, env, secret files (bothost's start script among
them) and health check, with the image's user and layout, from an empty data dir plus the shipped files.
It creates its keystore from the password, writes the exchange key into its encrypted connector config,
quotes both sides (orders that stay open), the watcher reads those orders from it, its health check follows
the strategy clock, and SIGTERM makes Hummingbot's own stop cancel the open orders before it exits.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from bots.chroot import built_rootfs, chroot_argv, run_in
from bots.hummingbot_files import SCRIPT_CONFIG, TEST_CA, hosts_line, write_hummingbot_files
from fakes.binance_spot import BinanceSpot
from fakes.binance_tls import BinanceTls, make_test_ca

from bothost.config.bot import parse_bot
from bothost.config.raw import RawConfig
from bothost.deploy.secretfiles import BotSecrets, secret_files
from bothost.secret import Credentials, Secret
from bothost.watch.bot import BotBook, BotUnreadable, HummingbotApi
from roles.bot import hummingbot
from roles.bot.presets import bot_settings
from roles.bot.settings import BOT_UID

KEY, SECRET, PASSWORD = "K" * 64, "S" * 64, "keystore-password-1234"
BALANCES = {"USDT": "1000.00000000", "BTC": "0.01000000"}  # enough for a bid and an ask of 0.001 BTC


@pytest.fixture(scope="module")
def rootfs() -> Path:
    from bothost.rehearsal.hummingbot_image import HUMMINGBOT_RECIPE

    return built_rootfs(HUMMINGBOT_RECIPE, "Hummingbot")


def owned(path: Path, owner: tuple[int, int]) -> Path:
    """path and everything below it owned by the container user, as the deploy leaves it."""
    path.mkdir(parents=True, exist_ok=True)
    for item in (path, *path.rglob("*")):
        os.chown(item, *owner)
    return path


def preset(env: dict[str, str]):
    """The hummingbot preset as a user configures it (exchange binance)."""
    raw = RawConfig(
        {
            "bothost:bot": {"preset": "hummingbot", "env": env},
            "bothost:botSecrets": {"configPassword": "set"},
        }
    )
    return bot_settings(parse_bot(raw), exchange="binance")


def test_real_hummingbot_quotes_reports_its_clock_and_cancels_on_sigterm(rootfs: Path, tmp_path: Path):
    from bothost.rehearsal.hummingbot_image import HUMMINGBOT_RECIPE

    fake = BinanceSpot(KEY, SECRET, balances=BALANCES)
    ca, cert, key = make_test_ca(tmp_path / "ca")
    tls = BinanceTls(fake, cert, key)
    tls.start()
    files = write_hummingbot_files(tmp_path / "files", ca)
    settings = preset({"SCRIPT_CONFIG": SCRIPT_CONFIG, "SSL_CERT_FILE": f"{hummingbot.HOME}/{TEST_CA}"})
    # The preset's bot uid, which no host account has (not the image's hummingbot user, 1000).
    assert settings.user == f"{BOT_UID}:{BOT_UID}" and settings.memory_bytes == 4 * 1024**3
    owner = (BOT_UID, BOT_UID)
    data = tmp_path / "data"
    for directory in hummingbot.DATA_DIRS:  # the deploy makes each mount's source, owned by the bot
        owned(data / directory, owner)
    for directory in ("conf", "scripts"):
        subprocess.run(["cp", "-a", f"{files / directory}/.", str(data / directory)], check=True)
        owned(data / directory, owner)
    secrets_dir, scratch = owned(tmp_path / "secrets", owner), owned(tmp_path / "tmp", owner)
    bot_secrets = BotSecrets(
        Credentials(Secret(KEY), Secret(SECRET)), bot={"configPassword": Secret(PASSWORD)}
    )
    for name, value in secret_files(settings, bot_secrets).items():
        (secrets_dir / name).write_text(value.reveal())
        os.chown(secrets_dir / name, *owner)
        (secrets_dir / name).chmod(0o400)
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1 localhost\n" + hosts_line("127.0.0.1"))
    mounts = {f"{hummingbot.HOME}/{d}": data / d for d in hummingbot.DATA_DIRS}
    mounts |= {"/run/secrets": secrets_dir, "/tmp": scratch, "/etc/hosts": hosts}
    argv = [*settings.entrypoint, *settings.args]
    log_path = tmp_path / "hummingbot.log"
    log = log_path.open("w")
    bot = subprocess.Popen(
        chroot_argv(rootfs, HUMMINGBOT_RECIPE, mounts, argv, dict(settings.env), settings.user),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        assert fake.wait_for(lambda f: len(f.placed()) >= 2, 600), log_path.read_text()[-4000:]
        placed = fake.placed()
        assert sorted(o.side for o in placed) == ["BUY", "SELL"]
        assert all(o.symbol == "BTCUSDT" for o in placed) and len(fake.open_orders()) == 2
        assert fake.unhandled == [] and tls.ws_unhandled == [] and tls.user_streams == ["ok"]
        assert any(s.endswith("@depth@100ms") for s in tls.subscriptions)
        # The keystore was created from the password; the key sits encrypted in the connector config.
        connector = (data / "conf/connectors/binance.yml").read_text()
        assert (data / "conf/.password_verification").exists()
        assert KEY not in connector and SECRET not in connector and "binance_api_key" in connector
        # The watcher asks bothost's start script (its token, the preset's port) and finds both quotes, as the
        # exchange has them (Hummingbot records an order when it handles its creation event, just after the
        # exchange answers), and the pair from Hummingbot's own markets.
        quotes = {(str(o.order_id), "BTCUSDT") for o in placed}
        deadline = time.monotonic() + 30
        while not {(o.order_id, o.pair) for o in watcher_book().orders} >= quotes:
            assert time.monotonic() < deadline, watcher_book()
            time.sleep(1)
        assert watcher_book().pairs == {"BTCUSDT"}
        with pytest.raises(BotUnreadable, match="HTTP 401"):
            watcher_book(token=hummingbot.orders_token("not the password"))
        health = ["/bin/sh", "-c", settings.health_cmd]
        as_bot = {"env": dict(settings.env), "user": settings.user}
        time.sleep(hummingbot_start_heartbeat_every())
        assert run_in(rootfs, HUMMINGBOT_RECIPE, mounts, health, **as_bot).returncode == 0
        # A frozen trading loop (the process is still there, `kill -0` says alive) fails once stale.
        bot.send_signal(signal.SIGSTOP)
        time.sleep(12)
        quick = ["/bin/sh", "-c", hummingbot.health_cmd(stale_after=10)]
        assert run_in(rootfs, HUMMINGBOT_RECIPE, mounts, quick, **as_bot).returncode != 0
        bot.send_signal(signal.SIGCONT)
        time.sleep(8)
        assert run_in(rootfs, HUMMINGBOT_RECIPE, mounts, quick, **as_bot).returncode == 0
        started = time.monotonic()
        bot.send_signal(signal.SIGTERM)
        assert bot.wait(120) == 0, log_path.read_text()[-4000:]
        stop_seconds = time.monotonic() - started
    finally:
        if bot.poll() is None:
            bot.kill()
        tls.close()
        fake.close()
    assert sorted(c.order_id for c in fake.cancels()) == sorted(o.order_id for o in placed)
    assert fake.open_orders() == []
    # No secret in its output, nor in anything it wrote (its logs, status.json, trades db, configs).
    written = [log_path, *(p for p in data.rglob("*") if p.is_file())]
    assert any(p.name.startswith("logs_") for p in written) and (data / "data/bot/status.json").exists()
    for path in written:
        content = path.read_bytes()
        assert all(value.encode() not in content for value in (KEY, SECRET, PASSWORD)), path
    print(f"hummingbot stopped {stop_seconds:.1f} s after SIGTERM")


def watcher_book(token: str = hummingbot.orders_token(PASSWORD)) -> BotBook:
    """What the watcher reads from the real Hummingbot: GET /orders on the preset's port (watch/bot.py)."""
    return HummingbotApi(f"http://127.0.0.1:{hummingbot.ORDERS_PORT}", token, set(), timeout=10).book()


def hummingbot_start_heartbeat_every() -> float:
    """One heartbeat period and a little: the first beat comes that long after the strategy starts."""
    return 6.0
