"""Images of real bots built without Docker or a registry: a Debian rootfs plus this machine's wheels.

The rehearsal VM cannot pull images (no registry, no working HTTPS), so a real bot's image is built here:
debootstrap a minimal Debian, `pip wheel` the bot's pinned release on this machine (its pip reaches the
package registry), install those wheels in the chroot with `pip install --no-index`, and pack the tree as a
`docker load` archive whose config (user, workdir, entrypoint, cmd, env) follows the official Dockerfile.
The archive is cached under ~/.cache/bothost/bot-images/<recipe hash>/ and shipped with bot.imageArchive.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from bothost.errors import BothostError
from bothost.rehearsal.image import DEFAULT_MIRROR, _locked, _mounted_proc, _step

# Bump when the build steps change in a way the recipe data does not show. 2: the layer keeps the files'
# mtimes (with all mtimes 0, every .pyc, stamped with its source's build-time mtime, was stale in the
# image, so Python compiled every module from source on every start and could not cache it: read-only).
BUILDER_VERSION = 2
ARCHIVE_NAME = "image.tar.gz"
# Paths dropped from the rootfs: documentation, man pages, translations, apt's caches, test suites of
# Python packages. None of them is read by a running bot; together they are a third of the image.
PRUNE_GLOBS = (
    "usr/share/doc/*",
    "usr/share/man/*",
    "usr/share/info/*",
    "usr/share/locale/*",
    "var/cache/apt/*",
    "var/lib/apt/lists/*",
    "var/cache/debconf/*-old",
    "var/log/*",
)
PRUNE_PACKAGE_DIRS = ("tests", "test")  # directories of that name directly inside an installed package
PIP = "pip"  # the pip distribution, fetched with the bot's wheels and run from its wheel file


@dataclass(frozen=True)
class BotImageRecipe:
    """Everything that decides a bot image; its hash names the cache entry."""

    tag: str  # the image reference the archive carries, e.g. bothost-freqtrade:2026.9
    requirements: tuple[str, ...]  # pinned pip requirements, e.g. ("freqtrade==2026.9",)
    apt_packages: tuple[str, ...]  # Debian packages besides python3 (what the official image installs)
    user: str  # the image's user name (created with uid/gid, home /home/<user>)
    uid: int
    gid: int
    workdir: str  # WORKDIR, created and owned by the user
    entrypoint: tuple[str, ...]
    cmd: tuple[str, ...]
    env: tuple[tuple[str, str], ...]  # ENV lines of the official Dockerfile (PATH included)
    user_dirs: tuple[str, ...] = ()  # more directories created and owned by the user
    sudo_rules: tuple[str, ...] = ()  # lines of /etc/sudoers.d/<user>, as the official image has them
    suite: str = "bookworm"
    python: str = "python3.11"  # the suite's interpreter; the wheels are fetched for its version
    version: int = BUILDER_VERSION

    def digest(self) -> str:
        """sha256 of the canonical JSON of the recipe."""
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()

    def config(self) -> dict[str, object]:
        """The image config `docker load` reads (the same fields `docker build` would set)."""
        return {
            "User": self.user,
            "WorkingDir": self.workdir,
            "Entrypoint": list(self.entrypoint),
            "Cmd": list(self.cmd),
            "Env": [f"{name}={value}" for name, value in self.env],
            "Labels": {"org.opencontainers.image.ref.name": self.tag, "bothost.recipe": self.digest()},
        }


def cache_root() -> Path:
    """$XDG_CACHE_HOME/bothost/bot-images (default ~/.cache/bothost/bot-images)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "bothost" / "bot-images"


def ensure_bot_image(recipe: BotImageRecipe, *, root: Path | None = None, log=sys.stderr) -> Path:
    """The cached archive for this recipe, building it first (minutes, once) when missing."""
    root = root or cache_root()
    final = root / recipe.digest()
    if (final / ARCHIVE_NAME).exists():
        return final / ARCHIVE_NAME
    root.mkdir(parents=True, exist_ok=True)
    with _locked(root / f".{recipe.digest()}.lock"):
        if not (final / ARCHIVE_NAME).exists():
            _require_tools()
            print(f"Building the bot image {recipe.tag} (a few minutes, once): {final}", file=log)
            work = Path(tempfile.mkdtemp(prefix=".build-", dir=root))
            try:
                build(recipe, work, log)
                shutil.rmtree(final, ignore_errors=True)
                os.rename(work, final)
            finally:
                shutil.rmtree(work, ignore_errors=True)
    return final / ARCHIVE_NAME


def rootfs_path(archive: Path) -> Path:
    """Where a built archive keeps its unpacked rootfs (for running the bot locally in a chroot)."""
    return archive.parent / "rootfs"


