"""Fake Telegram Bot API and webhook endpoints on loopback that record what they are sent."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeChannel:
    """POST /bot<token>/sendMessage answers like Telegram (core.telegram.org/bots/api#making-requests); any
    other POST answers 204 like a Discord webhook (or `status` when set). Records (path, JSON body)."""

    def __init__(self, token: str = "", status: int | None = None) -> None:
        self.token, self.status = token, status
        self.received: list[tuple[str, dict]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                fake.received.append((self.path, body))
                if fake.status is not None:
                    status, answer = fake.status, {"ok": False, "error_code": fake.status}
                elif self.path == f"/bot{fake.token}/sendMessage":
                    status, answer = 200, {"ok": True, "result": {"message_id": len(fake.received)}}
                elif self.path.startswith("/bot"):
                    status, answer = 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
                else:
                    status, answer = 204, None
                data = json.dumps(answer).encode() if answer is not None else b""
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def texts(self) -> list[str]:
        """The message texts received, in order."""
        return [body.get("text", "") for _, body in self.received]

    def close(self) -> None:
        """Stop listening."""
        self.server.shutdown()
        self.server.server_close()
