"""The watcher's entry point on the host: config and secrets from systemd's credentials, a loop of ticks, its
little state in its private state directory, one JSON line per event on stdout (the journal)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from ..keyaudit.probe.signing import Creds
from ..keyaudit.probe.wire import now_ms
from . import hostalarms
from .alarms import Alarm
from .bot import BotBook, FreqtradeApi, HummingbotApi
from .channels import Notifier, Telegram, Webhook
from .cycle import OVERLAP_MS, ExchangeWatch
from .fills import pair_key
from .watcher import Watcher

# A first start (no journal cursor yet) reads back this far: the login that installed the watcher, and any
# while its Python was starting (a minute under emulation, seen on the rehearsal VM), are reported too.
FIRST_LOOKBACK_S = 600


def load(directory: str) -> tuple[dict, dict]:
    """config.json (settings) and secrets.json (tokens, keys) from systemd's credentials directory."""
    with (
        open(os.path.join(directory, "config"), encoding="utf-8") as config,
        open(os.path.join(directory, "secrets"), encoding="utf-8") as secrets,
    ):
        return json.load(config), json.load(secrets)


def channels(config: dict, secrets: dict) -> list[object]:
    """The configured channels, each with its token."""
    found: list[object] = []
    if "telegram" in config["channels"]:
        found.append(Telegram(secrets["telegramToken"], config["telegram_chat_id"], config["telegram_api"]))
    if "webhook" in config["channels"]:
        found.append(Webhook(secrets["webhookUrl"]))
    return found


def book_reader(config: dict, secrets: dict):
    """How to read the bot's orders: Freqtrade's REST API, Hummingbot's through bothost's start script, else
    only the configured pairs (no orders)."""
    bot = config.get("bot") or {}
    pairs = {pair_key(pair) for pair in config.get("pairs", [])}
    if bot.get("kind") == "hummingbot" and secrets.get("botOrdersToken"):
        return HummingbotApi(bot["api_url"], secrets["botOrdersToken"], pairs).book
    if bot.get("api_url") and secrets.get("apiPassword"):
        api = FreqtradeApi(bot["api_url"], bot["api_user"], secrets["apiPassword"])
        return api.book
    return lambda: BotBook([], pairs)


class HostWatch:
    """SSH logins, disk and memory, and the root timer's status: the host's own alarms."""

    def __init__(self, config: dict, state: dict) -> None:
        self.config, self.state = config, state

    def tick(self, now_s: int) -> list[Alarm]:
        """One round of host alarms; updates the state (journal cursor, last status)."""
        since = self.state.setdefault("since_s", now_s - FIRST_LOOKBACK_S)
        text = hostalarms.read_journal(self.state.get("cursor"), since)
        alarms, cursor = hostalarms.ssh_logins(text)
        if cursor:
            self.state["cursor"] = cursor
        disk, memory = hostalarms.read_usage(tuple(self.config["disk_paths"]))
        alarms += hostalarms.usage_alarms(
            disk, memory, self.config["disk_percent"], self.config["memory_percent"]
        )
        status = hostalarms.read_status(self.config["status_path"])
        if status is not None:
            alarms += hostalarms.status_alarms(
                status, self.state.get("status"), now_s, 3 * 60 + 2 * self.poll
            )
            self.state["status"] = status
        report = hostalarms.read_status(self.config.get("verify_path", ""))
        if report is not None:  # none before the first run after a boot: the timer's own start is wat-02's
            alarms += hostalarms.drift_alarms(report, now_s, int(self.config["verify_stale_s"]))
        return alarms

    @property
    def poll(self) -> int:
        """Seconds between ticks."""
        return int(self.config["poll_seconds"])


def request_stop(config: dict):
    """The stop policy's action: a request file the root timer turns into a graceful `docker stop`."""

    def stop(reason: str) -> None:
        with open(config["stop_request"], "w", encoding="utf-8") as request:
            request.write(reason[:200] + "\n")
        emit({"event": "stop-requested"})

    return stop


def notifier_for(sinks: list[object], secrets: dict) -> Notifier:
    """A notifier over `sinks` that redacts every secret value from what it sends."""
    return Notifier(sinks, now_ms, secrets=[str(v) for v in secrets.values()])


