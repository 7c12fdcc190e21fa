"""Benchmark: first boot to `verify` green (hardened) vs first boot to SSH login (minimal), and verify vs
one `ssh host true`. Goals: boot ratio <= 1.3, verify <= 2x ssh. Run as root: .venv/bin/python bench/..."""

from __future__ import annotations

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
from pathlib import Path

from bothost.cli.options import load_spec
from bothost.rehearsal.image import ensure_image, recipe_for_spec
from bothost.rehearsal.session import new_run_dir, running
from bothost.rehearsal.stock import start_stock
from bothost.verify.host import verify_target

ROOT = Path(__file__).resolve().parent.parent
LOCK_PATH = "/tmp/bothost-vm.lock"  # the VM tests' lock: never two benchmark/test VMs at once
REPEATS = 3  # for the verify vs ssh timing


def machine() -> str:
    """nproc, CPU model and load, so figures can be compared across machines."""
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"nproc={os.cpu_count()}, cpu={model}, load average={load}, accel=tcg"


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


def main() -> int:
    """Run both boots on the same image, one after the other, and print the figures."""
    spec = load_spec(ROOT / "Pulumi.example.yaml")
    image = ensure_image(recipe_for_spec(spec))
    with open(LOCK_PATH, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        print(f"machine: {machine()}", flush=True)
        stock = stock_login_seconds(image)
        print(f"minimal config: first boot to SSH login      {stock:6.1f} s", flush=True)
        started = time.monotonic()
        with running(spec, image, run_dir=Path(tempfile.mkdtemp(prefix="bothost-bench-"))) as vm:
            vm.wait_for_cloud_init(io.StringIO())
            results = verify_target(vm.target, vm.checks())
            hardened = time.monotonic() - started
            failed = [r.check.id for r in results if not r.passed]
            verdict = "green" if not failed else "done"
            print(f"hardened config: first boot to verify {verdict}   {hardened:6.1f} s"
                  + (f"  (FAILED: {', '.join(failed)})" if failed else ""), flush=True)
            print(f"boot ratio hardened/minimal: {hardened / stock:.2f} (goal <= 1.3)", flush=True)
            verify_times, ssh_times = [], []
            for _ in range(REPEATS):
                ssh_times.append(ssh_true_seconds(vm))
                t0 = time.monotonic()
                verify_target(vm.target, vm.checks())
                verify_times.append(time.monotonic() - t0)
            verify, ssh = statistics.median(verify_times), statistics.median(ssh_times)
            print(f"verify ({len(results)} checks): median {verify:.2f} s of {REPEATS}; "
                  f"`ssh host true`: median {ssh:.2f} s; ratio {verify / ssh:.2f} (goal <= 2)", flush=True)
            with vm.remote() as remote:
                blame = remote.run(["cloud-init", "analyze", "blame"], sudo=True).stdout.splitlines()
            print("slowest cloud-init steps of the hardened boot:")
            print("\n".join(line for line in blame[:12] if line.strip()))
    print(f"machine after: {machine()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
