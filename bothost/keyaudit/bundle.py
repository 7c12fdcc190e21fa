"""Pack the probe package into one zipapp file that `python3 -I -S FILE` runs on the host."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

PROBE_DIR = Path(__file__).resolve().parent / "probe"
PACKAGE = "keyprobe"  # the probe's package name inside the zipapp
_MAIN = f"import sys\nfrom {PACKAGE}.main import main\nsys.exit(main())\n"


def probe_bundle() -> bytes:
    """The zipapp bytes: same sources, same bytes (fixed timestamps), so repeated writes are no-ops."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        _add(archive, "__main__.py", _MAIN.encode())
        for source in sorted(PROBE_DIR.glob("*.py")):
            _add(archive, f"{PACKAGE}/{source.name}", source.read_bytes())
    return buffer.getvalue()


def _add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data)
