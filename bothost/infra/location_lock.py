"""Refuse a location change before anything changes: the whitelisted static IP cannot leave its location."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
)

from bothost.config.host import NS


def moved_message(old: str, new: str) -> str:
    """Why a location change is refused, and what to do instead."""
    return (f"{NS}:location = \"{new}\" (was \"{old}\"): the static IP the exchange whitelists lives in "
            f"{old} and cannot move to {new}. Fix: pulumi config set {NS}:location {old}; to move, create "
            "a new stack (pulumi stack init) in the new location, whitelist its new IP at the exchange, then "
            "leave this one with `bothost teardown`")


class LocationLockProvider(ResourceProvider):
    """Remembers the stack's location in state; check() refuses a different one (preview and up alike)."""

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """A changed location is a check failure: the engine stops before any other step runs."""
        old, new = _plain(olds.get("location")), _plain(news.get("location"))
        if old and new and old != new:
            return CheckResult(news, [CheckFailure("location", moved_message(old, new))])
        return CheckResult(news, [])

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Nothing to create anywhere: the id is the location."""
        return CreateResult(id_=str(_plain(props["location"])), outs={"location": _plain(props["location"])})

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Never a change (check already refused a different location)."""
        return DiffResult(changes=False, replaces=[], stables=["location"], delete_before_replace=False)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """State is the truth."""
        return ReadResult(id_=id_, outs={"location": _plain(props.get("location", id_))})


class LocationLock(Resource, module="bothost", name="LocationLock"):
    """The location the stack's static IPs were created in."""

    location: pulumi.Output[str]

    def __init__(self, name: str, location: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(LocationLockProvider(), name, {"location": location}, opts)


def _plain(value: Any) -> Any:
    from pulumi.runtime import rpc

    return rpc.unwrap_rpc_secret(value) if rpc.is_rpc_secret(value) else value
