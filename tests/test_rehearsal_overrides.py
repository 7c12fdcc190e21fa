"""The rehearsal spec differs from the user's only by the printed overrides, and user_data only there."""

from __future__ import annotations

import difflib
import os
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from bothost.cli.options import load_spec
from bothost.hostkeys import generate_host_keys
from bothost.rehearsal.overrides import (
    GATEWAY_CIDR,
    HOST_GATEWAY,
    format_overrides,
    generate_admin_key,
    rehearsal_spec,
)
from bothost.role import RenderContext
from bothost.userdata import compose, file_text, render_user_data

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def spec():
    return load_spec(ROOT / "Pulumi.example.yaml")


def test_admin_key_is_fresh_and_private(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    private, line = generate_admin_key(tmp_path / "a")
    _, other = generate_admin_key(tmp_path / "b")
    assert line.startswith("ssh-ed25519 ") and line != other
    assert os.stat(private).st_mode & 0o777 == 0o600
    assert private.read_text().startswith("-----BEGIN OPENSSH PRIVATE KEY-----")


def test_overrides_add_key_gateway_and_ntp_only(spec, tmp_path: Path) -> None:
    _, key = generate_admin_key(tmp_path)
    rehearsed, overrides = rehearsal_spec(spec, key)
    assert rehearsed.host.admin_ssh_keys == (*spec.host.admin_ssh_keys, key)
    assert rehearsed.host.admin_cidrs == (*spec.host.admin_cidrs, GATEWAY_CIDR)
    assert rehearsed.host.ntp_servers == (HOST_GATEWAY,)
    assert rehearsed.host.ssh_port == spec.host.ssh_port
    unchanged = replace(rehearsed.host, admin_ssh_keys=spec.host.admin_ssh_keys,
                        admin_cidrs=spec.host.admin_cidrs, ntp_servers=spec.host.ntp_servers)
    assert unchanged == spec.host
    assert [o.key for o in overrides] == ["bothost:adminSshKeys", "bothost:adminCidrs", "bothost:ntpServers"]


def test_gateway_already_allowed_is_not_added_twice(spec, tmp_path: Path) -> None:
    _, key = generate_admin_key(tmp_path)
    allowed = replace(spec, host=replace(spec.host, admin_cidrs=(GATEWAY_CIDR,)))
    rehearsed, overrides = rehearsal_spec(allowed, key)
    assert rehearsed.host.admin_cidrs == (GATEWAY_CIDR,)
    assert "bothost:adminCidrs" not in [o.key for o in overrides]


def test_printed_overrides_name_each_change_and_hide_the_key_body(spec, tmp_path: Path) -> None:
    _, key = generate_admin_key(tmp_path)
    text = format_overrides(rehearsal_spec(spec, key)[1])
    assert "byte-for-byte" in text
    for needle in ("bothost:adminSshKeys", "bothost:adminCidrs", GATEWAY_CIDR, "bothost:ntpServers",
                   spec.host.ntp_servers[0]):
        assert needle in text
    assert key.split()[1] not in text


def readable_user_data(spec, context: RenderContext) -> list[str]:
    """The user_data's lines with every compressed file decoded (render checks that it renders at all)."""
    render_user_data(spec, context)
    document = compose(spec, context)
    for entry in document["write_files"]:
        entry["content"] = file_text(entry)
        entry.pop("encoding", None)
    return yaml.dump(document, sort_keys=False, width=4096).splitlines()


def test_user_data_differs_only_where_overridden(spec, tmp_path: Path) -> None:
    _, key = generate_admin_key(tmp_path)
    context = RenderContext(host_keys=generate_host_keys())
    hetzner = readable_user_data(spec, context)
    rehearsal = readable_user_data(rehearsal_spec(spec, key)[0], context)
    changed = [line for line in difflib.unified_diff(hetzner, rehearsal, lineterm="", n=0)
               if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert changed, "the overrides must show up in user_data"
    # Lines that change carry an overridden value: old or new admin keys, CIDRs, NTP servers.
    markers = (key.split()[1], HOST_GATEWAY, *spec.host.ntp_servers, *spec.host.admin_cidrs,
               *(k.split()[1] for k in spec.host.admin_ssh_keys))
    values = [line for line in changed if not line.rstrip().endswith(":")]  # a bare key: YAML layout only
    assert all(any(m in line for m in markers) for line in values), values
