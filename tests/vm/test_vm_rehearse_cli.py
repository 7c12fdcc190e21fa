"""The main job as the README runs it: `bothost rehearse` on the example stack, end to end."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BOTHOST = str(Path(sys.executable).parent / "bothost")


def qemu_processes() -> set[str]:
    """The pids of running rehearsal VMs."""
    found = subprocess.run(["pgrep", "-f", "bothost-rehearsal"], capture_output=True, text=True)
    return set(found.stdout.split())


@pytest.mark.vm
def test_rehearse_boots_deploys_verifies_and_cleans_up(vm_lock, vm_image) -> None:
    before = qemu_processes()
    result = subprocess.run([BOTHOST, "rehearse"], cwd=ROOT, capture_output=True, text=True, timeout=1500)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "Rehearsal overrides" in output and "bothost:bot.image" in output
    assert "Bot running: image sha256:" in output
    assert "REHEARSAL ONLY - IP to whitelist:" in output
    assert "FAIL" not in output and "bot-01" in output  # the bot's controls are part of verify
    assert not re.search(r"rehearsal-[A-Za-z0-9_-]{32}", output)  # the demo bot's secrets never print
    assert qemu_processes() <= before  # the VM it started is gone
