"""The bot as a Pulumi dynamic resource: `pulumi up` deploys it over SSH; its secrets stay secret in state."""

from __future__ import annotations

import contextlib
import functools
import importlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, Resource, ResourceProvider, UpdateResult

from bothost.deploy.secretfiles import BotSecrets
from bothost.secret import Credentials, Secret
from roles.bot.settings import BotSettings

if TYPE_CHECKING:
    from bothost.host import Host

# Inputs whose change redeploys the bot in place; a new server_id replaces it (see diff).
INPUTS = (
    "server_id",  # a replaced server (same IP, same host keys) is a fresh host: deploy again
    "host",
    "port",
    "user",
    "host_keys",
    "settings",
    "archive",
    "archive_sha256",
    "files",
    "files_digest",  # the bot's own files changed: sync them and restart the bot gracefully
    "secrets",
    "watch",  # the watcher's settings (bothost:watch), installed after the bot
    "watch_secrets",
)
SECRET_INPUTS = ("secrets", "watch_secrets")
STORED = (*INPUTS, "identity_file", "preflight_args")  # kept in state; identity_file is where we deploy
# from (a laptop, a CI runner), not what is deployed, so a change of it alone is no change
IDENTITY_ENV = "BOTHOST_SSH_IDENTITY_FILE"  # overrides bothost:sshIdentityFile where the deploy runs
CONNECT_TIMEOUT = 900.0  # seconds: a fresh server boots, runs cloud-init and starts sshd
CLOUD_INIT_TIMEOUT = 1800.0  # seconds: first boot installs packages before docker exists


class BotDeploymentProvider(ResourceProvider):
    """create/update deploy the bot (a no-op on the host when nothing changed); delete stops it gracefully."""

    def __init__(self, preflight: str | None = None) -> None:
        self.preflight = preflight  # "module:function" of the exchange key audit (deployer.Preflight)

    def create(self, props: dict[str, Any]) -> CreateResult:
        """First deploy: wait for first boot to finish, restore handed-over data, then deploy."""
        props = _plain(props)
        id_ = f"{props['host']}/{props['settings']['container']}"
        return CreateResult(id_=id_, outs=self._deploy(props, first=True, handover=handover_dir(id_)))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """A new (or, mid-replacement, unknown) server_id replaces the bot, delete first: the engine then
        stops the old bot and takes its data home BEFORE it deletes the old server. Anything else is an
        in-place update (the host converges)."""
        from pulumi.runtime import rpc

        olds, news = _plain(olds), _plain(news)
        changed = [name for name in INPUTS if olds.get(name) != news.get(name)]
        moved = news.get("server_id") == rpc.UNKNOWN or olds.get("server_id") != news.get("server_id")
        return DiffResult(changes=bool(changed), replaces=["server_id"] if moved else [], stables=[],
                          delete_before_replace=True)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Redeploy: pull first, then swap gracefully; unchanged parts stay untouched on the host."""
        olds, news = _plain(olds), _plain(news)
        new_server = olds.get("server_id") != news.get("server_id")
        return UpdateResult(outs=self._deploy(news, first=new_server))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Stop the bot with its full grace period, take its data dir home, remove containers and secrets.

        Runs before the server goes (replacement or destroy). Only a server that Hetzner says is gone
        is skipped; a refused key or an unreachable host that still exists fails the delete."""
        from bothost.deploy.handover import export_data
        from bothost.deploy.ops import remove
        from bothost.errors import AuthenticationFailed, HostKeyMismatch, RemoteError

        props = _plain(props)
        settings = BotSettings.from_dict(props["settings"])
        try:
            with open_host(props, wait=False) as host:
                remove(host, settings)
                export_data(host, settings, handover_dir(id_))
        except (HostKeyMismatch, AuthenticationFailed):
            raise
        except RemoteError as exc:
            if server_gone(str(props.get("server_id") or "")):
                return  # the server was deleted outside Pulumi: so is the bot
            raise RemoteError(f"{exc}. The server still exists (or Hetzner could not be asked: export "
                              "HCLOUD_TOKEN), so the bot was not stopped: open SSH to it and run again"
                              ) from None

    def _deploy(self, props: dict[str, Any], *, first: bool, handover: Path | None = None) -> dict[str, Any]:
        from bothost.deploy.botfiles import read_tree
        from bothost.deploy.deployer import deploy
        from bothost.deploy.image import inspect_archive

        settings = BotSettings.from_dict(props["settings"])
        archive = inspect_archive(Path(props["archive"])) if props.get("archive") else None
        bot_files = read_tree(Path(props["files"])) if props.get("files") else None
        preflight = _load(self.preflight, props.get("preflight_args") or {})
        with open_host(props, wait=first) as host:
            if handover is not None:
                from bothost.deploy.handover import restore_data

                restore_data(host, settings, handover)
            result = deploy(
                host,
                settings,
                secrets_from(props["secrets"]),
                archive=archive,
                bot_files=bot_files,
                preflight=preflight,
            )
            if props.get("watch"):
                from bothost.deploy.watch import converge_watch, settings_from

                converge_watch(host, settings_from(props["watch"]), Secret(props["watch_secrets"]))
        return {
            **{name: props.get(name) for name in STORED},
            "spec_hash": result.spec_hash,
            "image_id": result.image_id,
        }


