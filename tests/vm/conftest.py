"""The shared rehearsal VM: the hardened example config, booted once per test session under a lock."""

from __future__ import annotations

import fcntl
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOCK_PATH = "/tmp/bothost-vm.lock"  # one VM-booting test session at a time on this machine
EXAMPLE = ROOT / "Pulumi.example.yaml"


def _require_vm_tools() -> None:
    """Fail in CI, skip elsewhere, when this machine cannot boot the rehearsal VM."""
    sys.path.insert(0, str(ROOT / "tests"))
    from tools import require

    require("root (to build the image with debootstrap)", os.geteuid() == 0)
    for tool in ("qemu-system-x86_64", "qemu-img", "debootstrap", "genisoimage"):
        require(tool, shutil.which(tool))


@pytest.fixture(scope="session")
def vm_lock() -> Iterator[IO[str]]:
    """An exclusive flock on /tmp/bothost-vm.lock for the rest of the session."""
    _require_vm_tools()
    with open(LOCK_PATH, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield lock


@pytest.fixture(scope="session")
def vm_image():  # -> bothost.rehearsal.image.Image
    """The cached rehearsal image for the example config (built on first use: ~2 minutes; own lock)."""
    _require_vm_tools()
    from bothost.cli.options import load_spec
    from bothost.rehearsal.image import ensure_image, recipe_for_spec

    return ensure_image(recipe_for_spec(load_spec(EXAMPLE)))


@pytest.fixture(scope="session")
def vm(vm_lock: IO[str], vm_image) -> Iterator:  # -> bothost.rehearsal.session.RehearsalVM
    """The hardened example config booted once; tests that break something restore it in a `finally`."""
    from bothost.cli.options import load_spec
    from bothost.rehearsal.session import running

    with running(load_spec(EXAMPLE), vm_image) as rehearsal:
        rehearsal.wait_for_cloud_init(sys.stderr)
        yield rehearsal
