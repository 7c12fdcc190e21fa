"""The real Freqtrade on the rehearsal VM under the freqtrade preset, trading on a fake Binance here.

From an empty data dir with its shipped files (bot.files): healthy, an open order on the fake exchange; the
bot role's checks pass; the secrets are nowhere else on the host; the watcher reads the bot's book from its
real API and alarms only on a balance no bot order explains; a stopped trading loop turns the container
unhealthy; `bothost stop` makes it cancel its open order within the grace period (no SIGKILL).
"""

from __future__ import annotations

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
from bots.freqtrade_files import write_freqtrade_files
from fakes.binance_spot import BinanceSpot
from fakes.exchanges import HOST_IP
from suite_clock import minutes_so_far

from bothost.config.bot import parse_bot
from bothost.config.raw import RawConfig
from bothost.deploy.botfiles import read_tree
from bothost.deploy.image import inspect_archive
from bothost.deploy.ops import remove, status, stop
from bothost.deploy.secretfiles import BotSecrets
from bothost.secret import Credentials, Secret
from roles.bot import freqtrade
from roles.bot.presets import bot_settings

pytestmark = pytest.mark.vm

KEY = "vmft-key-" + secrets.token_hex(16)
SECRET = "vmft-secret-" + secrets.token_urlsafe(24)
API_PASSWORD = "vmft-api-" + secrets.token_urlsafe(16)
GRACE = 60  # seconds; freqtrade's own stop (cancel, cleanup, exit) measured at ~6 s here, more under TCG
# Under qemu's software emulation Freqtrade's start takes minutes (seconds on a real vCPU): the preset's 300 s
# start period ran out before its first trading-loop pass (seen 2026-11-29, with the stale .pyc below).
TCG_START_PERIOD = 600
# CI's whole run has 90 minutes. This test costs ~22 of them under emulation (image load ~10 since auditd
# leaves dockerd's own writes out, Freqtrade's start ~4) and the VM tests after it ~30; with warm image caches
# it starts ~25 minutes into the run. When the run got here later (cold caches: the Freqtrade, Hummingbot and
# VM images are built first, up to ~20 minutes more), it is skipped with that reason rather than pushing the
# run past its limit.
LATEST_START_MINUTES = 30


def log(text: str) -> None:
    """Progress on stderr (shown with -s)."""
    print(f"[freqtrade-vm] {text}", file=sys.stderr, flush=True)


@pytest.fixture(scope="module")
def archive():
    """The Freqtrade image (built once on this machine, cached by its recipe hash), if the run has time."""
    if minutes_so_far() > LATEST_START_MINUTES:
        pytest.skip(f"CI time: the run is {minutes_so_far():.0f} min in, past this ~23 min test's latest "
                    f"start ({LATEST_START_MINUTES} min; cold image caches?)")
    from bothost.rehearsal.bot_image import ensure_bot_image
    from bothost.rehearsal.freqtrade_image import FREQTRADE_RECIPE

    return inspect_archive(ensure_bot_image(FREQTRADE_RECIPE))


def preset_settings():
    """The freqtrade preset as a user configures it, with the locally built image; a start period for TCG."""
    from bothost.rehearsal.freqtrade_image import FREQTRADE_TAG

    bot = {"preset": "freqtrade", "image": FREQTRADE_TAG, "stopGracePeriod": GRACE}
    settings = bot_settings(
        parse_bot(RawConfig({"bothost:bot": bot, "bothost:botSecrets": {"apiPassword": "x"}})),
        exchange="binance",
    )
    return replace(settings, health_start_period=TCG_START_PERIOD)


def trading_loop(remote, action: str) -> None:
    """POST /api/v1/stop or /start inside the container (freqtrade's own API; the API stays up)."""
    script = (
        "import base64, json, urllib.request as u\n"
        f'api = json.load(open("{freqtrade.PRIVATE_CONFIG}"))["api_server"]\n'
        'auth = base64.b64encode((api["username"] + ":" + api["password"]).encode()).decode()\n'
        f'url = "http://127.0.0.1:%d/api/v1/{action}" % api["listen_port"]\n'
        'u.urlopen(u.Request(url, method="POST", headers={"Authorization": "Basic " + auth}), timeout=10)\n'
    )
    remote.check(["docker", "exec", "bothost-bot", "python3", "-c", script])


