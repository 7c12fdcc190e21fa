"""roles/bot: each check passes on a hardened container and fails on the one setting it guards."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
from fake_engine import fake_engine
from role_specs import make_spec

from bothost.facts.docker import inspect_container_argv
from bothost.role import CommandResult, RenderContext
from bothost.userdata import compose, role_checks
from roles.bot import BotRole

DIGEST = "sha256:" + "c" * 64
ROLE = BotRole()


def settings(preset: str = "generic", exchange: bool = True):
    """The role's settings for a preset, with an exchange key configured or not."""
    bot = {"preset": preset} if preset != "generic" else {"image": f"me/bot@{DIGEST}"}
    if preset == "hummingbot":
        bot["env"] = {"SCRIPT_CONFIG": "pmm.yml"}
    keys = {"exchange": "binance", "exchangeApiKey": "k", "exchangeApiSecret": "s"} if exchange else {}
    spec = make_spec(
        bot=bot, botSecrets={"apiPassword": "p", "configPassword": "c", "telegramToken": "t"}, **keys
    )
    return ROLE.settings(spec, RenderContext())


def hardened(s) -> dict:
    """What `docker container inspect` shows for a container created from these settings."""
    return {
        "State": {"Status": "running", "Running": True, "Health": {"Status": "healthy"}},
        "AppArmorProfile": "docker-default",
        "Config": {
            "User": s.user or "",
            "Env": ["PATH=/bin"],
            "StopTimeout": s.stop_grace_period,
            "Healthcheck": {"Test": ["CMD-SHELL", s.health_cmd]},
        },
        "HostConfig": {
            "ReadonlyRootfs": True,
            "CapDrop": ["ALL"],
            "CapAdd": None,
            "Privileged": False,
            "SecurityOpt": ["no-new-privileges"],
            "PidsLimit": s.pids_limit,
            "Memory": s.memory_bytes,
            "MemorySwap": s.memory_bytes,
            "NanoCpus": int(s.cpus * 1e9),
            "PortBindings": {
                f"{cp}/tcp": [{"HostIp": ip, "HostPort": str(hp)}] for ip, hp, cp in s.published
            },
            "NetworkMode": "default",
            "RestartPolicy": {"Name": "unless-stopped"},
            "LogConfig": {"Type": "journald"},
            "PidMode": "",
            "IpcMode": "private",
            "UTSMode": "",
            "UsernsMode": "",
            "CgroupParent": "",
            "Devices": [],
        },
        "Mounts": [
            {"Type": "bind", "Destination": "/run/secrets", "Source": s.secrets_dir, "RW": False,
             "Propagation": "rprivate"},
            {"Type": "bind", "Destination": "/data", "Source": s.data_dir, "RW": True,
             "Propagation": "rprivate"},
        ],
    }


def outcomes(s, inspect: dict) -> dict[str, bool]:
    """check id -> passed, for the checks that read docker inspect."""
    result = CommandResult(0, json.dumps([inspect]))
    return {
        c.id: c.evaluate(result).passed
        for c in ROLE.checks(s)
        if c.command == tuple(inspect_container_argv(s.container))
    }


@pytest.mark.parametrize("preset", ["generic", "freqtrade", "hummingbot"])
def test_hardened_container_passes_every_inspect_check(preset: str) -> None:
    s = settings(preset)
    assert all(outcomes(s, hardened(s)).values()), outcomes(s, hardened(s))