def build(config: dict, secrets: dict, state: dict) -> tuple[Watcher, HostWatch]:
    """The watcher for the exchange (if any) and the host."""
    notifier = notifier_for([*channels(config, secrets), Journal()], secrets)
    exchanges = []
    if config.get("exchange"):
        exchange = config["exchange"]
        creds = Creds(
            secrets["exchangeApiKey"], secrets["exchangeApiSecret"], secrets.get("exchangePassphrase", "")
        )
        exchanges.append(
            ExchangeWatch(
                exchange["name"],
                creds,
                exchange["api_base"],
                since_ms=state.get("since_ms") or now_ms() - OVERLAP_MS,
                bot_pairs=list(config.get("pairs", [])),
            )
        )
    watcher = Watcher(
        exchanges,
        book_reader(config, secrets),
        notifier,
        policy=config["policy"],
        stop=request_stop(config),
        heartbeat=config["heartbeat"],
    )
    return watcher, HostWatch(config, state)


def emit(event: dict) -> None:
    """One event as a JSON line on stdout (the journal keeps it for `bothost report`)."""
    print(json.dumps(event, sort_keys=True), flush=True)


class Journal:
    """A channel to the journal: every message the notifier lets out (scrubbed, de-duplicated) is kept."""

    name = "journal"

    def secrets(self) -> list[str]:
        """It holds none."""
        return []

    def send(self, text: str, timeout: float = 0.0) -> None:
        """One JSON line on stdout."""
        emit({"event": "alarm", "text": text})


def tick(watcher: Watcher, host: HostWatch, state: dict) -> None:
    """One round: the exchange (inside the Watcher), then the host's alarms; channel failures logged, and
    each new fill once, as the bot's or unexplained (for `bothost report`)."""
    before = len(watcher.notifier.errors)
    alarms = watcher.tick()
    host_alarms = host.tick(int(time.time()))
    if host_alarms:
        watcher.last_alarm_ms = now_ms()
    watcher.notifier.notify(host_alarms)
    for error in watcher.notifier.errors[before:]:
        emit({"event": "channel-error", "text": error})
    keys = {alarm.key for alarm in alarms}
    logged = state.setdefault("fills_logged", [])
    for watch in watcher.exchanges:
        for fill in watch.last_fills:
            if fill.trade_id not in logged:
                unexplained = f"fill:{watch.exchange}:{fill.trade_id}" in keys
                emit({"event": "fill", "exchange": watch.exchange, "pair": fill.pair, "bot": not unexplained})
                logged.append(fill.trade_id)
    del logged[:-1000]  # enough to span the re-read overlap many times over
    state["since_ms"] = watcher.exchanges[0].since_ms if watcher.exchanges else None
    state["seen"] = watcher.notifier.seen
    emit({"event": "tick", "alarms": len(alarms) + len(host_alarms)})


def test_results(config: dict, secrets: dict) -> list[dict]:
    """`bothost alert test`: one message on every channel; per channel, whether it went out (or why not)."""
    results = []
    for channel in channels(config, secrets):
        notifier = notifier_for([channel], secrets)
        notifier.notify([Alarm("test", "test", "test message from `bothost alert test`: this channel works")])
        error = {"error": notifier.errors[0]} if notifier.errors else {}
        results.append({"event": "test", "channel": channel.name, "ok": not error, **error})
    return results


def load_state(path: str) -> dict:
    """The state of the last run, or a fresh one."""
    try:
        with open(path, encoding="utf-8") as handle:
            state = json.load(handle)
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def save_state(path: str, state: dict) -> None:
    """Write the state atomically (0600 by the service's umask)."""
    with open(path + ".new", "w", encoding="utf-8") as handle:
        json.dump(state, handle)
    os.replace(path + ".new", path)


def main(argv: list[str] | None = None) -> int:
    """Run the watcher (or, with --test, send one test message per channel; --once: a single tick)."""
    parser = argparse.ArgumentParser(prog="bothost-watch")
    parser.add_argument("--test", action="store_true")
    parser.add_argument("--once", action="store_true")
    args = parser.parse_args(argv)
    config, secrets = load(os.environ["CREDENTIALS_DIRECTORY"])
    if args.test:
        results = test_results(config, secrets)
        for result in results:
            emit(result)
        return 0 if all(r["ok"] for r in results) else 1
    state_path = os.path.join(os.environ.get("STATE_DIRECTORY", "."), "state.json")
    state = load_state(state_path)
    watcher, host = build(config, secrets, state)
    watcher.notifier.seen.update(state.get("seen", {}))  # no repeat of an alarm sent before a restart
    emit({"event": "start", "channels": config["channels"], "policy": config["policy"]})
    while True:
        tick(watcher, host, state)
        save_state(state_path, state)
        if args.once:
            return 0
        time.sleep(host.poll)


if __name__ == "__main__":
    sys.exit(main())
