"""The bot's docker argument lists, built from BotSettings: the flags checks bot-02..14 and bot-21 prove."""

from __future__ import annotations

from roles.bot.settings import SECRETS_MOUNT, BotSettings

SPEC_LABEL = "bothost.spec"  # hash of the desired container (secrets only as keyed hashes)
MANAGED_LABEL = "bothost.managed"


def run_flags(s: BotSettings) -> list[str]:
    """The `docker create` options that decide the container's confinement and behaviour."""
    flags = [
        "--read-only",
        "--tmpfs",
        f"/tmp:rw,noexec,nosuid,nodev,size={s.tmpfs_size}",
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges",
        "--pids-limit",
        str(s.pids_limit),
        "--ulimit",
        "core=0",  # no core file: the bot's memory holds its exchange keys (dockerd itself runs unlimited)
        "--memory",
        str(s.memory_bytes),
        "--memory-swap",
        str(s.memory_bytes),  # equal to --memory: no swap on top of the limit
        "--cpus",
        _cpus(s.cpus),
        "--restart",
        s.restart,
        "--stop-timeout",
        str(s.stop_grace_period),
        "--log-driver",
        s.log_driver,
        "--log-opt",
        f"tag={s.container}",
        "--health-cmd",
        s.health_cmd,
        "--health-interval",
        f"{s.health_interval}s",
        "--health-timeout",
        f"{s.health_timeout}s",
        "--health-retries",
        str(s.health_retries),
        "--health-start-period",
        f"{s.health_start_period}s",
    ]
    if s.user is not None:
        flags += ["--user", s.user]
    for host_ip, host_port, container_port in s.published:
        if host_ip != "127.0.0.1":
            raise ValueError(
                f"refusing to publish port {host_port} on {host_ip}: the bot's API stays on 127.0.0.1"
            )
        flags += ["--publish", f"{host_ip}:{host_port}:{container_port}/tcp"]
    for name, ip in s.hosts:
        flags += ["--add-host", f"{name}:{ip}"]
    for mount in s.data_mounts:
        flags += [
            "--mount",
            f"type=bind,source={mount.source},target={mount.target}"
            + (",readonly" if mount.read_only else ""),
        ]
    flags += ["--mount", f"type=bind,source={s.secrets_dir},target={SECRETS_MOUNT},readonly"]
    for name, value in s.env:
        flags += ["--env", f"{name}={value}"]
    if s.entrypoint is not None:
        flags += ["--entrypoint", s.entrypoint[0] if s.entrypoint else ""]
    return flags


def command_args(s: BotSettings) -> list[str]:
    """What follows the image on the command line: the rest of the entrypoint, then the args."""
    rest = list(s.entrypoint[1:]) if s.entrypoint else []
    return rest + (list(s.args) if s.args is not None else [])


def create_argv(s: BotSettings, name: str, image: str, spec_hash: str) -> list[str]:
    """`docker create` for the bot: the flags, the labels, the image and its arguments."""
    return [
        "docker",
        "create",
        "--name",
        name,
        "--label",
        f"{MANAGED_LABEL}=true",
        "--label",
        f"{SPEC_LABEL}={spec_hash}",
        *run_flags(s),
        image,
        *command_args(s),
    ]


def stop_argv(name: str, grace: int) -> list[str]:
    """Stop gracefully: SIGTERM, then SIGKILL after the full grace period."""
    return ["docker", "stop", "--time", str(grace), name]


def _cpus(cpus: float) -> str:
    return f"{cpus:.2f}".rstrip("0").rstrip(".")
