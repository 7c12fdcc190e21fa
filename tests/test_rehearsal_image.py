"""The image recipe: a stable hash over what decides the content, and a cache that is reused."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from bothost.cli.options import load_spec
from bothost.rehearsal import image
from bothost.rehearsal.image import BASE_PACKAGES, Recipe, ensure_image, recipe_for, recipe_for_spec
from bothost.role import RenderContext
from bothost.userdata import default_roles, role_changes

ROOT = Path(__file__).resolve().parent.parent
BASE = recipe_for([])


def test_digest_ignores_package_order_and_duplicates() -> None:
    shuffled = Recipe(packages=tuple(reversed(BASE.packages)) + BASE.packages[:3])
    assert shuffled.digest() == BASE.digest()


def test_digest_is_stable_across_runs() -> None:
    assert recipe_for([]).digest() == BASE.digest()
    assert len(BASE.digest()) == 64


@pytest.mark.parametrize("change", [
    lambda r: replace(r, packages=(*r.packages, "htop")),
    lambda r: replace(r, files={**r.files, "/etc/hostname": "other\n"}),
    lambda r: replace(r, suite="trixie"),
    lambda r: replace(r, disk_size="16G"),
    lambda r: replace(r, version=r.version + 1),
])
def test_digest_changes_with_the_content(change) -> None:
    assert change(BASE).digest() != BASE.digest()


def test_recipe_holds_every_package_the_roles_install() -> None:
    spec = load_spec(ROOT / "Pulumi.example.yaml")
    wanted = {p for _, c in role_changes(spec, RenderContext(), default_roles()) for p in c.packages}
    recipe = recipe_for_spec(spec)
    assert wanted <= set(recipe.packages)
    assert set(BASE_PACKAGES) <= set(recipe.packages)
    assert {"python3", "busybox-static", "cloud-init", "linux-image-cloud-amd64"} <= set(recipe.packages)


def test_image_generalised_for_cloud_init() -> None:
    assert "NoCloud" in BASE.files["/etc/cloud/cloud.cfg.d/90_dpkg.cfg"]
    assert "/dev/vda" in BASE.files["/etc/fstab"]


def test_cached_image_is_reused_without_building(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    entry = tmp_path / BASE.digest()
    entry.mkdir()
    (entry / "recipe.json").write_text(json.dumps({"digest": BASE.digest()}))
    monkeypatch.setattr(image, "_build", lambda *a: pytest.fail("rebuilt a cached image"))
    built = ensure_image(BASE, root=tmp_path)
    assert built.disk == entry / "disk.img" and built.kernel == entry / "vmlinuz"


def test_failed_build_leaves_no_cache_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(recipe: Recipe, work: Path, log: object) -> None:
        (work / "disk.img").write_text("half")
        raise RuntimeError("mirror down")

    monkeypatch.setattr(image, "_build", broken)
    monkeypatch.setattr(image, "_require_root_tools", lambda: None)
    with pytest.raises(RuntimeError):
        ensure_image(BASE, root=tmp_path)
    assert [p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")] == []


def test_cache_root_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert image.cache_root() == tmp_path / "bothost" / "images"
