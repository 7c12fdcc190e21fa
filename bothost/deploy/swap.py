"""The bot's downtime window as one host program: stop the old bot, start the new one, probe it until healthy.

The program talks to dockerd's Engine API on its socket instead of starting the docker CLI three times (a
large Go binary whose start-up alone costs a noticeable part of a second on a small vCPU). It prints the
host time (Unix seconds) at each step: before the stop, stopped, started, and when the new container's
health command first passed (missing when it did not pass within the limit, or the container exited).
"""

from __future__ import annotations

from bothost.facts.docker import DOCKER_SOCKET
from bothost.host import Host
from roles.bot.settings import BotSettings

# argv: swap SOCKET GRACE NEW HEALTH_CMD LIMIT HEALTH_TIMEOUT OLD...  (stdlib only; started with python3 -S)
SWAP_PROGRAM = r"""
import json, socket, sys, time
_, path, grace, new, health, limit, probe_timeout, *olds = sys.argv[1:]
def call(method, url, body=None, timeout=60.0):
    data = b"" if body is None else json.dumps(body).encode()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.settimeout(timeout)
        connection.connect(path)
        connection.sendall(f"{method} {url} HTTP/1.0\r\nHost: docker\r\nContent-Type: application/json\r\n"
                           f"Content-Length: {len(data)}\r\n\r\n".encode() + data)
        response = b"".join(iter(lambda: connection.recv(65536), b""))
    head, _, payload = response.partition(b"\r\n\r\n")
    return int((head.split(b" ", 2)[1:2] or [b"0"])[0]), payload
def must(what, answer):
    if answer[0] not in (200, 201, 204, 304):
        sys.exit(f"{what}: HTTP {answer[0]} {answer[1][:300].decode(errors='replace')}")
    return answer[1]
def stamp():
    print(f"{time.time():.6f}", flush=True)
stamp()
for old in olds:
    must(f"stop {old}", call("POST", f"/containers/{old}/stop?t={grace}", timeout=float(grace) + 60))
stamp()
must(f"start {new}", call("POST", f"/containers/{new}/start", timeout=120.0))
stamp()
end = time.monotonic() + float(limit)
while time.monotonic() <= end:
    created = call("POST", f"/containers/{new}/exec", {"Cmd": ["/bin/sh", "-c", health]})
    if created[0] != 201:
        break  # the container is not running (exited at once): the deploy reports it
    probe = json.loads(created[1])["Id"]
    must("health probe", call("POST", f"/exec/{probe}/start", {"Detach": True}))
    stop_at = time.monotonic() + float(probe_timeout)
    while True:
        state = json.loads(must("health probe", call("GET", f"/exec/{probe}/json")))
        if not state.get("Running") or time.monotonic() > stop_at:
            break
        time.sleep(0.02)
    if not state.get("Running") and state.get("ExitCode") == 0:
        stamp()
        break
    time.sleep(0.1)
"""


def swap_argv(s: BotSettings, stop: list[str]) -> list[str]:
    """The host command for the window: stop `stop` (full grace), start s.container, probe its health."""
    return [
        "python3",
        "-S",
        "-c",
        SWAP_PROGRAM,
        "swap",
        DOCKER_SOCKET,
        str(s.stop_grace_period),
        s.container,
        s.health_cmd,
        str(s.health_start_period),
        str(s.health_timeout),
        *stop,
    ]


def run_swap(host: Host, s: BotSettings, stop: list[str]) -> list[float]:
    """Run the window on the host; its host-clock stamps (see the module docstring)."""
    timeout = s.stop_grace_period * max(1, len(stop)) + s.health_start_period + s.health_timeout + 60
    return [float(t) for t in host.check(swap_argv(s, stop), timeout=timeout).stdout.split()]
