"""qemu command lines, the overlay, and stopping qemu: ACPI first, then quit, then signals."""

from __future__ import annotations

import json
import os
import stat
import sys
import time
from pathlib import Path

import pytest

from bothost.rehearsal.image import Image
from bothost.rehearsal.vm import MIN_DISK, VM, VMConfig, free_port, overlay_argv, qemu_argv

FAKES = Path(__file__).parent / "fakes"
BUILT = Image(disk=Path("/cache/disk.img"), disk_format="raw", kernel=Path("/cache/vmlinuz"),
              initrd=Path("/cache/initrd.img"), cmdline="root=/dev/vda rw console=ttyS0")
CLOUD = Image(disk=Path("/images/debian-12-genericcloud-amd64.qcow2"), disk_format="qcow2")


def _cfg(image: Image = BUILT, **kwargs: object) -> VMConfig:
    return VMConfig(image=image, run_dir=Path("/run/r1"), ssh_port=2222, **kwargs)


def _value(argv: list[str], flag: str) -> list[str]:
    return [argv[i + 1] for i, a in enumerate(argv) if a == flag]


def test_argv_boots_the_built_image_directly_under_tcg() -> None:
    argv = qemu_argv(_cfg())
    assert argv[0] == "qemu-system-x86_64"
    assert _value(argv, "-accel") == ["tcg,thread=multi"] and _value(argv, "-cpu") == ["max"]
    assert _value(argv, "-m") == ["2048"] and _value(argv, "-smp") == ["2"]
    assert _value(argv, "-kernel") == ["/cache/vmlinuz"] and _value(argv, "-initrd") == ["/cache/initrd.img"]
    assert _value(argv, "-append") == ["root=/dev/vda rw console=ttyS0"]
    assert "-no-reboot" not in argv  # reboots must work
    assert _value(argv, "-display") == ["none"]
    assert _value(argv, "-serial") == ["file:/run/r1/serial.log"]
    assert _value(argv, "-pidfile") == ["/run/r1/qemu.pid"]


def test_argv_disk_is_the_overlay_and_seed_a_cdrom() -> None:
    drives = _value(qemu_argv(_cfg()), "-drive")
    assert drives[0].startswith("file=/run/r1/disk.qcow2,if=virtio,format=qcow2")
    assert "/cache/disk.img" not in " ".join(drives)  # the cache is never attached writable
    assert drives[1].startswith("file=/run/r1/seed/seed.iso,if=virtio,media=cdrom")
    assert "readonly=on" in drives[1]


@pytest.mark.parametrize(("guest_port", "expected"), [
    (22, "hostfwd=tcp:127.0.0.1:2222-:22"),
    (2200, "hostfwd=tcp:127.0.0.1:2222-:2200"),
])
def test_argv_forwards_loopback_port_to_guest_ssh_port(guest_port: int, expected: str) -> None:
    netdev = _value(qemu_argv(_cfg(guest_ssh_port=guest_port)), "-netdev")
    assert netdev == [f"user,id=n0,{expected}"]


def test_argv_for_a_cloud_image_uses_its_boot_loader() -> None:
    argv = qemu_argv(_cfg(CLOUD))
    assert "-kernel" not in argv and "-append" not in argv


def test_argv_kvm_opt_in() -> None:
    argv = qemu_argv(_cfg(accel="kvm"))
    assert _value(argv, "-accel") == ["kvm"] and _value(argv, "-cpu") == ["host"]


@pytest.mark.parametrize(("image", "base_size", "expected"), [
    (BUILT, None, ["-b", "/cache/disk.img", "-F", "raw", "/run/r1/disk.qcow2"]),
    (CLOUD, 2 * 1024**3, ["-b", str(CLOUD.disk), "-F", "qcow2", "/run/r1/disk.qcow2", str(MIN_DISK)]),
    (CLOUD, 20 * 1024**3, ["-b", str(CLOUD.disk), "-F", "qcow2", "/run/r1/disk.qcow2"]),
])
def test_overlay_is_copy_on_write_over_the_base(image: Image, base_size: int | None,
                                                expected: list[str]) -> None:
    argv = overlay_argv(_cfg(image), base_size)
    assert argv[:5] == ["qemu-img", "create", "-q", "-f", "qcow2"]
    assert argv[5:] == expected


def test_free_port_is_bindable() -> None:
    import socket

    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


@pytest.fixture
def fake_qemu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """qemu-system-x86_64 and qemu-img stand-ins on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = f"#!/bin/sh\nexec {sys.executable} {FAKES / 'qemu.py'} \"$@\"\n"
    (bin_dir / "qemu-system-x86_64").write_text(fake)
    (bin_dir / "qemu-img").write_text("#!/bin/sh\nfor last; do :; done; touch \"$last\"\n")
    for tool in bin_dir.iterdir():
        tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_QEMU_ARGV", str(tmp_path / "argv.json"))
    return tmp_path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize(("mode", "longest"), [("acpi", 3.0), ("quit", 4.0), ("stuck", 20.0)])
def test_stop_leaves_no_process(fake_qemu: Path, monkeypatch: pytest.MonkeyPatch, mode: str,
                                longest: float) -> None:
    monkeypatch.setenv("FAKE_QEMU_MODE", mode)
    run_dir = fake_qemu / "run"
    (run_dir / "seed").mkdir(parents=True)
    vm = VM(VMConfig(image=BUILT, run_dir=run_dir, ssh_port=free_port())).start()
    pid = vm.pid
    deadline = time.monotonic() + 5
    while not vm.cfg.qmp_socket.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert json.loads((fake_qemu / "argv.json").read_text()) == qemu_argv(vm.cfg)[1:]
    assert vm.cfg.overlay.exists()
    started = time.monotonic()
    vm.stop(timeout=1.0)
    assert not _alive(pid) and not vm.running()
    assert time.monotonic() - started < longest


def test_interrupted_with_block_stops_the_vm(fake_qemu: Path) -> None:
    run_dir = fake_qemu / "run"
    (run_dir / "seed").mkdir(parents=True)
    cfg = VMConfig(image=BUILT, run_dir=run_dir, ssh_port=free_port())
    with pytest.raises(KeyboardInterrupt), VM(cfg) as vm:
        vm.start()
        pid = vm.pid
        raise KeyboardInterrupt
    assert not _alive(pid)
