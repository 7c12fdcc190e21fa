"""The docker role: daemon.json is valid JSON with the settings, and the checks read docker's real formats."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fake_engine import fake_engine
from role_specs import run
from tools import require

from bothost.facts.files import mode_owner_argv
from bothost.role import CommandResult
from bothost.templating import render
from roles.docker import APPLY_DAEMON_JSON, DOCKER_STATE, DockerRole, DockerSettings

# `docker info --format '{{json .}}'` of Docker 20.10 on Debian 12 (trimmed to the fields around ours).
INFO = {"ID": "X2QF:...", "Containers": 1, "Driver": "overlay2", "LoggingDriver": "local",
        "CgroupDriver": "systemd", "CgroupVersion": "2", "LiveRestoreEnabled": True,
        "ServerVersion": "20.10.24", "Debug": False, "ExperimentalBuild": False,
        "RegistryConfig": {"InsecureRegistryCIDRs": ["127.0.0.0/8"],
                           "IndexConfigs": {"docker.io": {"Name": "docker.io", "Mirrors": [], "Secure": True,
                                                          "Official": True}}},
        "Swarm": {"NodeID": "", "NodeAddr": "", "LocalNodeState": "inactive", "ControlAvailable": False},
        "SecurityOptions": ["name=apparmor", "name=seccomp,profile=default", "name=cgroupns"]}
BRIDGE = {"com.docker.network.bridge.default_bridge": "true", "com.docker.network.bridge.enable_icc": "false",
          "com.docker.network.bridge.enable_ip_masquerade": "true",
          "com.docker.network.bridge.host_binding_ipv4": "127.0.0.1",
          "com.docker.network.bridge.name": "docker0",
          "com.docker.network.driver.mtu": "1500"}


def check(check_id: str):
    return next(c for c in DockerRole().checks(DockerSettings()) if c.id == check_id)


BOT, SIDECAR = "a" * 64, "b" * 64  # container ids


def state(info: dict | None = None, bridge: dict | None = None, flags: dict | None = None) -> str:
    """DOCKER_STATE's output around the given parts (containers /bot, /sidecar for the ids in flags)."""
    names = {BOT: "/bot", SIDECAR: "/sidecar"}
    return json.dumps({"info": INFO if info is None else info,
                       "bridge": {"Name": "bridge", "Options": BRIDGE if bridge is None else bridge},
                       "containers": [{"Id": i, "Names": [names[i]]} for i in flags or {}],
                       "no_new_privs": flags or {}})


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
    ("dock-07", {}, True),
    ("dock-07", {"Debug": True}, False),
    ("dock-07", {"RegistryConfig": {"InsecureRegistryCIDRs": ["127.0.0.0/8", "10.0.0.0/8"]}}, False),
    ("dock-07", {"RegistryConfig": {"IndexConfigs": {"reg.example:5000": {"Secure": False}}}}, False),
    ("dock-07", {"Driver": "aufs"}, False),
    ("dock-07", {"Driver": "devicemapper"}, False),
    ("dock-07", {"ExperimentalBuild": True}, False),
    ("dock-07", {"Swarm": {"LocalNodeState": "active"}}, False),
])
def test_docker_info_checks(check_id: str, change: dict, passed: bool) -> None:
    result = CommandResult(0, state(info={**INFO, **change}) + "\n")
    assert check(check_id).command == check("dock-04").command == check("dock-06").command  # one run
    assert check(check_id).evaluate(result).passed is passed


def test_docker_info_unavailable_fails() -> None:
    down = CommandResult(1, "", "Cannot connect to the Docker daemon at unix:///var/run/docker.sock.")
    for check_id in ("dock-01", "dock-02", "dock-03", "dock-04"):
        assert not check(check_id).evaluate(down).passed
        assert not check(check_id).evaluate(CommandResult(0, "null\n")).passed
        assert not check(check_id).evaluate(CommandResult(0, json.dumps({"info": None}))).passed


