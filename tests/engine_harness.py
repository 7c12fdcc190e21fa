"""Serve a dynamic provider the way the Pulumi engine does, without the Pulumi CLI.

The engine runs the `pulumi-resource-pulumi-python` plugin, which is `python -u -m pulumi.dynamic
ENGINE_ADDRESS`; the process prints the port of its gRPC ResourceProvider server on stdout, and the engine
then calls Configure, Check, Diff, Create, Update, Read and Delete with the resource's properties, among
them `__provider`: the provider object serialized by the SDK (pulumi.dynamic.dynamic.serialize_provider,
dill). This harness starts that process against a small fake engine (the Engine gRPC service, for logs),
sends the same protobuf messages with the SDK's own stubs (pulumi.runtime.proto) and returns plain dicts.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, struct_pb2
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import proto, rpc
from pulumi.runtime.proto import engine_pb2_grpc, provider_pb2, provider_pb2_grpc

ROOT = Path(__file__).resolve().parent.parent
SITE = Path(__file__).resolve().parent / "engine_site"
URN = "urn:pulumi:prod::bothost::pulumi-python:dynamic:Resource::test"


class FakeEngine(engine_pb2_grpc.EngineServicer):
    """The engine's own gRPC service (Log, GetRootResource): providers may log through it."""

    def __init__(self) -> None:
        self.logs: list[str] = []

    def Log(self, request, context):
        self.logs.append(request.message)
        return empty_pb2.Empty()


def serialize(props: dict[str, Any]) -> struct_pb2.Struct:
    """Properties as the engine marshals them (secrets as secret sigs, rpc.UNKNOWN kept as is)."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(rpc.serialize_properties(props, {}, keep_output_values=False))
    finally:
        loop.close()


def deserialize(struct: struct_pb2.Struct) -> dict[str, Any]:
    """A response's properties as plain Python (secret wrappers kept, for the caller to inspect)."""
    return rpc.deserialize_properties(struct, keep_unknowns=True, keep_internal=True)


def secret(value: Any) -> dict[str, Any]:
    """The wire form of a secret value (the engine sends these only to providers that accept secrets)."""
    return {rpc._special_sig_key: rpc._special_secret_sig, "value": value}


class DynamicProviderProcess:
    """One `python -m pulumi.dynamic` process, as the engine starts it, and typed calls into it."""

    def __init__(self, provider: object, env: dict[str, str] | None = None) -> None:
        self.serialized = serialize_provider(provider)
        self.engine = FakeEngine()
        self._engine_server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        engine_pb2_grpc.add_EngineServicer_to_server(self.engine, self._engine_server)
        engine_port = self._engine_server.add_insecure_port("127.0.0.1:0")
        self._engine_server.start()
        environment = {**os.environ, "PULUMI_PROJECT": "bothost",
                       "PYTHONPATH": os.pathsep.join([str(SITE), str(ROOT)]), **(env or {})}
        self.process = subprocess.Popen(
            [sys.executable, "-u", "-m", "pulumi.dynamic", f"127.0.0.1:{engine_port}"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment, cwd=ROOT,
        )
        line = self.process.stdout.readline().decode().strip()
        if not line.isdigit():
            self.close()
            raise RuntimeError(f"provider did not print its port: {line!r} {self.stderr()}")
        self.channel = grpc.insecure_channel(f"127.0.0.1:{line}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)
        self.stub.Configure(provider_pb2.ConfigureRequest(variables={}, args=serialize({}),
                                                          acceptSecrets=True))

    def with_provider(self, props: dict[str, Any]) -> dict[str, Any]:
        """Props plus `__provider`. The SDK registers `__provider` as a secret, but the dynamic provider
        answers Configure with acceptSecrets=False, so the engine strips every secret wrapper before it
        calls the provider; a wrapped `__provider` fails get_provider (unhashable dict), so it never
        travels wrapped. Other props are tested both ways by the callers."""
        return {**props, "__provider": self.serialized}

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> tuple[dict, list[tuple[str, str]]]:
        """Check: the inputs back, and failures as (property, reason)."""
        request = provider_pb2.CheckRequest(urn=URN, olds=serialize(olds), news=serialize(news))
        response = self.stub.Check(request)
        return deserialize(response.inputs), [(f.property, f.reason) for f in response.failures]

    def create(self, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """Create: the id and the output properties (as the engine stores them in state)."""
        response = self.stub.Create(provider_pb2.CreateRequest(urn=URN, properties=serialize(props)))
        return response.id, deserialize(response.properties)

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> provider_pb2.DiffResponse:
        """Diff: the engine's DiffResponse (changes, replaces, deleteBeforeReplace)."""
        return self.stub.Diff(provider_pb2.DiffRequest(id=id_, urn=URN, olds=serialize(olds),
                                                       news=serialize(news)))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        """Update: the new output properties."""
        response = self.stub.Update(provider_pb2.UpdateRequest(id=id_, urn=URN, olds=serialize(olds),
                                                               news=serialize(news)))
        return deserialize(response.properties)

    def read(self, id_: str, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """Read (refresh): the id and the outputs."""
        response = self.stub.Read(provider_pb2.ReadRequest(id=id_, urn=URN, properties=serialize(props)))
        return response.id, deserialize(response.properties)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Delete; a provider exception comes back as grpc.RpcError (UNKNOWN, with the traceback)."""
        self.stub.Delete(provider_pb2.DeleteRequest(id=id_, urn=URN, properties=serialize(props)))

    def stderr(self) -> str:
        """What the provider process wrote to stderr (after close)."""
        if self.process.poll() is None:
            return ""
        return self.process.stderr.read().decode(errors="replace")

    def close(self) -> None:
        """Stop the provider process (the engine kills its plugins at the end) and the fake engine."""
        if getattr(self, "channel", None) is not None:
            self.channel.close()
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self._engine_server.stop(0)

    def __enter__(self) -> DynamicProviderProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def changes(response: provider_pb2.DiffResponse) -> bool | None:
    """DIFF_SOME -> True, DIFF_NONE -> False, DIFF_UNKNOWN -> None."""
    return {proto.DiffResponse.DIFF_SOME: True, proto.DiffResponse.DIFF_NONE: False}.get(response.changes)
