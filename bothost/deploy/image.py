"""Get the bot's image onto the host (pull, or a local tarball over SSH) before anything is stopped."""

from __future__ import annotations

import hashlib
import json
import tarfile
from dataclasses import dataclass
from pathlib import Path

from bothost.errors import BothostError
from bothost.facts.docker import inspect_image_argv, parse_image
from bothost.host import Host
from bothost.progress import Report

ARCHIVE_LABEL = "bothost.archive"  # sha256 of an imported rootfs tarball (docker import has no stable id)
PULL_TIMEOUT = 1800.0  # seconds; a large image over a slow link
UNREACHABLE = (
    "dial tcp",
    "i/o timeout",
    "no such host",
    "connection refused",
    "tls handshake timeout",
    "client.timeout",
    "request canceled",
    "network is unreachable",
    "temporary failure in name",
)
BAD_REFERENCE = (
    "manifest unknown",
    "not found",
    "pull access denied",
    "repository does not exist",
    "invalid reference format",
    "unauthorized",
)


class ImageError(BothostError):
    """The image could not be brought onto the host; the running bot was left alone."""


@dataclass(frozen=True)
class Archive:
    """A local image tarball and the identity it will have on the host."""

    path: Path
    kind: str  # "docker-archive" (docker save/load) or "rootfs" (docker import)
    sha256: str  # of the whole file
    image_id: str | None  # docker-archive: sha256 of its config, which is the image id docker load gives


def inspect_archive(path: Path) -> Archive:
    """Tell a docker-archive from a rootfs tar, and compute what identifies it on the host."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as source:
            while chunk := source.read(1 << 20):
                digest.update(chunk)
        with tarfile.open(path) as tar:
            names = set(tar.getnames())
            if "manifest.json" not in names:
                return Archive(path, "rootfs", digest.hexdigest(), None)
            manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
            config = tar.extractfile(manifest[0]["Config"]).read()  # type: ignore[union-attr]
    except (OSError, tarfile.TarError, KeyError, IndexError, TypeError, ValueError) as exc:
        raise ImageError(f"{path}: not a readable image tarball: {exc}") from None
    return Archive(path, "docker-archive", digest.hexdigest(), "sha256:" + hashlib.sha256(config).hexdigest())


def ensure_image(host: Host, ref: str, archive: Archive | None, note: Report) -> str:
    """Make `ref` present on the host as wanted and return its image id; acts only when needed."""
    current = parse_image(host.run(inspect_image_argv(ref)))
    if archive is not None:
        return _from_archive(
            host,
            ref,
            archive,
            current.id if current else None,
            current.labels.get(ARCHIVE_LABEL) if current else None,
            note,
        )
    if current is not None and "@sha256:" in ref:
        note(f"image {ref} already present")
        return current.id
    note(f"pulling {ref}")
    result = host.run(["docker", "pull", ref], timeout=PULL_TIMEOUT)
    if result.exit_status != 0:
        raise pull_error(ref, result.stderr or result.stdout)
    pulled = parse_image(host.run(inspect_image_argv(ref)))
    if pulled is None:
        raise ImageError(f"docker pull {ref} succeeded but the image is not on the host")
    if current is not None and current.id == pulled.id:
        note(f"image {ref} unchanged ({pulled.id[:19]})")
    return pulled.id


def pull_error(ref: str, output: str) -> ImageError:
    """A clear error for a failed pull: the registry is unreachable, or the reference is wrong."""
    text = output.strip().splitlines()[-1] if output.strip() else "(no output)"
    lowered = output.lower()
    if any(marker in lowered for marker in UNREACHABLE):
        return ImageError(
            f"cannot reach the registry for {ref}: {text[:300]}. The bot keeps running the old "
            "image. Check the host's DNS/egress, or ship the image with bot.imageArchive"
        )
    if any(marker in lowered for marker in BAD_REFERENCE):
        return ImageError(
            f"the registry has no image {ref}: {text[:300]}. The bot keeps running the old image. "
            "Check bothost:bot.image (name, tag, digest; private images need a login)"
        )
    return ImageError(f"docker pull {ref} failed: {text[:300]}. The bot keeps running the old image")


def _from_archive(
    host: Host,
    ref: str,
    archive: Archive,
    current_id: str | None,
    current_label: str | None,
    note: Report,
) -> str:
    if archive.kind == "docker-archive":
        if current_id == archive.image_id:
            note(f"image {ref} already loaded ({current_id[:19]})")
            return current_id
        note(f"loading {archive.path.name} over SSH")
        _checked(host.send_file(["docker", "load"], archive.path, timeout=PULL_TIMEOUT), "docker load")
        assert archive.image_id is not None
        host.check(["docker", "tag", archive.image_id, ref])
        return archive.image_id
    if current_id is not None and current_label == archive.sha256:
        note(f"image {ref} already imported ({current_id[:19]})")
        return current_id
    note(f"importing {archive.path.name} over SSH")
    argv = ["docker", "import", "--change", f"LABEL {ARCHIVE_LABEL}={archive.sha256}", "-", ref]
    _checked(host.send_file(argv, archive.path, timeout=PULL_TIMEOUT), "docker import")
    imported = parse_image(host.run(inspect_image_argv(ref)))
    if imported is None:
        raise ImageError(f"docker import of {archive.path.name} gave no image {ref}")
    return imported.id


def _checked(result, what: str) -> None:
    if result.exit_status != 0:
        detail = (result.stderr.strip() or result.stdout.strip())[-300:]
        raise ImageError(
            f"{what} failed (exit {result.exit_status}): {detail}. The bot keeps running the old image"
        )
