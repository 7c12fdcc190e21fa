"""Benchmark: bot downtime in a redeploy (old bot stopped -> new one healthy) against a bare docker start.

Usage:
    .venv/bin/python bench/redeploy.py [--rounds 3] [--stop-seconds 2]
        boots the rehearsal VM for Pulumi.example.yaml (under /tmp/bothost-vm.lock, ~2-3 minutes), or
    .venv/bin/python bench/redeploy.py --host 127.0.0.1 --port PORT --identity KEY --host-key LINE
        against a host that is already up.

The demo bot (busybox) alternates between two image versions shipped as tarballs over SSH. Downtime is
measured on the host's clock: from the moment `docker stop` of the old container returned to the moment the
new container's health command first passed (the deploy probes it right after the start). After each
redeploy the same container is stopped and timed through a bare `docker start` (the CLI, on the host's
clock), the floor any redeploy sits on. Goal: downtime <= 1.2 x that bare start, both from the same run;
the bot's own stop time (its order cancelling, up to stopGracePeriod) is excluded and shown separately.
Also shown: when docker's own periodic check first passed.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import fcntl
import json
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bothost.deploy.deployer import deploy  # noqa: E402
from bothost.deploy.image import inspect_archive  # noqa: E402
from bothost.deploy.ops import remove  # noqa: E402
from bothost.deploy.secretfiles import BotSecrets  # noqa: E402
from bothost.host import Host, connect  # noqa: E402
from bothost.rehearsal.demo_image import write_demo_image  # noqa: E402
from bothost.secret import Credentials, Secret  # noqa: E402
from bothost.ssh import Target  # noqa: E402
from roles.bot.settings import BOT_UID, BotSettings, Mount  # noqa: E402

GOAL_RATIO = 1.2
# A bare `docker start` of a stopped container, timed on the host's clock around the CLI.
BARE_START = 'date +%s.%N; docker start "$1" >/dev/null || exit 1; date +%s.%N'
VM_LOCK = "/tmp/bothost-vm.lock"


def bench_settings(stop_seconds: int) -> BotSettings:
    """The demo bot with the real defaults (limits, health interval), and a short cleanup on SIGTERM."""
    return BotSettings(
        preset="generic",
        image="bothost-bench:latest",
        entrypoint=None,
        args=None,
        env=(("BOT_STOP_SECONDS", str(stop_seconds)),),
        user=f"{BOT_UID}:{BOT_UID}",
        data_dir="/srv/bothost/bench",
        data_mounts=(Mount("/srv/bothost/bench", "/data", False),),
        secret_names=(),
        health_cmd="test -s /tmp/heartbeat && test $(( $(date +%s) - $(cat /tmp/heartbeat) )) -lt 30",
        container="bothost-bench",
        secrets_dir="/etc/bothost/secrets/bench",
    )


def docker_time(text: str) -> datetime.datetime:
    """Docker's RFC 3339 time with nanoseconds, to a datetime (microseconds)."""
    main, _, fraction = text.rstrip("Z").partition(".")
    return datetime.datetime.fromisoformat(f"{main}.{(fraction + '000000')[:6]}+00:00")


def docker_confirmed(host: Host, container: str) -> float:
    """Old container FinishedAt -> end of docker's own first passing health check (host clock)."""
    old = json.loads(host.check(["docker", "container", "inspect", f"{container}-prev"]).stdout)[0]
    new = json.loads(host.check(["docker", "container", "inspect", container]).stdout)[0]
    passed = [e for e in new["State"]["Health"]["Log"] if e["ExitCode"] == 0]
    return (docker_time(passed[0]["End"]) - docker_time(old["State"]["FinishedAt"])).total_seconds()


def bare_start(host: Host, container: str) -> float:
    """Stop the container (untimed), then time a bare `docker start` of it."""
    host.check(["docker", "stop", "--time", "30", container], timeout=90)
    stamps = host.check(["sh", "-c", BARE_START, "bare-start", container]).stdout.split()
    before, after = (float(t) for t in stamps)
    return after - before


