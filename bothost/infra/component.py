"""BotHost: the Hetzner resources of one bot host (static IP, firewall, host keys, server), one component."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_hcloud as hcloud

from bothost.config import StackSpec
from bothost.hostkeys import HostKeys
from bothost.infra.host_keys import HostKeysResource
from bothost.infra.location_lock import LocationLock
from bothost.infra.policy import firewall_rules, hetzner_fingerprint, key_id, labels, slug, without_comment
from bothost.role import RenderContext, Role
from bothost.userdata import render_user_data
from roles.firewall import FirewallRole

TYPE = "bothost:index:BotHost"


class BotHost(pulumi.ComponentResource):
    """One hardened Hetzner server behind a protected static IPv4, with pinned SSH host keys."""

    def __init__(self, name: str, spec: StackSpec, roles: Sequence[Role] | None = None,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        host = spec.host
        prefix = slug(f"{name}-{spec.stack}")
        tags = labels(spec.stack)
        # First, so a location change is refused before anything else changes (see location_lock.py).
        lock = LocationLock(f"{name}-location", host.location, opts=pulumi.ResourceOptions(parent=self))
        child = pulumi.ResourceOptions(parent=self, depends_on=[lock])

        key_ids = self._admin_keys(name, prefix, spec, tags, child)
        self.ipv4 = self._primary_ip(name, prefix, "ipv4", spec, tags, child, protect=True)
        # IPv6 is not whitelisted by default: unprotected, so `ipv6: false` can delete it.
        self.ipv6 = (self._primary_ip(name, prefix, "ipv6", spec, tags, child, protect=False)
                     if host.ipv6 else None)
        self.firewall = hcloud.Firewall(f"{name}-firewall", name=prefix, labels=tags, rules=[
            hcloud.FirewallRuleArgs(direction=r.direction, protocol=r.protocol, port=r.port,
                                    source_ips=list(r.ips) if r.direction == "in" else None,
                                    destination_ips=list(r.ips) if r.direction == "out" else None,
                                    description=r.description)
            for r in firewall_rules(FirewallRole().settings(spec, RenderContext()))
        ], opts=child)
        self.host_keys = HostKeysResource(f"{name}-host-keys", opts=child)

        def render(keys: HostKeys) -> str:
            return render_user_data(spec, RenderContext(host_keys=keys), roles)

        self.user_data = pulumi.Output.secret(self.host_keys.host_keys().apply(render))
        self.server = hcloud.Server(
            f"{name}-server",
            name=prefix,
            image=host.image,
            server_type=host.server_type,
            location=host.location,
            ssh_keys=key_ids,
            public_nets=[hcloud.ServerPublicNetArgs(
                ipv4_enabled=True, ipv4=_int_id(self.ipv4),
                ipv6_enabled=host.ipv6, ipv6=_int_id(self.ipv6) if self.ipv6 else None,
            )],
            firewall_ids=[_int_id(self.firewall)],
            user_data=self.user_data,
            labels=tags,
            backups=False,  # would copy the exchange key into Hetzner backups; the host is rebuilt from code
            keep_disk=True,  # a bigger server type keeps the small disk, so it can be downgraded again
            shutdown_before_deletion=True,  # a clean OS shutdown (the bot's own delete stopped it first)
            # Hetzner refuses to give a primary IP to the new server while the old one still holds it.
            # ssh_keys only seed root at creation (admins log in through user_data's keys): a key that
            # changes from created to reused must not replace the server.
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(
                delete_before_replace=True, ignore_changes=["sshKeys"])),
        )
        self.bot = self._bot(name, spec) if spec.bot is not None else None
        self.outputs = self._outputs(spec)
        self.register_outputs(self.outputs)

    def _admin_keys(self, name: str, prefix: str, spec: StackSpec, tags: dict[str, str],
                    opts: pulumi.ResourceOptions) -> list[pulumi.Input[str]]:
        """Hetzner SSH key ids: a key already in the project (the console, another stack) is reused by id,
        since Hetzner refuses a second key with the same fingerprint (uniqueness_error)."""
        existing = {key.fingerprint: key for key in hcloud.get_ssh_keys().ssh_keys}
        ids: list[pulumi.Input[str]] = []
        for line in spec.host.admin_ssh_keys:
            found = existing.get(hetzner_fingerprint(line))
            if found is not None and not _ours(found.labels, tags):
                ids.append(str(found.id))
                continue
            ids.append(hcloud.SshKey(
                f"{name}-admin-key-{key_id(line)}", name=f"{prefix}-{key_id(line)}",
                public_key=without_comment(line), labels=tags,
                # A replacement must free the fingerprint before the new key is created.
                opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(delete_before_replace=True)),
            ).id)
        return ids

    def _bot(self, name: str, spec: StackSpec) -> pulumi.CustomResource:
        """The bot container, deployed over SSH (sshIdentityFile, else agent/~/.ssh) after first boot."""
        from bothost.deploy.ops import secrets_for, settings_for
        from bothost.infra.bot_deployment import BotDeployment
        from bothost.keyaudit.preflight import pulumi_preflight_args

        keys = self.host_keys
        audit_args = pulumi_preflight_args(spec.exchange, self.ipv4.ip_address)
        watch, watch_tokens = None, None
        if spec.watch is not None:
            from dataclasses import asdict

            from bothost.deploy.watch import watch_secrets, watch_settings

            watch = asdict(watch_settings(spec))
            watch_tokens = watch_secrets(spec, lambda value, _key: value, pulumi.log.warn)
        return BotDeployment(
            f"{name}-bot",
            server_id=self.server.id,
            host=self.ipv4.ip_address,
            port=spec.host.ssh_port,
            user=spec.host.admin_user,
            identity_file=spec.host.ssh_identity_file,
            host_keys=pulumi.Output.all(keys.ed25519_public, keys.rsa_public),
            settings=settings_for(spec),
            secrets=secrets_for(spec, lambda value, _key: value),  # the engine decrypted them already
            archive=spec.bot.image_archive,
            files=spec.bot.files,
            preflight="bothost.keyaudit.preflight:pulumi_preflight" if audit_args else None,
            preflight_args=audit_args,
            watch=watch,
            watch_secrets=watch_tokens,
            # server_id makes the engine delete (= stop gracefully, data home) the bot before the old
            # server of a replacement is deleted, and create it again on the new one.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.server], delete_before_replace=True),
        )

    def _primary_ip(self, name: str, prefix: str, family: str, spec: StackSpec, tags: dict[str, str],
                    opts: pulumi.ResourceOptions, *, protect: bool) -> hcloud.PrimaryIp:
        """A static IP that outlives the server: the exchange whitelist must never go stale.

        No assignee_type: the server's public_net assigns it (pulumi-hcloud >= 1.34 warns when
        assignee_type comes without assignee_id)."""
        return hcloud.PrimaryIp(
            f"{name}-{family}", name=f"{prefix}-{family}", type=family, location=spec.host.location,
            auto_delete=False, delete_protection=protect, labels=tags,
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(protect=protect)),
        )

    def _outputs(self, spec: StackSpec) -> dict[str, object]:
        """The stack outputs: what to whitelist, how to log in, and the host keys to pin."""
        host = spec.host
        ip = self.ipv4.ip_address
        keys = self.host_keys
        outputs: dict[str, object] = {
            "whitelistIpv4": ip,
            "sshCommand": pulumi.Output.concat(
                "ssh -p ", str(host.ssh_port), " ", host.admin_user, "@", ip),
            "hostKeyFingerprints": {"ed25519": keys.ed25519_fingerprint, "rsa": keys.rsa_fingerprint},
            "hostPublicKeys": [keys.ed25519_public, keys.rsa_public],
            "adminUser": host.admin_user,
            "sshPort": host.ssh_port,
            "location": host.location,
            "serverId": self.server.id,
            "nextStep": pulumi.Output.concat(
                "Whitelist ", ip, " as the only IP allowed to use your exchange API key, then run: ",
                "bothost verify"),
        }
        if host.ipv6:
            outputs["whitelistIpv6"] = self.server.ipv6_address
        return outputs


def _ours(key_labels: dict[str, str] | None, tags: dict[str, str]) -> bool:
    """True for a key this stack created (it stays a resource of this stack)."""
    return all((key_labels or {}).get(k) == v for k, v in tags.items())


def _int_id(resource: pulumi.CustomResource) -> pulumi.Output[int]:
    """Hetzner ids are integers; Pulumi ids are strings."""
    return resource.id.apply(int)
