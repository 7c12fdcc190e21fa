"""A stock boot of the same image: minimal user_data (an admin key only), for baselines and benchmarks."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import yaml

from bothost.errors import RemoteError
from bothost.host import Host, connect
from bothost.rehearsal.console import host_keys_from_console, read_console
from bothost.rehearsal.image import Image
from bothost.rehearsal.overrides import generate_admin_key
from bothost.rehearsal.seed import make_seed_iso, meta_data
from bothost.rehearsal.vm import VM, VMConfig, free_port
from bothost.ssh import Target


def minimal_user_data(admin_user: str, key_line: str) -> str:
    """What a user without bothost would give the server: one sudo user with one key."""
    document = {"users": [{"name": admin_user, "shell": "/bin/bash", "sudo": "ALL=(ALL) NOPASSWD:ALL",
                           "ssh_authorized_keys": [key_line]}]}
    return "#cloud-config\n" + yaml.safe_dump(document, sort_keys=False)


@dataclass
class StockVM:
    """A VM booted from minimal user_data; its host keys are read from the console cloud-init prints."""

    vm: VM
    ssh_port: int
    admin_user: str
    identity: Path

    def wait_for_login(self, timeout: float) -> Host:
        """Log in as soon as cloud-init has printed the host keys and sshd accepts our key."""
        deadline = time.monotonic() + timeout
        keys: tuple[str, ...] = ()
        while not keys:
            if time.monotonic() > deadline or not self.vm.running():
                raise RemoteError("the stock VM never printed its SSH host keys on the console")
            keys = host_keys_from_console(read_console(self.vm.cfg.serial_log))
            time.sleep(1)
        target = Target("127.0.0.1", self.ssh_port, self.admin_user, keys, self.identity)
        return connect(target, wait=max(5.0, deadline - time.monotonic()), interval=1.0)

    def stop(self, timeout: float = 30.0) -> None:
        """Shut the VM down."""
        self.vm.stop(timeout)


def start_stock(image: Image, run_dir: Path, admin_user: str = "bothost", ssh_port: int | None = None,
                accel: str = "tcg") -> StockVM:
    """Boot the image with minimal user_data; returns while it boots."""
    identity, key_line = generate_admin_key(run_dir)
    make_seed_iso(run_dir / "seed", minimal_user_data(admin_user, key_line),
                  meta_data(f"stock-{uuid.uuid4()}", "stock"))
    port = ssh_port or free_port()
    vm = VM(VMConfig(image=image, run_dir=run_dir, ssh_port=port, accel=accel)).start()
    return StockVM(vm, port, admin_user, identity)
