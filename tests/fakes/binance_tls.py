"""The fake Binance spot exchange behind Binance's own host names: HTTPS, the market stream and the WS API.

Hummingbot's Binance connector has its URLs as constants (https://api.binance.com/api/,
wss://stream.binance.com:9443/ws, wss://ws-api.binance.com:443/ws-api/v3) and no setting to change them.
So the proofs point those names at this machine (a hosts entry in the bot's container) and serve them
with a certificate from a throwaway test CA that only the test run trusts (SSL_CERT_FILE). Port 443
serves REST and the WS API (as Binance's two hosts would); port 9443 the market streams.

REST goes to the BinanceSpot fake unchanged. The streams follow Binance's docs:
- market streams: https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams
  (SUBSCRIBE answered {"result": null, "id": N}; diff. depth events `depthUpdate`);
- user data via the WS API: https://developers.binance.com/docs/binance-spot-api-docs/websocket-api/
  user-data-stream-requests (`userDataStream.subscribe.signature`, HMAC-SHA256 over the sorted params;
  events wrapped as {"subscriptionId": N, "event": {...}}; `executionReport` per order change:
  https://developers.binance.com/docs/binance-spot-api-docs/user-data-stream#order-update).
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import hashlib
import hmac
import json
import queue
import ssl
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from fakes.binance_spot import BinanceSpot, Event
from fakes.exchanges import HOST_IP, read_request, send_json

HOSTNAMES = ("api.binance.com", "stream.binance.com", "ws-api.binance.com")
PORTS = (443, 9443)  # Binance's: REST and the WS API on 443, the market streams on 9443
_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455, section 1.3


def make_test_ca(directory: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for Binance's host names: (ca.pem, cert.pem, key.pem)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, "bothost test CA (never trust outside tests)")]
    )
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOSTNAMES[0])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in HOSTNAMES]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    paths = directory / "ca.pem", directory / "cert.pem", directory / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return paths


class BinanceTls:
    """Serve a BinanceSpot fake on Binance's ports with TLS and websockets; callers count as HOST_IP."""

    def __init__(self, fake: BinanceSpot, cert: Path, key: Path, *, bind: str = "127.0.0.1") -> None:
        self.fake = fake
        self.bind = bind
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.subscriptions: list[str] = []  # market streams subscribed to
        self.user_streams: list[str] = []  # "ok" or the refusal, per userDataStream.subscribe.signature
        self.ws_unhandled: list[str] = []
        self._servers: list[ThreadingHTTPServer] = []
        self._closing = threading.Event()

    def start(self, ports: tuple[int, ...] = PORTS) -> list[int]:
        """Listen on each port (0: any free one); returns the ports."""
        handler = _handler(self)
        bound = []
        for port in ports:
            server = ThreadingHTTPServer((self.bind, port), handler)
            server.daemon_threads = True
            server.socket = self.context.wrap_socket(server.socket, server_side=True)
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
            self._servers.append(server)
            bound.append(server.server_address[1])
        return bound

    def close(self) -> None:
        """Stop listening and end the open websockets."""
        self._closing.set()
        for server in self._servers:
            server.shutdown()
            server.server_close()

    # ----- websocket sessions (one thread each)
    def market_stream(self, ws: _WebSocket) -> None:
        """SUBSCRIBE/UNSUBSCRIBE answered; a depthUpdate per subscribed symbol every second."""
        subscribed: set[str] = set()
        while not self._closing.is_set():
            message = ws.receive(timeout=1.0)
            if message is _CLOSED:
                return
            if message is not None:
                request = json.loads(message)
                params = request.get("params", [])
                if request.get("method") == "SUBSCRIBE":
                    subscribed |= {p.split("@")[0].upper() for p in params if p.endswith("@depth@100ms")}
                    self.subscriptions.extend(params)
                elif request.get("method") != "UNSUBSCRIBE":
                    self.ws_unhandled.append(f"stream {request.get('method')}")
                ws.send_json({"result": None, "id": request.get("id")})
            for symbol in sorted(subscribed & set(self.fake.markets)):
                ws.send_json(_depth_update(self.fake, symbol))

    def ws_api(self, ws: _WebSocket) -> None:
        """userDataStream.subscribe.signature checked like a signed request; then order events pushed."""
        subscribed, seen = False, len(self.fake.events)
        while not self._closing.is_set():
            message = ws.receive(timeout=0.5)
            if message is _CLOSED:
                return
            if message is not None:
                request = json.loads(message)
                if request.get("method") == "userDataStream.subscribe.signature":
                    refusal = self._refusal(request.get("params", {}))
                    self.user_streams.append(refusal or "ok")
                    subscribed = refusal is None
                    if subscribed:
                        ws.send_json({"id": request["id"], "status": 200, "result": {"subscriptionId": 0}})
                    else:
                        ws.send_json({"id": request["id"], "status": 400, "error": json.loads(refusal)})
                else:
                    self.ws_unhandled.append(f"ws-api {request.get('method')}")
                    ws.send_json(
                        {
                            "id": request.get("id"),
                            "status": 400,
                            "error": {"code": -1, "msg": "not implemented"},
                        }
                    )
            if subscribed:
                events = self.fake.events[seen:]
                seen += len(events)
                for event in events:
                    ws.send_json({"subscriptionId": 0, "event": _execution_report(self.fake, event)})

    def _refusal(self, params: dict[str, object]) -> str | None:
        """None when the WS API signature is valid (sorted params, key included), else Binance's error."""
        fake = self.fake
        if params.get("apiKey") != fake.key:
            return json.dumps({"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."})
        signed = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "signature")
        expected = hmac.new(fake.secret.encode(), signed.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(str(params.get("signature", "")), expected):
            return json.dumps({"code": -1022, "msg": "Signature for this request is not valid."})
        if abs(int(str(params.get("timestamp", 0))) - fake.now_ms()) > 5000:
            return json.dumps(
                {"code": -1021, "msg": "Timestamp for this request is outside of the recvWindow."}
            )
        return None


def _depth_update(fake: BinanceSpot, symbol: str) -> dict[str, object]:
    """A diff. depth event that re-states the best levels of the fake's book (same prices as /depth)."""
    m, now = fake.markets[symbol], fake.now_ms()
    tick = float(m.tick)
    return {
        "e": "depthUpdate",
        "E": now,
        "s": symbol,
        "U": now,
        "u": now,
        "b": [[f"{m.price - tick:.2f}", "0.50000000"]],
        "a": [[f"{m.price + tick:.2f}", "0.50000000"]],
    }


def _execution_report(fake: BinanceSpot, event: Event) -> dict[str, object]:
    """The executionReport Binance pushes when an order is accepted (NEW) or cancelled (CANCELED)."""
    order = fake.orders[event.order_id]
    cancel = event.kind == "cancel"
    now = fake.now_ms()
    return {
        "e": "executionReport",
        "E": now,
        "s": order.symbol,
        "c": order.client_order_id if not cancel else f"cancel{order.order_id}",
        "S": order.side,
        "o": order.type,
        "f": order.time_in_force,
        "q": order.quantity,
        "p": order.price,
        "P": "0.00000000",
        "F": "0.00000000",
        "g": -1,
        "C": order.client_order_id if cancel else "",
        "x": "CANCELED" if cancel else "NEW",
        "X": "CANCELED" if cancel else "NEW",
        "r": "NONE",
        "i": order.order_id,
        "l": "0.00000000",
        "z": "0.00000000",
        "L": "0.00000000",
        "n": "0",
        "N": None,
        "T": now,
        "t": -1,
        "v": 3,
        "I": 8641984,
        "w": not cancel,
        "m": False,
        "M": False,
        "O": order.time_ms,
        "Z": "0.00000000",
        "Y": "0.00000000",
        "Q": "0.00000000",
        "W": order.time_ms,
        "V": "EXPIRE_MAKER",
    }


_CLOSED = object()


class _WebSocket:
    """The server side of RFC 6455 on a handler's socket: text frames, ping/pong, close; no extensions.

    A reader thread turns frames into a queue, so a session waits for messages with a timeout."""

    def __init__(self, handler: BaseHTTPRequestHandler) -> None:
        self.rfile, self.wfile = handler.rfile, handler.wfile
        self._lock = threading.Lock()
        self._inbox: queue.Queue[object] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def send_json(self, body: object) -> None:
        self._send(0x1, json.dumps(body).encode())

    def receive(self, timeout: float) -> object:
        """The next text message, None after `timeout` without one, _CLOSED when the peer is gone."""
        try:
            return self._inbox.get(timeout=timeout)
        except queue.Empty:
            return None

    def _send(self, opcode: int, payload: bytes) -> None:
        size = len(payload)
        if size < 126:
            header = struct.pack("!BB", 0x80 | opcode, size)
        elif size < 1 << 16:
            header = struct.pack("!BBH", 0x80 | opcode, 126, size)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 127, size)
        with self._lock:
            self.wfile.write(header + payload)
            self.wfile.flush()

    def _read(self) -> None:
        try:
            while (frame := self._frame()) is not None:
                opcode, payload = frame
                if opcode == 0x8:
                    self._send(0x8, payload[:2])
                    break
                if opcode == 0x9:
                    self._send(0xA, payload)
                elif opcode in (0x1, 0x2):
                    self._inbox.put(payload.decode())
        except (OSError, ValueError):
            pass
        self._inbox.put(_CLOSED)

    def _frame(self) -> tuple[int, bytes] | None:
        head = self.rfile.read(2)
        if len(head) < 2:
            return None
        opcode, size = head[0] & 0x0F, head[1] & 0x7F
        if size == 126:
            size = struct.unpack("!H", self.rfile.read(2))[0]
        elif size == 127:
            size = struct.unpack("!Q", self.rfile.read(8))[0]
        mask = self.rfile.read(4) if head[1] & 0x80 else b""
        data = self.rfile.read(size)
        if mask:
            data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        return opcode, data


def _handler(tls: BinanceTls) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            if self.headers.get("Upgrade", "").lower() == "websocket":
                self._upgrade(parts.path)
                return
            request = read_request(self, HOST_IP)
            tls.fake.requests.append(request)
            send_json(self, *tls.fake.respond(request))

        def _upgrade(self, path: str) -> None:
            session = {"/ws": tls.market_stream, "/ws-api/v3": tls.ws_api}.get(path)
            if session is None:
                tls.ws_unhandled.append(f"websocket {path}")
                self.send_error(404)
                return
            accept = base64.b64encode(
                hashlib.sha1((self.headers["Sec-WebSocket-Key"] + _GUID).encode()).digest()
            ).decode()
            self.send_response(101)
            self.send_header("Upgrade", "websocket")
            self.send_header("Connection", "Upgrade")
            self.send_header("Sec-WebSocket-Accept", accept)
            self.end_headers()
            self.wfile.flush()
            with contextlib.suppress(OSError, ValueError):  # the bot went away
                session(_WebSocket(self))
            self.close_connection = True

        do_GET = do_POST = do_PUT = do_DELETE = _serve

        def log_message(self, *args: object) -> None:
            pass

    return Handler