class BotDeployment(Resource, module="bothost", name="BotDeployment"):
    """The bot container on the host; its `secrets` input and output are secret in state."""

    spec_hash: pulumi.Output[str]
    image_id: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        *,
        server_id: pulumi.Input[str],
        host: pulumi.Input[str],
        port: int,
        user: str,
        host_keys: pulumi.Input[list[str]],
        settings: BotSettings,
        secrets: BotSecrets,
        identity_file: str | None = None,
        archive: str | None = None,
        files: str | None = None,
        preflight: str | None = None,
        preflight_args: dict[str, Any] | None = None,
        watch: dict[str, Any] | None = None,
        watch_secrets: Secret | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        archive_sha256 = None
        if archive:
            from bothost.deploy.image import inspect_archive

            archive_sha256 = inspect_archive(Path(archive)).sha256
        files_digest = None
        if files:
            from bothost.deploy.botfiles import read_tree

            files = str(Path(files).expanduser().resolve())
            files_digest = read_tree(Path(files)).digest
        props: dict[str, Any] = {
            "server_id": server_id,
            "host": host,
            "port": port,
            "user": user,
            "host_keys": host_keys,
            "identity_file": identity_file,
            "settings": json.loads(json.dumps(settings.to_dict())),
            "archive": archive,
            "archive_sha256": archive_sha256,
            "files": files,
            "files_digest": files_digest,
            "secrets": pulumi.Output.secret(secrets_to_plain(secrets)),
            "preflight_args": preflight_args or {},  # plain, non-secret (e.g. exchange name, static IP)
            "watch": watch,
            "watch_secrets": pulumi.Output.secret(watch_secrets.reveal()) if watch_secrets else None,
            "spec_hash": None,
            "image_id": None,
        }
        secret = pulumi.ResourceOptions(additional_secret_outputs=list(SECRET_INPUTS))
        super().__init__(
            BotDeploymentProvider(preflight), name, props, pulumi.ResourceOptions.merge(opts, secret)
        )


def secrets_to_plain(secrets: BotSecrets) -> dict[str, Any]:
    """The secret input as plain data (only ever handed to Pulumi wrapped by Output.secret)."""

    def reveal(value: Secret | None) -> str | None:
        return value.reveal() if value else None

    creds = secrets.exchange
    return {
        "exchange_api_key": reveal(creds.key if creds else None),
        "exchange_api_secret": reveal(creds.secret if creds else None),
        "exchange_passphrase": reveal(creds.passphrase if creds else None),
        "bot": {name: value.reveal() for name, value in sorted(secrets.bot.items())},
    }


def secrets_from(data: dict[str, Any]) -> BotSecrets:
    """Inverse of secrets_to_plain: every value wrapped again."""

    def wrap(value: str | None) -> Secret | None:
        return Secret(value) if value else None

    key, secret = wrap(data.get("exchange_api_key")), wrap(data.get("exchange_api_secret"))
    return BotSecrets(
        Credentials(key, secret, wrap(data.get("exchange_passphrase"))) if key and secret else None,
        {name: Secret(value) for name, value in (data.get("bot") or {}).items()},
    )


@contextlib.contextmanager
def open_host(props: dict[str, Any], *, wait: bool) -> Iterator[Host]:
    """The Host for the props' target; wait=True also waits for sshd and for cloud-init to finish."""
    from bothost.host import connect
    from bothost.ssh import Target

    chosen = os.environ.get(IDENTITY_ENV) or props.get("identity_file")
    identity = Path(chosen).expanduser() if chosen else None
    target = Target(props["host"], int(props["port"]), props["user"], tuple(props["host_keys"]), identity)
    with connect(target, wait=CONNECT_TIMEOUT if wait else 0.0) as host:
        if wait:
            host.run(["cloud-init", "status", "--wait"], timeout=CLOUD_INIT_TIMEOUT)
        yield host


def handover_dir(id_: str) -> Path:
    """Where this bot's data waits between the old server and the new one."""
    from bothost.deploy.handover import handover_dir as folder

    return folder(id_)


def server_gone(server_id: str) -> bool:
    """True only when the Hetzner API answers that the server does not exist (needs HCLOUD_TOKEN)."""
    from bothost.hetzner.client import HetznerError, api_errors, connect

    if not server_id.isdigit():
        return False
    try:
        client = connect()
        with api_errors(f"looking up server {server_id}"):
            from hcloud import APIException

            try:
                client.servers.get_by_id(int(server_id))
            except APIException as exc:
                if exc.code == "not_found":
                    return True
                raise
    except HetznerError:
        return False
    return False


def _load(path: str | None, arguments: dict[str, Any]):  # -> Preflight | None
    """The preflight function named "module:function", with its extra keyword arguments bound."""
    if not path:
        return None
    module, _, attribute = path.partition(":")
    return functools.partial(getattr(importlib.import_module(module), attribute), **arguments)


def _plain(value: Any) -> Any:
    """Props without the engine's secret wrappers, recursively (the resource options keep them secret)."""
    from pulumi.runtime import rpc

    if rpc.is_rpc_secret(value):
        return _plain(rpc.unwrap_rpc_secret(value))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
