"""The README stays true: every config key and verb is documented, and CI runs its test command."""

from __future__ import annotations

import re
from pathlib import Path

from bothost.cli import COMMANDS
from bothost.config.spec import FOREIGN_KEYS, known_keys

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_every_config_key_is_in_the_table() -> None:
    documented = set(re.findall(r"^\| `([a-z]+:[A-Za-z0-9]+)` \|", README, re.MULTILINE))
    assert documented == set(known_keys()) | set(FOREIGN_KEYS)


def test_every_verb_is_listed() -> None:
    missing = [verb for verb in COMMANDS if f"bothost {verb}" not in README and f"/ `{verb}`" not in README]
    assert missing == []


def test_ci_runs_the_readme_test_command() -> None:
    quick_start = README.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in quick_start.strip().splitlines()]
    assert commands == ["./install.sh", "./install.sh --tests"]
    assert "exec ./install.sh --tests" in (ROOT / ".ci/run").read_text()


def test_every_path_in_the_layout_table_exists() -> None:
    layout = README.split("## Layout", 1)[1].split("\n## ", 1)[0]
    paths = [p for p in re.findall(r"`([\w./-]+)`", layout) if "/" in p or "." in p]
    assert len(paths) > 10 and [p for p in paths if not (ROOT / p).exists()] == []
