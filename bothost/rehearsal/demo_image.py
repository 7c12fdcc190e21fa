"""A tiny demo bot image built without Docker: static busybox plus a shell bot, as a tarball."""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path

from bothost.rehearsal.docker_archive import image_json, manifest_json

BUSYBOX = Path("/bin/busybox")  # Debian's busybox-static: no shared libraries needed in the image
DEMO_TAG = "bothost-demo:1"
DEMO_USER = "1000:1000"
DEMO_COMMAND = ("/bin/sh", "/bot/run.sh")
APPLETS = (
    "sh",
    "cat",
    "date",
    "echo",
    "sleep",
    "test",
    "[",
    "wc",
    "kill",
    "mkdir",
    "ls",
    "ps",
    "id",
    "env",
    "grep",
    "head",
    "tail",
    "true",
    "false",
    "printf",
    "rm",
    "touch",
)
# The demo bot: a heartbeat for the health check, a SIGTERM handler that "cancels orders" and records it,
# and a secret it reads but never prints (only its length).
BOT_SCRIPT = """#!/bin/sh
# bothost demo bot {version}: heartbeat, graceful SIGTERM, reads its secret file without printing it.
state="${{BOT_STATE_DIR:-/data}}"
secret="${{BOT_SECRET_FILE:-/run/secrets/exchange_api_secret}}"
cleanup="${{BOT_STOP_SECONDS:-2}}"
on_term() {{
  echo "got SIGTERM: cancelling open orders for ${{cleanup}}s"
  echo "$(date +%s) {version} SIGTERM" >> "$state/sigterm.log"
  sleep "$cleanup"
  echo "clean exit"
  exit 0
}}
trap on_term TERM INT
if [ -r "$secret" ]; then
  echo "secret loaded ($(wc -c < "$secret") bytes)"
else
  echo "no readable secret at $secret"
fi
echo "demo bot {version} started as $(id -u):$(id -g)"
echo "$(date +%s) {version} start" >> "$state/starts.log"
while :; do
  date +%s > /tmp/heartbeat
  sleep 1 &
  wait $!
done
"""


def rootfs_tar(version: str = "1") -> bytes:
    """The image's filesystem as an uncompressed tar with fixed timestamps (identical bytes every build)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for directory in ("bin", "bot", "etc", "tmp", "data", "run", "run/secrets", "proc", "sys", "dev"):
            _add(tar, directory, None, 0o1777 if directory == "tmp" else 0o755)
        _add(tar, "bin/busybox", BUSYBOX.read_bytes(), 0o755)
        for applet in APPLETS:
            info = tarfile.TarInfo(f"bin/{applet}")
            info.type, info.linkname, info.mode = tarfile.SYMTYPE, "busybox", 0o777
            tar.addfile(info)
        _add(tar, "bot/run.sh", BOT_SCRIPT.format(version=version).encode(), 0o755)
        _add(tar, "etc/passwd", b"root:x:0:0:root:/:/bin/sh\nbot:x:1000:1000:bot:/data:/bin/sh\n", 0o644)
        _add(tar, "etc/group", b"root:x:0:\nbot:x:1000:\n", 0o644)
    return buffer.getvalue()


def docker_archive(tag: str = DEMO_TAG, version: str = "1") -> bytes:
    """A `docker load` tarball (one layer, config, manifest); its image id is stable for a version."""
    layer = rootfs_tar(version)
    layer_id = hashlib.sha256(layer).hexdigest()
    config = image_json(
        {
            "User": DEMO_USER,
            "Cmd": list(DEMO_COMMAND),
            "WorkingDir": "/data",
            "Env": ["PATH=/bin"],
            "Labels": {"org.opencontainers.image.version": version},
        },
        layer_id,
        "bothost demo_image",
    )
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    manifest = manifest_json(config_name, tag, layer_id)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        _add(tar, layer_id, None, 0o755)
        _add(tar, f"{layer_id}/layer.tar", layer, 0o644)
        _add(tar, config_name, config, 0o644)
        _add(tar, "manifest.json", manifest, 0o644)
    return buffer.getvalue()


def write_demo_image(
    path: Path, *, tag: str = DEMO_TAG, version: str = "1", kind: str = "docker-archive"
) -> Path:
    """Write the demo image tarball (docker-archive for `docker load`, or rootfs for `docker import`)."""
    if kind not in ("docker-archive", "rootfs"):
        raise ValueError(f"unknown image tarball kind {kind!r}")
    data = docker_archive(tag, version) if kind == "docker-archive" else rootfs_tar(version)
    path.write_bytes(data)
    return path


def _add(tar: tarfile.TarFile, name: str, data: bytes | None, mode: int) -> None:
    info = tarfile.TarInfo(name)
    info.mode, info.mtime, info.uid, info.gid = mode, 0, 0, 0
    if data is None:
        info.type = tarfile.DIRTYPE
        tar.addfile(info)
    else:
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
