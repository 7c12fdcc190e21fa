"""The real-bot image builder's pure parts: recipe identity, image config, the docker-archive writer."""

from __future__ import annotations

import dataclasses
import json
import tarfile

from bothost.deploy.image import inspect_archive
from bothost.rehearsal.bot_image import write_docker_archive
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
