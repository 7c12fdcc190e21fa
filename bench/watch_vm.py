"""Benchmark: the watcher on the rehearsal VM under emulation, installed as deploy installs it, polling a fake
OKX on this machine every 15 s: the time from a fill injected into the fake to its alarm at a fake webhook
(median of --fills N, one at a time), and the service's memory (now and at peak, from its cgroup) and CPU
share over the run. Run as root: `.venv/bin/python bench/watch_vm.py --fills 5`."""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "vm")]

from rehearsal_boot import example_stack, machine  # noqa: E402
from watch_world import POLL, Installed  # noqa: E402

from bothost.deploy.watch import converge_watch  # noqa: E402
from bothost.facts.system import key_values  # noqa: E402
from bothost.rehearsal.session import new_run_dir, running  # noqa: E402
from roles.watch import UNIT, WatchSettings  # noqa: E402

CGROUP = f"/sys/fs/cgroup/system.slice/{UNIT}"


def usage(remote) -> tuple[int, int, int]:
    """The watcher service's memory now and its peak (bytes), and its CPU time so far (ns)."""
    shown = key_values(remote.check(["systemctl", "show", UNIT, "-p", "MemoryCurrent,CPUUsageNSec"]).stdout)
    peak = int(remote.check(["cat", f"{CGROUP}/memory.peak"]).stdout)
    return int(shown["MemoryCurrent"]), peak, int(shown["CPUUsageNSec"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fills", type=int, default=5, help="fills to inject, one at a time")
    args = parser.parse_args()
    with example_stack() as (spec, image), running(spec, image, run_dir=new_run_dir()) as vm:
        vm.wait_for_cloud_init(io.StringIO())
        world = Installed(vm, verify_seconds=WatchSettings.verify_seconds)  # the drift check at its default
        try:
            with vm.remote() as remote:
                converge_watch(remote, world.settings, world.values)
                world.wait_for("SSH login")  # its first poll is done
                _, _, cpu_before = usage(remote)
                started = time.monotonic()
                delays = []
                for n in range(args.fills):
                    injected = time.monotonic()
                    world.okx.fill(f"T-BENCH-{n}", f"77{n}", "SYS/USDT", amount=1000 + n, price=0.3)
                    world.wait_for(f"order 77{n}")
                    delays.append(time.monotonic() - injected)
                    print(f"fill {n}: alarm after {delays[-1]:.1f} s", flush=True)
                memory, peak, cpu_after = usage(remote)
                share = (cpu_after - cpu_before) / 1e9 / (time.monotonic() - started)
        finally:
            world.close()
    print(f"fill to alarm: median {statistics.median(delays):.1f} s of {args.fills} (poll every {POLL} s; "
          f"min {min(delays):.1f}, max {max(delays):.1f})")
    print(f"watcher service: memory {memory / 2**20:.1f} MiB now, peak {peak / 2**20:.1f} MiB (MemoryMax "
          f"{world.settings.memory_max}); CPU {share:.1%} of one vCPU over the fills (CPUQuota "
          f"{world.settings.cpu_quota})")
    print(f"machine after: {machine()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
