"""BotHost: the Hetzner resources of one bot host (static IP, firewall, host keys, server), one component."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_hcloud as hcloud

from bothost.config import StackSpec
from bothost.hostkeys import HostKeys
from bothost.infra.host_keys import HostKeysResource
from bothost.infra.policy import firewall_rules, key_id, labels, slug
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
        child = pulumi.ResourceOptions(parent=self)
        prefix = slug(f"{name}-{spec.stack}")
        tags = labels(spec.stack)

        ssh_keys = [
            hcloud.SshKey(f"{name}-admin-key-{key_id(line)}", name=f"{prefix}-{key_id(line)}",
                          public_key=line, labels=tags, opts=child)
            for line in host.admin_ssh_keys
        ]
        self.ipv4 = self._primary_ip(name, prefix, "ipv4", spec, tags)
        self.ipv6 = self._primary_ip(name, prefix, "ipv6", spec, tags) if host.ipv6 else None
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
            ssh_keys=[key.id for key in ssh_keys],
            public_nets=[hcloud.ServerPublicNetArgs(
                ipv4_enabled=True, ipv4=_int_id(self.ipv4),
                ipv6_enabled=host.ipv6, ipv6=_int_id(self.ipv6) if self.ipv6 else None,
            )],
            firewall_ids=[_int_id(self.firewall)],
            user_data=self.user_data,
            labels=tags,
            backups=False,  # would copy the exchange key into Hetzner backups; the host is rebuilt from code
            keep_disk=True,  # a bigger server type keeps the small disk, so it can be downgraded again
            shutdown_before_deletion=True,  # the bot gets a clean stop before a replace or teardown
            # Hetzner refuses to give a primary IP to the new server while the old one still holds it.
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True),
        )
        self.bot = self._bot(name, spec) if spec.bot is not None else None
        self.outputs = self._outputs(spec)
        self.register_outputs(self.outputs)

    def _bot(self, name: str, spec: StackSpec) -> pulumi.CustomResource:
        """The bot container, deployed over SSH (agent or ~/.ssh keys) after first boot; key audit first."""
        from bothost.deploy.ops import secrets_for, settings_for
        from bothost.infra.bot_deployment import BotDeployment
        from bothost.keyaudit.preflight import pulumi_preflight_args

        keys = self.host_keys
        audit_args = pulumi_preflight_args(spec.exchange, self.ipv4.ip_address)
        return BotDeployment(
            f"{name}-bot",
            server_id=self.server.id,
            host=self.ipv4.ip_address,
            port=spec.host.ssh_port,
            user=spec.host.admin_user,
            host_keys=pulumi.Output.all(keys.ed25519_public, keys.rsa_public),
            settings=settings_for(spec),
            secrets=secrets_for(spec, lambda value, _key: value),  # the engine decrypted them already
            archive=spec.bot.image_archive,
            preflight="bothost.keyaudit.preflight:pulumi_preflight" if audit_args else None,
            preflight_args=audit_args,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.server]),
        )

    def _primary_ip(self, name: str, prefix: str, family: str, spec: StackSpec,
                    tags: dict[str, str]) -> hcloud.PrimaryIp:
        """A static IP that outlives the server: the exchange whitelist must never go stale."""
        return hcloud.PrimaryIp(
            f"{name}-{family}", name=f"{prefix}-{family}", type=family, location=spec.host.location,
            assignee_type="server", auto_delete=False, delete_protection=True, labels=tags,
            opts=pulumi.ResourceOptions(parent=self, protect=True),
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
            "serverId": self.server.id,
            "nextStep": pulumi.Output.concat(
                "Whitelist ", ip, " as the only IP allowed to use your exchange API key, then run: ",
                "bothost verify"),
        }
        if host.ipv6:
            outputs["whitelistIpv6"] = self.server.ipv6_address
        return outputs


def _int_id(resource: pulumi.CustomResource) -> pulumi.Output[int]:
    """Hetzner ids are integers; Pulumi ids are strings."""
    return resource.id.apply(int)