def measure(host: Host, rounds: int, stop_seconds: int, folder: Path) -> list[dict[str, float]]:
    """Deploy v1, then redeploy alternating versions; one row of timings per redeploy."""
    s = bench_settings(stop_seconds)
    archives = [
        inspect_archive(write_demo_image(folder / f"v{v}.tar", tag=s.image, version=f"bench{v}"))
        for v in (1, 2)
    ]
    bot_secrets = BotSecrets(Credentials(Secret(secrets.token_hex(16)), Secret(secrets.token_hex(16))))
    rows = []
    try:
        deploy(host, s, bot_secrets, archive=archives[0])
        for index in range(rounds):
            started = time.monotonic()
            result = deploy(host, s, bot_secrets, archive=archives[(index + 1) % 2])
            total = time.monotonic() - started
            rows.append(
                {
                    "total": total,
                    "stop": result.stop_seconds or 0.0,
                    "downtime": result.gap_seconds or 0.0,
                    "docker_start": result.start_seconds or 0.0,
                    "docker_confirmed": docker_confirmed(host, s.container),
                    "bare_start": bare_start(host, s.container),
                }
            )
            rows[-1]["ratio"] = rows[-1]["downtime"] / rows[-1]["bare_start"]
            print(
                f"round {index + 1}: total {total:.1f} s, bot stop {rows[-1]['stop']:.1f} s, "
                f"stopped->healthy {rows[-1]['downtime']:.2f} s "
                f"(of it the start {rows[-1]['docker_start']:.2f} s), "
                f"bare docker start {rows[-1]['bare_start']:.2f} s: ratio {rows[-1]['ratio']:.2f}; "
                f"docker's own check passed after {rows[-1]['docker_confirmed']:.1f} s",
                flush=True,
            )
    finally:
        remove(host, s)
        host.run(["rm", "-rf", s.data_dir])
    return rows


@contextlib.contextmanager
def rehearsal_target() -> Iterator[Target]:
    """Boot the rehearsal VM for the example config, holding the shared VM lock."""
    from bothost.cli.options import load_spec
    from bothost.rehearsal.image import ensure_image, recipe_for_spec
    from bothost.rehearsal.session import running

    spec = load_spec(ROOT / "Pulumi.example.yaml")
    with open(VM_LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with running(spec, ensure_image(recipe_for_spec(spec))) as vm:
            vm.wait_for_cloud_init(sys.stderr)
            yield vm.target


def main() -> None:
    """Parse arguments, run the rounds, print a summary and whether the goal is met."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--stop-seconds", type=int, default=2, help="demo bot cleanup time after SIGTERM")
    parser.add_argument("--host")
    parser.add_argument("--port", type=int, default=22)
    parser.add_argument("--user", default="bothost")
    parser.add_argument("--identity", type=Path)
    parser.add_argument("--host-key", action="append", default=[])
    args = parser.parse_args()
    if args.host:
        targets = contextlib.nullcontext(
            Target(args.host, args.port, args.user, tuple(args.host_key), args.identity)
        )
    else:
        targets = rehearsal_target()
    with targets as target, connect(target) as host, tempfile.TemporaryDirectory() as folder:
        rows = measure(host, args.rounds, args.stop_seconds, Path(folder))
    summary = {key: statistics.median(row[key] for row in rows) for key in rows[0]}
    print(json.dumps({"medians": summary, "rounds": len(rows), "goal_ratio": GOAL_RATIO}, indent=2))
    verdict = "met" if summary["ratio"] <= GOAL_RATIO else "NOT met"
    print(
        f"goal (stopped -> healthy <= {GOAL_RATIO} x a bare docker start; the bot's own "
        f"{summary['stop']:.1f} s stop excluded): median ratio {summary['ratio']:.2f}, {verdict}"
    )


if __name__ == "__main__":
    main()
