"""A tiny SNTP server on loopback that serves this machine's clock to the rehearsal VM (stdlib only)."""

from __future__ import annotations

import argparse
import os
import socket
import struct
import sys
import threading
import time

NTP_EPOCH_OFFSET = 2208988800  # seconds from 1900-01-01 (NTP) to 1970-01-01 (Unix)
PACKET = struct.Struct("!BBbbII4sQQQQ")  # flags, stratum, poll, precision, delay, dispersion, refid, 4 stamps
STRATUM = 2  # we relay a synchronised clock; 0 or 16 would make clients reject us
REFID = b"LOCL"


def to_ntp(seconds: float) -> int:
    """Unix time as a 64-bit NTP timestamp (32.32 fixed point)."""
    return int((seconds + NTP_EPOCH_OFFSET) * 2**32) & 0xFFFFFFFFFFFFFFFF


def from_ntp(stamp: int) -> float:
    """A 64-bit NTP timestamp as Unix time."""
    return stamp / 2**32 - NTP_EPOCH_OFFSET


def reply(request: bytes, received: float, now: float) -> bytes | None:
    """The server reply to one client request, or None when the request is not an SNTP client packet."""
    if len(request) < PACKET.size:
        return None
    flags, _, poll, _, _, _, _, _, _, _, client_transmit = PACKET.unpack_from(request)
    version, mode = (flags >> 3) & 0x7, flags & 0x7
    if mode != 3 or version not in (3, 4):
        return None
    return PACKET.pack((0 << 6) | (version << 3) | 4, STRATUM, poll, -20, 0, 1 << 6, REFID,
                       to_ntp(now), client_transmit, to_ntp(received), to_ntp(time.time()))


class Responder:
    """Answers SNTP requests on a UDP port in a background thread; a context manager."""

    def __init__(self, host: str = "127.0.0.1", port: int = 123) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind((host, port))  # raises OSError when the port is taken or needs root
        self._socket.settimeout(0.5)
        self.address = self._socket.getsockname()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="sntp", daemon=True)

    def __enter__(self) -> Responder:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def serve_forever(self, keep_going=lambda: True) -> None:
        """Serve in this thread while keep_going() is true."""
        while keep_going() and not self._stop.is_set():
            self._answer_one()

    def close(self) -> None:
        """Stop serving and release the port."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)
        self._socket.close()

    def _serve(self) -> None:
        """The background thread: answer until closed."""
        while not self._stop.is_set():
            self._answer_one()

    def _answer_one(self) -> None:
        """Answer one request, or return after the socket timeout."""
        try:
            data, peer = self._socket.recvfrom(512)
        except (TimeoutError, OSError):
            return
        answer = reply(data, time.time(), time.time())
        if answer is not None:
            self._socket.sendto(answer, peer)


def query(host: str = "127.0.0.1", port: int = 123, timeout: float = 2.0) -> float | None:
    """Ask an SNTP server for its time (Unix seconds); None when nothing answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        request = PACKET.pack((4 << 3) | 3, 0, 0, 0, 0, 0, b"\0" * 4, 0, 0, 0, to_ntp(time.time()))
        try:
            sock.sendto(request, (host, port))
            data, _ = sock.recvfrom(512)
        except OSError:
            return None
    if len(data) < PACKET.size:
        return None
    fields = PACKET.unpack_from(data)
    if fields[0] & 0x7 != 4 or fields[8] != PACKET.unpack_from(request)[10]:
        return None
    return from_ntp(fields[10])


def _alive(pid: int) -> bool:
    """Whether a process with this pid exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def main(argv: list[str] | None = None) -> int:
    """Serve until the watched process (the VM) exits: `python -m bothost.rehearsal.sntp --watch-pid N`.

    While another rehearsal's server holds the port (it serves this VM too), retry until it is free.
    """
    parser = argparse.ArgumentParser(description="SNTP server for a rehearsal VM")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=123)
    parser.add_argument("--watch-pid", type=int, required=True)
    args = parser.parse_args(argv)
    reported = False
    while _alive(args.watch_pid):
        try:
            responder = Responder(args.host, args.port)
        except OSError as exc:
            if not reported:
                print(f"sntp: {args.host}:{args.port} busy ({exc}); retrying while the VM runs",
                      file=sys.stderr)
                reported = True
            time.sleep(1.0)
            continue
        responder.serve_forever(lambda: _alive(args.watch_pid))
        responder.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
