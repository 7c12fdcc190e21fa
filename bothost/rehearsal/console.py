"""Read the VM's serial console log: cloud-init's stage (for progress) and the host keys it prints."""

from __future__ import annotations

import re
from pathlib import Path

_STAGE = re.compile(r"Cloud-init v\. \S+ (?:running '([a-z:-]+)'|(finished))")
_KEY = re.compile(r"\b(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(?:256|384|521)) (AAAA[A-Za-z0-9+/=]+)")
STAGE_NAMES = {
    None: "booting the kernel",
    "init-local": "cloud-init: init-local",
    "init": "cloud-init: init (network, users, SSH keys, files)",
    "modules:config": "cloud-init: config modules",
    "modules:final": "cloud-init: final modules (packages, runcmd)",
    "finished": "cloud-init: finished",
}


def cloud_init_stage(text: str) -> str | None:
    """The last cloud-init stage the console shows (None before cloud-init starts)."""
    stage = None
    for match in _STAGE.finditer(text):
        stage = match.group(1) or match.group(2)
    return stage


def describe_stage(text: str) -> str:
    """A short human description of where the boot is."""
    stage = cloud_init_stage(text)
    return STAGE_NAMES.get(stage, f"cloud-init: {stage}")


def host_keys_from_console(text: str) -> tuple[str, ...]:
    """The public host keys cloud-init printed between its SSH HOST KEY KEYS markers."""
    start = text.rfind("-----BEGIN SSH HOST KEY KEYS-----")
    end = text.find("-----END SSH HOST KEY KEYS-----", start)
    if start < 0 or end < 0:
        return ()
    return tuple(dict.fromkeys(f"{m.group(1)} {m.group(2)}" for m in _KEY.finditer(text[start:end])))


def read_console(path: Path) -> str:
    """The serial log so far ('' before qemu created it)."""
    try:
        return path.read_text(errors="replace")
    except FileNotFoundError:
        return ""
