"""The bot container on the VM as the real-bot tests drive it: first deploy, checks, secret search, health."""

from __future__ import annotations

import json
import time

from secret_search import found_anywhere

from bothost.deploy.deployer import DeployError, deploy
from roles.bot import BotRole


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


def first_deploy(remote, settings, bot_secrets, archive, tree, log):
    """Deploy into an empty data dir (only the shipped files); logs its time, or the bot's log on failure."""
    remote.check(["rm", "-rf", settings.data_dir])
    started = time.monotonic()
    try:
        result = deploy(remote, settings, bot_secrets, archive=archive, bot_files=tree, note=log)
    except DeployError:
        log("bot log:\n" + bot_log(remote))
        raise
    log(f"first deploy (load + start + healthy) {time.monotonic() - started:.0f} s: {result.actions}")
    return result


def assert_bot_checks_pass(remote, settings, log) -> None:
    """Every check of the bot role passes on the live host."""
    outcomes = {}
    for check in BotRole().checks(settings):
        outcome = check.evaluate(remote.run(list(check.command)))
        outcomes[check.id] = (outcome.passed, outcome.actual)
    log(json.dumps(outcomes, indent=1))
    assert all(passed for passed, _ in outcomes.values()), outcomes


def assert_secret_only_in(remote, value: str, holder: str, log) -> None:
    """The secret is in its file (the search's positive control) and nowhere else the search looks."""
    hits = found_anywhere(remote, value, (holder,))
    log(f"secret search: {hits}")
    assert hits.pop("positive control") == 1, "the search itself must find the secret file"
    assert hits == dict.fromkeys(hits, 0)
