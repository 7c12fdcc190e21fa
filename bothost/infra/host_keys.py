"""SSH host keys as a Pulumi dynamic resource: made once, kept in encrypted state, replaced only on demand."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult

from bothost.hostkeys import RSA_BITS, HostKeys, fingerprint, generate_host_keys

# The input that decides what is generated: changing it (a new bothost key policy) replaces the keys.
ALGORITHMS = f"ed25519+rsa{RSA_BITS}"
INPUTS = ("algorithms",)
PRIVATE_OUTPUTS = ("ed25519_private", "rsa_private")
PUBLIC_OUTPUTS = ("ed25519_public", "rsa_public", "ed25519_fingerprint", "rsa_fingerprint")


class HostKeysProvider(ResourceProvider):
    """Creates host keys; diff and update never touch existing keys, so only a replace rotates them."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Generate fresh keys; the id is the ed25519 fingerprint (public)."""
        keys = generate_host_keys()
        outs = {
            "algorithms": props.get("algorithms", ALGORITHMS),
            "ed25519_public": keys.ed25519_public,
            "ed25519_private": keys.ed25519_private,
            "rsa_public": keys.rsa_public,
            "rsa_private": keys.rsa_private,
            "ed25519_fingerprint": fingerprint(keys.ed25519_public),
            "rsa_fingerprint": fingerprint(keys.rsa_public),
        }
        return CreateResult(id_=outs["ed25519_fingerprint"], outs=outs)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """A changed algorithm set replaces the keys; nothing else is a change."""
        changed = [name for name in INPUTS if _plain(olds.get(name)) != _plain(news.get(name))]
        return DiffResult(changes=bool(changed), replaces=changed,
                          stables=list(PUBLIC_OUTPUTS + PRIVATE_OUTPUTS), delete_before_replace=False)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Keep every existing key (the engine would otherwise drop outputs not returned here)."""
        return UpdateResult(outs=_kept(olds, news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Refresh: the keys exist only in state, so state is the truth."""
        return ReadResult(id_=id_, outs={name: _plain(value) for name, value in props.items()})


class HostKeysResource(Resource, module="bothost", name="HostKeys"):
    """The server's SSH host key pairs; private parts are secret outputs."""

    algorithms: pulumi.Output[str]
    ed25519_public: pulumi.Output[str]
    ed25519_private: pulumi.Output[str]
    rsa_public: pulumi.Output[str]
    rsa_private: pulumi.Output[str]
    ed25519_fingerprint: pulumi.Output[str]
    rsa_fingerprint: pulumi.Output[str]

    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        props: dict[str, Any] = {"algorithms": ALGORITHMS}
        props.update({output: None for output in PUBLIC_OUTPUTS + PRIVATE_OUTPUTS})
        secret = pulumi.ResourceOptions(additional_secret_outputs=list(PRIVATE_OUTPUTS))
        super().__init__(HostKeysProvider(), name, props, pulumi.ResourceOptions.merge(opts, secret))

    def host_keys(self) -> pulumi.Output[HostKeys]:
        """All four key parts as one HostKeys value, secret whatever the engine marks."""
        return pulumi.Output.secret(pulumi.Output.all(
            ed25519_private=self.ed25519_private, ed25519_public=self.ed25519_public,
            rsa_private=self.rsa_private, rsa_public=self.rsa_public,
        ).apply(lambda parts: HostKeys(**parts)))


def _kept(olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
    """Old outputs (keys and fingerprints) with the new inputs laid over them."""
    outs = {name: _plain(olds[name]) for name in PUBLIC_OUTPUTS + PRIVATE_OUTPUTS if name in olds}
    outs.update({name: _plain(news[name]) for name in INPUTS if name in news})
    return outs


def _plain(value: Any) -> Any:
    """A value with the engine's secret wrapper removed (secrecy is restored by additional_secret_outputs)."""
    from pulumi.runtime import rpc

    return rpc.unwrap_rpc_secret(value) if rpc.is_rpc_secret(value) else value
