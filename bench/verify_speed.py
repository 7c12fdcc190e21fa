"""Benchmark: `bothost verify` vs one `ssh host true` on one settled rehearsal VM (the example stack),
alternating --rounds times after the VM's first verify is green; medians and the ratio (goal <= 2).
Each verify runs in a fresh process, as the CLI does; with --tree DIR a second checkout's verify runs in
the same rounds (an A/B of two versions against the same VM and the same baseline); with --bot the demo bot
is deployed first and verify runs the bot role's checks too, as on a real host.
Run as root: `.venv/bin/python bench/verify_speed.py --rounds 7 [--bot]`."""

from __future__ import annotations

import argparse
import io
import pickle
import secrets
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from redeploy import bench_settings
from rehearsal_boot import ROOT, example_stack, machine, ssh_true_seconds

from bothost.deploy.deployer import deploy
from bothost.deploy.image import inspect_archive
from bothost.deploy.secretfiles import BotSecrets
from bothost.rehearsal.demo_image import write_demo_image
from bothost.rehearsal.session import new_run_dir, running
from bothost.secret import Credentials, Secret

# One verify in its own interpreter from the given checkout: prints its seconds and how many checks failed.
ONE_VERIFY = """
import pickle, sys, time
sys.path.insert(0, sys.argv[1])
from bothost.userdata import role_checks
from bothost.verify.runner import verify_target
from roles.bot import BotRole
target, spec, context, bot = pickle.loads(open(sys.argv[2], "rb").read())
checks = role_checks(spec, context) + (BotRole().checks(bot) if bot else [])
started = time.monotonic()
results = verify_target(target, checks)
print(time.monotonic() - started, sum(not r.passed for r in results))
"""


def verify_seconds(tree: Path, state: Path) -> float:
    """One verify from `tree` against the VM described in `state`; it must be all green."""
    out = subprocess.run([sys.executable, "-c", ONE_VERIFY, str(tree), str(state)], capture_output=True,
                         text=True, check=True).stdout.split()
    if out[1] != "0":
        raise SystemExit(f"verify from {tree} failed {out[1]} checks")
    return float(out[0])


def deploy_demo_bot(vm, folder: Path):
    """The demo bot deployed on the VM as a user's bot would be (the bot uid, a secret); its settings."""
    bot = bench_settings(stop_seconds=2)
    archive = inspect_archive(write_demo_image(folder / "bot.tar", tag=bot.image, version="bench"))
    keys = BotSecrets(Credentials(Secret(secrets.token_hex(16)), Secret(secrets.token_hex(16))))
    with vm.remote() as host:
        deploy(host, bot, keys, archive=archive)
    return bot


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="alternations of ssh true and verify")
    parser.add_argument("--tree", type=Path, help="a second checkout whose verify runs in the same rounds")
    parser.add_argument("--bot", action="store_true", help="deploy the demo bot and verify it too")
    args = parser.parse_args()
    trees = {"this checkout": ROOT, **({str(args.tree): args.tree.resolve()} if args.tree else {})}
    times: dict[str, list[float]] = {"ssh host true": [], **{name: [] for name in trees}}
    with example_stack() as (spec, image), tempfile.TemporaryDirectory() as scratch, \
            running(spec, image, run_dir=new_run_dir()) as vm:
        vm.wait_for_cloud_init(io.StringIO())
        bot = deploy_demo_bot(vm, Path(scratch)) if args.bot else None
        state = Path(scratch) / "vm.pickle"
        state.write_bytes(pickle.dumps((vm.target, vm.spec, vm.context, bot)))
        verify_seconds(ROOT, state)  # green once before timing: the VM has settled
        for _ in range(args.rounds):
            for name, tree in trees.items():
                times["ssh host true"].append(ssh_true_seconds(vm))
                times[name].append(verify_seconds(tree, state))
    ssh = statistics.median(times.pop("ssh host true"))
    print(f"`ssh host true`: median {ssh:.2f} s{'; the demo bot deployed and verified' if args.bot else ''}")
    for name, values in times.items():
        median = statistics.median(values)
        shown = ", ".join(f"{v:.2f}" for v in values)
        print(f"verify ({name}): median {median:.2f} s of {len(values)}, "
              f"ratio {median / ssh:.2f} (goal <= 2); {shown}")
    print(f"machine after: {machine()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
