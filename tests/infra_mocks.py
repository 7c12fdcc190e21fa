"""Pulumi mocks for the infra tests: a fake Hetzner that records every registration with its options."""

from __future__ import annotations

import base64
import hashlib
import itertools
from dataclasses import dataclass
from typing import Any

import dill
import pulumi
import pulumi.runtime
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.settings import set_root_resource
from pulumi.runtime.stack import wait_for_rpcs
from pulumi.runtime.sync_await import _sync_await

IPV4 = "203.0.113.50"
IPV6_NETWORK = "2001:db8:1234:5678::/64"
IPV6_ADDRESS = "2001:db8:1234:5678::1"
DYNAMIC_PREFIX = "pulumi-python:dynamic/"


@dataclass
class Registration:
    """One RegisterResource call: what the engine would see, options included."""

    type: str
    name: str
    inputs: dict[str, Any]  # secrets stay wrapped (see is_secret)
    parent: str
    protect: bool
    delete_before_replace: bool
    additional_secret_outputs: list[str]
    ignore_changes: list[str]
    custom: bool
    dependencies: list[str]

    def plain(self, key: str) -> Any:
        """An input with any secret wrapper removed."""
        return unwrap(self.inputs.get(key))

    def is_secret(self, key: str) -> bool:
        """True when the program sent this input as a secret."""
        return rpc.is_rpc_secret(self.inputs.get(key))


def unwrap(value: Any) -> Any:
    """Remove Pulumi's secret wrappers, recursively."""
    if rpc.is_rpc_secret(value):
        return unwrap(rpc.unwrap_rpc_secret(value))
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    if isinstance(value, dict):
        return {k: unwrap(v) for k, v in value.items()}
    return value


# Which types each location sells, as GET /v1/server_types answers per type in `locations`
# (https://docs.hetzner.cloud/reference/cloud#tag/server-types); an independent fixture, not bothost's table.
OFFERED = {
    "fsn1": {"cx23", "cx33", "cx43", "cx53", "cax11", "cax21", "cpx22", "cpx32", "ccx13", "ccx23"},
    "nbg1": {"cx23", "cx33", "cx43", "cx53", "cax11", "cax21", "cpx22", "cpx32", "ccx13", "ccx23"},
    "hel1": {"cx23", "cx33", "cx43", "cx53", "cax11", "cax21", "cpx22", "cpx32", "ccx13", "ccx23"},
    "ash": {"cpx11", "cpx21", "cpx31", "ccx13", "ccx23"},
    "hil": {"cpx11", "cpx21", "cpx31", "ccx13", "ccx23"},
    "sin": {"cpx11", "cpx21", "cpx31", "ccx13", "ccx23"},
}
GET_SSH_KEYS = "hcloud:index/getSshKeys:getSshKeys"


class HetznerRefused(Exception):
    """An API error in Hetzner's words (https://docs.hetzner.cloud/reference/cloud#errors)."""


def md5_fingerprint(public_line: str) -> str:
    """Hetzner's SSH key fingerprint (API docs' example "b7:2f:30:a0:2f:6c:58:6c:21:04:58:61:ba:06:3b:2f")."""
    digest = hashlib.md5(base64.b64decode(public_line.split()[1])).hexdigest()
    return ":".join(digest[i:i + 2] for i in range(0, 32, 2))


