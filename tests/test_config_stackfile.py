"""Stack files read without the engine agree with it; `bothost render` reports bad config in one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bothost.config import parse_spec
from bothost.config.raw import Encrypted
from bothost.config.stackfile import read_stack_file, stack_name
from bothost.errors import BothostError

ROOT = Path(__file__).resolve().parent.parent
BOTHOST = Path(sys.executable).parent / "bothost"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHM8p2zW3ZlsbqQcNq2BNa0RDk8vg9k3Jw+VslVkRqDs you@laptop"


def stack_file(tmp_path: Path, body: str, cidrs: str = "[198.51.100.7/32]") -> Path:
    """A stack file with a valid base and extra lines."""
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_text(f"config:\n  bothost:adminSshKeys: [{KEY}]\n  bothost:adminCidrs: {cidrs}\n{body}",
                    encoding="utf-8")
    return path


@pytest.mark.parametrize(("line", "key", "expected"), [
    ("  bothost:rebootWindow: 14:30\n", "bothost:rebootWindow", "14:30"),  # YAML 1.1 would give 870
    ("  bothost:rebootWindow: 04:30\n", "bothost:rebootWindow", "04:30"),
    ("  bothost:ipv6: yes\n", "bothost:ipv6", "yes"),  # the Pulumi CLI keeps `yes` a string
    ("  bothost:ipv6: true\n", "bothost:ipv6", True),
    ("  bothost:sshPort: 2222\n", "bothost:sshPort", 2222),
    ("  bothost:exchangeApiKey:\n    secure: v1:abc\n", "bothost:exchangeApiKey", Encrypted("v1:abc")),
    ("  bothost:timezone:\n    value: Europe/Berlin\n", "bothost:timezone", "Europe/Berlin"),
])
def test_scalars_read_as_the_pulumi_cli_reads_them(tmp_path, line, key, expected) -> None:
    assert read_stack_file(stack_file(tmp_path, line)).raw(key) == expected


def test_unquoted_time_is_valid_and_yes_is_refused_like_pulumi_up(tmp_path) -> None:
    spec = parse_spec(read_stack_file(stack_file(tmp_path, "  bothost:rebootWindow: 14:30\n")))
    assert spec.host.reboot_window == "14:30"
    with pytest.raises(BothostError, match=r'bothost:ipv6 = "yes": expected true or false'):
        parse_spec(read_stack_file(stack_file(tmp_path, "  bothost:ipv6: yes\n")))


def test_the_example_stack_file_is_valid() -> None:
    path = ROOT / "Pulumi.example.yaml"
    assert parse_spec(read_stack_file(path), stack=stack_name(path)).stack == "example"


@pytest.mark.parametrize(("cidrs", "body", "expected"), [
    ("[0.0.0.0/0]", "", 'bothost:adminCidrs[0] = "0.0.0.0/0": this opens SSH to the whole internet. Fix: '),
    ("[198.51.100.7/32]", "  bothost:sshport: 22\n", "did you mean bothost:sshPort?"),
])
def test_render_with_bad_config_prints_one_line_and_exits_2(tmp_path, cidrs, body, expected) -> None:
    path = stack_file(tmp_path, body, cidrs)
    result = subprocess.run([str(BOTHOST), "render", "--config", str(path)], capture_output=True, text=True,
                            timeout=60, env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and expected in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_render_with_a_missing_file_exits_2(tmp_path) -> None:
    result = subprocess.run([str(BOTHOST), "render", "--config", str(tmp_path / "Pulumi.none.yaml")],
                            capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1
