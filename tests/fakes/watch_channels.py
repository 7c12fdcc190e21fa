"""Fake Telegram Bot API and webhook endpoints on loopback that record what they are sent."""

from __future__ import annotations

import json

from fakes.loopback import JsonServer


class FakeChannel:
    """POST /bot<token>/sendMessage answers like Telegram (core.telegram.org/bots/api#making-requests); any
    other POST answers 204 like a Discord webhook (or `status` when set). Records (path, JSON body)."""

    def __init__(self, token: str = "", status: int | None = None) -> None:
        self.token, self.status = token, status
        self.received: list[tuple[str, dict]] = []
        self.http = JsonServer(self._answer)
        self.base = self.http.base

    def _answer(self, method: str, path: str, headers: dict, raw: bytes) -> tuple[int, object]:
        self.received.append((path, json.loads(raw or b"{}")))
        if self.status is not None:
            return self.status, {"ok": False, "error_code": self.status}
        if path == f"/bot{self.token}/sendMessage":
            return 200, {"ok": True, "result": {"message_id": len(self.received)}}
        if path.startswith("/bot"):
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        return 204, None

    def texts(self) -> list[str]:
        """The message texts received, in order."""
        return [body.get("text", "") for _, body in self.received]

    def close(self) -> None:
        """Stop listening."""
        self.http.close()
