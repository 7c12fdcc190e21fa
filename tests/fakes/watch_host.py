"""The watcher's files as systemd lays them out on the host (a credentials directory with config and
secrets, a state directory, the zipapp), pointed at a fake OKX and a fake webhook on loopback."""

from __future__ import annotations

import json
from pathlib import Path

from fakes.exchanges import HOST_IP
from fakes.watch_channels import FakeChannel
from fakes.watch_exchanges import WatchFake
from keyaudit_keys import key_for, passphrase_for, secret_for

from bothost.keyaudit.bundle import watch_bundle
from roles.watch import WatchSettings

HOOK_PATH = "/hook/WEBHOOK-PATH-SENTINEL-9a7f"


class WatchedHost:
    """A fake OKX, a fake webhook and the watcher's files in `folder` (credentials/, state/, watch.pyz)."""

    def __init__(self, folder: Path, policy: str = "alert") -> None:
        self.okx = WatchFake("okx", key_for("okx"), secret_for("okx"), passphrase_for("okx"))
        self.hook = FakeChannel()
        self.creds, self.state, self.app = folder / "credentials", folder / "state", folder / "watch.pyz"
        self.creds.mkdir()
        self.state.mkdir()
        self.settings = WatchSettings(
            channels=("webhook",),
            policy=policy,
            poll_seconds=15,
            heartbeat=False,
            telegram_chat_id=None,
            telegram_api="https://api.telegram.org",
            pairs=("BTC/USDT",),
            disk_percent=99,
            memory_percent=99,
            exchange="okx",
            api_base=self.okx.door(HOST_IP),
            container="bothost-bot",
            status_path=str(folder / "status.json"),
            state_dir=str(self.state),
        )
        (self.creds / "config").write_text(json.dumps(self.settings.config()))
        secrets = {
            "webhookUrl": self.hook.base + HOOK_PATH,
            "exchangeApiKey": key_for("okx"),
            "exchangeApiSecret": secret_for("okx"),
            "exchangePassphrase": passphrase_for("okx"),
        }
        (self.creds / "secrets").write_text(json.dumps(secrets))
        self.app.write_bytes(watch_bundle())

    def env(self, path: str) -> dict[str, str]:
        """The environment systemd gives the watcher (PATH as given)."""
        return {"PATH": path, "CREDENTIALS_DIRECTORY": str(self.creds), "STATE_DIRECTORY": str(self.state)}

    def close(self) -> None:
        """Stop the fakes."""
        self.okx.close()
        self.hook.close()
