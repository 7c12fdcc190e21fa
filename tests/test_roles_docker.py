"""The docker role: daemon.json is valid JSON with the settings, and the checks read docker's real formats."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from role_specs import run

from bothost.role import CommandResult
from bothost.templating import render
from roles.docker import NO_NEW_PRIVS, DockerRole, DockerSettings

# `docker info --format '{{json .}}'` of Docker 20.10 on Debian 12 (trimmed to the fields around ours).
INFO = {"ID": "X2QF:...", "Containers": 1, "Driver": "overlay2", "LoggingDriver": "local",
        "CgroupDriver": "systemd", "CgroupVersion": "2", "LiveRestoreEnabled": True,
        "ServerVersion": "20.10.24",
        "SecurityOptions": ["name=apparmor", "name=seccomp,profile=default", "name=cgroupns"]}
BRIDGE = {"com.docker.network.bridge.default_bridge": "true", "com.docker.network.bridge.enable_icc": "false",
          "com.docker.network.bridge.enable_ip_masquerade": "true",
          "com.docker.network.bridge.host_binding_ipv4": "127.0.0.1",
          "com.docker.network.bridge.name": "docker0",
          "com.docker.network.driver.mtu": "1500"}


def check(check_id: str):
    return next(c for c in DockerRole().checks(DockerSettings()) if c.id == check_id)


def test_daemon_json_is_the_settings() -> None:
    s = DockerSettings()
    document = json.loads(render("docker/daemon.json.j2", s=s))
    assert document == s.daemon_config()
    assert document["ip"] == "127.0.0.1" and document["icc"] is False
    assert document["no-new-privileges"] is True


@pytest.mark.parametrize(("check_id", "change", "passed"), [
    ("dock-01", {}, True),
    ("dock-01", {"SecurityOptions": ["name=seccomp,profile=default"]}, False),
    ("dock-01", {"SecurityOptions": ["name=apparmor", "name=seccomp,profile=unconfined"]}, True),
    ("dock-01", {"SecurityOptions": None}, False),
    ("dock-02", {}, True),
    ("dock-02", {"LiveRestoreEnabled": False}, False),
    ("dock-03", {}, True),
    ("dock-03", {"LoggingDriver": "json-file"}, False),
])
def test_docker_info_checks(check_id: str, change: dict, passed: bool) -> None:
    result = CommandResult(0, json.dumps({**INFO, **change}) + "\n")
    assert check(check_id).command == ("docker", "info", "--format", "{{json .}}")
    assert check(check_id).evaluate(result).passed is passed


def test_docker_info_unavailable_fails() -> None:
    down = CommandResult(1, "", "Cannot connect to the Docker daemon at unix:///var/run/docker.sock.")
    for check_id in ("dock-01", "dock-02", "dock-03", "dock-04"):
        assert not check(check_id).evaluate(down).passed
        assert not check(check_id).evaluate(CommandResult(0, "null\n")).passed


@pytest.mark.parametrize(("change", "passed"), [
    ({}, True),
    ({"com.docker.network.bridge.enable_icc": "true"}, False),
    ({"com.docker.network.bridge.host_binding_ipv4": "0.0.0.0"}, False),
])
def test_bridge_check(change: dict, passed: bool) -> None:
    assert check("dock-04").evaluate(CommandResult(0, json.dumps({**BRIDGE, **change}))).passed is passed


def test_no_new_privs_script_reads_the_kernel_flag(tmp_path: Path) -> None:
    """The dock-06 script against a fake docker CLI and two real processes, one with no_new_privs set."""
    if not shutil.which("setpriv"):
        pytest.skip("setpriv (util-linux) is missing")
    confined = subprocess.Popen(["setpriv", "--no-new-privs", "sleep", "30"])
    loose = subprocess.Popen(["sleep", "30"])
    try:
        fake = tmp_path / "docker"
        fake.write_text(f"""#!/bin/sh
case "$1" in
  ps) printf 'aaa\\nbbb\\n' ;;
  inspect) [ "$4" = aaa ] && echo "/bot {confined.pid}" || echo "/sidecar {loose.pid}" ;;
esac
""")
        fake.chmod(0o755)
        env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"}
        output = run(["sh", "-c", NO_NEW_PRIVS], env=env)
    finally:
        confined.kill()
        loose.kill()
    assert output.stdout.splitlines() == ["/bot 1", "/sidecar 0"]
    outcome = check("dock-06").evaluate(CommandResult(output.returncode, output.stdout))
    assert not outcome.passed and outcome.actual == "/bot=1, /sidecar=0"
    assert check("dock-06").evaluate(CommandResult(0, "/bot 1\n")).passed
    assert check("dock-06").evaluate(CommandResult(0, "")).actual == "no running containers"


@pytest.mark.parametrize(("stdout", "passed"), [
    ("Id=docker.service\nUnitFileState=enabled\nActiveState=active\n", True),
    ("Id=docker.service\nUnitFileState=enabled\nActiveState=activating\n", False),
])
def test_docker_unit_check(stdout: str, passed: bool) -> None:
    assert check("dock-05").evaluate(CommandResult(0, stdout)).passed is passed
