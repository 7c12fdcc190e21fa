"""A fake Freqtrade REST API on loopback (freqtrade/rpc/api_server/api_v1.py routes the watcher uses)."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeFreqtrade:
    """GET /api/v1/trades, /status, /whitelist and POST /api/v1/stop, behind HTTP basic auth."""

    def __init__(self, username: str, password: str, pairs: list[str]) -> None:
        self.auth = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
        self.pairs = pairs
        self.closed: list[dict] = []  # trades as /api/v1/trades lists them
        self.open: list[dict] = []  # trades as /api/v1/status lists them
        self.state = "running"
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                path = self.path.split("?")[0]
                if self.headers.get("Authorization") != fake.auth:
                    status, body = 401, {"detail": "Unauthorized"}
                elif self.command == "GET" and path == "/api/v1/trades":
                    status, body = (
                        200,
                        {
                            "trades": fake.closed,
                            "trades_count": len(fake.closed),
                            "offset": 0,
                            "total_trades": len(fake.closed),
                        },
                    )
                elif self.command == "GET" and path == "/api/v1/status":
                    status, body = 200, fake.open
                elif self.command == "GET" and path == "/api/v1/whitelist":
                    status, body = (
                        200,
                        {"whitelist": fake.pairs, "length": len(fake.pairs), "method": ["StaticPairList"]},
                    )
                elif self.command == "POST" and path == "/api/v1/stop":
                    fake.state = "stopped"
                    status, body = 200, {"status": "stopping trader ..."}
                else:
                    status, body = 404, {"detail": "Not Found"}
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

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
        self.server.shutdown()
        self.server.server_close()
