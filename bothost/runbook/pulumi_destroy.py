"""`pulumi destroy` for a stack whose static IP is protected: the exact commands `bothost teardown` runs.

A plain `pulumi destroy` deletes nothing: the engine refuses a protected resource before any other step.
So teardown runs, in the stack file's directory:
  pulumi destroy --yes --skip-preview --exclude-protected --stack S   (bot, server, firewall, keys; IP kept)
and, only with --release-ip (after lifting Hetzner's own delete protection through the API):
  pulumi state unprotect --all --yes --stack S
  pulumi destroy --yes --skip-preview --stack S                       (the IP, gone for good)
With the host unreachable (--skip-host), the server is deleted through the API first and
  pulumi refresh --yes --skip-preview --stack S
lets the state forget it, so the bot's delete finds the server gone (Hetzner says so) instead of failing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from bothost.errors import BothostError

Report = Callable[[str], None]


def destroy_argv(stack: str, *, keep_protected: bool) -> list[str]:
    """`pulumi destroy` without questions; --exclude-protected keeps the static IP (and its state)."""
    return ["destroy", "--yes", "--skip-preview", "--non-interactive",
            *(["--exclude-protected"] if keep_protected else []), "--stack", stack]


def unprotect_argv(stack: str) -> list[str]:
    """Lift Pulumi's `protect` from every resource of the stack (only for --release-ip)."""
    return ["state", "unprotect", "--all", "--yes", "--stack", stack]


def refresh_argv(stack: str) -> list[str]:
    """Let the state forget resources deleted outside Pulumi."""
    return ["refresh", "--yes", "--skip-preview", "--non-interactive", "--stack", stack]


class PulumiCli:
    """Runs the Pulumi CLI in the stack file's directory, output passed through to the user."""

    def __init__(self, stack_file: Path, identity: Path | None = None, pulumi: str | None = None) -> None:
        found = pulumi or shutil.which("pulumi")
        if not found:
            raise BothostError("the Pulumi CLI is not on PATH (install it, or use --api-only when the "
                               "stack's state is lost)")
        self.pulumi = found
        self.cwd = Path(stack_file).resolve().parent
        self.env = dict(os.environ)
        if identity is not None:  # the bot deployment's delete logs in with the same key as teardown
            self.env["BOTHOST_SSH_IDENTITY_FILE"] = str(identity)

    def run(self, argv: list[str], report: Report) -> None:
        """One command; a failure stops teardown with the command and its exit code."""
        report(f"$ pulumi {' '.join(argv)}")
        done = subprocess.run([self.pulumi, *argv], cwd=self.cwd, env=self.env, check=False)
        if done.returncode != 0:
            raise BothostError(f"`pulumi {' '.join(argv)}` failed (exit {done.returncode}); fix what it "
                               "printed and run `bothost teardown` again (finished steps are skipped)")
