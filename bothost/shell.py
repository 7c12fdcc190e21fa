"""Shell commands are argument lists until the last moment (this is that moment), and what they return."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class CommandResult:
    """What a command returned on the host."""

    exit_status: int
    stdout: str
    stderr: str = ""


def join(argv: Sequence[str]) -> str:
    """Quote each argument on its own and join them into one shell command line."""
    if not argv or not all(isinstance(a, str) for a in argv):
        raise TypeError(f"a command is a non-empty list of strings, got {argv!r}")
    return shlex.join(argv)


def as_root(argv: Sequence[str]) -> list[str]:
    """The same command run through non-interactive sudo."""
    return ["sudo", "-n", "--", *argv]
