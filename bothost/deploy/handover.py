"""Carry the bot's data dir across a server replacement: home after the graceful stop, back before start."""

from __future__ import annotations

import base64
import hashlib
import os
import re
from pathlib import Path

from bothost.errors import BothostError
from bothost.host import Host
from roles.bot.settings import BotSettings

HANDOVER_ENV = "BOTHOST_HANDOVER_DIR"  # where `pulumi up` keeps the data between delete and create
ARCHIVE = "data.tar.gz"
# stdout carries text only (Host.run), so the gzip'd tarball travels base64-encoded.
_EXPORT = 'set -e; test -d "$1" || exit 3; tar -C "$1" -czf - . | base64 -w0'
_RESTORE = 'set -e; mkdir -p "$1"; base64 -d | tar -C "$1" --same-owner -xzf -'
NO_DATA = 3


def handover_dir(resource_id: str) -> Path:
    """The local folder for one bot's data (per Pulumi id: static IP and container name)."""
    root = Path(os.environ.get(HANDOVER_ENV) or Path.home() / ".local/share/bothost/handover")
    return root / re.sub(r"[^A-Za-z0-9._-]+", "_", resource_id)


def export_data(host: Host, s: BotSettings, destination: Path) -> str | None:
    """Copy the (stopped) bot's data dir home as data.tar.gz; its sha256, or None when there is none."""
    result = host.run(["sh", "-c", _EXPORT, "export-data", s.data_dir], timeout=1800)
    if result.exit_status == NO_DATA:
        return None
    if result.exit_status != 0:
        raise BothostError(f"copying {s.data_dir} home failed (exit {result.exit_status}): "
                           f"{result.stderr.strip()[-300:]}")
    data = base64.b64decode(result.stdout.strip())
    destination.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = destination / f"{ARCHIVE}.partial"
    partial.write_bytes(data)
    partial.replace(destination / ARCHIVE)
    return hashlib.sha256(data).hexdigest()


def restore_data(host: Host, s: BotSettings, source: Path) -> str | None:
    """Unpack a handed-over data dir on the new host (before the bot starts); the archive is then kept
    as data.tar.gz.restored, so a later create does not restore it twice. Its sha256, or None."""
    archive = source / ARCHIVE
    if not archive.exists():
        return None
    data = archive.read_bytes()
    host.check(["sh", "-c", _RESTORE, "restore-data", s.data_dir], stdin=base64.b64encode(data),
               timeout=1800)
    archive.replace(source / f"{ARCHIVE}.restored")
    return hashlib.sha256(data).hexdigest()
