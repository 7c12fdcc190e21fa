"""The set-up every host verb shares (Kamal's cli/base): options -> spec, target, secrets, host, lazily."""

from __future__ import annotations

import functools
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bothost.cli.options import config_option, load_spec

if TYPE_CHECKING:
    from bothost.config import StackSpec
    from bothost.config.secrets import SecretSource
    from bothost.host import Host
    from bothost.ssh import Target


def target_options(command: Callable) -> Callable:
    """--host, --port, --user, --identity and --host-key, each defaulting to the stack outputs."""
    for option in reversed([
        click.option("--host", help="Server address (default: the stack output whitelistIpv4)."),
        click.option("--port", type=click.IntRange(1, 65535),
                     help="SSH port (default: stack output sshPort, else bothost:sshPort)."),
        click.option("--user", help="Admin user (default: stack output adminUser, else bothost:adminUser)."),
        click.option("--identity", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="Private key file (default: SSH agent and ~/.ssh keys)."),
        click.option("--host-key", "host_keys", multiple=True, metavar="LINE", callback=_check_host_keys,
                     help="Pinned host public key line, repeatable (default: stack output hostPublicKeys)."),
    ]):
        command = option(command)
    return command


def _check_host_keys(ctx: click.Context, param: click.Parameter, lines: tuple[str, ...]) -> tuple[str, ...]:
    """Refuse a malformed --host-key with one line, before anything connects."""
    from bothost.config.sshkeys import host_key_problem
    from bothost.errors import printable

    for line in lines:
        problem = host_key_problem(line)
        if problem:
            raise click.BadParameter(f'"{printable(line, 60)}": {problem}. Fix: pass one line of '
                                     "`pulumi stack output hostPublicKeys`, e.g. 'ssh-ed25519 AAAA...'")
    return lines


def connect_host(target: Target) -> Host:
    """A pinned SSH connection to the target (the one seam tests replace)."""
    from bothost.host import connect

    return connect(target)


class Session:
    """One verb's spec, target, secrets and host; each is resolved the first time it is asked for."""

    def __init__(self, config_path: Path, host: str | None = None, port: int | None = None,
                 user: str | None = None, identity: Path | None = None,
                 host_keys: tuple[str, ...] = ()) -> None:
        self.config_path = config_path
        self.options = (host, port, user, identity, host_keys)

    @cached_property
    def spec(self) -> StackSpec:
        """The validated stack spec."""
        return load_spec(self.config_path)

    @cached_property
    def _resolved(self) -> tuple[Target, str | None]:
        return resolve_target(self.spec, *self.options)

    @property
    def target(self) -> Target:
        """The pinned SSH target: the options, else the stack outputs, else the spec."""
        return self._resolved[0]

    @property
    def static_ip(self) -> str | None:
        """The static IP the stack exports (None when only --host was given)."""
        return self._resolved[1]

    @cached_property
    def secrets(self) -> SecretSource:
        """Where `secure:` values come from (Pulumi CLI, environment, prompt)."""
        from bothost.config.secrets import SecretSource

        return SecretSource(self.config_path)

    def host(self) -> Host:
        """A new connection to the target (use it in a with block)."""
        return connect_host(self.target)


def with_session(command: Callable[..., None]) -> Callable[..., None]:
    """Give a click command a Session (first argument) built from the shared target and config options."""

    @functools.wraps(command)
    def wrapper(host: str | None, port: int | None, user: str | None, identity: Path | None,
                host_keys: tuple[str, ...], config_path: Path, **kwargs: object) -> None:
        command(Session(config_path, host, port, user, identity, host_keys), **kwargs)

    return target_options(config_option(wrapper))


def resolve_target(spec: StackSpec, host: str | None, port: int | None, user: str | None,
                   identity: Path | None, host_keys: tuple[str, ...]) -> tuple[Target, str | None]:
    """The pinned Target, and the static IP the stack exports (None when only --host was given)."""
    from bothost.errors import BothostError
    from bothost.ssh import Target, pinned_lines
    from bothost.stack import StackOutputs, read_outputs

    outputs = StackOutputs(None, None, None, ())
    if not host_keys or not host:
        outputs = read_outputs(spec.stack)
    address = host or outputs.host
    if not address:
        raise BothostError("no host: pass --host, or deploy so the stack exports whitelistIpv4")
    target = Target(address, port or outputs.port or spec.host.ssh_port,
                    user or outputs.user or spec.host.admin_user,
                    pinned_lines(host_keys) or outputs.host_keys, identity)
    return target, outputs.host
