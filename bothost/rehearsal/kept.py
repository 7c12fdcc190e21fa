"""A VM left running by `rehearse --keep`: a stack file of what it runs, and the commands to reach it."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:
    from bothost.rehearsal.session import RehearsalVM

KEPT_STACK = "Pulumi.rehearsal.yaml"


def kept_stack_file(config_path: Path, vm: RehearsalVM) -> Path:
    """The user's stack file with the rehearsal's overrides applied, so `bothost verify` checks what runs."""
    document = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
    config = document.setdefault("config", {})
    host, bot = vm.spec.host, vm.spec.bot
    config["bothost:adminSshKeys"] = list(host.admin_ssh_keys)
    config["bothost:adminCidrs"] = list(host.admin_cidrs)
    config["bothost:ntpServers"] = list(host.ntp_servers)
    if bot is not None:
        limits = {"memory": str(bot.memory_bytes), "cpus": bot.cpus,
                  "stopGracePeriod": bot.stop_grace_period, "dataDir": bot.data_dir}
        config["bothost:bot"] = {**limits, "preset": bot.preset, "image": bot.image,
                                 **({"imageArchive": bot.image_archive} if bot.image_archive else {}),
                                 "command": list(bot.command or ()), "env": dict(bot.env)}
        if "bothost:botSecrets" not in config:
            # verify reads only the names; a `secure:` placeholder, since plain key material is refused.
            config["bothost:botSecrets"] = {name: {"secure": "rehearsal-placeholder"}
                                            for name, _ in bot.secrets}
    path = vm.run_dir / KEPT_STACK
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def verify_command(vm: RehearsalVM, stack_file: Path) -> str:
    """A ready-to-paste `bothost verify` line for the kept VM (pinned host keys, the run's key)."""
    argv = ["bothost", "verify", "--config", str(stack_file), "--host", "127.0.0.1",
            "--port", str(vm.ssh_port), "--user", vm.target.user, "--identity", str(vm.target.identity)]
    for line in vm.target.host_keys:
        argv += ["--host-key", line]
    return shlex.join(argv)
