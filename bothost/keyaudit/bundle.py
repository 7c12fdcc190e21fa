"""Pack the probe (and the watcher, and the host's own verify) into zipapp files that `python3 -I -S FILE`
runs on the host."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

PROBE_DIR = Path(__file__).resolve().parent / "probe"
WATCH_DIR = Path(__file__).resolve().parents[1] / "watch"
REPO = Path(__file__).resolve().parents[2]
# What the roles' checks import beyond the standard library (pure Python; their C speed-ups are left out).
VERIFY_LIBRARIES = ("yaml", "jinja2", "markupsafe")
PACKAGE = "keyprobe"  # the probe's package name inside the zipapp
_MAIN = f"import sys\nfrom {PACKAGE}.main import main\nsys.exit(main())\n"


def probe_bundle() -> bytes:
    """The zipapp bytes: same sources, same bytes (fixed timestamps), so repeated writes are no-ops."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        add_member(archive, "__main__.py", _MAIN.encode())
        for source in sorted(PROBE_DIR.glob("*.py")):
            add_member(archive, f"{PACKAGE}/{source.name}", source.read_bytes())
    return buffer.getvalue()


def watch_bundle() -> bytes:
    """The watcher's zipapp: bothost/watch and the probe it signs with, under empty package files, so the
    watcher's relative imports resolve exactly as in this repository; reproducible like probe_bundle."""
    buffer = io.BytesIO()
    main = "import sys\nfrom bothost.watch.main import main\nsys.exit(main())\n"
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        add_member(archive, "__main__.py", main.encode())
        add_member(archive, "bothost/__init__.py", b"")
        add_member(archive, "bothost/keyaudit/__init__.py", b"")
        for folder, package in ((PROBE_DIR, "bothost/keyaudit/probe"), (WATCH_DIR, "bothost/watch")):
            for source in sorted(folder.glob("*.py")):
                add_member(archive, f"{package}/{source.name}", source.read_bytes())
    return buffer.getvalue()


def verify_bundle() -> bytes:
    """The host's verify as a zipapp: bothost, the roles and the libraries they import (their .py files),
    entered at bothost.verify.onhost; reproducible like probe_bundle for the same library versions."""
    import importlib

    buffer = io.BytesIO()
    main = "import sys\nfrom bothost.verify.onhost import main\nsys.exit(main())\n"
    packages = [(REPO, "bothost"), (REPO, "roles")]
    for name in VERIFY_LIBRARIES:
        packages.append((Path(importlib.import_module(name).__file__).resolve().parents[1], name))
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        add_member(archive, "__main__.py", main.encode())
        for base, package in packages:
            for source in sorted((base / package).rglob("*.py")):
                add_member(archive, source.relative_to(base).as_posix(), source.read_bytes())
    return buffer.getvalue()


def add_member(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    """One file with a fixed timestamp and mode, so the same sources give the same bytes."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data)
