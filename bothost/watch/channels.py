"""Where alarms go: Telegram (Bot API sendMessage) and a generic JSON webhook, rate-limited, de-duplicated,
and scrubbed of every secret the watcher holds."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

from ..keyaudit.probe.main import scrub
from ..keyaudit.probe.wire import Unreachable, call
from .alarms import Alarm

MAX_CHARS = 4000  # Telegram refuses texts over 4096 characters (core.telegram.org/bots/api#sendmessage)


class ChannelError(Exception):
    """A channel refused or could not be reached (the message names the channel, never its token)."""


class Telegram:
    """POST {api}/bot<token>/sendMessage {"chat_id", "text"} (core.telegram.org/bots/api#sendmessage)."""

    name = "telegram"

    def __init__(self, token: str, chat_id: str, api: str = "https://api.telegram.org") -> None:
        self._token, self.chat_id, self.api = token, chat_id, api

    def secrets(self) -> list[str]:
        """What must never appear in a message or an error."""
        return [self._token]

    def send(self, text: str, timeout: float = 10.0) -> None:
        """Send one message; ChannelError if Telegram does not answer {"ok": true}."""
        body = json.dumps({"chat_id": self.chat_id, "text": text, "disable_web_page_preview": True}).encode()
        _post(self.name, self.api, f"/bot{self._token}/sendMessage", body, timeout, telegram=True)


class Webhook:
    """POST {"text", "content"} JSON to a URL: Slack incoming webhooks read "text", Discord's "content"."""

    name = "webhook"

    def __init__(self, url: str) -> None:
        self._url = url

    def secrets(self) -> list[str]:
        """The webhook URL is itself the credential (its path holds the token)."""
        return [self._url]

    def send(self, text: str, timeout: float = 10.0) -> None:
        """Send one message; ChannelError on any non-2xx answer."""
        body = json.dumps({"text": text, "content": text}).encode()
        _post(self.name, self._url, "", body, timeout)


def _post(name: str, base: str, path: str, body: bytes, timeout: float, telegram: bool = False) -> None:
    try:
        reply = call(
            base, "POST", path, headers={"Content-Type": "application/json"}, body=body, timeout=timeout
        )
    except Unreachable as error:
        raise ChannelError(f"{name}: unreachable ({str(error).split(':')[0]})") from None
    ok = 200 <= reply.status < 300 and (not telegram or (reply.data or {}).get("ok") is True)
    if not ok:
        raise ChannelError(f"{name}: refused (HTTP {reply.status})")


class Notifier:
    """Sends alarms to every channel: one message per alarm key within `dedup_ms`, at most `burst` messages
    per `window_ms`. Alarms over the rate wait (trade alarms first) and go out in later calls; waiting alarms
    that say the same thing are one message with a count (a run of the owner's own SSH logins must not hold a
    failed control back for minutes); none is dropped unless more than `max_waiting` wait, and then the next
    message says how many were."""

    def __init__(
        self,
        channels: Iterable[object],
        clock: Callable[[], int],
        *,
        secrets: Iterable[str] = (),
        dedup_ms: int = 3_600_000,
        burst: int = 5,
        window_ms: int = 60_000,
        max_waiting: int = 100,
    ) -> None:
        self.channels = list(channels)
        self.clock = clock
        self.dedup_ms, self.burst, self.window_ms = dedup_ms, burst, window_ms
        self.max_waiting = max_waiting
        self._secrets = sorted(
            {s for s in secrets if s} | {s for c in self.channels for s in c.secrets()}, key=len, reverse=True
        )
        self.seen: dict[str, int] = {}  # alarm key -> when it was sent (the watcher keeps it across restarts)
        self.waiting: list[Alarm] = []  # over the rate: sent by later calls, trade alarms first
        self.repeats: dict[str, list[str]] = {}  # waiting key -> keys of the same alarm merged into it
        self._sent: list[int] = []
        self.dropped = 0
        self.errors: list[str] = []

    def notify(self, alarms: Iterable[Alarm]) -> list[str]:
        """Queue alarms not sent before, then send as many waiting ones as the rate allows; returns them."""
        now = self.clock()
        self.seen = {key: at for key, at in self.seen.items() if now - at <= self.dedup_ms}
        queued = {alarm.key for alarm in self.waiting} | {k for keys in self.repeats.values() for k in keys}
        same = {(alarm.kind, alarm.text): alarm.key for alarm in self.waiting}
        for alarm in alarms:
            if alarm.key in self.seen or alarm.key in queued:
                continue
            queued.add(alarm.key)
            if (alarm.kind, alarm.text) in same:
                self.repeats.setdefault(same[alarm.kind, alarm.text], []).append(alarm.key)
            else:
                self.waiting.append(alarm)
                same[alarm.kind, alarm.text] = alarm.key
        self.waiting.sort(key=lambda alarm: not alarm.trade)  # stable: trade alarms first, else in order
        self._sent = [t for t in self._sent if now - t < self.window_ms]
        keep = self.max_waiting + max(0, self.burst - len(self._sent))  # what waits after this call's sends
        for alarm in self.waiting[keep:]:
            self.dropped += 1 + len(self.repeats.pop(alarm.key, []))
        del self.waiting[keep:]
        sent = []
        while self.waiting and len(self._sent) < self.burst:
            alarm = self.waiting.pop(0)
            keys = [alarm.key, *self.repeats.pop(alarm.key, [])]
            self.seen.update(dict.fromkeys(keys, now))
            self._sent.append(now)
            last = not self.waiting or len(self._sent) == self.burst
            times = f" ({len(keys)} times)" if len(keys) > 1 else ""
            text = self._text(alarm.text + times, note_waiting=last)
            self._deliver(text)
            sent.append(text)
        return sent

    def _text(self, text: str, note_waiting: bool = False) -> str:
        line = "bothost watch: " + text
        if note_waiting and self.waiting:
            line += f" (+{len(self.waiting)} more alarms waiting for the rate limit)"
        if self.dropped:
            line += f" ({self.dropped} alarms dropped: too many waiting)"
            self.dropped = 0
        return str(scrub(line, self._secrets))[:MAX_CHARS]

    def _deliver(self, text: str) -> None:
        for channel in self.channels:
            try:
                channel.send(text)
            except ChannelError as error:
                self.errors.append(str(scrub(str(error), self._secrets)))
