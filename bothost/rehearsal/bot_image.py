"""Images of real bots built without Docker or a registry: a Debian rootfs plus this machine's wheels.

The rehearsal VM cannot pull images (no registry, no working HTTPS), so a real bot's image is built here:
debootstrap a minimal Debian, `pip wheel` the bot's pinned release on this machine (its pip reaches the
package registry), install those wheels in the chroot with `pip install --no-index`, and pack the tree as a
`docker load` archive whose config (user, workdir, entrypoint, cmd, env) follows the official Dockerfile.
The archive is cached under ~/.cache/bothost/bot-images/<recipe hash>/ and shipped with bot.imageArchive.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from bothost.errors import BothostError
from bothost.rehearsal.docker_archive import write_docker_archive
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
    # pip runs in the chroot with the suite's Python (this machine's pip settings and CA), so sdists are
    # compiled for the image's own interpreter (Hummingbot: Cython, Python >= 3.12 on trixie).
    pip_in_chroot: bool = False
    post_install: tuple[tuple[str, ...], ...] = ()  # commands run in the chroot as the user after pip
    constraints: tuple[str, ...] = ()  # pip constraints, for the build environments of sdists too
    build_env: tuple[tuple[str, str], ...] = ()  # environment of the pip install only (sdists' build options)

    def digest(self) -> str:
        """sha256 of the canonical JSON of the recipe (options left at their default do not count)."""
        defaults = {f.name: f.default for f in fields(self) if f.name in LATER_OPTIONS}
        data = {k: v for k, v in asdict(self).items() if k not in defaults or v != defaults[k]}
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()

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


# Options added later: at their defaults they stay out of the digest, so older recipes keep their hash.
LATER_OPTIONS = ("pip_in_chroot", "post_install", "constraints", "build_env")


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
    fetch = ["download", "--no-deps", "-d", str(wheels), PIP] if recipe.pip_in_chroot else None
    _step(
        f"pip wheel {' '.join(recipe.requirements)}" if fetch is None else "pip download pip",
        [
            sys.executable,
            "-m",
            "pip",
            *(fetch or ["wheel", "--quiet", "--prefer-binary", "-w", str(wheels), *recipe.requirements, PIP]),
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
    source = ["--no-index", "--find-links", "/tmp/wheels"]
    if recipe.pip_in_chroot:
        source = []
        env.update(_chroot_pip_access(rootfs, recipe.constraints))
    env.update(recipe.build_env)
    user = ["chroot", "--userspec", f"{recipe.uid}:{recipe.gid}", str(rootfs)]
    with _mounted_proc(rootfs), _shm(rootfs):
        # As the official Dockerfile does (pip install --user as the image's user), from the staged wheels.
        _step(
            "pip install (chroot)" if recipe.pip_in_chroot else "pip install (chroot, offline)",
            [
                *user,
                recipe.python,
                f"/tmp/wheels/{pip_wheel}/pip",
                "install",
                "--user",
                *source,
                "--no-warn-script-location",
                *recipe.requirements,
            ],
            build_log,
            log,
            env,
        )
        for command in recipe.post_install:
            _step(" ".join(command), [*user, *command], build_log, log, env)
    shutil.rmtree(staged)
    for path in ("tmp/pip-ca.pem", "etc/resolv.conf"):
        (rootfs / path).unlink(missing_ok=True)
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


@contextlib.contextmanager
def _shm(rootfs: Path):
    """A tmpfs /dev/shm in the chroot: multiprocessing (e.g. Cython's parallel cythonize) needs it."""
    shm = rootfs / "dev/shm"
    shm.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=1777", "tmpfs", str(shm)], check=True)
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(shm)], check=False)


def _chroot_pip_access(rootfs: Path, constraints: tuple[str, ...]) -> dict[str, str]:
    """Let pip in the chroot reach the registry as this machine's pip does: its CA bundle and DNS."""
    ca = os.environ.get("PIP_CERT") or "/etc/ssl/certs/ca-certificates.crt"
    shutil.copyfile(ca, rootfs / "tmp/pip-ca.pem")
    (rootfs / "etc/resolv.conf").unlink(missing_ok=True)
    shutil.copyfile("/etc/resolv.conf", rootfs / "etc/resolv.conf")
    env = {"PIP_CERT": "/tmp/pip-ca.pem", "PIP_DEFAULT_TIMEOUT": "180"}
    if constraints:  # for the install and for sdists' isolated build environments
        (rootfs / "tmp/pip-constraints.txt").write_text("".join(f"{c}\n" for c in constraints))
        env["PIP_CONSTRAINT"] = "/tmp/pip-constraints.txt"
        # pip >= 25.3 keeps PIP_CONSTRAINT out of build environments (pip changelog 25.3, #13534).
        env["PIP_BUILD_CONSTRAINT"] = "/tmp/pip-constraints.txt"
    index = subprocess.run(
        [sys.executable, "-m", "pip", "config", "get", "global.index-url"], capture_output=True, text=True
    )
    if index.returncode == 0 and index.stdout.strip():
        env["PIP_INDEX_URL"] = index.stdout.strip()
    return env


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
