"""The rehearsal as the user sees it: overrides, boot progress, verify report, the IP line, cleanup."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TextIO

from bothost.config import StackSpec
from bothost.rehearsal.image import Image
from bothost.rehearsal.overrides import Override, format_overrides
from bothost.rehearsal.session import BOOT_TIMEOUT, RehearsalVM, new_run_dir, running
from bothost.verify.report import as_table
from bothost.verify.runner import verify_target


def rehearse(spec: StackSpec, image: Image, *, ssh_port: int | None = None, keep: bool = False,
             out: TextIO = sys.stdout, config_path: Path | None = None) -> bool:
    """Boot the spec's user_data on a local VM, deploy the demo bot, verify; True when every check passes."""
    from bothost.rehearsal.demo_bot import demo_archive, demo_bot

    run_dir = new_run_dir()
    spec, bot_overrides = demo_bot(spec, demo_archive(run_dir))
    with running(spec, image, ssh_port=ssh_port, keep=keep, run_dir=run_dir) as vm:
        started = time.monotonic()
        print(format_overrides([*vm.overrides, *(Override(*o) for o in bot_overrides)]), file=out)
        print(f"VM: qemu pid {vm.vm.pid}, SSH 127.0.0.1:{vm.ssh_port} -> guest port {vm.spec.host.ssh_port}, "
              f"serial console log {vm.vm.cfg.serial_log}", file=out, flush=True)
        # A user-given cloud image lacks the packages: apt runs inside the emulated VM, which is slow.
        status = vm.wait_for_cloud_init(out, timeout=BOOT_TIMEOUT * (1 if image.kernel else 3))
        if status.exit_status != 0:
            print(f"WARNING: cloud-init reported an error:\n{status.stdout.strip()}", file=out)
        deploy_demo_bot(vm, out)
        results = verify_target(vm.target, vm.checks())
        print(as_table(results, f"rehearsal VM ({vm.target.user}@127.0.0.1:{vm.ssh_port})"), file=out)
        print(f"\nFirst boot to verified: {time.monotonic() - started:.0f} s", file=out)
        print(f"REHEARSAL ONLY - IP to whitelist: {guest_address(vm)} (the VM's address behind qemu's NAT; "
              "`pulumi up` prints the server's static IPv4 here)", file=out)
        if keep:
            print(keep_instructions(vm, config_path), file=out)
        return all(r.passed for r in results)


def deploy_demo_bot(vm: RehearsalVM, out: TextIO) -> None:
    """Deploy the demo bot the way `bothost deploy` does (the exchange key audit needs a real exchange)."""
    from bothost.deploy.ops import deploy_spec
    from bothost.rehearsal.demo_bot import demo_secrets

    if vm.spec.exchange is not None:
        print("Key audit skipped: the rehearsal VM cannot reach the exchange (run `bothost audit-key` "
              "against the real host).", file=out)
    print("Deploying the demo bot ...", file=out, flush=True)
    with vm.remote() as remote:
        result = deploy_spec(remote, vm.spec, demo_secrets(vm.spec),
                             note=lambda line: print(f"  {line}", file=out))
    print(f"Bot running: image {result.image_id[:19]}", file=out, flush=True)


def guest_address(vm: RehearsalVM) -> str:
    """The VM's IPv4 address on its network interface."""
    with vm.remote() as remote:
        words = remote.run(["hostname", "-I"], sudo=False).stdout.split()
    return next((w for w in words if "." in w and not w.startswith("172.17.")), "unknown")


def keep_instructions(vm: RehearsalVM, config_path: Path | None = None) -> str:
    """How to log in to a kept VM, verify it again, and stop it."""
    from bothost.rehearsal.kept import kept_stack_file, verify_command

    verify = [] if config_path is None else [
        "Verify it again with:", f"  {verify_command(vm, kept_stack_file(config_path, vm))}"]
    return "\n".join([
        "The VM keeps running. Log in with:",
        f"  {vm.ssh_command()}",
        *verify,
        "Stop it with:",
        f"  bothost rehearse --stop {vm.run_dir}",
        f"  (or: kill $(cat {vm.vm.cfg.pid_file}); rm -r {vm.run_dir})",
    ])
