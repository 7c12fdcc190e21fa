"""Local fake exchanges (http.server on 127.0.0.1) that check signatures, clocks and IP whitelists.

A fake listens on one port per "door"; each door stands for a public IP the exchange would see (the host's
static IP, this machine's IP), because on one machine every connection comes from 127.0.0.1. The rules of
each exchange (signature, receive window, error codes, answers) live in exchange_rules.py.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOST_IP = "203.0.113.10"  # the host's static IP, as the fake exchange sees the host
HERE_IP = "198.51.100.20"  # the machine running bothost, as the fake sees it


@dataclass
class KeyState:
    """What the exchange knows about the key: permissions and whitelist (None: no IP restriction)."""

    withdraw: bool = False
    trade: bool = True
    ip_list: list[str] | None = field(default_factory=lambda: [HOST_IP])
    enforce_ip: bool = True  # refuse callers outside ip_list, as real exchanges do
    permissions: list[str] | None = None  # in the exchange's own names; None: derived from withdraw/trade
    master: bool = False  # a key of the main (master) account rather than of a sub-account
    settings: dict = field(default_factory=dict)  # more key-info fields (OKX acctLv, Gate pairs)


@dataclass
class Request:
    """One request as the fake received it."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    caller_ip: str
    host: str


class FakeExchange:
    """One fake exchange with one key; start doors with door(ip), stop with close()."""

    def __init__(
        self,
        exchange: str,
        key: str,
        secret: str,
        passphrase: str = "",
        *,
        state: KeyState | None = None,
        clock_offset_ms: int = 0,
        bind: str = "127.0.0.1",
    ) -> None:
        self.exchange, self.key, self.secret, self.passphrase = exchange, key, secret, passphrase
        self.state = state or KeyState()
        self.clock_offset_ms = clock_offset_ms
        self.bind = bind
        self.requests: list[Request] = []
        self.last_nonce = 0
        self.hold: threading.Event | None = None  # when set, signed requests wait for it (max 20 s)
        self._servers: list[ThreadingHTTPServer] = []

    def now_ms(self) -> int:
        """The fake exchange's clock (ours plus the configured offset)."""
        return int(time.time() * 1000) + self.clock_offset_ms

    def ip_ok(self, caller_ip: str) -> bool:
        """Whether the whitelist admits the caller."""
        return self.state.ip_list is None or not self.state.enforce_ip or caller_ip in self.state.ip_list

    def respond(self, request: Request) -> tuple[int, object]:
        """The status and JSON body for one request (the exchange's rules; subclasses add endpoints)."""
        from fakes.exchange_rules import RULES

        return RULES[self.exchange](self, request)

    def door(self, caller_ip: str, port: int = 0) -> str:
        """Listen on a new port whose callers count as coming from caller_ip; returns its base URL."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                parts = urlsplit(self.path)
                request = read_request(self, caller_ip)
                fake.requests.append(request)
                if fake.hold is not None and not parts.path.lower().endswith(("time", "timestamp")):
                    fake.hold.wait(20)
                send_json(self, *fake.respond(request))

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer((self.bind, port), Handler)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self._servers.append(server)
        return f"http://{self.bind}:{server.server_address[1]}"

    def port(self, base: str) -> int:
        """The port of a door's base URL."""
        return int(base.rsplit(":", 1)[1])

    def close(self) -> None:
        """Stop every door."""
        for server in self._servers:
            server.shutdown()
            server.server_close()


def read_request(handler: BaseHTTPRequestHandler, caller_ip: str) -> Request:
    """The request a handler is serving, its body read, as coming from caller_ip."""
    parts = urlsplit(handler.path)
    length = int(handler.headers.get("Content-Length") or 0)
    return Request(
        handler.command,
        parts.path,
        parts.query,
        dict(handler.headers.items()),
        handler.rfile.read(length),
        caller_ip,
        handler.headers.get("Host", ""),
    )


def send_json(handler: BaseHTTPRequestHandler, status: int, body: object) -> None:
    """Answer with a JSON body."""
    data = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)
