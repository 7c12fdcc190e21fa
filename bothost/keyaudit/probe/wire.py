"""A minimal HTTP client for the probe: JSON replies, timings, and network failures as one exception."""

from __future__ import annotations

import json
import ssl
import time
import urllib.error
import urllib.request


class Unreachable(Exception):
    """The exchange could not be reached (DNS, TCP, TLS or timeout)."""


class Reply:
    """One HTTP answer: status, parsed JSON (or None) and a short text excerpt."""

    def __init__(self, status: int, data: object, text: str) -> None:
        self.status = status
        self.data = data
        self.text = text[:300]


def call(
    base: str,
    method: str,
    path: str,
    *,
    headers: dict | None = None,
    body: bytes | None = None,
    timeout: float = 10.0,
) -> Reply:
    """Send one request to base+path (path includes any query string) and return the reply."""
    request = urllib.request.Request(
        base.rstrip("/") + path,
        data=body,
        method=method,
        headers={"User-Agent": "bothost-keyaudit", **(headers or {})},
    )
    try:
        context = ssl.create_default_context() if base.startswith("https:") else None
        with urllib.request.urlopen(request, timeout=timeout, context=context) as answer:
            return _reply(answer.status, answer.read())
    except urllib.error.HTTPError as error:
        return _reply(error.code, error.read())
    except (urllib.error.URLError, TimeoutError, ConnectionError, ssl.SSLError) as error:
        reason = getattr(error, "reason", error)
        raise Unreachable(f"{type(reason).__name__}: {reason}") from None


def _reply(status: int, raw: bytes) -> Reply:
    text = raw.decode("utf-8", errors="replace")
    try:
        data = json.loads(text) if text.strip() else None
    except ValueError:
        data = None
    return Reply(status, data, text)


def now_ms() -> int:
    """This machine's wall clock in milliseconds since the epoch."""
    return int(time.time() * 1000)
