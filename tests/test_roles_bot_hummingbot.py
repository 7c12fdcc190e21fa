"""roles/bot/hummingbot: which bothost file feeds each connector key field, and the health check."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from roles.bot import hummingbot, hummingbot_start  # the script the container runs (stdlib at import)


@pytest.mark.parametrize(
    ("field", "file"),
    [
        # Field names from Hummingbot 2.16's connector configs (hummingbot/connector/exchange/*/*_utils.py).
        ("binance_api_key", "exchange_api_key"),
        ("binance_api_secret", "exchange_api_secret"),
        ("bybit_api_secret", "exchange_api_secret"),
        ("okx_api_key", "exchange_api_key"),
        ("okx_secret_key", "exchange_api_secret"),
        ("okx_passphrase", "exchange_passphrase"),
        ("kucoin_secret_key", "exchange_api_secret"),
        ("gate_io_api_key", "exchange_api_key"),
        ("coinbase_advanced_trade_api_secret", "exchange_api_secret"),
        ("binance_domain", None),
    ],
)
def test_connector_key_fields_map_to_bothosts_exchange_files(field: str, file: str | None) -> None:
    assert hummingbot_start.key_file_for(field) == file


def test_every_exchange_bothost_audits_has_a_connector() -> None:
    from bothost.config.exchange import DEFAULT_API_BASES

    assert set(hummingbot.CONNECTORS) == set(DEFAULT_API_BASES)


@pytest.mark.parametrize(("age", "healthy"), [(0, True), (50, True), (70, False), (None, False)])
def test_health_follows_the_age_of_the_strategy_clock(tmp_path: Path, age: int | None, healthy: bool) -> None:
    beat = tmp_path / "heartbeat"
    if age is not None:
        beat.write_text(f"{time.time() - age:.3f}\n")
    result = subprocess.run(
        ["/bin/sh", "-c", hummingbot.health_cmd(heartbeat=str(beat))], capture_output=True
    )
    assert (result.returncode == 0) is healthy


def test_the_start_script_is_what_the_preset_delivers() -> None:
    assert hummingbot.start_script() == Path(hummingbot_start.__file__).read_text()
    assert str(hummingbot_start.HEARTBEAT) == hummingbot.HEARTBEAT  # what it writes is what health reads
    assert hummingbot_start.ROOT == hummingbot.HOME
    assert "import bothost" not in hummingbot.start_script()  # it runs on the image's Python