@pytest.mark.parametrize(("change", "passed"), [
    ({}, True),
    ({"com.docker.network.bridge.enable_icc": "true"}, False),
    ({"com.docker.network.bridge.host_binding_ipv4": "0.0.0.0"}, False),
])
def test_bridge_check(change: dict, passed: bool) -> None:
    assert check("dock-04").evaluate(CommandResult(0, state(bridge={**BRIDGE, **change}))).passed is passed


def test_docker_state_program_reads_the_engine_api_and_the_kernel_flag(tmp_path: Path) -> None:
    """DOCKER_STATE against a fake Engine API and a /proc whose status files are two real processes', one with
    no_new_privs set: each process counts for the container its cgroup names (systemd's or cgroupfs' path)."""
    require("setpriv (util-linux)", shutil.which("setpriv"))
    confined = subprocess.Popen(["setpriv", "--no-new-privs", "sleep", "30"])
    loose = subprocess.Popen(["sleep", "30"])
    try:
        real = {flag: exec_status(p.pid, "sleep") for flag, p in (("1", confined), ("0", loose))}
    finally:
        confined.kill()
        loose.kill()
    proc = tmp_path / "proc"
    for pid, cgroup, flag in (("11", f"0::/system.slice/docker-{BOT}.scope", "1"),
                              ("12", f"0::/system.slice/docker-{BOT}.scope", "0"),  # e.g. a docker exec
                              ("13", f"0::/docker/{SIDECAR}", "1"),
                              ("14", "0::/system.slice/docker.service", "0"),  # dockerd: no container's
                              ("15", f"0::/system.slice/docker-{BOT}.scope", None)):  # gone: skipped
        (proc / pid).mkdir(parents=True)
        (proc / pid / "cgroup").write_text(cgroup + "\n")
        if flag:
            (proc / pid / "status").write_text(real[flag])
    (proc / "self").mkdir()
    socket_path = tmp_path / "docker.sock"
    routes = {"/info": INFO, "/networks/bridge": {"Name": "bridge", "Options": BRIDGE},
              "/containers/json": [{"Id": BOT, "Names": ["/bot"]}, {"Id": SIDECAR, "Names": ["/sidecar"]}]}
    with fake_engine(socket_path, routes):
        argv = list(check("dock-06").command)
        output = run([sys.executable, *argv[1:-1], str(socket_path), str(proc)])
    assert output.returncode == 0, output.stderr
    result = CommandResult(0, output.stdout)
    assert json.loads(output.stdout)["no_new_privs"] == {BOT: ["1", "0"], SIDECAR: ["1"]}
    outcome = check("dock-06").evaluate(result)
    assert not outcome.passed and outcome.actual == "/bot=1 of 2 processes, /sidecar=1"
    for check_id in ("dock-01", "dock-02", "dock-03", "dock-04"):
        assert check(check_id).evaluate(result).passed, check_id
    assert check("dock-06").evaluate(CommandResult(0, state(flags={BOT: ["1", "1"]}))).passed
    assert not check("dock-06").evaluate(CommandResult(0, state(flags={BOT: []}))).passed  # none found
    assert check("dock-06").evaluate(CommandResult(0, state())).actual == "no running containers"


def exec_status(pid: int, name: str) -> str:
    """/proc/PID/status once the process runs `name` (setpriv has set its flag by then)."""
    for _ in range(500):
        status = Path(f"/proc/{pid}/status").read_text()
        if f"Name:\t{name}\n" in status:
            return status
        time.sleep(0.01)
    raise AssertionError(f"process {pid} never ran {name}")


def test_docker_state_program_fails_without_the_daemon(tmp_path: Path) -> None:
    """No daemon behind the socket, or an API error: the program fails and every docker check with it."""
    output = run([sys.executable, "-S", "-c", DOCKER_STATE, str(tmp_path / "absent.sock")])
    assert output.returncode == 1 and "cannot reach dockerd" in output.stderr
    with fake_engine(tmp_path / "docker.sock", {"/containers/json": []}):
        output = run([sys.executable, "-S", "-c", DOCKER_STATE, str(tmp_path / "docker.sock")])
    assert output.returncode == 1 and "GET /info: HTTP 404" in output.stderr
    for check_id in ("dock-01", "dock-04", "dock-06"):
        assert not check(check_id).evaluate(CommandResult(output.returncode, "", output.stderr)).passed


