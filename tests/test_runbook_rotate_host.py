"""Host rotation: replace server and host keys with pulumi, keep the IP, redeploy, verify; safe to rerun."""

from __future__ import annotations

import json

import pytest

from bothost.errors import BothostError
from bothost.runbook.rotate_host import rotate_host

URNS = ["urn:pulumi:prod::bothost::bothost:index:BotHost$pulumi-python:dynamic:Resource::bothost-host-keys",
        "urn:pulumi:prod::bothost::bothost:index:BotHost$hcloud:index/server:Server::bothost-server",
        "urn:pulumi:prod::bothost::bothost:index:BotHost$hcloud:index/primaryIp:PrimaryIp::bothost-ipv4"]


class FakePulumi:
    """Stack outputs that change when `pulumi up --replace` runs; records every argv."""

    def __init__(self, new_ip: str = "198.51.100.4", fail_deploy: bool = False) -> None:
        self.out = {"whitelistIpv4": "198.51.100.4", "hostKeyFingerprints": {"ed25519": "SHA256:old"}}
        self.new_ip, self.fail_deploy, self.argvs = new_ip, fail_deploy, []

    def __call__(self, argv):
        self.argvs.append(list(argv))
        if argv[:3] == ["pulumi", "stack", "output"]:
            return json.dumps(self.out)
        if argv[:3] == ["pulumi", "stack", "export"]:
            return json.dumps({"deployment": {"resources": [{"urn": u} for u in URNS]}})
        if argv[:2] == ["pulumi", "up"]:
            self.out = {"whitelistIpv4": self.new_ip, "hostKeyFingerprints": {"ed25519": "SHA256:new"}}
        if argv[:2] == ["bothost", "deploy"] and self.fail_deploy:
            raise BothostError("deploy failed")
        return ""


def ups(fake):
    return [a for a in fake.argvs if a[:2] == ["pulumi", "up"]]


def test_replaces_server_and_host_keys_but_not_the_ip_then_redeploys_and_verifies(tmp_path) -> None:
    fake, lines = FakePulumi(), []
    rotate_host("prod", lines.append, fake, tmp_path)
    assert ups(fake) == [["pulumi", "up", "--yes", "--skip-preview", "--stack", "prod",
                          "--replace", URNS[0], "--replace", URNS[1]]]
    assert fake.argvs[-2:] == [["bothost", "deploy", "--config", "Pulumi.prod.yaml"],
                               ["bothost", "verify", "--config", "Pulumi.prod.yaml"]]
    assert not list(tmp_path.iterdir())  # the marker is gone after success


def test_rerun_after_a_failed_deploy_does_not_replace_again(tmp_path) -> None:
    fake = FakePulumi(fail_deploy=True)
    with pytest.raises(BothostError, match="deploy failed"):
        rotate_host("prod", [].append, fake, tmp_path)
    fake.fail_deploy, lines = False, []
    rotate_host("prod", lines.append, fake, tmp_path)
    assert len(ups(fake)) == 1 and any("already replaced" in line for line in lines)


def test_a_changed_ip_stops_before_the_bot_is_redeployed(tmp_path) -> None:
    fake = FakePulumi(new_ip="198.51.100.99")
    with pytest.raises(BothostError, match="static IP changed"):
        rotate_host("prod", [].append, fake, tmp_path)
    assert not any(a[0] == "bothost" for a in fake.argvs)
