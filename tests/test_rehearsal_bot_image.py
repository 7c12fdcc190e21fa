"""The real-bot image builder's pure parts: recipe identity, image config, the docker-archive writer."""

from __future__ import annotations

import dataclasses
import io
import json
import py_compile
import struct
import tarfile
from pathlib import Path

from bothost.deploy.image import inspect_archive
from bothost.rehearsal.bot_image import _pack
from bothost.rehearsal.docker_archive import write_docker_archive
from bothost.rehearsal.freqtrade_image import FREQTRADE_RECIPE, FREQTRADE_VERSION


def test_the_recipe_hash_changes_with_anything_that_decides_the_image():
    base = FREQTRADE_RECIPE.digest()
    assert base == dataclasses.replace(FREQTRADE_RECIPE).digest()
    for change in (
        {"requirements": ("freqtrade==2026.8",)},
        {"apt_packages": ()},
        {"uid": 1001},
        {"cmd": ("webserver",)},
        {"version": 99},
    ):
        assert dataclasses.replace(FREQTRADE_RECIPE, **change).digest() != base, change


def test_the_freqtrade_image_config_matches_the_official_dockerfile():
    config = FREQTRADE_RECIPE.config()
    assert config["User"] == "ftuser" and FREQTRADE_RECIPE.uid == 1000
    assert config["WorkingDir"] == "/freqtrade"
    assert config["Entrypoint"] == ["freqtrade"] and config["Cmd"] == ["trade"]
    assert "FT_APP_ENV=docker" in config["Env"]
    assert config["Env"][0].startswith("PATH=/home/ftuser/.local/bin:")
    assert FREQTRADE_RECIPE.requirements == (f"freqtrade=={FREQTRADE_VERSION}",)
    assert "/freqtrade/user_data" in FREQTRADE_RECIPE.user_dirs


def test_the_docker_archive_is_what_the_deploy_path_loads(tmp_path):
    layer = tmp_path / "layer.tar"
    with tarfile.open(layer, "w") as tar:
        info = tarfile.TarInfo("etc/hello")
        info.size = 0
        tar.addfile(info)
    path = tmp_path / "image.tar.gz"
    image_id = write_docker_archive(path, layer, "bot:1", FREQTRADE_RECIPE.config())
    archive = inspect_archive(path)
    assert archive.kind == "docker-archive" and archive.image_id == image_id
    with tarfile.open(path) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        config = json.load(tar.extractfile(manifest[0]["Config"]))
    assert manifest[0]["RepoTags"] == ["bot:1"]
    assert config["config"]["Entrypoint"] == ["freqtrade"]
    assert (
        write_docker_archive(tmp_path / "again.tar.gz", layer, "bot:1", FREQTRADE_RECIPE.config()) == image_id
    )


def test_the_packed_layer_keeps_the_mtimes_its_pyc_files_were_compiled_against(tmp_path):
    """A .pyc records its source's mtime; a layer with other mtimes makes Python recompile every module on
    every start (and the read-only root keeps it from caching the result)."""
    rootfs, work = tmp_path / "rootfs", tmp_path / "work"
    package = rootfs / "home/bot/.local/lib/python3.13/site-packages/mod"
    package.mkdir(parents=True)
    work.mkdir()
    source = package / "__init__.py"
    source.write_text("VALUE = 1\n")
    compiled = py_compile.compile(str(source), invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP)
    _pack(FREQTRADE_RECIPE, rootfs, work, work / "build.log", io.StringIO())
    with tarfile.open(work / "image.tar.gz") as archive:
        manifest = json.load(archive.extractfile("manifest.json"))
        with tarfile.open(fileobj=archive.extractfile(manifest[0]["Layers"][0])) as layer:
            member = layer.getmember("./home/bot/.local/lib/python3.13/site-packages/mod/__init__.py")
            pyc = layer.extractfile("./" + str(Path(compiled).relative_to(rootfs))).read()
    flags, recorded = struct.unpack("<II", pyc[4:12])
    assert flags == 0 and int(member.mtime) == recorded == int(source.stat().st_mtime)
