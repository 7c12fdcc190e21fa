"""docker create flags from BotSettings: every confinement flag, per preset, table-driven."""

from __future__ import annotations

import dataclasses

import pytest

from bothost.config.bot import parse_bot
from bothost.config.raw import RawConfig
from roles.bot.flags import command_args, create_argv, run_flags, stop_argv
from roles.bot.presets import bot_settings
from roles.bot.settings import BotSettings

DIGEST = "sha256:" + "b" * 64


def settings(preset: str = "generic", **bot: object) -> BotSettings:
    """BotSettings for a preset and bot fields."""
    value = {"preset": preset, **({"image": f"me/bot@{DIGEST}"} if preset == "generic" else {}), **bot}
    if preset == "hummingbot":
        value.setdefault("env", {"SCRIPT_CONFIG": "pmm.yml"})
    return bot_settings(
        parse_bot(
            RawConfig(
                {
                    "bothost:bot": value,
                    "bothost:botSecrets": {"apiPassword": "pw-1234567890", "configPassword": "pw-0987654321"},
                }
            )
        ),
        exchange="binance",
    )


def pairs(flags: list[str]) -> list[tuple[str, str]]:
    """(flag, value) pairs of a flag list (boolean flags get "")."""
    out, index = [], 0
    while index < len(flags):
        if flags[index] == "--read-only":
            out.append((flags[index], ""))
            index += 1
        else:
            out.append((flags[index], flags[index + 1]))
            index += 2
    return out


ALWAYS = [
    ("--read-only", ""),
    ("--cap-drop", "ALL"),
    ("--security-opt", "no-new-privileges"),
    ("--ulimit", "core=0"),
    ("--restart", "unless-stopped"),
    ("--log-driver", "journald"),
    ("--log-opt", "tag=bothost-bot"),
    ("--mount", "type=bind,source=/etc/bothost/secrets/bot,target=/run/secrets,readonly"),
]


@pytest.mark.parametrize(
    ("s", "expected", "absent"),
    [
        (
            settings(),
            [
                *ALWAYS,
                ("--user", "10000:10000"),
                ("--pids-limit", "512"),
                ("--memory", str(1024**3)),
                ("--memory-swap", str(1024**3)),
                ("--cpus", "1"),
                ("--stop-timeout", "90"),
                ("--mount", "type=bind,source=/srv/bothost/data,target=/data"),
                ("--tmpfs", "/tmp:rw,noexec,nosuid,nodev,size=64m"),
            ],
            ["--publish", "--entrypoint", "--env", "--privileged", "--network", "--cap-add"],
        ),
        (
            settings(memory="512m", cpus=0.25, stopGracePeriod="2m", env={"LOG_LEVEL": "debug"}),
            [
                *ALWAYS,
                ("--memory", str(512 * 1024**2)),
                ("--cpus", "0.25"),
                ("--stop-timeout", "120"),
                ("--env", "LOG_LEVEL=debug"),
            ],
            ["--publish"],
        ),
        (
            settings("freqtrade"),
            [
                *ALWAYS,
                ("--user", "10000:10000"),
                ("--publish", "127.0.0.1:8080:8080/tcp"),
                ("--mount", "type=bind,source=/srv/bothost/data,target=/freqtrade/user_data"),
                ("--env", "FT_APP_ENV=bothost"),  # no `sudo chown` attempt (fails under no-new-privileges)
                ("--health-start-period", "300s"),
                ("--env", "HOME=/home/ftuser"),  # where the image's Python packages are, as another uid
            ],
            ["--entrypoint"],
        ),
        (
            settings("hummingbot", dataDir="/srv/bothost/hb"),
            [
                *ALWAYS,
                ("--user", "10000:10000"),  # the bot uid, not the image's 1000 (the admin's uid on the host)
                ("--entrypoint", "python3"),
                ("--mount", "type=bind,source=/srv/bothost/hb/conf,target=/home/hummingbot/conf"),
                ("--mount", "type=bind,source=/srv/bothost/hb/logs,target=/home/hummingbot/logs"),
                ("--mount", "type=bind,source=/srv/bothost/hb/data,target=/home/hummingbot/data"),
                ("--mount", "type=bind,source=/srv/bothost/hb/scripts,target=/home/hummingbot/scripts"),
                ("--env", "SCRIPT_CONFIG=pmm.yml"),
                ("--health-start-period", "300s"),
                ("--memory", str(4 * 1024**3)),
                ("--publish", "127.0.0.1:8091:8091/tcp"),  # the orders the watcher reads, loopback only
            ],
            [],
        ),
        (
            settings(command=["/bin/sh", "/bot/run.sh"]),
            [*ALWAYS, ("--entrypoint", "/bin/sh")],
            ["--add-host"],
        ),
        (
            settings(hosts={"api.binance.com": "10.0.2.2"}),
            [*ALWAYS, ("--add-host", "api.binance.com:10.0.2.2")],
            [],
        ),
    ],
)
def test_run_flags(s: BotSettings, expected: list[tuple[str, str]], absent: list[str]) -> None:
    flags = pairs(run_flags(s))
    for pair in expected:
        assert pair in flags, pair
    for flag in absent:
        assert flag not in {f for f, _ in flags}, flag
    assert ("--health-cmd", s.health_cmd) in flags


@pytest.mark.parametrize(
    ("s", "expected"),
    [
        (settings(), []),
        (settings(args=["--dry-run"]), ["--dry-run"]),
        (settings(command=["/bin/sh", "/bot/run.sh"], args=["x"]), ["/bot/run.sh", "x"]),
        (
            settings("freqtrade"),
            [
                "trade",
                "--config",
                "/freqtrade/user_data/config.json",
                "--config",
                "/run/secrets/config-private.json",
                "--db-url",
                "sqlite:////freqtrade/user_data/tradesv3.sqlite",
            ],
        ),
    ],
)
def test_command_args(s: BotSettings, expected: list[str]) -> None:
    assert command_args(s) == expected


def test_hummingbot_runs_bothosts_start_script_and_never_sees_its_password_in_argv_or_env() -> None:
    s = settings("hummingbot")
    args = command_args(s)
    assert args == ["/run/secrets/bothost-hummingbot.py", "--connector", "binance", "--orders-port", "8091"]
    assert "bothost-hummingbot.py" in s.secret_names and "configPassword" in s.secret_names
    assert "pw-0987654321" not in " ".join(run_flags(s) + args)
    assert "CONFIG_PASSWORD" not in " ".join(run_flags(s))


def test_publishing_beyond_loopback_is_refused() -> None:
    s = dataclasses.replace(settings(), published=(("0.0.0.0", 8080, 8080),))
    with pytest.raises(ValueError, match=r"127\.0\.0\.1"):
        run_flags(s)


def test_create_and_stop_argv() -> None:
    s = settings(args=["--dry-run"])
    argv = create_argv(s, "bothost-bot-next", "sha256:abc", "f00d")
    assert argv[:4] == ["docker", "create", "--name", "bothost-bot-next"]
    assert argv[6:8] == ["--label", "bothost.spec=f00d"]
    assert argv[-2:] == ["sha256:abc", "--dry-run"]
    assert stop_argv("bothost-bot", 90) == ["docker", "stop", "--time", "90", "bothost-bot"]


def test_settings_round_trip_through_plain_dict() -> None:
    for s in (
        settings(),
        settings("freqtrade"),
        settings("hummingbot"),
        settings(env={"A": "1"}),
        settings(hosts={"api.binance.com": "10.0.2.2"}),
    ):
        assert BotSettings.from_dict(s.to_dict()) == s