def set_path(data: dict, path: str, value: object) -> dict:
    """A copy of data with a dotted path replaced."""
    data = copy.deepcopy(data)
    *parents, last = path.split(".")
    node = data
    for key in parents:
        node = node[key]
    node[last] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "check"),
    [
        ("State.Health.Status", "unhealthy", "bot-01"),
        ("State.Running", False, "bot-01"),
        ("HostConfig.ReadonlyRootfs", False, "bot-02"),
        ("HostConfig.CapDrop", [], "bot-03"),
        ("HostConfig.CapAdd", ["NET_ADMIN"], "bot-03"),
        ("HostConfig.Privileged", True, "bot-03"),
        ("HostConfig.SecurityOpt", [], "bot-04"),
        ("HostConfig.SecurityOpt", ["no-new-privileges", "seccomp=unconfined"], "bot-04"),
        ("AppArmorProfile", "unconfined", "bot-04"),
        ("Config.User", "", "bot-05"),
        ("Config.User", "0:0", "bot-05"),
        ("HostConfig.PidsLimit", None, "bot-06"),
        ("HostConfig.Memory", 0, "bot-07"),
        ("HostConfig.MemorySwap", -1, "bot-07"),
        ("HostConfig.NanoCpus", 0, "bot-08"),
        ("HostConfig.PortBindings", {"8080/tcp": [{"HostIp": "", "HostPort": "8080"}]}, "bot-09"),
        ("HostConfig.NetworkMode", "host", "bot-09"),
        ("HostConfig.RestartPolicy", {"Name": "no"}, "bot-10"),
        ("Config.Healthcheck", None, "bot-11"),
        ("HostConfig.LogConfig", {"Type": "json-file"}, "bot-12"),
        ("Config.StopTimeout", 10, "bot-13"),
        ("HostConfig.PidMode", "host", "bot-20"),
        ("HostConfig.IpcMode", "host", "bot-20"),
        ("HostConfig.UTSMode", "host", "bot-20"),
        ("HostConfig.UsernsMode", "host", "bot-20"),
        ("HostConfig.CgroupParent", "/system.slice", "bot-20"),
        ("HostConfig.Devices", [{"PathOnHost": "/dev/sda", "PathInContainer": "/dev/sda"}], "bot-20"),
        ("Mounts", [{"Destination": "/run/secrets", "Source": "/x", "RW": True}], "bot-14"),
        (
            "Mounts",
            [
                {"Destination": "/run/secrets", "Source": "/x", "RW": False},
                {"Destination": "/var/run/docker.sock", "Source": "/var/run/docker.sock", "RW": True},
            ],
            "bot-14",
        ),
    ],
)
def test_each_weakening_fails_exactly_its_check(path: str, value: object, check: str) -> None:
    s = settings()
    results = outcomes(s, set_path(hardened(s), path, value))
    assert [c for c, passed in results.items() if not passed] == [check]


def test_hummingbot_runs_as_the_bot_uid_and_root_fails_it() -> None:
    s = settings("hummingbot")
    check = next(c for c in ROLE.checks(s) if c.id == "bot-05")
    assert check.evaluate(CommandResult(0, json.dumps([hardened(s)]))).passed and s.user == "10000:10000"
    as_root = set_path(hardened(s), "Config.User", "")
    assert not check.evaluate(CommandResult(0, json.dumps([as_root]))).passed


def test_missing_container_fails_with_docker_message() -> None:
    check = ROLE.checks(settings())[0]
    outcome = check.evaluate(CommandResult(1, "[]", "Error: No such container: bothost-bot"))
    assert not outcome.passed and "No such container" in outcome.actual


@pytest.mark.parametrize(
    ("lines", "passed"),
    [
        (
            [
                "/etc/bothost/secrets/bot 700 10000:10000 d",
                "/etc/bothost/secrets/bot/exchange_api_key 400 10000:10000 f",
                "/etc/bothost/secrets/bot/exchange_api_secret 400 10000:10000 f",
                "/etc/bothost/secrets/bot/telegramToken 400 10000:10000 f",
            ],
            True,
        ),
        (
            [
                "/etc/bothost/secrets/bot 755 10000:10000 d",
                "/etc/bothost/secrets/bot/exchange_api_key 400 10000:10000 f",
                "/etc/bothost/secrets/bot/exchange_api_secret 400 10000:10000 f",
                "/etc/bothost/secrets/bot/telegramToken 400 10000:10000 f",
            ],
            False,
        ),
        (
            [
                "/etc/bothost/secrets/bot 700 10000:10000 d",
                "/etc/bothost/secrets/bot/exchange_api_key 644 10000:10000 f",
                "/etc/bothost/secrets/bot/exchange_api_secret 400 10000:10000 f",
                "/etc/bothost/secrets/bot/telegramToken 400 10000:10000 f",
            ],
            False,
        ),
        (
            [
                "/etc/bothost/secrets/bot 700 10000:10000 d",
                "/etc/bothost/secrets/bot/exchange_api_key 400 10000:10000 f",
                "/etc/bothost/secrets/bot/telegramToken 400 10000:10000 f",
            ],
            False,
        ),
    ],
)
def test_secret_file_modes(lines: list[str], passed: bool) -> None:
    s = settings()
    s = type(s)(**{**s.__dict__, "secret_names": ("telegramToken",)})
    check = next(c for c in ROLE.checks(s) if c.id == "bot-15")
    assert check.evaluate(CommandResult(0, "\n".join(lines) + "\n")).passed is passed


