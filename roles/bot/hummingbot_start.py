"""bothost's start of Hummingbot, run inside its container (shipped read-only as /run/secrets/<this file>).

Hummingbot's own code does the work; this script only connects it to the files bothost delivers. It runs
under the image's Python (stdlib and hummingbot only, never bothost) and, like the official image's
bin/path_util.py, puts Hummingbot's root (/home/hummingbot) first on sys.path.

1. The keystore. On an empty conf/ the password from /run/secrets/configPassword creates it, exactly as
   Hummingbot's first launch and `hbot connect` do (store_password_verification); after that it must unlock
   it, or the bot stops with "invalid password".
2. The exchange key. bothost's files (/run/secrets/exchange_api_key, _secret, _passphrase) are written,
   encrypted with the keystore password, into conf/connectors/<connector>.yml whenever they differ from it
   (Security.update_secure_config, what `hbot connect --replace` does). So the key bothost audits and
   rotates is the key the bot trades with.
3. Hummingbot's headless engine (hummingbot.client.runner + hummingbot.cli.engine, 2.x): the script named
   by SCRIPT_CONFIG (conf/scripts/) or the strategy named by CONFIG_FILE_NAME (conf/strategies/), the same
   variables as the official image's quickstart. Its SIGTERM handler stops the strategy and cancels the open
   orders (stop_loop), then writes data/bot/status.json with running=false.
4. A heartbeat for the health check: every HEARTBEAT_EVERY seconds, while the strategy runs and its clock
   advances, the clock's time is written to HEARTBEAT. A dead or frozen trading loop leaves it stale.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from pathlib import Path

ROOT = "/home/hummingbot"  # the official image's layout: hummingbot/, conf/, logs/, data/, scripts/
SECRETS = Path("/run/secrets")
PASSWORD_FILE = "configPassword"
HEARTBEAT = Path("/tmp/bothost-heartbeat")
HEARTBEAT_EVERY = 5.0
CONF_DIRS = ("conf/connectors", "conf/strategies", "conf/scripts", "conf/controllers", "logs", "data")
# bothost's exchange files, matched to a connector's key fields by a word in the field's name, in this
# order (okx_secret_key is the secret, binance_api_key the key).
KEY_FILES = (
    ("passphrase", "exchange_passphrase"),
    ("secret", "exchange_api_secret"),
    ("key", "exchange_api_key"),
)


def read_secret(name: str) -> str:
    """A secret file's content without its trailing newline."""
    return (SECRETS / name).read_text().rstrip("\n")


def key_file_for(field: str) -> str | None:
    """The bothost file that holds a connector key field (binance_api_secret -> exchange_api_secret)."""
    return next((file for word, file in KEY_FILES if word in field), None)


def unlock(password: str) -> None:
    """Create the keystore on first run, else unlock it (exit 4 on a wrong password)."""
    from hummingbot.client.config.config_crypt import ETHKeyFileSecretManger, store_password_verification
    from hummingbot.client.config.security import Security

    manager = ETHKeyFileSecretManger(password)
    if Security.new_password_required():
        store_password_verification(manager)
        print("bothost: created Hummingbot's keystore from the configPassword secret", file=sys.stderr)
    if not Security.login(manager):
        sys.exit("bothost: invalid password: configPassword does not unlock conf/.password_verification")


def write_connector_keys(connector: str) -> None:
    """Put bothost's exchange key into the connector's encrypted config when it differs from it."""
    from hummingbot.client.config.config_helpers import ClientConfigAdapter
    from hummingbot.client.config.security import Security
    from hummingbot.client.settings import AllConnectorSettings

    keys = AllConnectorSettings.get_connector_config_keys(connector)
    if keys is None:
        sys.exit(f"bothost: connector {connector!r} has no API keys in this Hummingbot")
    config = ClientConfigAdapter(keys)
    fields = [
        item.attr
        for item in config.traverse(secure=False)
        if item.client_field_data is not None and item.client_field_data.is_connect_key
    ]
    wanted = {}
    for field in fields:
        file = key_file_for(field)
        if file is None or not (SECRETS / file).exists():
            sys.exit(f"bothost: no secret file for {connector}'s {field} (expected /run/secrets/{file})")
        wanted[field] = read_secret(file)
    if Security.api_keys(connector) == wanted:
        return
    for field, value in wanted.items():
        setattr(config, field, value)
    Security.update_secure_config(config)
    print(f"bothost: wrote the exchange key into conf/connectors/{connector}.yml", file=sys.stderr)


async def heartbeat(hb) -> None:
    """Write the strategy clock's time while the strategy runs and the clock advances."""
    last = 0.0
    while True:
        await asyncio.sleep(HEARTBEAT_EVERY)
        core = hb.trading_core
        now = core.clock.current_timestamp if core.clock is not None else 0.0
        if core._strategy_running and now > last:
            last = now
            HEARTBEAT.write_text(f"{int(now)}\n")


async def run(connector: str, password: str, script_config: str | None, strategy_file: str | None) -> int:
    """Hummingbot's headless boot (as its engine does it), then its own serve loop with the heartbeat."""
    from hummingbot.cli.engine import _serve
    from hummingbot.client.config.config_crypt import ETHKeyFileSecretManger
    from hummingbot.client.config.config_helpers import load_client_config_map_from_file
    from hummingbot.client.runner import (
        bootstrap_application,
        load_and_start_strategy,
        wait_for_gateway_ready,
    )

    client_config = load_client_config_map_from_file()
    unlock(password)
    write_connector_keys(connector)
    name = Path(script_config or strategy_file or "hummingbot").stem
    hb = await bootstrap_application(
        client_config,
        ETHKeyFileSecretManger(password),
        strategy_file_name=name,
        override_log_level=client_config.log_level,
        headless=True,
    )
    if hb is None:
        return 4
    if not await load_and_start_strategy(
        hb, config_file_name=strategy_file, v2_conf=script_config, headless=True
    ):
        print("bothost: Hummingbot could not load the strategy; see logs/", file=sys.stderr)
        return 1
    await wait_for_gateway_ready(hb)
    beat = asyncio.ensure_future(heartbeat(hb))
    try:
        await _serve(hb, name)  # Hummingbot's: returns after SIGTERM/SIGINT, orders cancelled
    finally:
        beat.cancel()
        HEARTBEAT.unlink(missing_ok=True)
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connector", required=True, help="Hummingbot's connector name, e.g. binance")
    args = parser.parse_args()
    # Until Hummingbot's own handler is in place there are no orders: a stop may simply end the process
    # (as PID 1 the default action would be to ignore SIGTERM and wait for SIGKILL).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.path.insert(0, ROOT)
    os.chdir(ROOT)
    for directory in CONF_DIRS:
        Path(ROOT, directory).mkdir(parents=True, exist_ok=True)
    script_config = os.environ.get("SCRIPT_CONFIG") or None
    strategy_file = os.environ.get("CONFIG_FILE_NAME") or None
    if not (script_config or strategy_file):
        sys.exit(
            "bothost: set SCRIPT_CONFIG (conf/scripts/*.yml) or CONFIG_FILE_NAME (conf/strategies/*.yml)"
        )
    password = read_secret(PASSWORD_FILE)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    sys.exit(loop.run_until_complete(run(args.connector, password, script_config, strategy_file)))


if __name__ == "__main__":
    main()
