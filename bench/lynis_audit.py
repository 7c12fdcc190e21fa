"""Audit: Lynis `audit system --quick` on the hardened rehearsal host running the demo bot.

Goal: hardening index >= 85. Lynis goes into the throwaway VM only, never onto a bothost host. ~15 min
under emulation. As root: flock /tmp/bothost-vm.lock .venv/bin/python bench/lynis_audit.py [--keep-report DIR]
"""

from __future__ import annotations

import argparse
import datetime
import io
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bothost.cli.options import load_spec
from bothost.rehearsal.demo_bot import demo_archive, demo_bot
from bothost.rehearsal.flow import deploy_demo_bot
from bothost.rehearsal.image import ensure_image, recipe_for_spec
from bothost.rehearsal.session import running

ROOT = Path(__file__).resolve().parent.parent
GOAL = 85
GUEST_DEB = "/root/lynis.deb"
REPORT = "/var/log/lynis-report.dat"  # key=value lines Lynis writes; suggestion[]= and warning[]= repeat
LYNIS_TIMEOUT = 3600.0


def download_lynis(directory: Path) -> Path:
    """Debian's lynis package, fetched on this machine (the guest has no HTTPS and a slow apt)."""
    subprocess.run(["apt-get", "download", "lynis"], cwd=directory, check=True, capture_output=True)
    return next(directory.glob("lynis_*.deb"))


def parse_report(text: str) -> tuple[str, list[str], list[str]]:
    """Lynis's report: (hardening index, suggestions, warnings), each finding as 'TEST-ID: text'."""
    index, suggestions, warnings = "?", [], []
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key == "hardening_index":
            index = value
        elif key in ("suggestion[]", "warning[]"):
            test, text_, *_ = [*value.split("|"), ""]
            (suggestions if key == "suggestion[]" else warnings).append(f"{test}: {text_}")
    return index, suggestions, warnings


def main() -> int:
    """Boot, deploy the demo bot, install and run Lynis, print the index and every finding."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep-report", type=Path, help="copy Lynis's report and log into this directory")
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bothost-lynis-"))
    (work / "vm").mkdir()
    spec, _ = demo_bot(load_spec(ROOT / "Pulumi.example.yaml"), demo_archive(work / "vm"))
    image = ensure_image(recipe_for_spec(spec))
    deb = download_lynis(work)
    with running(spec, image, run_dir=work / "vm") as vm:
        vm.wait_for_cloud_init(io.StringIO())
        deploy_demo_bot(vm, io.StringIO())
        with vm.remote() as remote:
            remote.write_file(GUEST_DEB, deb.read_bytes())
            remote.check(["dpkg", "-i", GUEST_DEB])
            version = remote.check(["lynis", "show", "version"]).stdout.strip()
            started = time.monotonic()
            remote.run(["lynis", "audit", "system", "--quick", "--no-colors"], timeout=LYNIS_TIMEOUT)
            seconds = time.monotonic() - started
            report = remote.check(["cat", REPORT]).stdout
            if options.keep_report:
                options.keep_report.mkdir(parents=True, exist_ok=True)
                (options.keep_report / "lynis-report.dat").write_text(report)
                log = remote.check(["cat", "/var/log/lynis.log"]).stdout
                (options.keep_report / "lynis.log").write_text(log)
    index, suggestions, warnings = parse_report(report)
    print(f"{datetime.date.today()}: Lynis {version} (Debian's {deb.name}), audit system --quick, "
          f"{seconds:.0f} s under emulation")
    print(f"hardening index: {index} (goal >= {GOAL})")
    print(f"warnings ({len(warnings)}):", *(f"  {w}" for w in warnings), sep="\n")
    print(f"suggestions ({len(suggestions)}):", *(f"  {s}" for s in suggestions), sep="\n")
    return 0 if index.isdigit() and int(index) >= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
