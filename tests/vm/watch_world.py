"""The watcher's world for the VM test and its benchmark: the example stack with a watcher on a fake OKX and a
fake webhook on this machine (10.0.2.2 from the guest)."""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fakes.exchanges import HOST_IP
from fakes.watch_channels import FakeChannel
from fakes.watch_exchanges import WatchFake
from keyaudit_keys import key_for, passphrase_for, secret_for

from bothost.config import parse_spec
from bothost.deploy.watch import watch_secrets, watch_settings
from bothost.verify.onhost import encode_spec
from roles.watch import (
    ENABLED_UNITS,
    STATUS_UNIT,
    SYSUSERS_PATH,
    TEST_UNIT,
    TRIGGERS,
    UNIT,
    UNIT_DIR,
    VERIFY_UNIT,
)

ROOT = Path(__file__).resolve().parents[2]
HOOK_PATH = "/hook/WEBHOOK-PATH-SENTINEL-9a7f"
POLL = 15
T = TypeVar("T")
VERIFY_SECONDS = 120  # the drift check's interval here (900 s by default), so a test can wait for it


def booted_watch_settings(vm: object, spec: object) -> object:
    """The watcher's settings for `spec`, its drift check proving the VM as it was booted (the example stack,
    no bot in its user_data) and this watcher: the test's config alone would miss the rehearsal's own key,
    NTP server and SSH source."""
    return dataclasses.replace(watch_settings(spec),
                               checks_spec=encode_spec(dataclasses.replace(vm.spec, watch=spec.watch)))


def poll(read: Callable[[], T], done: Callable[[T], bool], deadline: float) -> T:
    """`read()` every 2 s until `done` holds or the deadline passes; the last value read."""
    value = read()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(2)
        value = read()
    return value


def verify_report(remote: object, path: str) -> dict | None:
    """The drift check's report on the VM, or None before its first run."""
    done = remote.run(["cat", path])
    return json.loads(done.stdout) if done.exit_status == 0 else None


class Installed:
    """The watcher installed on the VM against a fake OKX and a fake webhook here."""

    def __init__(self, vm: object, verify_seconds: int = VERIFY_SECONDS) -> None:
        self.okx = WatchFake("okx", key_for("okx"), secret_for("okx"), passphrase_for("okx"))
        self.hook = FakeChannel()
        gateway = vm.host_gateway
        okx_base = f"http://{gateway}:{self.okx.port(self.okx.door(HOST_IP))}"
        hook_url = f"http://{gateway}:{self.hook.base.rsplit(':', 1)[1]}{HOOK_PATH}"
        config = yaml.safe_load((ROOT / "Pulumi.example.yaml").read_text())["config"]
        config.update({
            "bothost:exchange": "okx",
            "bothost:exchangeApiBase": okx_base,
            "bothost:allowLocalApiBase": True,
            "bothost:exchangeApiKey": key_for("okx"),
            "bothost:exchangeApiSecret": secret_for("okx"),
            "bothost:exchangePassphrase": passphrase_for("okx"),
            "bothost:watch": {"channels": ["webhook"], "pollSeconds": POLL, "heartbeat": False,
                              "pairs": ["BTC/USDT"]},
            "bothost:watchSecrets": {"webhookUrl": hook_url},
        })
        self.spec = parse_spec(config, stack="vm")
        # (The fake OKX's port, which a real stack's user_data would open for egress, is not in this VM's
        # firewall: another reason the drift check proves the VM as booted.)
        booted = booted_watch_settings(vm, self.spec)
        self.settings = dataclasses.replace(booted, verify_seconds=verify_seconds)
        self.secrets = [key_for("okx"), secret_for("okx"), passphrase_for("okx"), HOOK_PATH]
        self.values = watch_secrets(self.spec, lambda value, _key: value)

    def texts(self) -> list[str]:
        """Messages the webhook received."""
        return self.hook.texts()

    def wait_for(self, words: str, timeout: float = 4 * POLL + 60) -> str:
        """The first webhook message containing `words`, waiting up to `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [text for text in self.texts() if words in text]
            if found:
                return found[0]
            time.sleep(1)
        raise AssertionError(f"no alarm with {words!r} within {timeout:.0f} s; received {self.texts()}")

    def close(self) -> None:
        self.okx.close()
        self.hook.close()


def remove_watcher(remote: object, s: object) -> None:
    """Take the watcher off the VM again (units, account, files), so later tests see the example host."""
    units = (UNIT, TEST_UNIT, STATUS_UNIT, VERIFY_UNIT, *TRIGGERS)
    remote.run(["systemctl", "disable", "--now", *ENABLED_UNITS])
    remote.run(["rm", "-rf", "--", *(f"{UNIT_DIR}/{u}" for u in units),
                SYSUSERS_PATH, s.config_dir, s.code_path, s.verify_code_path, s.status_script, s.state_dir,
                s.status_path.rsplit("/", 1)[0]])
    remote.run(["systemctl", "daemon-reload"])
    remote.run(["userdel", s.user])
