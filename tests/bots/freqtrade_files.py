"""The Freqtrade files the proofs ship (config.json, strategies/), pointed at a fake exchange."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from fakes.binance_spot import ccxt_urls

SOURCE = Path(__file__).parent / "freqtrade"


def write_freqtrade_files(dest: Path, exchange_base: str) -> Path:
    """Copy the shipped tree to dest, with the exchange's API URLs sent to the fake at exchange_base."""
    shutil.copytree(SOURCE, dest, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    config = json.loads((SOURCE / "config.json").read_text())
    config["exchange"]["ccxt_config"] = {"urls": ccxt_urls(exchange_base)}
    (dest / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    return dest
