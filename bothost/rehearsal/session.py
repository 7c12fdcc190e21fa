"""A rehearsal VM: the user's spec (plus printed overrides) booted under qemu, reachable over pinned SSH."""

from __future__ import annotations

import contextlib
import logging
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from bothost.config import StackSpec
from bothost.errors import HostKeyMismatch, RemoteError
from bothost.host import Host, connect
from bothost.hostkeys import generate_host_keys, public_lines
from bothost.rehearsal import sntp
from bothost.rehearsal.console import describe_stage, read_console
from bothost.rehearsal.image import Image
from bothost.rehearsal.overrides import HOST_GATEWAY, Override, generate_admin_key, rehearsal_spec
from bothost.rehearsal.seed import make_seed_iso, meta_data
from bothost.rehearsal.vm import VM, VMConfig, free_port
from bothost.role import Check, CommandResult, RenderContext
from bothost.ssh import Target

BOOT_TIMEOUT = 900.0  # seconds to SSH login and cloud-init done; ~100 s measured under TCG, slower when busy
LOOPBACK = "127.0.0.1"
POLL_SECONDS = 1.0  # how often the boot progress line is refreshed from the serial console

# paramiko logs every refused connection attempt while the VM boots; a handler keeps that off the terminal.
logging.getLogger("paramiko").addHandler(logging.NullHandler())


@dataclass
class RehearsalVM:
    """A booted rehearsal VM and everything needed to reach it."""

    spec: StackSpec  # the effective spec the VM was rendered from (overrides applied)
    target: Target  # admin user, pinned host keys, identity = the run's private key file
    ssh_port: int  # on 127.0.0.1
    run_dir: Path
    vm: VM
    context: RenderContext
    user_data: str
    overrides: list[Override] = field(default_factory=list)
    host_gateway: str = HOST_GATEWAY  # this machine as the guest sees it (servers on 127.0.0.1 here)
    sntp_process: subprocess.Popen[bytes] | None = None

    def remote(self) -> Host:
        """A new pinned SSH connection as the admin user."""
        return connect(self.target)

    def checks(self) -> list[Check]:
        """Every role's checks for the effective spec."""
        from bothost.userdata import role_checks

        return role_checks(self.spec, self.context)

    @property
    def known_hosts(self) -> Path:
        """A known_hosts file pinning the VM's host keys at [127.0.0.1]:PORT (for the ssh command)."""
        return self.run_dir / "known_hosts"

    def ssh_command(self) -> str:
        """How a person logs in to the VM with OpenSSH."""
        return (f"ssh -i {self.target.identity} -p {self.ssh_port} -o UserKnownHostsFile={self.known_hosts} "
                f"{self.target.user}@{LOOPBACK}")

    def wait_for_cloud_init(self, out: TextIO = sys.stderr, timeout: float = BOOT_TIMEOUT) -> CommandResult:
        """Wait for SSH, then for `cloud-init status --wait`, showing elapsed seconds and the stage."""
        return wait_for_cloud_init(self, out, timeout)

    def reboot(self, timeout: float = 600.0) -> None:
        """Reboot the guest and return when SSH answers from the new boot and systemd has settled."""
        with self.remote() as remote:
            old = remote.run(["cat", "/proc/sys/kernel/random/boot_id"], sudo=False).stdout.strip()
            with contextlib.suppress(RemoteError):
                remote.run(["systemctl", "reboot"], timeout=15)
        deadline = time.monotonic() + timeout
        while True:
            try:
                remote = connect(self.target, wait=max(5.0, deadline - time.monotonic()))
                with remote:
                    now = remote.run(["cat", "/proc/sys/kernel/random/boot_id"], sudo=False).stdout.strip()
                    if now and now != old:
                        remote.run(["systemctl", "is-system-running", "--wait"], sudo=False,
                                   timeout=max(5.0, deadline - time.monotonic()))
                        return
            except HostKeyMismatch:
                raise
            except RemoteError:
                pass  # reached the old boot's sshd while it shut down: the connection dropped; try again
            if time.monotonic() > deadline:
                raise RemoteError(f"the VM did not come back from reboot within {timeout:.0f} s")
            time.sleep(2)

    def stop(self, timeout: float = 60.0) -> None:
        """Shut the VM down and stop its SNTP server."""
        self.vm.stop(timeout)
        if self.sntp_process is not None:
            self.sntp_process.terminate()
            self.sntp_process.wait(timeout=5)
            self.sntp_process = None


def new_run_dir() -> Path:
    """A private directory for one run's key, seed, overlay and logs."""
    return Path(tempfile.mkdtemp(prefix="bothost-rehearsal-"))