class FakeHetzner(pulumi.runtime.Mocks):
    """Answers registrations like Hetzner would: ids, primary IP addresses, server addresses.

    It keeps the project's SSH keys and refuses a second key with the same fingerprint (uniqueness_error),
    refuses a server type its location does not sell, and answers the getSshKeys invoke. With
    preview=True it answers like `pulumi preview`: no ids and no computed outputs (unknowns).

    Dynamic resources run their real provider's create(), after the provider made the round trip through
    the same dill serialization the engine stores, so the host keys in user_data are the ones generated.
    """

    def __init__(self, preview: bool = False, project_keys: list[dict[str, Any]] | None = None) -> None:
        self._ids = itertools.count(1000)
        self.preview = preview
        self.project_keys = list(project_keys or [])  # as GET /v1/ssh_keys lists them

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        state = unwrap(dict(args.inputs))
        if args.typ == "hcloud:index/server:Server" and state["serverType"] not in OFFERED[state["location"]]:
            raise HetznerRefused(f"server type {state['serverType']} is not available in location "
                                 f"{state['location']} (invalid_input)")
        if self.preview:
            state.pop("__provider", None)
            return "", {k: v for k, v in state.items() if v is not None}  # the engine fills in unknowns
        if args.typ == "hcloud:index/sshKey:SshKey":
            fingerprint = md5_fingerprint(state["publicKey"])
            same = [key for key in self.project_keys  # registered again unchanged: the engine's "same" step
                    if (key["name"], key["public_key"]) == (state["name"], state["publicKey"])]
            if same:
                return str(same[0]["id"]), {**state, "fingerprint": fingerprint}
            if any(key["fingerprint"] == fingerprint for key in self.project_keys):
                raise HetznerRefused("SSH key with the same fingerprint already exists (uniqueness_error)")
            ident = next(self._ids)
            self.project_keys.append({"id": ident, "name": state["name"], "fingerprint": fingerprint,
                                      "public_key": state["publicKey"], "labels": state.get("labels") or {}})
            return str(ident), {**state, "fingerprint": fingerprint}
        if args.typ.startswith(DYNAMIC_PREFIX):
            provider = dill.loads(base64.b64decode(state.pop("__provider")))
            result = provider.create(state)
            return result.id, dict(result.outs or {})
        if args.typ == "hcloud:index/primaryIp:PrimaryIp":
            if state.get("type") == "ipv6":
                state.update(ipAddress=IPV6_NETWORK.split("/")[0], ipNetwork=IPV6_NETWORK)
            else:
                state["ipAddress"] = IPV4
        if args.typ == "hcloud:index/server:Server":
            state["ipv4Address"] = IPV4
            state["ipv6Address"] = IPV6_ADDRESS if state["publicNets"][0].get("ipv6Enabled") else ""
        return str(next(self._ids)), state

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict:
        if args.token == GET_SSH_KEYS:
            return {"id": "keys", "sshKeys": [
                {"id": key["id"], "name": key["name"], "fingerprint": key["fingerprint"],
                 "publicKey": key["public_key"], "labels": key["labels"]} for key in self.project_keys]}
        raise AssertionError(f"unexpected invoke {args.token}: the program only lists SSH keys")


class RecordingMonitor(MockMonitor):
    """A mock monitor that keeps every registration request, with its resource options."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.registrations: list[Registration] = []

    def RegisterResource(self, request: Any) -> Any:
        if request.type != "pulumi:pulumi:Stack":
            self.registrations.append(Registration(
                type=request.type, name=request.name, inputs=rpc.deserialize_properties(request.object),
                parent=request.parent, protect=request.protect,
                delete_before_replace=request.deleteBeforeReplace,
                additional_secret_outputs=list(request.additionalSecretOutputs),
                ignore_changes=list(request.ignoreChanges), custom=request.custom,
                dependencies=list(request.dependencies),
            ))
        return super().RegisterResource(request)

    def of_type(self, type_: str) -> list[Registration]:
        """Registrations of one resource type."""
        return [r for r in self.registrations if r.type == type_]

    def one(self, type_: str) -> Registration:
        """The single registration of a type."""
        found = self.of_type(type_)
        assert len(found) == 1, f"expected one {type_}, got {[r.name for r in found]}"
        return found[0]


def start(stack: str = "prod", config: dict[str, str] | None = None,
          secret_keys: list[str] | None = None, *, preview: bool = False,
          project_keys: list[dict[str, Any]] | None = None) -> RecordingMonitor:
    """Fresh mocks, a fresh root stack and the given engine config (strings, as the engine gives them)."""
    pulumi.runtime.set_all_config(dict(config or {}), list(secret_keys or []))
    set_root_resource(None)
    monitor = RecordingMonitor(FakeHetzner(preview=preview, project_keys=project_keys))
    pulumi.runtime.set_mocks(monitor.mocks, project="bothost", stack=stack, preview=preview, monitor=monitor)
    return monitor


def stop() -> None:
    """Forget config, the root stack and any failed RPC so the next test starts clean."""
    from pulumi.runtime.settings import _get_rpc_manager

    pulumi.runtime.set_all_config({}, [])
    set_root_resource(None)
    _get_rpc_manager().clear()


def settle(*outputs: Any) -> list[Any]:
    """Resolve outputs and wait until every pending registration has been answered."""
    values = _sync_await(pulumi.Output.all(*outputs).future()) if outputs else []
    _sync_await(wait_for_rpcs())
    return values


def resolve(output: Any) -> tuple[Any, bool]:
    """An output's value and whether it is secret."""
    out = pulumi.Output.from_input(output)
    return _sync_await(out.future()), _sync_await(out.is_secret())
