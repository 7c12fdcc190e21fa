"""The updates role: apt itself reads our file as intended, next to the package's stock configuration."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from role_specs import make_spec, run
from tools import require

from bothost.role import CommandResult, RenderContext
from bothost.templating import render
from roles.updates import NEEDRESTART_PATH, UpdatesRole, UpdatesSettings

# The lists unattended-upgrades ships in /etc/apt/apt.conf.d/50unattended-upgrades (Debian 12, Ubuntu 24.04).
STOCK = """
Unattended-Upgrade::Origins-Pattern {
        "origin=Debian,codename=${distro_codename},label=Debian";
        "origin=Debian,codename=${distro_codename},label=Debian-Security";
        "origin=Debian,codename=${distro_codename}-security,label=Debian-Security";
};
Unattended-Upgrade::Allowed-Origins {
        "${distro_id}:${distro_codename}";
        "${distro_id}:${distro_codename}-security";
};
Unattended-Upgrade::Automatic-Reboot "false";
"""


def apt_dump(tmp_path: Path, *parts: str) -> CommandResult:
    """`apt-config dump` with only the given files in apt.conf.d."""
    require("apt-config (apt)", shutil.which("apt-config"))
    parts_dir = tmp_path / "apt.conf.d"
    parts_dir.mkdir()
    for index, text in enumerate(parts):
        (parts_dir / f"{50 + 2 * index}part").write_text(text)
    main = tmp_path / "apt.conf"
    main.write_text(f'Dir::Etc "{tmp_path}/";\nDir::Etc::Parts "apt.conf.d";\nDir::Etc::main "none";\n')
    result = run(["apt-config", "dump"], env={**os.environ, "APT_CONFIG": str(main)})
    return CommandResult(result.returncode, result.stdout, result.stderr)


@pytest.mark.parametrize(("image", "window"), [("debian-12", "04:30"), ("ubuntu-24.04", "23:05")])
def test_apt_reads_our_settings_over_the_stock_ones(image: str, window: str, tmp_path: Path) -> None:
    s = UpdatesRole().settings(make_spec(image=image, rebootWindow=window), RenderContext())
    dump = apt_dump(tmp_path, STOCK, render("updates/auto-upgrades.conf.j2", s=s))
    assert dump.exit_status == 0, dump.stderr
    for check in UpdatesRole().checks(s):
        if check.command == ("apt-config", "dump"):
            outcome = check.evaluate(dump)
            assert outcome.passed, (check.id, outcome.actual)
    assert f'"{window}"' in dump.stdout


def test_stock_settings_fail_the_checks(tmp_path: Path) -> None:
    s = UpdatesRole().settings(make_spec(), RenderContext())
    dump = apt_dump(tmp_path, STOCK)
    failing = {c.id for c in UpdatesRole().checks(s)
               if c.command == ("apt-config", "dump") and not c.evaluate(dump).passed}
    assert failing == {"upd-01", "upd-02", "upd-03", "upd-04"}


def test_origins_are_security_only() -> None:
    for image in ("debian-12", "ubuntu-24.04"):
        s = UpdatesRole().settings(make_spec(image=image), RenderContext())
        assert s.origins and all("security" in origin.lower() for origin in s.origins)


@pytest.mark.parametrize(("stdout", "passed"), [
    ("Id=apt-daily.timer\nUnitFileState=enabled\nActiveState=active\n\n"
     "Id=apt-daily-upgrade.timer\nUnitFileState=enabled\nActiveState=active\n", True),
    ("Id=apt-daily.timer\nUnitFileState=enabled\nActiveState=active\n\n"
     "Id=apt-daily-upgrade.timer\nUnitFileState=masked\nActiveState=inactive\n", False),
    ("Id=apt-daily.timer\nUnitFileState=enabled\nActiveState=active\n", False),
])
def test_timers_check(stdout: str, passed: bool) -> None:
    check = next(c for c in UpdatesRole().checks(UpdatesRole().settings(make_spec(), RenderContext()))
                 if c.id == "upd-05")
    assert check.command[:2] == ("systemctl", "show")
    assert check.evaluate(CommandResult(0, stdout)).passed is passed


def test_needrestart_restarts_services_itself() -> None:
    s = UpdatesSettings()
    changes = UpdatesRole().changes(s)
    assert "needrestart" in changes.packages
    conf = next(f.content for f in changes.files if f.path == NEEDRESTART_PATH)
    assert "$nrconf{restart} = 'a';" in conf.splitlines()
    check = next(c for c in UpdatesRole().checks(s) if c.id == "upd-06")
    assert check.evaluate(CommandResult(0, conf)).passed
    assert not check.evaluate(CommandResult(0, conf.replace("'a'", "'l'"))).passed
    assert not check.evaluate(CommandResult(1, "", "cat: No such file or directory")).passed
