"""The SNTP responder answers real SNTP requests with this machine's clock, and only client requests."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from bothost.rehearsal import sntp


def test_answers_a_real_request_on_loopback() -> None:
    with sntp.Responder("127.0.0.1", 0) as responder:
        answered = sntp.query(*responder.address, timeout=2.0)
    assert answered is not None
    assert abs(answered - time.time()) < 1.0


def test_reply_is_a_synchronised_server_packet_echoing_the_client_stamp() -> None:
    sent = sntp.to_ntp(time.time())
    request = sntp.PACKET.pack((4 << 3) | 3, 0, 6, 0, 0, 0, b"\0" * 4, 0, 0, 0, sent)
    fields = sntp.PACKET.unpack(sntp.reply(request, time.time(), time.time()))
    flags, stratum, poll = fields[0], fields[1], fields[2]
    assert flags >> 6 == 0  # leap indicator: synchronised
    assert (flags >> 3) & 7 == 4 and flags & 7 == 4  # version echoed, server mode
    assert 1 <= stratum < 16 and poll == 6
    assert fields[8] == sent  # originate = the client's transmit stamp


@pytest.mark.parametrize("request_bytes", [
    b"",
    b"\x00" * 10,
    sntp.PACKET.pack((4 << 3) | 4, 0, 0, 0, 0, 0, b"\0" * 4, 0, 0, 0, 1),  # a server packet
    sntp.PACKET.pack((2 << 3) | 3, 0, 0, 0, 0, 0, b"\0" * 4, 0, 0, 0, 1),  # NTP version 2
])
def test_ignores_what_is_not_a_client_request(request_bytes: bytes) -> None:
    assert sntp.reply(request_bytes, time.time(), time.time()) is None


def test_timestamps_round_trip() -> None:
    now = time.time()
    assert abs(sntp.from_ntp(sntp.to_ntp(now)) - now) < 1e-6


def test_query_returns_none_when_nothing_answers() -> None:
    with sntp.Responder("127.0.0.1", 0) as responder:
        address = responder.address
    assert sntp.query(*address, timeout=0.3) is None


def test_detached_server_exits_when_the_vm_process_exits() -> None:
    watched = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(
        sntp.main(["--port", "0", "--watch-pid", str(watched.pid)])))
    thread.start()
    time.sleep(0.3)
    assert thread.is_alive()
    watched.kill()
    watched.wait()
    thread.join(timeout=5)
    assert result == [0]


def test_detached_server_takes_over_a_port_another_rehearsal_released() -> None:
    watched = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    first = sntp.Responder("127.0.0.1", 0).__enter__()
    port = first.address[1]
    argv = ["--port", str(port), "--watch-pid", str(watched.pid)]
    thread = threading.Thread(target=sntp.main, args=(argv,))
    thread.start()
    try:
        time.sleep(0.3)
        first.close()  # the other rehearsal's VM stopped
        deadline = time.monotonic() + 5
        while sntp.query("127.0.0.1", port, timeout=0.3) is None and time.monotonic() < deadline:
            pass
        assert sntp.query("127.0.0.1", port, timeout=1.0) is not None
    finally:
        watched.kill()
        watched.wait()
        thread.join(timeout=5)
    assert not thread.is_alive()