def test_exchange_files_are_required_only_with_an_exchange() -> None:
    lines = "/etc/bothost/secrets/bot 700 10000:10000 d\n" + "".join(
        f"/etc/bothost/secrets/bot/{n} 400 10000:10000 f\n"
        for n in ("apiPassword", "configPassword", "telegramToken")
    )
    for exchange, passed in ((True, False), (False, True)):
        check = next(c for c in ROLE.checks(settings(exchange=exchange)) if c.id == "bot-15")
        assert check.evaluate(CommandResult(0, lines)).passed is passed


def test_no_secret_script_finds_a_secret_on_a_command_line(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "exchange_api_secret").write_text("visible-on-argv-123456\n")
    (secrets / "config.json").write_text(json.dumps({"exchange": {"secret": "json-leaf-secret-98765"}}))
    check = next(c for c in ROLE.checks(settings()) if c.id == "bot-16")
    engine = tmp_path / "docker.sock"
    argv = [sys.executable, *check.command[1:-3], str(engine), "bothost-bot", str(secrets)]
    leaky = {"/containers/bothost-bot/json": {"Config": {"Env": ["A=json-leaf-secret-98765"]}}}
    with fake_engine(engine, leaky):
        clean = subprocess.run(argv, capture_output=True, text=True)
        leak = subprocess.Popen(["sh", "-c", "sleep 5", "visible-on-argv-123456"])
        try:
            found = subprocess.run(argv, capture_output=True, text=True)
        finally:
            leak.kill()
    assert not check.evaluate(CommandResult(clean.returncode, clean.stdout)).passed  # the Env leak is found
    assert clean.stdout.startswith("1 of 2"), clean.stdout + clean.stderr
    assert found.stdout.startswith("2 of 2") and "visible-on-argv" not in found.stdout
    with fake_engine(engine, {"/containers/bothost-bot/json": {"Config": {"Env": ["A=b"]}}}):
        ok = subprocess.run(argv, capture_output=True, text=True)
    assert check.evaluate(CommandResult(ok.returncode, ok.stdout)).passed, ok.stdout + ok.stderr


def test_no_bot_means_no_checks_and_only_the_secrets_dir() -> None:
    spec = make_spec()
    s = ROLE.settings(spec, RenderContext())
    assert s is None and ROLE.checks(s) == []
    assert ROLE.changes(s).commands == (
        ("install", "-d", "-m", "0700", "-o", "0", "-g", "0", "/etc/bothost/secrets"),
    )
    assert not [c for c in role_checks(spec, RenderContext()) if c.id.startswith("bot-")]


def test_first_boot_prepares_directories_without_secrets() -> None:
    spec = make_spec(bot={"image": f"me/bot@{DIGEST}"}, botSecrets={"telegramToken": "tg-secret-value"})
    document = compose(spec, RenderContext())
    commands = [c for c in document["runcmd"] if c[:1] == ["install"]]
    owner = ["-o", "10000", "-g", "10000"]
    assert ["install", "-d", "-m", "0700", *owner, "/etc/bothost/secrets/bot"] in commands
    assert ["install", "-d", "-m", "0750", "-o", "10000", "-g", "10000", "/srv/bothost/data"] in commands
    assert "tg-secret-value" not in json.dumps(document)
    ids = [c.id for c in role_checks(spec, RenderContext()) if c.id.startswith("bot-")]
    assert ids == [f"bot-{n:02d}" for n in (*range(1, 17), 18, 19, 20, 21)]  # bot-17 is freqtrade's