def watch_real_freqtrade(vm, remote, fake: BinanceSpot, base: str) -> None:
    """The watcher reads the real Freqtrade's API (its open trade, orders and whitelist) and the fake
    Binance's balances: quiet while the bot trades, quiet when BTC moves (the bot's open BTC/USDT order
    explains it: only a book read from the real API's bodies knows that), an alarm when SYS moves (no bot
    order can)."""
    import yaml
    from fakes.watch_channels import FakeChannel
    from watch_world import POLL, ROOT, booted_watch_settings, poll, remove_watcher, verify_report

    from bothost.config import parse_spec
    from bothost.deploy.watch import converge_watch, watch_secrets

    hook = FakeChannel()
    hook_port = hook.base.rsplit(":", 1)[1]
    config = yaml.safe_load((ROOT / "Pulumi.example.yaml").read_text())["config"]
    config.update({
        "bothost:bot": {"preset": "freqtrade", "image": "x", "stopGracePeriod": GRACE},
        "bothost:botSecrets": {"apiPassword": API_PASSWORD},
        "bothost:exchange": "binance", "bothost:exchangeApiBase": base, "bothost:allowLocalApiBase": True,
        "bothost:exchangeApiKey": KEY, "bothost:exchangeApiSecret": SECRET,
        "bothost:watch": {"channels": ["webhook"], "pollSeconds": POLL, "heartbeat": False},
        "bothost:watchSecrets": {"webhookUrl": f"http://{vm.host_gateway}:{hook_port}/hook"},
    })
    spec = parse_spec(config, stack="vm")
    settings = booted_watch_settings(vm, spec)
    try:
        converge_watch(remote, settings, watch_secrets(spec, lambda value, _key: value), note=log)
        time.sleep(4 * POLL)  # the first poll's balances are the baseline; three more see the bot trading
        assert not trade_alarms(hook), hook.texts()
        with fake._lock:
            # as if the bot's open order filled a little
            fake.balances["BTC"] = f"{float(fake.balances['BTC']) + 0.001:.8f}"
        time.sleep(3 * POLL)
        assert not trade_alarms(hook), hook.texts()
        with fake._lock:
            fake.balances["SYS"] = "50000.00000000"  # the 3Commas pattern: a thin coin the bot never trades
        deadline = time.monotonic() + 4 * POLL + 60
        while not [t for t in hook.texts() if "SYS balance" in t] and time.monotonic() < deadline:
            time.sleep(2)
        alarms = [t for t in hook.texts() if "binance:" in t]
        log(f"watcher messages: {hook.texts()}")
        assert alarms and all("SYS balance" in t and "does not trade" in t for t in alarms), hook.texts()
        deadline = time.monotonic() + 300
        report = poll(lambda: verify_report(remote, settings.verify_report_path), bool, deadline)
        log(f"drift check beside the real bot: {report}")
        assert report, "the drift check wrote no report"
        assert report["failed"] == [] and report["checked"] >= 60, report
        assert not [t for t in hook.texts() if "control " in t], hook.texts()
    finally:
        remove_watcher(remote, settings)
        hook.close()


def trade_alarms(hook) -> list[str]:
    """The webhook's messages about trades or the bot's book (not logins, not the host)."""
    return [t for t in hook.texts() if "binance:" in t or "cannot read the bot" in t]


def test_real_freqtrade_trades_and_cancels_on_stop(vm, archive, tmp_path: Path) -> None:
    fake = BinanceSpot(KEY, SECRET)
    base = f"http://{vm.host_gateway}:{fake.port(fake.door(HOST_IP))}"
    tree = read_tree(write_freqtrade_files(tmp_path / "files", base))
    bot_secrets = BotSecrets(
        Credentials(Secret(KEY), Secret(SECRET)), bot={"apiPassword": Secret(API_PASSWORD)}
    )
    settings = preset_settings()
    try:
        with vm.remote() as remote:
            first_deploy(remote, settings, bot_secrets, archive, tree, log)
            assert status(remote, settings).health == "healthy"
            assert fake.wait_for(lambda f: f.placed(), 300), bot_log(remote)
            order = fake.placed()[0]
            log(f"order placed on the fake: {order}")
            assert fake.open_orders() and fake.unhandled == []

            assert_bot_checks_pass(remote, settings, log)

            logs = remote.run(["docker", "logs", "bothost-bot"])
            assert "Could not chown" not in logs.stdout + logs.stderr
            for value in (SECRET, API_PASSWORD):
                assert_secret_only_in(remote, value, f"{settings.secrets_dir}/config-private.json", log)

            watch_real_freqtrade(vm, remote, fake, base)

            # A stopped trading loop (its API thread still answers /ping) turns the container unhealthy;
            # stopping it cancels the open order (the preset's cancel_open_orders_on_exit); /start trades.
            trading_loop(remote, "stop")
            window = freqtrade.STALE_AFTER + settings.health_interval * (settings.health_retries + 2) + 60
            assert wait_health(remote, "unhealthy", window) == "unhealthy"
            assert order.order_id in [c.order_id for c in fake.cancels()]
            trading_loop(remote, "start")
            assert fake.wait_for(lambda f: len(f.placed()) >= 2 and f.open_orders(), 300), bot_log(remote)
            assert wait_health(remote, "healthy", 300) == "healthy"
            order2 = fake.placed()[-1]

            # `bothost stop`: docker's SIGTERM, the signal a redeploy's swap and teardown send too (exit
            # 130 is freqtrade's SIGTERM exit; 137 would be a SIGKILL after the grace period).
            began = time.monotonic()
            assert stop(remote, settings, note=log)
            stop_seconds = time.monotonic() - began
            state = container_state(remote)
            log(f"bothost stop took {stop_seconds:.1f} s, exit code {state['ExitCode']}")
            assert order2.order_id in [c.order_id for c in fake.cancels()]
            assert state["ExitCode"] in (0, 130) and not state["OOMKilled"]
            assert stop_seconds < GRACE
            assert fake.open_orders() == []
    finally:
        with vm.remote() as remote:
            remove(remote, preset_settings())
            remote.run(["rm", "-rf", preset_settings().data_dir])
        fake.close()
