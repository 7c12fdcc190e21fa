"""CI windows on the stack's Hetzner firewall, against the local fake API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fakes.hetzner import FakeHetzner

from bothost.hetzner import ci_window
from bothost.hetzner.client import HetznerError, connect
from bothost.secret import Secret

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def fake():
    with FakeHetzner() as server:
        server.state.add_stack("prod", ssh_port=2222)
        server.state.add_stack("other")
        yield server


@pytest.fixture
def client(fake):
    return connect(Secret(fake.state.token), fake.endpoint)


def rules_of(fake, stack="prod"):
    return next(f["rules"] for f in fake.state.firewalls.values() if f["labels"]["stack"] == stack)


def test_open_adds_one_rule_for_the_runner_and_keeps_the_admin_rules(fake, client):
    opening = ci_window.open_ssh(client, "prod", "203.0.114.44", 2222, "run-17", minutes=30, now=NOW)
    rules = rules_of(fake)
    assert [r["description"] for r in rules[:2]] == ["SSH from admin CIDRs", "ping from admin CIDRs"]
    assert rules[2] == {"direction": "in", "protocol": "tcp", "port": "2222",
                        "source_ips": ["203.0.114.44/32"],
                        "destination_ips": [], "description": "bothost-ci run=run-17 until=20260501T123000Z"}
    assert opening == ci_window.Opening("run-17", "203.0.114.44/32", "2222", NOW + timedelta(minutes=30))
    assert rules_of(fake, "other")[-1]["description"] == "ping from admin CIDRs"  # other stack untouched


def test_open_is_safe_to_rerun(fake, client):
    for _ in range(2):
        ci_window.open_ssh(client, "prod", "203.0.114.44/32", 2222, "run-17", now=NOW)
    assert sum(1 for r in rules_of(fake) if r["description"].startswith("bothost-ci")) == 1


def test_close_removes_only_that_runs_opening_and_is_safe_to_rerun(fake, client):
    ci_window.open_ssh(client, "prod", "203.0.114.44", 2222, "run-17", now=NOW)
    ci_window.open_ssh(client, "prod", "203.0.114.45", 2222, "run-18", now=NOW)
    removed = ci_window.close_ssh(client, "prod", "run-17")
    assert [o.run_id for o in removed] == ["run-17"]
    assert [o.run_id for o in ci_window.openings(client, "prod")] == ["run-18"]
    writes = len(fake.state.writes())
    assert ci_window.close_ssh(client, "prod", "run-17") == []
    assert len(fake.state.writes()) == writes  # nothing to do: no write at all
    ci_window.close_ssh(client, "prod")
    assert ci_window.openings(client, "prod") == []
    assert len(rules_of(fake)) == 2


def test_leftover_check_sees_an_opening_that_was_never_closed(fake, client):
    ci_window.open_ssh(client, "prod", "203.0.114.44", 2222, "run-9", minutes=5, now=NOW)
    found = ci_window.openings(client, "prod")
    assert [o.source for o in found] == ["203.0.114.44/32"]
    assert not found[0].expired(NOW) and found[0].expired(NOW + timedelta(minutes=5))


@pytest.mark.parametrize(("address", "problem"), [
    ("0.0.0.0/0", "range"),
    ("203.0.114.0/24", "range"),
    ("192.0.2.44", "not a public address"),
    ("10.0.0.5", "not a public address"),
    ("127.0.0.1", "not a public address"),
    ("runner", "not an IP address"),
    ("203.0.114.6/31", "range"),
])
def test_open_refuses_anything_but_one_public_address(fake, client, address, problem):
    with pytest.raises(HetznerError, match=problem):
        ci_window.open_ssh(client, "prod", address, 2222, "run-1", now=NOW)
    assert fake.state.writes() == []


@pytest.mark.parametrize(("run_id", "minutes", "problem"), [
    ("run 1; rm", 30, "run id"),
    ("x" * 65, 30, "run id"),
    ("run-1", 0, "1-120 minutes"),
    ("run-1", 600, "1-120 minutes"),
])
def test_open_refuses_bad_run_ids_and_durations(fake, client, run_id, minutes, problem):
    with pytest.raises(HetznerError, match=problem):
        ci_window.open_ssh(client, "prod", "203.0.114.44", 2222, run_id, minutes=minutes, now=NOW)
    assert fake.state.writes() == []


def test_a_rule_that_only_looks_like_ours_is_never_removed(fake, client):
    rules_of(fake).append({"direction": "in", "protocol": "tcp", "port": "443", "source_ips": ["0.0.0.0/0"],
                           "destination_ips": [], "description": "bothost-ci by hand"})
    ci_window.close_ssh(client, "prod")
    assert rules_of(fake)[-1]["description"] == "bothost-ci by hand"


def test_unknown_stack_is_a_clear_error(client):
    with pytest.raises(HetznerError, match="expected one firewall labelled managed-by=bothost,stack=nope"):
        ci_window.open_ssh(client, "nope", "203.0.114.44", 22, "run-1", now=NOW)


def test_wrong_token_names_the_variable_and_never_shows_the_token(fake):
    bad = "wrong-token-secret-value"
    with pytest.raises(HetznerError) as caught:
        ci_window.openings(connect(Secret(bad), fake.endpoint), "prod")
    assert "HCLOUD_TOKEN" in str(caught.value) and bad not in str(caught.value)
    assert fake.state.token not in str(caught.value)


def test_token_comes_from_the_environment(fake, monkeypatch):
    monkeypatch.setenv("HCLOUD_TOKEN", fake.state.token)
    monkeypatch.setenv("HCLOUD_ENDPOINT", fake.endpoint)
    assert ci_window.openings(connect(), "prod") == []
    monkeypatch.delenv("HCLOUD_TOKEN")
    with pytest.raises(HetznerError, match="export HCLOUD_TOKEN"):
        connect()
