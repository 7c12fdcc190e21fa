"""Benchmark: one watcher tick as the host runs it (the zipapp under `python3 -I -S`, credentials directory)
against a fake OKX and a fake webhook on loopback: peak memory, CPU time, and the time from the start of the
poll that finds an attacker's fill to the alarm at the webhook (median of N runs; the polling interval comes
on top: an injected fill waits up to pollSeconds for the next poll)."""

from __future__ import annotations

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

from fakes.watch_host import WatchedHost  # noqa: E402


def one_tick(host: WatchedHost, run: int) -> tuple[float, float]:
    """Wall seconds until the alarm arrived, and CPU seconds of the watcher process."""
    host.okx.fill(f"T{run}", f"9{run}", "SYS/USDT")
    (host.state / "state.json").unlink(missing_ok=True)
    before, cpu = len(host.hook.texts()), resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-I", "-S", str(host.app), "--once"],
        env=host.env(os.environ["PATH"]),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    took = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert len(host.hook.texts()) > before, "no alarm arrived"
    return took, (after.ru_utime - cpu.ru_utime) + (after.ru_stime - cpu.ru_stime)


def main() -> None:
    """Print the figures with the machine they were measured on."""
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    with tempfile.TemporaryDirectory() as name:
        host = WatchedHost(Path(name))
        try:
            results = [one_tick(host, run) for run in range(runs)]
        finally:
            host.close()
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}, {runs} ticks")
    alarm = statistics.median(r[0] for r in results)
    print(f"tick with an attacker's fill, start to alarm (median): {alarm:.2f} s")
    cpu_ms = statistics.median(r[1] for r in results) * 1000
    print(f"CPU per tick, interpreter start included (median): {cpu_ms:.0f} ms")
    print(f"peak memory of the watcher process: {peak_mb:.1f} MB")


if __name__ == "__main__":
    main()