def build(recipe: BotImageRecipe, work: Path, log) -> None:
    """Wheels, rootfs, install, prune, pack: leaves `work/image.tar.gz`, `work/rootfs`, `work/recipe.json`."""
    build_log = work / "build.log"
    wheels = work / "wheels"
    _step(
        f"pip wheel {' '.join(recipe.requirements)}",
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--prefer-binary",
            "-w",
            str(wheels),
            *recipe.requirements,
            PIP,
        ],
        build_log,
        log,
    )
    rootfs = work / "rootfs"
    mirror = os.environ.get("BOTHOST_DEBIAN_MIRROR", DEFAULT_MIRROR)
    packages = ",".join(sorted({"python3", "ca-certificates", *recipe.apt_packages}))
    _step(
        "debootstrap (minbase)",
        ["debootstrap", "--variant=minbase", f"--include={packages}", recipe.suite, str(rootfs), mirror],
        build_log,
        log,
    )
    _add_user(rootfs, recipe)
    staged = rootfs / "tmp/wheels"
    shutil.copytree(wheels, staged)
    shutil.rmtree(wheels)
    pip_wheel = next(staged.glob(f"{PIP}-*.whl")).name
    env = {
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        "LC_ALL": "C.UTF-8",
        "HOME": f"/home/{recipe.user}",
        "PIP_BREAK_SYSTEM_PACKAGES": "1",
        "PIP_NO_CACHE_DIR": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    with _mounted_proc(rootfs):
        # As the official Dockerfile does (pip install --user as the image's user), from the staged wheels.
        _step(
            "pip install (chroot, offline)",
            [
                "chroot",
                "--userspec",
                f"{recipe.uid}:{recipe.gid}",
                str(rootfs),
                recipe.python,
                f"/tmp/wheels/{pip_wheel}/pip",
                "install",
                "--user",
                "--no-index",
                "--find-links",
                "/tmp/wheels",
                "--no-warn-script-location",
                *recipe.requirements,
            ],
            build_log,
            log,
            env,
        )
    shutil.rmtree(staged)
    _prune(rootfs)
    _pack(recipe, rootfs, work, build_log, log)
    (work / "recipe.json").write_text(json.dumps({**asdict(recipe), "digest": recipe.digest()}, indent=2))
    work.chmod(0o755)


def _add_user(rootfs: Path, recipe: BotImageRecipe) -> None:
    """The image's user, its home and directories, and its sudo rules (official image: sudo chown)."""
    home = f"/home/{recipe.user}"
    with (rootfs / "etc/passwd").open("a") as passwd:
        passwd.write(f"{recipe.user}:x:{recipe.uid}:{recipe.gid}::{home}:/bin/bash\n")
    with (rootfs / "etc/group").open("a") as group:
        group.write(f"{recipe.user}:x:{recipe.gid}:\n")
    with (rootfs / "etc/shadow").open("a") as shadow:
        shadow.write(f"{recipe.user}:!:20000:0:99999:7:::\n")
    for directory in (home, recipe.workdir, *recipe.user_dirs):
        path = rootfs / directory.lstrip("/")
        path.mkdir(parents=True, exist_ok=True)
        os.chown(path, recipe.uid, recipe.gid)
    if recipe.sudo_rules:
        sudoers = rootfs / "etc/sudoers.d" / recipe.user
        sudoers.write_text("".join(f"{line}\n" for line in recipe.sudo_rules))
        sudoers.chmod(0o440)


def _prune(rootfs: Path) -> None:
    """Drop what a running bot never reads (documentation, caches, package test suites)."""
    for pattern in PRUNE_GLOBS:
        for path in rootfs.glob(pattern):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
    for site in rootfs.glob("home/*/.local/lib/python3*/site-packages"):
        for package in site.iterdir():
            for name in PRUNE_PACKAGE_DIRS:
                if (package / name).is_dir():
                    shutil.rmtree(package / name)
    (rootfs / "etc/resolv.conf").write_text("")  # docker mounts its own


def _pack(recipe: BotImageRecipe, rootfs: Path, work: Path, build_log: Path, log) -> None:
    """One layer (GNU tar, sorted, numeric owners, the files' own mtimes: the .pyc files are checked
    against them) wrapped into a gzip'd `docker load` archive."""
    layer = work / "layer.tar"
    _step(
        "tar the rootfs",
        [
            "tar",
            "--sort=name",
            "--numeric-owner",
            "--xattrs",
            "-C",
            str(rootfs),
            "-cf",
            str(layer),
            ".",
        ],
        build_log,
        log,
    )
    write_docker_archive(work / ARCHIVE_NAME, layer, recipe.tag, recipe.config())
    layer.unlink()


def write_docker_archive(path: Path, layer: Path, tag: str, config: dict[str, object]) -> str:
    """A gzip'd `docker load` archive of one layer; returns the image id docker will give it."""
    digest = hashlib.sha256()
    with layer.open("rb") as source:
        while chunk := source.read(1 << 20):
            digest.update(chunk)
    layer_id = digest.hexdigest()
    image_config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "created": "1970-01-01T00:00:00Z",
            "config": config,
            "rootfs": {"type": "layers", "diff_ids": [f"sha256:{layer_id}"]},
            "history": [{"created": "1970-01-01T00:00:00Z", "created_by": "bothost bot_image"}],
        },
        sort_keys=True,
    ).encode()
    image_id = hashlib.sha256(image_config).hexdigest()
    manifest = json.dumps(
        [{"Config": f"{image_id}.json", "RepoTags": [tag], "Layers": [f"{layer_id}/layer.tar"]}]
    ).encode()
    # gzip level 1: the archive crosses a slow emulated link, but the guest also has to inflate it.
    with (
        gzip.GzipFile(path, "wb", compresslevel=1, mtime=0) as raw,
        tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar,
    ):
        _member(tar, f"{image_id}.json", image_config)
        _member(tar, "manifest.json", manifest)
        info = tarfile.TarInfo(f"{layer_id}/layer.tar")
        info.size, info.mode = layer.stat().st_size, 0o644
        with layer.open("rb") as source:
            tar.addfile(info, source)
    return f"sha256:{image_id}"


def _member(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), 0o644
    tar.addfile(info, io.BytesIO(data))


def _require_tools() -> None:
    """Fail early, with the fix, when this machine cannot build the image."""
    if os.geteuid() != 0:
        raise BothostError("building a bot image needs root (debootstrap, chroot)")
    for tool in ("debootstrap", "chroot", "tar"):
        if shutil.which(tool) is None:
            raise BothostError(f"{tool} not found: apt-get install debootstrap tar")
    result = subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True, check=False)
    if result.returncode != 0:
        raise BothostError(f"{sys.executable} has no pip: the bot image's wheels are fetched with it")
