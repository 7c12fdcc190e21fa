"""Benchmark: how long `bothost --help` and `bothost render` take to start (median of N runs)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOTHOST = str(Path(sys.executable).parent / "bothost")


def median_seconds(argv: list[str], runs: int) -> float:
    """Median wall time of a command over `runs` runs."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Print the figures with the machine they were measured on."""
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}")
    baseline = median_seconds([sys.executable, "-c", "pass"], runs)
    print(f"python -c pass          {baseline * 1000:6.0f} ms")
    for argv in (["--help"], ["verify", "--help"], ["render"]):
        took = median_seconds([BOTHOST, *argv], runs)
        print(f"bothost {' '.join(argv):16} {took * 1000:6.0f} ms")


if __name__ == "__main__":
    main()