@pytest.mark.parametrize(("active", "pid_newer", "restarts"), [
    (True, True, False),  # dockerd started after daemon.json was written: it already runs with it
    (True, False, True),  # dockerd was running before daemon.json changed
    (False, True, True),  # dockerd is not running
])
def test_daemon_json_restarts_docker_only_when_older(tmp_path: Path, active: bool, pid_newer: bool,
                                                     restarts: bool) -> None:
    """APPLY_DAEMON_JSON with a fake systemctl: restart only when the running daemon predates daemon.json."""
    daemon_json, pidfile, calls = tmp_path / "daemon.json", tmp_path / "docker.pid", tmp_path / "calls"
    daemon_json.write_text("{}")
    pidfile.write_text("1")
    older, newer = (daemon_json, pidfile) if pid_newer else (pidfile, daemon_json)
    older.touch()
    stamp = older.stat().st_mtime_ns
    os.utime(newer, ns=(stamp + 10**9, stamp + 10**9))
    (tmp_path / "systemctl").write_text(f"""#!/bin/sh
echo "$@" >> {calls}
[ "$1" != is-active ] || exit {0 if active else 3}
""")
    (tmp_path / "systemctl").chmod(0o755)
    script = APPLY_DAEMON_JSON.replace("/run/docker.pid", str(pidfile))
    env = {"PATH": f"{tmp_path}:/usr/bin:/bin"}
    output = run(["sh", "-c", script, "apply-daemon-json", str(daemon_json)], env=env)
    assert output.returncode == 0, output.stderr
    assert ("restart docker.service" in calls.read_text()) is restarts


@pytest.mark.parametrize(("stdout", "passed"), [
    ("Id=docker.service\nUnitFileState=enabled\nActiveState=active\n", True),
    ("Id=docker.service\nUnitFileState=enabled\nActiveState=activating\n", False),
])
def test_docker_unit_check(stdout: str, passed: bool) -> None:
    assert check("dock-05").evaluate(CommandResult(0, stdout)).passed is passed


# `mode_owner_argv(...)` (as `stat -L`) on a Debian 12 host with docker.io 20.10 (after bothost's first boot).
STAT = """\
/lib/systemd/system/docker.service 0644 root:root
/lib/systemd/system/docker.socket 0644 root:root
/etc/docker 0755 root:root
/var/run/docker.sock 0660 root:docker
/etc/docker/daemon.json 0644 root:root
/etc/default/docker 0644 root:root
/run/containerd/containerd.sock 0660 root:root
"""


@pytest.mark.parametrize(("stdout", "passed"), [
    (STAT, True),
    (STAT.replace("daemon.json 0644", "daemon.json 0600"), True),  # stricter is fine
    (STAT.replace("daemon.json 0644", "daemon.json 0666"), False),
    (STAT.replace("docker.sock 0660", "docker.sock 0666"), False),
    (STAT.replace("/etc/docker 0755 root:root", "/etc/docker 0755 bothost:root"), False),
    (STAT.replace("containerd.sock 0660 root:root", "containerd.sock absent"), False),
    ("\n".join(STAT.splitlines()[:-1]), False),  # a file not even reported
])
def test_docker_file_modes(stdout: str, passed: bool) -> None:
    assert check("dock-08").command[:4] == mode_owner_argv()
    assert check("dock-08").evaluate(CommandResult(0, stdout)).passed is passed


def test_docker_proxy_and_docker_group_checks() -> None:
    assert check("dock-09").evaluate(CommandResult(1, "0\n")).passed
    assert not check("dock-09").evaluate(CommandResult(0, "2\n")).passed
    assert not check("dock-09").evaluate(CommandResult(127, "", "pgrep: not found")).passed
    assert check("dock-10").evaluate(CommandResult(0, "docker:x:998:\n")).passed
    assert check("dock-10").evaluate(CommandResult(2, "")).passed
    assert not check("dock-10").evaluate(CommandResult(0, "docker:x:998:bothost\n")).passed
