"""The real Hummingbot on the rehearsal VM under the hummingbot preset, quoting on a fake Binance here.

From an empty data dir with its shipped files (bot.files): the image loaded through bot.imageArchive's path,
healthy, a bid and an ask open on the fake exchange (reached through Binance's own host names, bot.hosts, with
TLS from a test CA); the bot role's checks pass; the secrets are nowhere else on the host; the watcher's
orders endpoint answers on the host's loopback; a frozen trading loop turns the container unhealthy;
`bothost stop` makes Hummingbot cancel both quotes within the grace period (no SIGKILL).

Run by hand, not by CI (marker `by_hand`): under qemu's emulation loading the 482 MB image alone takes
about 20 minutes, which CI's 90 minutes cannot take beside the Freqtrade test (README, Tests).
"""

from __future__ import annotations

import json
import secrets
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot_container import (
    assert_bot_checks_pass,
    assert_secret_only_in,
    bot_log,
    container_state,
    first_deploy,
    wait_health,
)
from bots.hummingbot_files import SCRIPT_CONFIG, TEST_CA, write_hummingbot_files
from fakes.binance_spot import BinanceSpot
from fakes.binance_tls import HOSTNAMES, BinanceTls, make_test_ca

from bothost.config.bot import parse_bot
from bothost.config.raw import RawConfig
from bothost.deploy.botfiles import read_tree
from bothost.deploy.image import inspect_archive
from bothost.deploy.ops import remove, status, stop
from bothost.deploy.secretfiles import BotSecrets
from bothost.secret import Credentials, Secret
from roles.bot import hummingbot
from roles.bot.presets import bot_settings

pytestmark = [pytest.mark.vm, pytest.mark.by_hand]

KEY = "vmhb-key-" + secrets.token_hex(16)
SECRET = "vmhb-secret-" + secrets.token_urlsafe(24)
PASSWORD = "vmhb-password-" + secrets.token_urlsafe(16)
BALANCES = {"USDT": "1000.00000000", "BTC": "0.01000000"}  # enough for a bid and an ask of 0.001 BTC
GRACE = 90
TCG_START_PERIOD = 900  # Hummingbot's imports and markets take minutes under emulation
# GET /orders on the host's loopback with the token on stdin (never in argv), as the watcher asks.
ASK_ORDERS = (
    "import sys, urllib.request as u\n"
    "token = sys.stdin.read().strip()\n"
    "url = 'http://127.0.0.1:%s/orders' % sys.argv[1]\n"
    "r = u.Request(url, headers={'Authorization': 'Bearer ' + token})\n"
    "print(u.urlopen(r, timeout=20).read().decode())\n"
)


def log(text: str) -> None:
    """Progress on stderr (shown with -s)."""
    print(f"[hummingbot-vm] {text}", file=sys.stderr, flush=True)


def preset_settings(gateway: str):
    """The hummingbot preset as a user configures it (the local image, Binance's names to the fake)."""
    from bothost.rehearsal.hummingbot_image import HUMMINGBOT_TAG

    bot = {
        "preset": "hummingbot",
        "image": HUMMINGBOT_TAG,
        "stopGracePeriod": GRACE,
        "env": {"SCRIPT_CONFIG": SCRIPT_CONFIG, "SSL_CERT_FILE": f"{hummingbot.HOME}/{TEST_CA}"},
        "hosts": dict.fromkeys(HOSTNAMES, gateway),
    }
    raw = RawConfig({"bothost:bot": bot, "bothost:botSecrets": {"configPassword": "x"}})
    return replace(bot_settings(parse_bot(raw), exchange="binance"), health_start_period=TCG_START_PERIOD)


def test_real_hummingbot_quotes_and_cancels_on_stop(vm, tmp_path: Path) -> None:
    from bothost.rehearsal.bot_image import ensure_bot_image
    from bothost.rehearsal.hummingbot_image import HUMMINGBOT_RECIPE

    archive = inspect_archive(ensure_bot_image(HUMMINGBOT_RECIPE))
    fake = BinanceSpot(KEY, SECRET, balances=BALANCES)
    ca, cert, key = make_test_ca(tmp_path / "ca")
    tls = BinanceTls(fake, cert, key)  # this machine's 443 and 9443: the VM reaches them at its gateway
    tls.start()
    tree = read_tree(write_hummingbot_files(tmp_path / "files", ca))
    keys = Credentials(Secret(KEY), Secret(SECRET))
    bot_secrets = BotSecrets(keys, bot={"configPassword": Secret(PASSWORD)})
    settings = preset_settings(vm.host_gateway)
    try:
        with vm.remote() as remote:
            first_deploy(remote, settings, bot_secrets, archive, tree, log)
            assert status(remote, settings).health == "healthy"
            assert fake.wait_for(lambda f: len(f.placed()) >= 2, 600), bot_log(remote)
            placed = fake.placed()
            log(f"quotes on the fake: {placed}")
            assert sorted(o.side for o in placed) == ["BUY", "SELL"] and len(fake.open_orders()) == 2
            assert fake.unhandled == [] and tls.ws_unhandled == [] and tls.user_streams == ["ok"]

            assert_bot_checks_pass(remote, settings, log)
            for value, holder in ((SECRET, "exchange_api_secret"), (PASSWORD, "configPassword")):
                assert_secret_only_in(remote, value, f"{settings.secrets_dir}/{holder}", log)

            # The watcher's view: the start script's endpoint, published on the host's loopback only.
            token = hummingbot.orders_token(PASSWORD).encode()
            ask = ["python3", "-c", ASK_ORDERS, str(hummingbot.ORDERS_PORT)]
            answer = remote.check(ask, stdin=token, sudo=False)
            book = json.loads(answer.stdout)
            log(f"orders endpoint: {book}")
            assert {str(row[1]) for row in book["orders"]} >= {str(o.order_id) for o in placed}
            assert book["pairs"] == ["BTC-USDT"]

            # A frozen trading loop (the process is there, `kill -0` would pass): the container is unhealthy.
            remote.check(["docker", "kill", "--signal", "STOP", settings.container])
            window = hummingbot.STALE_AFTER + settings.health_interval * (settings.health_retries + 2) + 120
            assert wait_health(remote, "unhealthy", window) == "unhealthy"
            remote.check(["docker", "kill", "--signal", "CONT", settings.container])
            assert wait_health(remote, "healthy", 300) == "healthy"

            # `bothost stop`: docker's SIGTERM, as a redeploy's swap and teardown send; Hummingbot's own stop
            # cancels its quotes and exits 0 (137 would be a SIGKILL after the grace period).
            began = time.monotonic()
            assert stop(remote, settings, note=log)
            stop_seconds = time.monotonic() - began
            state = container_state(remote)
            log(f"bothost stop took {stop_seconds:.1f} s, exit code {state['ExitCode']}")
            assert {c.order_id for c in fake.cancels()} >= {o.order_id for o in placed}
            assert state["ExitCode"] == 0 and not state["OOMKilled"] and stop_seconds < GRACE
            assert fake.open_orders() == []
    finally:
        with vm.remote() as remote:
            remove(remote, settings)
            remote.run(["rm", "-rf", settings.data_dir])
        tls.close()
        fake.close()
