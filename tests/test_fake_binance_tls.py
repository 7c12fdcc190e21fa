"""The fake Binance behind its own host names: TLS from the test CA, REST, the market stream, the WS API."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import socket
import ssl
import struct
from pathlib import Path

import pytest
from fakes.binance_spot import BinanceSpot
from fakes.binance_tls import HOSTNAMES, BinanceTls, make_test_ca

KEY, SECRET = "k" * 64, "s" * 64


@pytest.fixture
def served(tmp_path: Path):
    fake = BinanceSpot(KEY, SECRET)
    ca, cert, key = make_test_ca(tmp_path)
    tls = BinanceTls(fake, cert, key)
    rest, stream = tls.start((0, 0))
    context = ssl.create_default_context(cafile=str(ca))
    yield fake, tls, context, rest, stream
    tls.close()
    fake.close()


def connect(context: ssl.SSLContext, port: int, host: str) -> ssl.SSLSocket:
    """A TLS connection that checks the certificate for `host`, as the bot's client does."""
    return context.wrap_socket(
        socket.create_connection(("127.0.0.1", port), timeout=10), server_hostname=host
    )


def websocket(context: ssl.SSLContext, port: int, host: str, path: str) -> ssl.SSLSocket:
    sock = connect(context, port, host)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
    assert head.startswith(b"HTTP/1.1 101") and accept in head
    return sock


def send(sock: ssl.SSLSocket, body: object) -> None:
    """One masked text frame, as a client must send it (RFC 6455 5.3)."""
    data, mask = json.dumps(body).encode(), os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
    size = (
        struct.pack("!BB", 0x81, 0x80 | len(data))
        if len(data) < 126
        else struct.pack("!BBH", 0x81, 0xFE, len(data))
    )
    sock.sendall(size + mask + masked)


def receive(sock: ssl.SSLSocket) -> dict:
    def exactly(n: int) -> bytes:
        out = b""
        while len(out) < n:
            out += sock.recv(n - len(out))
        return out

    head = exactly(2)
    size = head[1] & 0x7F
    if size == 126:
        size = struct.unpack("!H", exactly(2))[0]
    return json.loads(exactly(size))


def test_rest_over_tls_for_binances_names_only_with_the_test_ca(served) -> None:
    fake, _, context, rest, _ = served
    with connect(context, rest, HOSTNAMES[0]) as sock:
        sock.sendall(b"GET /api/v3/ping HTTP/1.1\r\nHost: api.binance.com\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"\r\n\r\n{}")
    assert [r.path for r in fake.requests] == ["/api/v3/ping"]
    with pytest.raises(ssl.SSLCertVerificationError):
        connect(context, rest, "api.example.com")
    with pytest.raises(ssl.SSLCertVerificationError):
        connect(ssl.create_default_context(), rest, HOSTNAMES[0])  # the system store does not know it


def test_market_stream_answers_subscribe_and_streams_depth(served) -> None:
    _, tls, context, _, stream = served
    with websocket(context, stream, "stream.binance.com", "/ws") as ws:
        send(ws, {"method": "SUBSCRIBE", "params": ["btcusdt@trade"], "id": 1})
        assert receive(ws) == {"result": None, "id": 1}
        send(ws, {"method": "SUBSCRIBE", "params": ["btcusdt@depth@100ms"], "id": 2})
        assert receive(ws) == {"result": None, "id": 2}
        event = receive(ws)
        assert event["e"] == "depthUpdate" and event["s"] == "BTCUSDT" and event["u"] >= event["U"]
    assert tls.subscriptions == ["btcusdt@trade", "btcusdt@depth@100ms"]


def signed(params: dict, secret: str = SECRET) -> dict:
    """userDataStream.subscribe.signature params signed as the WS API documents (sorted, key included)."""
    payload = "&".join(f"{k}={v}" for k, v in sorted(params.items()))
    return {**params, "signature": hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()}


def test_ws_api_checks_the_signature_then_pushes_order_events(served) -> None:
    fake, tls, context, rest, _ = served
    with websocket(context, rest, "ws-api.binance.com", "/ws-api/v3") as ws:
        params = {"apiKey": KEY, "timestamp": fake.now_ms()}
        send(ws, {"id": "a", "method": "userDataStream.subscribe.signature", "params": signed(params, "x")})
        refused = receive(ws)
        assert refused["status"] == 400 and refused["error"]["code"] == -1022
        send(ws, {"id": "b", "method": "userDataStream.subscribe.signature", "params": signed(params)})
        assert receive(ws) == {"id": "b", "status": 200, "result": {"subscriptionId": 0}}
        from fakes.binance_spot import _new_order

        status, _ = _new_order(
            fake,
            {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.001"}
            | {"price": "59000", "newClientOrderId": "x-1"},
        )
        assert status == 200
        event = receive(ws)
        assert event["subscriptionId"] == 0 and event["event"]["e"] == "executionReport"
        assert (event["event"]["c"], event["event"]["X"]) == ("x-1", "NEW")
    assert tls.user_streams[0] != "ok" and tls.user_streams[1] == "ok"
