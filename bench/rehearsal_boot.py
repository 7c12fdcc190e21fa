"""Benchmark: first boot to `verify` green (hardened) vs first boot to SSH login (minimal), and verify vs
one `ssh host true`. Goals: boot ratio <= 1.3 (medians of --boots N each), verify <= 2x ssh. Run as root:
.venv/bin/python bench/rehearsal_boot.py --boots 3"""

from __future__ import annotations

import argparse
import fcntl
import io
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bothost.cli.options import load_spec
from bothost.rehearsal.image import ensure_image, recipe_for_spec
from bothost.rehearsal.session import new_run_dir, running
from bothost.rehearsal.stock import start_stock
from bothost.verify.runner import verify_target

ROOT = Path(__file__).resolve().parent.parent
LOCK_PATH = "/tmp/bothost-vm.lock"  # the VM tests' lock: never two benchmark/test VMs at once
REPEATS = 3  # for the verify vs ssh timing


def machine() -> str:
    """nproc, CPU model and load, so figures can be compared across machines."""
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"nproc={os.cpu_count()}, cpu={model}, load average={load}, accel=tcg"


@contextmanager
def example_stack() -> Iterator[tuple]:
    """The example stack's spec and rehearsal image, with the VM lock held and the machine printed."""
    spec = load_spec(ROOT / "Pulumi.example.yaml")
    image = ensure_image(recipe_for_spec(spec))
    with open(LOCK_PATH, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        print(f"machine: {machine()}", flush=True)
        yield spec, image


def stock_login_seconds(image) -> float:
    """Seconds from qemu start to the first SSH login with minimal user_data."""
    run_dir = new_run_dir()
    started = time.monotonic()
    stock = start_stock(image, run_dir)
    try:
        stock.wait_for_login(timeout=900).close()
        return time.monotonic() - started
    finally:
        stock.stop()
        shutil.rmtree(run_dir, ignore_errors=True)


def ssh_true_seconds(vm) -> float:
    """One OpenSSH `ssh host true` against the VM (connection included)."""
    argv = ["ssh", "-i", str(vm.target.identity), "-p", str(vm.ssh_port),
            "-o", f"UserKnownHostsFile={vm.known_hosts}", "-o", "BatchMode=yes",
            f"{vm.target.user}@127.0.0.1", "true"]
    started = time.monotonic()
    subprocess.run(argv, check=True, capture_output=True)
    return time.monotonic() - started


def hardened_boot(spec, image, measure_verify: bool) -> float:
    """Seconds from qemu start to verify green with the hardened config; optionally verify vs ssh too."""
    started = time.monotonic()
    with running(spec, image, run_dir=Path(tempfile.mkdtemp(prefix="bothost-bench-"))) as vm:
        vm.wait_for_cloud_init(io.StringIO())
        results = verify_target(vm.target, vm.checks())
        hardened = time.monotonic() - started
        failed = [r.check.id for r in results if not r.passed]
        verdict = "green" if not failed else "done"
        print(f"hardened config: first boot to verify {verdict}   {hardened:6.1f} s"
              + (f"  (FAILED: {', '.join(failed)})" if failed else ""), flush=True)
        if measure_verify:
            verify_vs_ssh(vm, len(results))
    return hardened


def verify_vs_ssh(vm, checks: int) -> None:
    """Median of REPEATS `ssh host true` and `verify`, alternating, on the same VM."""
    verify_times, ssh_times = [], []
    for _ in range(REPEATS):
        ssh_times.append(ssh_true_seconds(vm))
        t0 = time.monotonic()
        verify_target(vm.target, vm.checks())
        verify_times.append(time.monotonic() - t0)
    verify, ssh = statistics.median(verify_times), statistics.median(ssh_times)
    print(f"verify ({checks} checks): median {verify:.2f} s of {REPEATS}; "
          f"`ssh host true`: median {ssh:.2f} s; ratio {verify / ssh:.2f} (goal <= 2)", flush=True)
    with vm.remote() as remote:
        blame = remote.run(["cloud-init", "analyze", "blame"], sudo=True).stdout.splitlines()
    print("slowest cloud-init steps of the hardened boot:")
    print("\n".join(line for line in blame[:12] if line.strip()))


def main() -> int:
    """Boot minimal and hardened configs in turn on the same image (--boots N each) and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--boots", type=int, default=1, help="boots of each config; the ratio of medians")
    args = parser.parse_args()
    with example_stack() as (spec, image):
        stocks, hardened = [], []
        for boot in range(args.boots):
            stocks.append(stock_login_seconds(image))
            print(f"minimal config: first boot to SSH login      {stocks[-1]:6.1f} s", flush=True)
            hardened.append(hardened_boot(spec, image, measure_verify=boot == args.boots - 1))
        ratio = statistics.median(hardened) / statistics.median(stocks)
        print(f"boot ratio hardened/minimal, medians of {args.boots}: {statistics.median(hardened):.1f} s / "
              f"{statistics.median(stocks):.1f} s = {ratio:.2f} (goal <= 1.3)", flush=True)
    print(f"machine after: {machine()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
