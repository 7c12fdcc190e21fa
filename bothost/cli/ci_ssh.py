"""`bothost ci-ssh open|close|check`: a time-boxed SSH window for one CI runner, and the leftover check."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import click

from bothost.cli.session import Session, with_session
from bothost.errors import BothostError

stack_option = click.option("--stack", envvar="STACK", required=True, help="Stack (label stack=NAME).")


@click.group("ci-ssh")
def ci_ssh() -> None:
    """Open SSH for one CI runner's /32 around `pulumi up`, close it, and check none is left behind."""


@ci_ssh.command("open")
@stack_option
@click.option("--ip", "address", required=True, help="The runner's public IPv4 (one /32).")
@click.option("--run-id", required=True, help="Names the opening, e.g. gh-<run id>-<attempt>.")
@click.option("--minutes", type=click.IntRange(1, 120), default=30, show_default=True,
              help="After this the host drops the runner even if close never runs.")
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="SSH port (default: bothost:sshPort of Pulumi.<stack>.yaml).")
@click.option("--wait/--no-wait", default=False, help="Wait until the host answers SSH from here.")
@click.option("--wait-timeout", type=float, default=120.0, show_default=True, help="Seconds to wait.")
def open_(stack: str, address: str, run_id: str, minutes: int, port: int | None, wait: bool,
          wait_timeout: float) -> None:
    """Admit ADDRESS to SSH on the stack's Hetzner firewall (the host mirrors it with a timeout)."""
    from bothost.hetzner import ci_window
    from bothost.hetzner.client import connect, find_stack

    client = connect()
    port = port or _stack_ssh_port(stack)
    opening = ci_window.open_ssh(client, stack, address, port, run_id, minutes)
    click.echo(f"opened: {ci_window.describe([opening])}")
    if wait:
        ips = [ip.ip for ip in find_stack(client, stack).primary_ips if ip.type == "ipv4"]
        if not ips:
            raise BothostError(f"stack {stack} has no static IPv4 at Hetzner to wait for")
        seconds = wait_for_banner(ips[0], port, wait_timeout)
        click.echo(f"host {ips[0]}:{port} answers SSH from this runner after {seconds:.0f} s")


@ci_ssh.command("close")
@stack_option
@click.option("--run-id", default=None, help="Close only this run's opening (default: every CI opening).")
def close(stack: str, run_id: str | None) -> None:
    """Remove CI openings from the stack's firewall; safe to rerun; fails if one is still there."""
    from bothost.hetzner import ci_window
    from bothost.hetzner.client import connect

    removed = ci_window.close_ssh(connect(), stack, run_id)
    click.echo(f"closed: {ci_window.describe(removed)}" if removed else "closed: nothing was open")


@ci_ssh.command("check")
@stack_option
def check(stack: str) -> None:
    """Fail when any CI opening is on the stack's firewall (run after every deploy, and daily)."""
    from bothost.hetzner import ci_window
    from bothost.hetzner.client import connect

    found = ci_window.openings(connect(), stack)
    if found:
        raise BothostError(f"CI SSH openings left behind: {ci_window.describe(found)}. "
                           f"Close them: bothost ci-ssh close --stack {stack}")
    click.echo("no CI SSH opening on the firewall")


def _stack_ssh_port(stack: str) -> int:
    """The SSH port from Pulumi.<stack>.yaml (committed for CI; its secrets stay encrypted)."""
    from bothost.cli.options import load_spec
    from bothost.config.stackfile import stack_file

    path = stack_file(stack)
    if not path.exists():
        raise BothostError(f"{path} not found: pass --port, or commit the stack file")
    return load_spec(path).host.ssh_port


def wait_for_banner(host: str, port: int, timeout: float, interval: float = 3.0) -> float:
    """Seconds until HOST:PORT sends an SSH banner (the host's own firewall has admitted us)."""
    start = time.monotonic()
    while True:
        try:
            with socket.create_connection((host, port), timeout=5) as sock:
                sock.settimeout(5)
                if sock.recv(64).startswith(b"SSH-"):
                    return time.monotonic() - start
        except OSError:
            pass
        if time.monotonic() - start + interval > timeout:
            raise BothostError(f"{host}:{port} gave no SSH banner in {timeout:.0f} s: is the host's CI gate "
                               "installed (bothost ci-ssh install-gate) and its token valid?")
        time.sleep(interval)


@ci_ssh.command("install-gate")
@with_session
def install_gate(session: Session) -> None:
    """Give the host's CI gate a READ-ONLY Hetzner token ($BOTHOST_CI_GATE_TOKEN or asked); run it once."""
    from bothost.secret import Secret
    from roles.ci_gate import CiGateSettings

    token = Secret(os.environ.get("BOTHOST_CI_GATE_TOKEN") or click.prompt(
        "Read-only Hetzner API token for the CI gate", hide_input=True))
    path = CiGateSettings(selector="", ssh_port=0).token_path
    with session.host() as remote:
        remote.check(["install", "-d", "-m", "0700", str(Path(path).parent)])
        remote.write_file(path, token.reveal().encode() + b"\n", mode="0600", owner="root:root")
        result = remote.run(["systemctl", "start", "bothost-ci-gate.service"])
    if result.exit_status != 0:
        raise BothostError("the CI gate failed its first run (wrong token, or the API unreachable?): "
                           "sudo journalctl -u bothost-ci-gate on the host")
    click.echo(f"CI gate token installed at {path} (0600 root); the gate ran once successfully")
