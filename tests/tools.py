"""Where the external validators used by the tests live (see install.sh --tests)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

TOOLS_DIR = Path(os.environ.get("BOTHOST_TOOLS_DIR")
                 or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "bothost" / "tools")


def require(what: str, found: object) -> None:
    """Fail (in CI) or skip (elsewhere) when a tool is missing: a test that never runs proves nothing."""
    if found:
        return
    message = f"{what} is missing: run ./install.sh --tests"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message, allow_module_level=True)


def sshd_binary() -> str:
    """Path of an sshd binary for `sshd -t` (unpacked by install.sh, or the system's)."""
    unpacked = TOOLS_DIR / "root/usr/sbin/sshd"
    found = str(unpacked) if unpacked.exists() else shutil.which("sshd") or (
        "/usr/sbin/sshd" if Path("/usr/sbin/sshd").exists() else None)
    require("sshd", found)
    return str(found)


def moduli_file() -> Path:
    """Debian's /etc/ssh/moduli (from openssh-server, unpacked by install.sh, or the system's)."""
    for path in (TOOLS_DIR / "root/etc/ssh/moduli", Path("/etc/ssh/moduli")):
        if path.exists():
            return path
    require("/etc/ssh/moduli (openssh-server)", False)
    raise AssertionError("unreachable")


def cloud_init_schema_command() -> list[str]:
    """The argv prefix that validates a cloud-config file: append the file's path."""
    unpacked = TOOLS_DIR / "root/usr/lib/python3/dist-packages"
    if (unpacked / "cloudinit").is_dir():
        return ["env", f"PYTHONPATH={unpacked}", "/usr/bin/python3", "-m", "cloudinit.cmd.main",
                "schema", "-c"]
    found = shutil.which("cloud-init")
    require("cloud-init", found)
    return [str(found), "schema", "-c"]


def nft_binary() -> str:
    """Path of nft for `nft -c` checks."""
    found = shutil.which("nft") or ("/usr/sbin/nft" if Path("/usr/sbin/nft").exists() else None)
    require("nft", found)
    return str(found)
