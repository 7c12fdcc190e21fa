"""One-layer `docker load` archives: image config, manifest (shared with the demo image), gzip'd archive."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path


def image_json(config: dict[str, object], layer_id: str, created_by: str) -> bytes:
    """The image config of a one-layer image (its sha256 is the image id `docker load` gives it)."""
    return json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "created": "1970-01-01T00:00:00Z",
            "config": config,
            "rootfs": {"type": "layers", "diff_ids": [f"sha256:{layer_id}"]},
            "history": [{"created": "1970-01-01T00:00:00Z", "created_by": created_by}],
        },
        sort_keys=True,
    ).encode()


def manifest_json(config_name: str, tag: str, layer_id: str) -> bytes:
    """manifest.json: which config, tag and layer the archive holds."""
    entry = {"Config": config_name, "RepoTags": [tag], "Layers": [f"{layer_id}/layer.tar"]}
    return json.dumps([entry]).encode()


def write_docker_archive(path: Path, layer: Path, tag: str, config: dict[str, object]) -> str:
    """A gzip'd `docker load` archive of one layer; returns the image id docker will give it."""
    digest = hashlib.sha256()
    with layer.open("rb") as source:
        while chunk := source.read(1 << 20):
            digest.update(chunk)
    layer_id = digest.hexdigest()
    image_config = image_json(config, layer_id, "bothost bot_image")
    image_id = hashlib.sha256(image_config).hexdigest()
    manifest = manifest_json(f"{image_id}.json", tag, layer_id)
    # gzip level 1: the archive crosses a slow emulated link, but the guest also has to inflate it.
    with (
        gzip.GzipFile(path, "wb", compresslevel=1, mtime=0) as raw,
        tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar,
    ):
        _member(tar, f"{image_id}.json", image_config)
        _member(tar, "manifest.json", manifest)
        info = tarfile.TarInfo(f"{layer_id}/layer.tar")
        info.size, info.mode = layer.stat().st_size, 0o644
        with layer.open("rb") as source:
            tar.addfile(info, source)
    return f"sha256:{image_id}"


def _member(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), 0o644
    tar.addfile(info, io.BytesIO(data))
