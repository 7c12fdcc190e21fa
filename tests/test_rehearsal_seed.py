"""The NoCloud seed ISO carries user-data and meta-data under the cidata label."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tools import require

from bothost.rehearsal.seed import make_seed_iso, meta_data

USER_DATA = "#cloud-config\nruncmd:\n- [echo, hello]\n"


def _isoinfo(*args: str) -> str:
    require("isoinfo (genisoimage)", shutil.which("isoinfo"))
    return subprocess.run(["isoinfo", *args], check=True, capture_output=True, text=True).stdout


def test_seed_iso_holds_both_files_and_the_cidata_label(tmp_path: Path) -> None:
    require("genisoimage", shutil.which("genisoimage"))
    iso = make_seed_iso(tmp_path / "seed", USER_DATA, meta_data("i-123", "rehearsal"))
    assert "Volume id: cidata" in _isoinfo("-d", "-i", str(iso))
    assert _isoinfo("-i", str(iso), "-J", "-x", "/user-data") == USER_DATA
    meta = _isoinfo("-i", str(iso), "-J", "-x", "/meta-data")
    assert meta == "instance-id: i-123\nlocal-hostname: rehearsal\n"
    assert (tmp_path / "seed" / "user-data").stat().st_mode & 0o077 == 0  # carries private host keys


def test_meta_data_names_a_fresh_instance() -> None:
    assert meta_data("a", "h") != meta_data("b", "h")
