"""The bot container on the VM as the real-bot tests watch it: its state, its health, its last output."""

from __future__ import annotations

import json
import time


def bot_log(remote) -> str:
    """The end of the bot container's output and its last health probes."""
    logs = remote.run(["docker", "logs", "--tail", "60", "bothost-bot"])
    probes = remote.run(["docker", "inspect", "--format", "{{json .State.Health}}", "bothost-bot"])
    return (logs.stdout + logs.stderr)[-6000:] + "\nhealth: " + probes.stdout[-3000:]


def container_state(remote) -> dict:
    """docker inspect's State of the bot container."""
    return json.loads(remote.check(["docker", "container", "inspect", "bothost-bot"]).stdout)[0]["State"]


def wait_health(remote, wanted: str, timeout: float) -> str:
    """Poll docker's health status until it is `wanted` or the timeout passes; returns the last one."""
    deadline = time.monotonic() + timeout
    while True:
        health = container_state(remote).get("Health", {}).get("Status", "")
        if health == wanted or time.monotonic() > deadline:
            return health
        time.sleep(3)
