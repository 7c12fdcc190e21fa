"""bothost watcher's root helper: writes what only root can read (the bot's docker state) and what the
watcher needs (a pending reboot, clock sync, the last unattended upgrade's result) to a status file; turns
the watcher's stop request into a graceful `docker stop`. Standard library only.
Argv: STATUS_PATH STOP_REQUEST CONTAINER|- GRACE_SECONDS."""

import json
import os
import subprocess
import sys
import time


def run(argv, timeout=60):
    """stdout of a command, or None when it fails."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def bot_state(container):
    """The container's State (no Config: it holds the environment) and restart count."""
    out = run(["docker", "inspect", "--type", "container", "--format",
               "{{json .State}}\t{{.RestartCount}}", container])
    if out is None:
        return {"container": container, "present": False}
    state_json, _, restarts = out.strip().partition("\t")
    state = json.loads(state_json)
    return {
        "container": container,
        "present": True,
        "running": bool(state.get("Running")),
        "health": (state.get("Health") or {}).get("Status", ""),
        "exit_code": state.get("ExitCode"),
        "started_at": state.get("StartedAt"),
        "finished_at": state.get("FinishedAt"),
        "restart_count": int(restarts or 0),
    }


def main(status_path, stop_request, container, grace):
    status = {"written_s": int(time.time())}
    if container != "-":
        if os.path.lexists(stop_request):  # only its presence counts: the watcher wrote it, root acts
            os.unlink(stop_request)
            stopped = run(["docker", "stop", "--time", grace, container], timeout=int(grace) + 30)
            status["stop"] = {"at_s": int(time.time()), "ok": stopped is not None}
        status["bot"] = bot_state(container)
    try:
        status["reboot_required_s"] = int(os.stat("/run/reboot-required").st_mtime)
    except OSError:
        status["reboot_required_s"] = None
    upgrade = run(["systemctl", "show", "--property=Result", "--value", "apt-daily-upgrade.service"])
    status["upgrade_result"] = None if upgrade is None else upgrade.strip()
    synced = run(["timedatectl", "show", "--property=NTPSynchronized", "--value"])
    status["ntp_synchronized"] = None if synced is None else synced.strip() == "yes"
    with open(status_path + ".new", "w", encoding="utf-8") as handle:
        json.dump(status, handle)
    os.chmod(status_path + ".new", 0o644)
    os.replace(status_path + ".new", status_path)


if __name__ == "__main__":
    main(*sys.argv[1:5])