def start(spec: StackSpec, image: Image, *, run_dir: Path, ssh_port: int | None = None,
          accel: str = "tcg") -> RehearsalVM:
    """Render the spec (with rehearsal overrides) and launch the VM; returns while it boots."""
    from bothost.userdata import render_user_data

    key_file, key_line = generate_admin_key(run_dir)
    effective, overrides = rehearsal_spec(spec, key_line)
    host_keys = generate_host_keys()
    context = RenderContext(host_keys=host_keys)
    user_data = render_user_data(effective, context)
    port = ssh_port or free_port()
    make_seed_iso(run_dir / "seed", user_data, meta_data(f"rehearsal-{uuid.uuid4()}", "bothost-rehearsal"))
    cfg = VMConfig(image=image, run_dir=run_dir, ssh_port=port, guest_ssh_port=effective.host.ssh_port,
                   accel=accel)
    pinned = tuple(public_lines(host_keys))
    (run_dir / "known_hosts").write_text("".join(f"[{LOOPBACK}]:{port} {line}\n" for line in pinned))
    target = Target(LOOPBACK, port, effective.host.admin_user, pinned, key_file)
    vm = VM(cfg).start()
    try:
        rehearsal = RehearsalVM(effective, target, port, run_dir, vm, context, user_data, overrides)
        rehearsal.sntp_process = start_sntp(vm.pid)
    except BaseException:  # e.g. Ctrl-C while the SNTP server starts: no qemu left behind
        vm.stop(timeout=10.0)
        raise
    return rehearsal


@contextlib.contextmanager
def running(spec: StackSpec, image: Image, *, ssh_port: int | None = None, keep: bool = False,
            run_dir: Path | None = None) -> Iterator[RehearsalVM]:
    """A rehearsal VM for the duration of a with-block; stopped (and its files removed) unless keep."""
    run_dir = run_dir or new_run_dir()
    rehearsal = None
    try:
        rehearsal = start(spec, image, run_dir=run_dir, ssh_port=ssh_port)
        yield rehearsal
    except BaseException:
        keep = False  # a failed or interrupted run never leaves a VM behind
        raise
    finally:
        if rehearsal is not None and not keep:
            rehearsal.stop()
        if not keep:
            shutil.rmtree(run_dir, ignore_errors=True)


def start_sntp(vm_pid: int) -> subprocess.Popen[bytes]:
    """Serve this machine's clock on 127.0.0.1:123 while the VM runs (shared with a concurrent rehearsal)."""
    process = subprocess.Popen([sys.executable, "-m", "bothost.rehearsal.sntp", "--watch-pid", str(vm_pid)],
                               stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 15.0  # python starts slowly on a busy machine
    while sntp.query(timeout=1.0) is None and time.monotonic() < deadline:
        time.sleep(0.2)
    if sntp.query(timeout=1.0) is None:
        print("warning: nothing answers SNTP on 127.0.0.1:123; the clock-synchronised check will fail",
              file=sys.stderr)
    return process


def wait_for_cloud_init(rehearsal: RehearsalVM, out: TextIO, timeout: float) -> CommandResult:
    """Progress from the serial console until cloud-init reports done (or error) over SSH."""
    started = time.monotonic()
    result: list[CommandResult | BaseException] = []

    def ssh_side() -> None:
        """Log in, then block in `cloud-init status --wait`."""
        try:
            with connect(rehearsal.target, wait=timeout) as remote:
                result.append(remote.run(["cloud-init", "status", "--wait", "--long"], sudo=False,
                                          timeout=timeout))
        except BaseException as exc:  # handed to the waiting thread
            result.append(exc)

    worker = threading.Thread(target=ssh_side, name="cloud-init-wait", daemon=True)
    worker.start()
    shown = ""
    tty = out.isatty()
    while worker.is_alive() and time.monotonic() - started < timeout + 30:
        if not rehearsal.vm.running():
            raise RemoteError(f"the VM stopped during boot; see {rehearsal.vm.cfg.serial_log}")
        stage = describe_stage(read_console(rehearsal.vm.cfg.serial_log))
        line = f"  [{time.monotonic() - started:5.0f} s] {stage}"
        if tty:
            print(f"\r{line:<78}", end="", file=out, flush=True)
        elif stage != shown:
            print(line, file=out, flush=True)
        shown = stage
        worker.join(timeout=POLL_SECONDS)
    if tty:
        print(file=out)
    if not result:
        raise RemoteError(f"cloud-init did not finish within {timeout:.0f} s")
    if isinstance(result[0], BaseException):
        raise result[0]
    print(f"  [{time.monotonic() - started:5.0f} s] cloud-init done: "
          f"{_status_line(result[0].stdout)}", file=out, flush=True)
    return result[0]


def _status_line(text: str) -> str:
    """The `status:` value of `cloud-init status --long` output."""
    for line in text.splitlines():
        if line.startswith("status:"):
            return line.split(":", 1)[1].strip()
    return text.strip().splitlines()[-1] if text.strip() else "(no output)"


def stop_kept(run_dir: Path, timeout: float = 60.0) -> bool:
    """Stop a VM left running by `rehearse --keep` and remove its run directory; False if none ran."""
    from bothost.rehearsal.vm import stop_qemu

    pid_file = run_dir / "qemu.pid"
    stopped = False
    if pid_file.exists():
        pid = int(pid_file.read_text().split()[0])
        if _is_our_qemu(pid, run_dir):
            stop_qemu(pid, run_dir / "qmp.sock", timeout)
            stopped = True
    shutil.rmtree(run_dir, ignore_errors=True)
    return stopped


def _is_our_qemu(pid: int, run_dir: Path) -> bool:
    """Only a qemu whose command line names this run directory is ours to stop."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return bool(argv) and b"qemu-system" in argv[0] and any(str(run_dir).encode() in a for a in argv)
