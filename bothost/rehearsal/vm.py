"""One qemu VM: argv built as a list, copy-on-write disk, seed ISO, forwarded SSH port, orderly stop."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from bothost.errors import BothostError
from bothost.rehearsal.image import Image

MEMORY_MB = 2048  # Docker plus cloud-init fit comfortably; a cx23 has 4 GiB
CPUS = 2  # the build machine has 2 cores; multi-threaded TCG uses both
MIN_DISK = 8 * 1024**3  # grow user-given cloud images (2 GiB) so Docker has room


@dataclass(frozen=True)
class VMConfig:
    """What one VM boots and where its run-time files go."""

    image: Image
    run_dir: Path
    ssh_port: int  # host port on 127.0.0.1
    guest_ssh_port: int = 22  # the guest's sshd port the host port forwards to
    memory_mb: int = MEMORY_MB
    cpus: int = CPUS
    accel: str = "tcg"  # nested KVM is broken here (see LOCAL-VM.md); "kvm" opts in elsewhere

    @property
    def overlay(self) -> Path:
        """The per-run copy-on-write disk; the cached image is never written."""
        return self.run_dir / "disk.qcow2"

    @property
    def seed(self) -> Path:
        """The NoCloud seed ISO."""
        return self.run_dir / "seed" / "seed.iso"

    @property
    def serial_log(self) -> Path:
        """Where the serial console is written."""
        return self.run_dir / "serial.log"

    @property
    def qmp_socket(self) -> Path:
        """qemu's QMP control socket (ACPI power-off, quit)."""
        return self.run_dir / "qmp.sock"

    @property
    def pid_file(self) -> Path:
        """qemu writes its pid here."""
        return self.run_dir / "qemu.pid"


def qemu_argv(cfg: VMConfig) -> list[str]:
    """The qemu-system-x86_64 command line for this VM."""
    accel = ["-accel", "tcg,thread=multi", "-cpu", "max"] if cfg.accel == "tcg" else \
        ["-accel", "kvm", "-cpu", "host"]
    argv = ["qemu-system-x86_64", "-name", "bothost-rehearsal", *accel,
            "-m", str(cfg.memory_mb), "-smp", str(cfg.cpus),
            "-display", "none", "-monitor", "none", "-serial", f"file:{cfg.serial_log}",
            "-qmp", f"unix:{cfg.qmp_socket},server=on,wait=off", "-pidfile", str(cfg.pid_file),
            "-drive", f"file={cfg.overlay},if=virtio,format=qcow2,cache=unsafe,discard=unmap",
            "-drive", f"file={cfg.seed},if=virtio,media=cdrom,format=raw,readonly=on",
            "-netdev", f"user,id=n0,hostfwd=tcp:127.0.0.1:{cfg.ssh_port}-:{cfg.guest_ssh_port}",
            "-device", "virtio-net-pci,netdev=n0",
            "-device", "virtio-rng-pci"]  # entropy for sshd and Docker early in boot
    if cfg.image.kernel is not None:
        argv += ["-kernel", str(cfg.image.kernel), "-initrd", str(cfg.image.initrd),
                 "-append", cfg.image.cmdline]
    return argv


def overlay_argv(cfg: VMConfig, base_size: int | None = None) -> list[str]:
    """qemu-img command creating the run's overlay on top of the (read-only) base image."""
    argv = ["qemu-img", "create", "-q", "-f", "qcow2", "-b", str(cfg.image.disk), "-F", cfg.image.disk_format,
            str(cfg.overlay)]
    if base_size is not None and base_size < MIN_DISK:
        argv.append(str(MIN_DISK))
    return argv


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class VM:
    """A running qemu process; stop() shuts it down (ACPI first) and leaves nothing behind."""

    def __init__(self, cfg: VMConfig) -> None:
        self.cfg = cfg
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> VM:
        """Create the overlay and launch qemu in its own session (so Ctrl-C reaches us, not it)."""
        base_size = _virtual_size(self.cfg.image.disk) if self.cfg.image.disk_format == "qcow2" else None
        subprocess.run(overlay_argv(self.cfg, base_size), check=True, capture_output=True)
        log = (self.cfg.run_dir / "qemu.log").open("wb")
        try:
            self.process = subprocess.Popen(qemu_argv(self.cfg), stdin=subprocess.DEVNULL, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        except FileNotFoundError:
            raise BothostError("qemu-system-x86_64 not found: apt-get install qemu-system-x86") from None
        finally:
            log.close()
        time.sleep(0.5)
        if self.process.poll() is not None:
            raise BothostError(f"qemu exited at once: {(self.cfg.run_dir / 'qemu.log').read_text()[-500:]}")
        return self

    @property
    def pid(self) -> int:
        """The qemu process id."""
        if self.process is None:
            raise BothostError("the VM is not started")
        return self.process.pid

    def running(self) -> bool:
        """Whether qemu is still running."""
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 60.0) -> None:
        """ACPI power-off, then quit, then kill: qemu is gone when this returns."""
        if self.process is None:
            return
        stop_qemu(self.process.pid, self.cfg.qmp_socket, timeout, wait=self.process.wait)
        self.process = None

    def __enter__(self) -> VM:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop(timeout=10.0 if kind is not None else 60.0)


def stop_qemu(pid: int, qmp_socket: Path, timeout: float, wait=None) -> None:
    """Stop a qemu process by pid (also from another process, e.g. `rehearse --stop`)."""
    wait = wait or (lambda timeout: _wait_gone(pid, timeout))
    for command, grace in (("system_powerdown", timeout), ("quit", 5.0)):
        with contextlib.suppress(OSError, ValueError):
            qmp(qmp_socket, command, timeout=min(5.0, timeout))
            with contextlib.suppress(subprocess.TimeoutExpired):
                wait(timeout=grace)
                return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            wait(timeout=5.0)
            return


def qmp(path: Path, command: str, timeout: float = 5.0) -> dict:
    """Run one QMP command on qemu's monitor socket and return its reply."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(str(path))
        reader = sock.makefile("rb")
        json.loads(reader.readline())  # greeting
        for name in ("qmp_capabilities", command):
            sock.sendall(json.dumps({"execute": name}).encode() + b"\n")
            while True:
                reply = json.loads(reader.readline() or b"{}")
                if not reply or "return" in reply or "error" in reply:
                    break
        return reply


def _wait_gone(pid: int, timeout: float) -> None:
    """Wait for a process that is not our child to exit (TimeoutExpired if it does not)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    raise subprocess.TimeoutExpired(str(pid), timeout)


def _virtual_size(path: Path) -> int:
    """The virtual disk size of an image, in bytes."""
    out = subprocess.run(["qemu-img", "info", "--output", "json", str(path)], check=True, capture_output=True,
                         text=True).stdout
    return int(json.loads(out)["virtual-size"])
