"""The Hummingbot files the proofs ship (conf/scripts/*.yml, scripts/*.py) and the fake's test CA."""

from __future__ import annotations

import shutil
from pathlib import Path

from fakes.binance_tls import HOSTNAMES

SOURCE = Path(__file__).parent / "hummingbot"
SCRIPT_CONFIG = "bothost_pmm.yml"
TEST_CA = "conf/bothost-test-ca.pem"  # shipped with the files; trusted through SSL_CERT_FILE only


def write_hummingbot_files(dest: Path, ca_pem: Path) -> Path:
    """Copy the shipped tree to dest, with the fake exchange's test CA beside it."""
    shutil.copytree(SOURCE, dest, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copyfile(ca_pem, dest / TEST_CA)
    return dest


def hosts_line(ip: str) -> str:
    """An /etc/hosts line that sends Binance's host names to the fake exchange at ip."""
    return f"{ip} {' '.join(HOSTNAMES)}\n"
