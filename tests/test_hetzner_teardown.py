"""Deleting a stack's server and firewall at Hetzner while keeping (or releasing) the static IP."""

from __future__ import annotations

import pytest
from fakes.hetzner import FakeHetzner

from bothost.hetzner import teardown
from bothost.hetzner.client import HetznerError, connect, find_stack
from bothost.secret import Secret


@pytest.fixture
def fake():
    with FakeHetzner() as server:
        yield server


def run(fake, stack="prod", release=False):
    lines: list[str] = []
    kept = teardown.destroy(connect(Secret(fake.state.token), fake.endpoint), stack, release, lines.append)
    return kept, lines


def test_default_keeps_the_protected_ip_and_deletes_the_rest(fake):
    ids = fake.state.add_stack("prod")
    other = fake.state.add_stack("other")
    ip = fake.state.primary_ips[ids["primary_ip"]]["ip"]
    kept, lines = run(fake)
    assert kept == [ip]
    assert ids["server"] not in fake.state.servers and ids["firewall"] not in fake.state.firewalls
    assert fake.state.primary_ips[ids["primary_ip"]]["protection"] == {"delete": True}
    assert fake.state.primary_ips[ids["primary_ip"]]["assignee_id"] is None
    assert set(other.values()) <= set(fake.state.servers) | set(fake.state.firewalls) | set(
        fake.state.primary_ips)
    assert lines[0].startswith("server: deleted") and lines[1].startswith("firewall: deleted")
    assert "kept" in lines[2] and ip in lines[2]


def test_release_ip_lifts_protection_then_deletes(fake):
    ids = fake.state.add_stack("prod")
    kept, lines = run(fake, release=True)
    assert kept == [] and ids["primary_ip"] not in fake.state.primary_ips
    writes = [(c.method, c.path.split("/")[2], c.body) for c in fake.state.writes()]
    assert writes[-2:] == [("POST", "primary_ips", {"delete": False}), ("DELETE", "primary_ips", None)]
    assert "released" in lines[-1]


def test_rerun_after_a_completed_teardown_changes_nothing(fake):
    fake.state.add_stack("prod")
    run(fake)
    writes = len(fake.state.writes())
    kept, lines = run(fake)
    assert len(fake.state.writes()) == writes
    assert lines[:2] == ["server: already deleted", "firewall: already deleted"] and len(kept) == 1


def test_rerun_after_a_failure_midway_continues(fake):
    ids = fake.state.add_stack("prod")
    fake.state.servers.pop(ids["server"])  # the server went, then the run died before the firewall
    fake.state.firewalls[ids["firewall"]]["applied_to"] = []
    fake.state.primary_ips[ids["primary_ip"]]["assignee_id"] = None
    _, lines = run(fake)
    assert lines[0] == "server: already deleted" and lines[1].startswith("firewall: deleted")
    resources = find_stack(connect(Secret(fake.state.token), fake.endpoint), "prod")
    assert resources.servers == [] and resources.firewalls == [] and len(resources.primary_ips) == 1


def test_a_firewall_still_in_use_stops_with_the_apis_reason(fake):
    ids = fake.state.add_stack("prod")
    fake.state.firewalls[ids["firewall"]]["applied_to"].append({"type": "server", "server": {"id": 1}})
    with pytest.raises(HetznerError, match="resource_in_use"):
        run(fake)
    assert ids["primary_ip"] in fake.state.primary_ips
