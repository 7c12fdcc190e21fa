"""The swap program against a fake dockerd on a Unix socket: the Engine API calls, in order, and the stamps.

Status codes and bodies follow Docker's Engine API reference (v1.41):
https://docs.docker.com/engine/api/v1.41/#tag/Container/operation/ContainerStop (204 stopped, 304 already),
https://docs.docker.com/engine/api/v1.41/#tag/Exec/operation/ContainerExec (201 {"Id": ...}; 409 not running),
https://docs.docker.com/engine/api/v1.41/#tag/Exec/operation/ExecInspect ({"Running": ..., "ExitCode": ...}).
"""

from __future__ import annotations

import json
import socketserver
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from bothost.deploy.swap import swap_argv
from roles.bot.settings import BotSettings, Mount


class FakeDockerd(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    """Answers the calls the swap program makes; `healthy_after` failing probes before one passes."""

    daemon_threads = True

    def __init__(self, path: str, healthy_after: int = 1, running: bool = True) -> None:
        super().__init__(path, Handler)
        self.calls: list[tuple[str, str, dict | None]] = []
        self.healthy_after, self.running, self.probes = healthy_after, running, 0


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def answer(self, status: int, body: object | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        server: FakeDockerd = self.server  # type: ignore[assignment]
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        server.calls.append(("POST", self.path, body))
        if self.path.endswith("/exec") and not server.running:
            self.answer(409, {"message": "Container abc is not running"})
        elif self.path.endswith("/exec"):
            server.probes += 1
            self.answer(201, {"Id": f"probe{server.probes}"})
        elif self.path.startswith("/exec/"):
            self.answer(200)
        else:
            self.answer(204)

    def do_GET(self) -> None:
        server: FakeDockerd = self.server  # type: ignore[assignment]
        server.calls.append(("GET", self.path, None))
        number = int(self.path.split("/")[2].removeprefix("probe"))
        self.answer(200, {"Running": False, "ExitCode": 0 if number > server.healthy_after else 1})


SETTINGS = BotSettings(
    preset="generic", image="me/bot:1", entrypoint=None, args=None, env=(), user="1000:1000",
    data_dir="/srv/bothost/data", data_mounts=(Mount("/srv/bothost/data", "/data", False),), secret_names=(),
    health_cmd="test -s /tmp/heartbeat", health_start_period=5,
)


def run_swap(tmp_path: Path, olds: list[str], **fake: object) -> tuple[FakeDockerd, list[float], str]:
    """Run the program with this interpreter against a fake dockerd; (fake, stamps, stderr)."""
    path = str(tmp_path / "docker.sock")
    server = FakeDockerd(path, **fake)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    argv = swap_argv(SETTINGS, olds)
    assert argv[:3] == ["python3", "-S", "-c"]
    argv[5] = path  # the socket
    try:
        done = subprocess.run([sys.executable, *argv[1:]], capture_output=True, text=True, timeout=60)
    finally:
        server.shutdown()
        server.server_close()
    return server, [float(t) for t in done.stdout.split()], done.stderr


def test_stop_then_start_then_probe_until_healthy(tmp_path: Path) -> None:
    server, stamps, err = run_swap(tmp_path, ["bothost-bot-prev"], healthy_after=1)
    calls = [(method, path) for method, path, _ in server.calls]
    assert calls[:3] == [("POST", "/containers/bothost-bot-prev/stop?t=90"),
                         ("POST", "/containers/bothost-bot/start"), ("POST", "/containers/bothost-bot/exec")]
    assert ("POST", "/exec/probe2/start") in calls and calls[-1] == ("GET", "/exec/probe2/json")
    create = next(body for method, path, body in server.calls if path.endswith("/exec"))
    assert create == {"Cmd": ["/bin/sh", "-c", "test -s /tmp/heartbeat"]}  # the container's own user
    assert len(stamps) == 4 and stamps == sorted(stamps), err


def test_a_container_that_is_not_running_ends_the_probes(tmp_path: Path) -> None:
    server, stamps, err = run_swap(tmp_path, [], running=False)
    assert len(stamps) == 3, err  # no "healthy" stamp: the deploy then reports the exited container
    assert [path for _, path, _ in server.calls] == ["/containers/bothost-bot/start",
                                                     "/containers/bothost-bot/exec"]


def test_a_failed_stop_exits_non_zero_before_anything_starts(tmp_path: Path) -> None:
    path = str(tmp_path / "missing.sock")
    argv = swap_argv(SETTINGS, ["bothost-bot-prev"])
    argv[5] = path
    done = subprocess.run([sys.executable, *argv[1:]], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and len(done.stdout.split()) == 1


@pytest.mark.parametrize("olds", [[], ["a", "b"]])
def test_argv_carries_the_grace_the_health_command_and_every_old_container(olds: list[str]) -> None:
    argv = swap_argv(SETTINGS, olds)
    assert argv[4:] == ["swap", "/var/run/docker.sock", "90", "bothost-bot", "test -s /tmp/heartbeat",
                        "5", "10", *olds]
