"""The NoCloud seed: user_data and meta_data on an ISO labelled `cidata`, read by cloud-init at boot."""

from __future__ import annotations

import subprocess
from pathlib import Path

from bothost.errors import BothostError

VOLUME_ID = "cidata"  # the label cloud-init's NoCloud datasource looks for


def meta_data(instance_id: str, hostname: str) -> str:
    """NoCloud meta-data: a fresh instance id makes cloud-init treat the boot as a first boot."""
    return f"instance-id: {instance_id}\nlocal-hostname: {hostname}\n"


def make_seed_iso(directory: Path, user_data: str, meta: str) -> Path:
    """Write user-data and meta-data into `directory` and pack them as seed.iso (genisoimage)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "user-data").write_text(user_data)
    (directory / "meta-data").write_text(meta)
    iso = directory / "seed.iso"
    argv = ["genisoimage", "-quiet", "-output", str(iso), "-volid", VOLUME_ID, "-joliet", "-rock",
            str(directory / "user-data"), str(directory / "meta-data")]
    try:
        result = subprocess.run(argv, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BothostError("genisoimage not found: apt-get install genisoimage") from None
    if result.returncode != 0:
        raise BothostError(f"genisoimage failed: {result.stderr.strip()[-300:]}")
    (directory / "user-data").chmod(0o600)  # contains the private host keys
    return iso
