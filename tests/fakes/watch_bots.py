"""A fake Freqtrade REST API on loopback (freqtrade/rpc/api_server/api_v1.py routes the watcher uses)."""

from __future__ import annotations

import base64

from fakes.loopback import JsonServer


class FakeFreqtrade:
    """GET /api/v1/trades, /status, /whitelist and POST /api/v1/stop, behind HTTP basic auth."""

    def __init__(self, username: str, password: str, pairs: list[str]) -> None:
        self.auth = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
        self.pairs = pairs
        self.closed: list[dict] = []  # trades as /api/v1/trades lists them
        self.open: list[dict] = []  # trades as /api/v1/status lists them
        self.state = "running"
        self.http = JsonServer(self._answer)
        self.base = self.http.base

    def _answer(self, method: str, path: str, headers: dict, raw: bytes) -> tuple[int, object]:
        route = (method, path.split("?")[0])
        if headers.get("Authorization") != self.auth:
            return 401, {"detail": "Unauthorized"}
        if route == ("GET", "/api/v1/trades"):
            total = len(self.closed)
            return 200, {"trades": self.closed, "trades_count": total, "offset": 0, "total_trades": total}
        if route == ("GET", "/api/v1/status"):
            return 200, self.open
        if route == ("GET", "/api/v1/whitelist"):
            return 200, {"whitelist": self.pairs, "length": len(self.pairs), "method": ["StaticPairList"]}
        if route == ("POST", "/api/v1/stop"):
            self.state = "stopped"
            return 200, {"status": "stopping trader ..."}
        return 404, {"detail": "Not Found"}

    def trade(self, pair: str, order_id: str, filled_ms: int) -> None:
        """A closed trade with one filled order (Order.to_json() fields the watcher reads)."""
        order = {
            "pair": pair,
            "order_id": order_id,
            "status": "closed",
            "ft_order_side": "buy",
            "order_filled_timestamp": filled_ms,
            "amount": 0.01,
            "filled": 0.01,
        }
        self.closed.append(
            {"trade_id": len(self.closed) + 1, "pair": pair, "is_open": False, "orders": [order]}
        )

    def close(self) -> None:
        """Stop listening."""
        self.http.close()
