"""The demo bot image: reproducible tarballs, and a bot script that really handles SIGTERM (on busybox)."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import tarfile
import time
from pathlib import Path

from tools import require

from bothost.deploy.image import inspect_archive
from bothost.rehearsal.demo_image import BOT_SCRIPT, BUSYBOX, docker_archive, rootfs_tar, write_demo_image


def members(data: bytes) -> dict[str, tarfile.TarInfo]:
    """Tar members by name."""
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return {m.name: m for m in tar.getmembers()}


def test_rootfs_has_busybox_applets_and_the_bot() -> None:
    found = members(rootfs_tar())
    assert found["bin/busybox"].size == BUSYBOX.stat().st_size
    assert found["bin/sh"].issym() and found["bin/sh"].linkname == "busybox"
    assert found["bot/run.sh"].mode == 0o755
    assert found["tmp"].mode == 0o1777
    assert all(m.mtime == 0 for m in found.values())


def test_builds_are_byte_identical_and_versions_differ() -> None:
    assert docker_archive(version="1") == docker_archive(version="1")
    assert docker_archive(version="1") != docker_archive(version="2")


def test_docker_archive_layout_and_identity(tmp_path: Path) -> None:
    path = write_demo_image(tmp_path / "demo.tar", tag="bothost-demo:7", version="7")
    with tarfile.open(path) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        config = json.load(tar.extractfile(manifest[0]["Config"]))
        layer = tar.extractfile(manifest[0]["Layers"][0]).read()
    assert manifest[0]["RepoTags"] == ["bothost-demo:7"]
    assert config["config"]["User"] == "1000:1000"
    assert config["rootfs"]["diff_ids"] == [f"sha256:{manifest[0]['Layers'][0].split('/')[0]}"]
    assert layer == rootfs_tar("7")
    archive = inspect_archive(path)
    assert archive.kind == "docker-archive"
    assert archive.image_id == "sha256:" + manifest[0]["Config"].removesuffix(".json")


def test_rootfs_kind_for_docker_import(tmp_path: Path) -> None:
    archive = inspect_archive(write_demo_image(tmp_path / "rootfs.tar", kind="rootfs"))
    assert (archive.kind, archive.image_id) == ("rootfs", None)


def test_bot_script_heartbeats_reads_secret_quietly_and_stops_on_sigterm(tmp_path: Path) -> None:
    require("busybox-static", BUSYBOX.exists())
    secret = tmp_path / "secret"
    secret.write_text("do-not-print-me")
    script = tmp_path / "run.sh"
    script.write_text(BOT_SCRIPT.format(version="t"))
    env = {
        "PATH": os.environ["PATH"],
        "BOT_STATE_DIR": str(tmp_path),
        "BOT_SECRET_FILE": str(secret),
        "BOT_STOP_SECONDS": "1",
    }
    heartbeat = Path("/tmp/heartbeat")
    before = heartbeat.stat().st_mtime if heartbeat.exists() else 0
    bot = subprocess.Popen([str(BUSYBOX), "sh", str(script)], env=env, stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 10
        while not (tmp_path / "starts.log").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.5)
        started = time.monotonic()
        bot.send_signal(signal.SIGTERM)
        out, _ = bot.communicate(timeout=10)
        took = time.monotonic() - started
    finally:
        bot.kill()
    assert bot.returncode == 0
    assert "secret loaded (15 bytes)" in out and "do-not-print-me" not in out
    assert "got SIGTERM" in out and "clean exit" in out
    assert 0.9 < took < 5  # it took its cleanup time, then exited by itself
    assert "t SIGTERM" in (tmp_path / "sigterm.log").read_text()
    assert heartbeat.stat().st_mtime > before
