"""The host's CI gate: mirrors CI openings (and only those) into nft with timeouts; the role renders it."""

from __future__ import annotations

import importlib.util
import json
import urllib.parse
from datetime import UTC, datetime, timedelta

import pytest
from fakes.hetzner import FakeHetzner

from bothost.config import parse_spec
from bothost.config.stackfile import read_stack_file
from bothost.hetzner import ci_window
from bothost.hetzner.client import connect, selector
from bothost.role import RenderContext
from bothost.secret import Secret
from bothost.templating import TEMPLATE_DIR
from roles.ci_gate import CiGateRole

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def gate():
    spec = importlib.util.spec_from_file_location("gate", TEMPLATE_DIR / "ci_gate/bothost-ci-gate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rule(description, port="22", source="203.0.114.44/32"):
    return {"direction": "in", "protocol": "tcp", "port": port, "source_ips": [source],
            "description": description}


@pytest.mark.parametrize(("rules", "expected"), [
    ([rule("bothost-ci run=a until=20260501T123000Z")], {"203.0.114.44": 1800}),
    ([rule("bothost-ci run=a until=20260501T115959Z")], {}),  # expired
    ([rule("bothost-ci run=a until=20260501T123000Z", port="2222")], {}),  # another port
    ([rule("SSH from admin CIDRs", source="0.0.0.0/0")], {}),  # not ours
    ([rule("bothost-ci run=a until=20260501T123000Z", source="203.0.114.0/24")], {}),  # never a range
    ([rule("bothost-ci run=a until=20260502T120000Z")], {"203.0.114.44": 7200}),  # capped
])
def test_wanted_admits_only_live_ci_openings_of_the_ssh_port(rules, expected):
    assert gate().wanted([{"rules": rules}], 22, NOW, 7200) == expected


def test_plan_adds_new_and_removes_closed_addresses():
    commands = gate().plan({"203.0.114.44": 60}, {"203.0.114.44", "203.0.114.9"}, "inet bothost", "ci_v4")
    assert commands == [["nft", "delete", "element", "inet", "bothost", "ci_v4", "{ 203.0.114.9 }"]]
    commands = gate().plan({"203.0.114.44": 60}, set(), "inet bothost", "ci_v4")
    assert commands == [["nft", "add", "element", "inet", "bothost", "ci_v4", "{ 203.0.114.44 timeout 60s }"]]


def test_fetch_reads_what_ci_ssh_open_wrote_at_the_fake_api():
    with FakeHetzner() as fake:
        fake.state.add_stack("prod")
        client = connect(Secret(fake.state.token), fake.endpoint)
        ci_window.open_ssh(client, "prod", "203.0.114.44", 22, "gh-1", now=NOW)
        firewalls = gate().fetch(fake.endpoint, fake.state.token, urllib.parse.quote(selector("prod")))
        assert gate().wanted(firewalls, 22, NOW, 7200) == {"203.0.114.44": 1800}


def test_role_renders_an_inert_hardened_timer_with_the_stacks_selector():
    spec = parse_spec(read_stack_file(TEMPLATE_DIR.parent / "Pulumi.example.yaml"), stack="prod")
    role = CiGateRole()
    settings = role.settings(spec, RenderContext())
    files = {f.path: f for f in role.changes(settings).files}
    config = json.loads(files["/etc/bothost/ci-gate.json"].content)
    assert config["selector"] == "managed-by=bothost,stack=prod" and config["ssh_port"] == 22
    service = files["/etc/systemd/system/bothost-ci-gate.service"].content
    assert "ConditionPathExists=/etc/bothost/ci-gate.token" in service
    assert "CapabilityBoundingSet=CAP_NET_ADMIN" in service and "NoNewPrivileges=yes" in service
    assert "OnUnitActiveSec=20s" in files["/etc/systemd/system/bothost-ci-gate.timer"].content


def test_expiry_follows_the_window_end():
    until = NOW + timedelta(minutes=5)
    text = ci_window.description("gh-9", until)
    assert gate().wanted([{"rules": [rule(text)]}], 22, NOW, 7200) == {"203.0.114.44": 300}
