"""Pulumi mocks for the infra tests: a fake Hetzner that records every registration with its options."""

from __future__ import annotations

import base64
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


class FakeHetzner(pulumi.runtime.Mocks):
    """Answers registrations like Hetzner would: ids, primary IP addresses, server addresses.

    Dynamic resources run their real provider's create(), after the provider made the round trip through
    the same dill serialization the engine stores, so the host keys in user_data are the ones generated.
    """

    def __init__(self) -> None:
        self._ids = itertools.count(1000)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        state = unwrap(dict(args.inputs))
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

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, None]:
        raise AssertionError(f"unexpected invoke {args.token}: the program must not query the cloud")


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
          secret_keys: list[str] | None = None) -> RecordingMonitor:
    """Fresh mocks, a fresh root stack and the given engine config (strings, as the engine gives them)."""
    pulumi.runtime.set_all_config(dict(config or {}), list(secret_keys or []))
    set_root_resource(None)
    monitor = RecordingMonitor(FakeHetzner())
    pulumi.runtime.set_mocks(monitor.mocks, project="bothost", stack=stack, preview=False, monitor=monitor)
    return monitor


def stop() -> None:
    """Forget config and the root stack so the next test starts clean."""
    pulumi.runtime.set_all_config({}, [])
    set_root_resource(None)


def settle(*outputs: Any) -> list[Any]:
    """Resolve outputs and wait until every pending registration has been answered."""
    values = _sync_await(pulumi.Output.all(*outputs).future()) if outputs else []
    _sync_await(wait_for_rpcs())
    return values


def resolve(output: Any) -> tuple[Any, bool]:
    """An output's value and whether it is secret."""
    out = pulumi.Output.from_input(output)
    return _sync_await(out.future()), _sync_await(out.is_secret())
