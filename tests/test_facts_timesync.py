"""The NTP-servers fact (bothost/facts/timesync.py) over crafted configuration trees and a crafted /proc: what
timesyncd reads, in its order, and whether the running daemon read it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bothost.facts.timesync import timesync_servers_argv

BOOT = 1_700_000_000  # /proc/stat btime
TICK = os.sysconf("SC_CLK_TCK")


def write(root: Path, relative: str, text: str, mtime: float | None = None) -> None:
    path = root / relative.lstrip("/")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
        os.utime(path.parent, (mtime, mtime))


def proc(root: Path, started: float | None, *, others: int = 2) -> None:
    """A /proc with btime, a few other processes and timesyncd started at `started` (None: not running)."""
    write(root, "/proc/stat", f"cpu  1 2 3\nbtime {BOOT}\nprocesses 9\n")
    for pid in range(1, others + 1):
        write(root, f"/proc/{pid}/comm", "systemd\n")
        write(root, f"/proc/{pid}/stat", f"{pid} (systemd) S " + " ".join(["0"] * 19) + " 5 0\n")
    if started is not None:
        ticks = round((started - BOOT) * TICK)
        fields = ["0"] * 18 + [str(ticks), "0"]  # starttime is field 22: the 20th after the name
        write(root, "/proc/700/comm", "systemd-timesyn\n")
        write(root, "/proc/700/stat", "700 (systemd-timesyn) S " + " ".join(fields) + "\n")


def servers(root: Path) -> subprocess.CompletedProcess[str]:
    argv = timesync_servers_argv(str(root))
    return subprocess.run([sys.executable, *argv[1:]], capture_output=True, text=True, check=False)


CHANGED = BOOT + 100  # every file's time; the daemon starts after it unless a test says otherwise


@pytest.fixture
def root(tmp_path: Path) -> Path:
    # Debian 12's own timesyncd.conf: everything commented out.
    write(tmp_path, "/etc/systemd/timesyncd.conf", "[Time]\n#NTP=\n#FallbackNTP=0.debian.pool.ntp.org\n",
          CHANGED)
    return tmp_path


def test_bothosts_drop_in_is_what_timesyncd_reads(root: Path) -> None:
    write(root, "/etc/systemd/timesyncd.conf.d/10-bothost.conf",
          "# bothost\n[Time]\nNTP=ntp1.hetzner.de ntp2.hetzner.com ntp3.hetzner.net\n"
          "PollIntervalMaxSec=1024\n",
          CHANGED)
    proc(root, CHANGED + 5)
    done = servers(root)
    assert (done.returncode, done.stdout) == (0, "ntp1.hetzner.de ntp2.hetzner.com ntp3.hetzner.net\n")


def test_order_masking_reset_duplicates_sections_comments_and_continuations(root: Path) -> None:
    etc, lib = "/etc/systemd/timesyncd.conf.d", "/usr/lib/systemd/timesyncd.conf.d"
    write(root, f"{lib}/10-bothost.conf", "[Time]\nNTP=hidden.example\n", CHANGED)  # /etc's same name wins
    write(root, f"{etc}/10-bothost.conf", "[Time]\nNTP=a.example b.example\n", CHANGED)
    write(root, f"{lib}/05-vendor.conf", "[Time]\nNTP=vendor.example\n", CHANGED)  # sorted by name: first
    write(root, f"{etc}/20-more.conf",
          "; a comment\n[Time]\n  NTP = b.example c.example \\\n   d.example\n[Other]\nNTP=other.example\n",
          CHANGED)
    write(root, f"{etc}/15-notes.txt", "[Time]\nNTP=not-a-conf.example\n", CHANGED)
    proc(root, CHANGED + 5)
    assert servers(root).stdout == "vendor.example a.example b.example c.example d.example\n"
    write(root, f"{etc}/12-reset.conf", "[Time]\nNTP=\nNTP=own.example\n", CHANGED)  # drops the list so far
    assert servers(root).stdout == "own.example b.example c.example d.example\n"


def test_a_change_after_the_daemon_started_is_not_in_effect(root: Path) -> None:
    write(root, "/etc/systemd/timesyncd.conf.d/10-bothost.conf", "[Time]\nNTP=new.example\n", CHANGED)
    proc(root, CHANGED - 60)  # started a minute before the drop-in was written
    done = servers(root)
    assert done.returncode == 0 and done.stdout.startswith("new.example (in the files, not yet in effect")
    os.unlink(root / "etc/systemd/timesyncd.conf.d/10-bothost.conf")  # a removal changes the directory
    os.utime(root / "etc/systemd/timesyncd.conf.d", (CHANGED, CHANGED))
    assert "not yet in effect" in servers(root).stdout


def test_no_timesyncd_running_fails(root: Path) -> None:
    proc(root, None)
    done = servers(root)
    assert done.returncode == 3 and done.stdout == "" and "not running" in done.stderr
