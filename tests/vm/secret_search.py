"""Search a host for a secret everywhere it must not be: user_data, journal, logs, ps, inspect, /var/log."""

from __future__ import annotations

# Files that must hold the secret: the positive control proves the search itself works.
DEFAULT_CONTROLS = ("/etc/bothost/secrets/bot/exchange_api_secret", "/etc/bothost/secrets/bot/telegramToken")


def found_anywhere(remote, value: str, controls: tuple[str, ...] = DEFAULT_CONTROLS) -> dict[str, int]:
    """Places on the host where `value` occurs; the value goes in on stdin (grep -f -), never on argv."""
    searches = {
        "user_data": "grep -rlFf - /var/lib/cloud /var/log/cloud-init.log /var/log/cloud-init-output.log",
        "journal": "journalctl --no-pager -o cat | grep -cFf -",
        "docker logs": "docker logs bothost-bot 2>&1 | grep -cFf -",
        "ps": "ps -eo args | grep -cFf -",
        "docker inspect": "docker container inspect bothost-bot | grep -cFf -",
        "container config": "grep -rlFf - /var/lib/docker/containers",
        "audit log": "grep -cFf - /var/log/bothost/audit.log",
        "var log": "grep -rlFf - /var/log",
        "positive control": "grep -lFf - " + " ".join(controls) + " 2>/dev/null",
    }
    hits = {}
    for name, script in searches.items():
        result = remote.run(["sh", "-c", script], stdin=(value + "\n").encode())
        lines = [line for line in result.stdout.split() if line and line != "0"]
        hits[name] = len(lines)
    return hits
