"""File facts: `stat` and `sha256sum` output."""

from __future__ import annotations

from bothost.facts.files import parse_sha256sum, parse_stat, sha256_argv, stat_argv
from bothost.role import CommandResult


def test_sha256sum_and_stat() -> None:
    digest = "e" * 64
    lines = f"{digest}  /etc/bothost/secrets/bot/a\n{'f' * 64} *bin\n"  # text and binary mode
    sums = CommandResult(1, lines, "sha256sum: b: No such file")
    assert parse_sha256sum(sums) == {"a": digest, "bin": "f" * 64}
    stat = CommandResult(0, "/etc/bothost/secrets 700 0:0\n/srv/bothost/data 750 1000:1000\n")
    assert parse_stat(stat) == {
        "/etc/bothost/secrets": ("0700", "0:0"),
        "/srv/bothost/data": ("0750", "1000:1000"),
    }


def test_argvs_end_options_before_the_paths() -> None:
    assert stat_argv(["-x"]) == ["stat", "-c", "%n %a %u:%g", "--", "-x"]
    assert sha256_argv(("/a", "/b")) == ["sha256sum", "--", "/a", "/b"]
