"""Benchmark: one watcher tick as the host runs it (the zipapp under `python3 -I -S`, credentials directory)
against a fake OKX and a fake webhook on loopback: peak memory, CPU time, and the time from the start of the
poll that finds an attacker's fill to the alarm at the webhook (median of N runs; the polling interval comes
on top: an injected fill waits up to pollSeconds for the next poll)."""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fakes.exchanges import HOST_IP  # noqa: E402
from fakes.watch_channels import FakeChannel  # noqa: E402
from fakes.watch_exchanges import WatchFake  # noqa: E402
from keyaudit_keys import key_for, passphrase_for, secret_for  # noqa: E402

from bothost.keyaudit.bundle import watch_bundle  # noqa: E402
from roles.watch import WatchSettings  # noqa: E402


def one_tick(folder: Path, okx: WatchFake, hook: FakeChannel, run: int) -> tuple[float, float]:
    """Wall seconds until the alarm arrived, and CPU seconds of the watcher process."""
    okx.fill(f"T{run}", f"9{run}", "SYS/USDT")
    env = {"PATH": os.environ["PATH"], "CREDENTIALS_DIRECTORY": str(folder), "STATE_DIRECTORY": str(folder)}
    (folder / "state.json").unlink(missing_ok=True)
    before, cpu = len(hook.texts()), resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-I", "-S", str(folder / "watch.pyz"), "--once"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    took = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert len(hook.texts()) > before, "no alarm arrived"
    return took, (after.ru_utime - cpu.ru_utime) + (after.ru_stime - cpu.ru_stime)


def main() -> None:
    """Print the figures with the machine they were measured on."""
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    okx = WatchFake("okx", key_for("okx"), secret_for("okx"), passphrase_for("okx"))
    hook = FakeChannel()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        settings = WatchSettings(
            channels=("webhook",),
            policy="alert",
            poll_seconds=15,
            heartbeat=False,
            telegram_chat_id=None,
            telegram_api="https://api.telegram.org",
            pairs=("BTC/USDT",),
            disk_percent=99,
            memory_percent=99,
            exchange="okx",
            api_base=okx.door(HOST_IP),
            status_path=str(folder / "status.json"),
            state_dir=str(folder),
        )
        (folder / "config").write_text(json.dumps(settings.config()))
        secrets = {
            "webhookUrl": hook.base + "/hook/x",
            "exchangeApiKey": key_for("okx"),
            "exchangeApiSecret": secret_for("okx"),
            "exchangePassphrase": passphrase_for("okx"),
        }
        (folder / "secrets").write_text(json.dumps(secrets))
        (folder / "watch.pyz").write_bytes(watch_bundle())
        results = [one_tick(folder, okx, hook, run) for run in range(runs)]
    okx.close()
    hook.close()
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}, {runs} ticks")
    alarm = statistics.median(r[0] for r in results)
    print(f"tick with an attacker's fill, start to alarm (median): {alarm:.2f} s")
    cpu_ms = statistics.median(r[1] for r in results) * 1000
    print(f"CPU per tick, interpreter start included (median): {cpu_ms:.0f} ms")
    print(f"peak memory of the watcher process: {peak_mb:.1f} MB")


if __name__ == "__main__":
    main()
