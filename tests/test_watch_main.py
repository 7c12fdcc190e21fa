"""The watcher as the host runs it: the zipapp under `python3 -I -S` with systemd's credential files, against
a fake OKX and a fake webhook; the test mode; the stop policy's request file; the root helper's status file
(with a fake docker that answers like `docker inspect`). No secret on stdout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.watch_host import HOOK_PATH, WatchedHost
from keyaudit_harness import assert_secret_free
from keyaudit_keys import key_for, passphrase_for, secret_for

from bothost.templating import TEMPLATE_DIR

SECRETS = [key_for("okx"), secret_for("okx"), passphrase_for("okx"), HOOK_PATH]


class Host(WatchedHost):
    """The watcher's files, run as the host runs them."""

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-I", "-S", str(self.app), *args],
            env=self.env(os.environ["PATH"]),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )


@pytest.fixture
def host(tmp_path: Path) -> Iterator[Host]:
    made = Host(tmp_path)
    yield made
    made.close()


def events(done: subprocess.CompletedProcess[str]) -> list[dict]:
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_one_tick_alarms_on_a_foreign_fill_and_keeps_its_state(host: Host) -> None:
    host.okx.fill("T1", "9999", "SYS/USDT", amount=80_000, price=0.31)
    done = host.run("--once")
    assert done.returncode == 0, done.stderr
    texts = host.hook.texts()
    assert any("SYS-USDT, a pair the bot does not trade" in t for t in texts), texts
    alarms = [e["text"] for e in events(done) if e["event"] == "alarm"]
    assert alarms == texts  # the journal keeps exactly what the owner was sent
    fills = [e for e in events(done) if e["event"] == "fill"]
    assert fills == [{"event": "fill", "exchange": "okx", "pair": "SYS-USDT", "bot": False}]
    assert host.run("--once").returncode == 0
    assert len(host.hook.texts()) == len(texts)  # the re-read overlap raises no second alarm after a restart
    state = json.loads((host.state / "state.json").read_text())
    assert state["since_ms"] > 0 and "since_s" in state
    assert_secret_free([done.stdout, done.stderr, *texts, json.dumps(state)], SECRETS)


def test_test_mode_sends_one_message_per_channel(host: Host) -> None:
    done = host.run("--test")
    assert done.returncode == 0, done.stderr
    assert events(done) == [{"event": "test", "channel": "webhook", "ok": True}]
    assert len(host.hook.texts()) == 1 and "test message" in host.hook.texts()[0]


def test_test_mode_reports_a_refusing_channel_without_its_url(host: Host) -> None:
    host.hook.status = 404
    done = host.run("--test")
    assert done.returncode == 1
    assert events(done)[0]["error"] == "webhook: refused (HTTP 404)"
    assert_secret_free([done.stdout, done.stderr], SECRETS)


def test_stop_policy_writes_the_request_the_root_helper_acts_on(tmp_path: Path) -> None:
    host = Host(tmp_path, policy="stop")
    try:
        host.okx.fill("T1", "9999", "SYS/USDT")
        done = host.run("--once")
    finally:
        host.close()
    assert done.returncode == 0, done.stderr
    request = Path(host.settings.config()["stop_request"])
    assert "SYS-USDT" in request.read_text()
    assert {"event": "stop-requested"} in events(done)


def fake_docker(tmp: Path, state: dict) -> str:
    """A `docker` on PATH answering inspect like Docker (State JSON, tab, RestartCount); logs its calls."""
    bin_dir = tmp / "bin"
    bin_dir.mkdir()
    script = bin_dir / "docker"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> {tmp}/docker.log\n'
        f"if [ \"$1\" = inspect ]; then printf '%s\\t3\\n' '{json.dumps(state)}'; fi\n"
    )
    script.chmod(0o755)
    return f"{bin_dir}:{os.environ['PATH']}"


def test_root_helper_writes_the_bots_state_and_turns_a_request_into_a_graceful_stop(tmp_path: Path) -> None:
    # docker inspect's .State as Docker documents it (docs.docker.com/reference/api/engine/, ContainerState).
    state = {
        "Status": "running",
        "Running": True,
        "ExitCode": 0,
        "StartedAt": "2026-11-29T10:00:00.1Z",
        "FinishedAt": "0001-01-01T00:00:00Z",
        "Health": {"Status": "unhealthy", "FailingStreak": 3},
    }
    path = fake_docker(tmp_path, state)
    request = tmp_path / "stop-request"
    request.write_text("foreign fill\n")
    status_path = tmp_path / "status.json"
    helper = TEMPLATE_DIR / "watch" / "bothost-watch-status.py"
    done = subprocess.run(
        [sys.executable, "-I", "-S", str(helper), str(status_path), str(request), "bothost-bot", "90"],
        env={"PATH": path},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    status = json.loads(status_path.read_text())
    assert status["bot"] == {
        "container": "bothost-bot",
        "present": True,
        "running": True,
        "health": "unhealthy",
        "exit_code": 0,
        "started_at": "2026-11-29T10:00:00.1Z",
        "finished_at": "0001-01-01T00:00:00Z",
        "restart_count": 3,
    }
    assert status["stop"]["ok"] is True and not request.exists()
    assert "stop --time 90 bothost-bot" in (tmp_path / "docker.log").read_text()
    assert oct(status_path.stat().st_mode & 0o777) == "0o644"
