"""A bootable Debian 12 image built with debootstrap, cached by a hash of its recipe."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bothost.errors import BothostError

SUITE = "bookworm"
DEFAULT_MIRROR = "http://deb.debian.org/debian"  # overridable with BOTHOST_DEBIAN_MIRROR
RECIPE_VERSION = 1  # bump when the build steps change in a way the recipe data does not show
DISK_SIZE = "8G"  # sparse: only used blocks cost disk space
KERNEL_CMDLINE = "root=/dev/vda rw console=ttyS0 net.ifnames=0"  # eth0 naming, as on Hetzner

# What a realistic Hetzner-like Debian 12 image has, so first boot needs no network.
BASE_PACKAGES = (
    "systemd-sysv", "udev", "dbus", "e2fsprogs", "libpam-systemd", "kmod", "linux-image-cloud-amd64",
    "openssh-server", "openssh-client", "cloud-init", "locales", "iproute2", "ifupdown",
    "isc-dhcp-client", "netbase", "ca-certificates", "sudo", "python3", "procps", "less", "curl",
    "gnupg", "cron", "logrotate", "iputils-ping", "systemd-timesyncd", "apparmor",
    "nftables", "unattended-upgrades", "docker.io",  # what the roles install, listed so the base is stable
    "busybox-static",  # a registry-free bot image for later rehearsals
)

# Files the image carries (path -> content); part of the recipe, so editing one rebuilds the image.
IMAGE_FILES = {
    "/etc/fstab": "/dev/vda / ext4 defaults,errors=remount-ro 0 1\n",
    "/etc/hostname": "localhost\n",
    "/etc/hosts": "127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n",
    "/etc/network/interfaces": "source /etc/network/interfaces.d/*\n\nauto lo\niface lo inet loopback\n",
    # cloud-init writes the DHCP config for eth0; NoCloud reads the seed ISO labelled cidata.
    "/etc/cloud/cloud.cfg.d/90_dpkg.cfg": "datasource_list: [ NoCloud, None ]\n",
    # As on Hetzner's images: the hostname resolves (else sudo warns "unable to resolve host" on every call).
    "/etc/cloud/cloud.cfg.d/91_hosts.cfg": "manage_etc_hosts: true\n",
    "/etc/apt/sources.list": (
        f"deb http://deb.debian.org/debian {SUITE} main\n"
        f"deb http://deb.debian.org/debian {SUITE}-updates main\n"
        f"deb http://deb.debian.org/debian-security {SUITE}-security main\n"
    ),
    "/etc/default/locale": "LANG=C.UTF-8\n",
}
LOCALES = ("en_US.UTF-8 UTF-8",)  # generated at build time so cloud-init's locale step is quick


@dataclass(frozen=True)
class Recipe:
    """Everything that decides the image's content; its hash names the cache entry."""

    packages: tuple[str, ...]
    files: dict[str, str] = field(default_factory=lambda: dict(IMAGE_FILES))
    suite: str = SUITE
    disk_size: str = DISK_SIZE
    version: int = RECIPE_VERSION

    def digest(self) -> str:
        """sha256 of the canonical JSON of the recipe (package order and duplicates do not matter)."""
        data = {"packages": sorted(set(self.packages)), "files": dict(sorted(self.files.items())),
                "suite": self.suite, "disk_size": self.disk_size, "locales": list(LOCALES),
                "cmdline": KERNEL_CMDLINE, "version": self.version}
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class Image:
    """A built image: raw ext4 root filesystem plus the kernel and initrd to boot it directly."""

    disk: Path
    disk_format: str  # "raw" for a built image, "qcow2" for a user-given cloud image
    kernel: Path | None = None  # None: boot the disk's own boot loader
    initrd: Path | None = None
    cmdline: str = KERNEL_CMDLINE


def recipe_for(extra_packages: Iterable[str]) -> Recipe:
    """The recipe: the base packages plus whatever the roles install."""
    return Recipe(packages=tuple(sorted(set(BASE_PACKAGES) | set(extra_packages))))


def cache_root() -> Path:
    """$XDG_CACHE_HOME/bothost/images (default ~/.cache/bothost/images)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "bothost" / "images"


def cached_image(directory: Path) -> Image:
    """The Image stored in a cache entry."""
    return Image(disk=directory / "disk.img", disk_format="raw", kernel=directory / "vmlinuz",
                 initrd=directory / "initrd.img")


def ensure_image(recipe: Recipe, *, root: Path | None = None, log=sys.stderr) -> Image:
    """The cached image for this recipe, building it first (minutes) when missing."""
    root = root or cache_root()
    final = root / recipe.digest()
    if (final / "recipe.json").exists():
        return cached_image(final)
    root.mkdir(parents=True, exist_ok=True)
    with _locked(root / f".{recipe.digest()}.lock"):
        if not (final / "recipe.json").exists():
            _require_root_tools()
            print(f"Building the Debian 12 rehearsal image (a few minutes, once): {final}", file=log)
            work = Path(tempfile.mkdtemp(prefix=".build-", dir=root))
            try:
                _build(recipe, work, log)
                os.rename(work, final)
            finally:
                shutil.rmtree(work, ignore_errors=True)
    return cached_image(final)


def user_image(path: Path) -> Image:
    """A user-given Debian cloud image (qcow2), booted through its own boot loader via an overlay."""
    if not path.is_file():
        raise BothostError(f"{path}: no such image file (e.g. debian-12-genericcloud-amd64.qcow2)")
    return Image(disk=path.resolve(), disk_format="qcow2")


def _build(recipe: Recipe, work: Path, log) -> None:
    """Bootstrap, install, configure and pack the root filesystem into `work`."""
    rootfs = work / "rootfs"
    mirror = os.environ.get("BOTHOST_DEBIAN_MIRROR", DEFAULT_MIRROR)
    build_log = work / "build.log"
    _step("debootstrap (minbase)", ["debootstrap", "--variant=minbase", recipe.suite, str(rootfs), mirror],
          build_log, log)
    for path, content in recipe.files.items():
        target = rootfs / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
    (rootfs / "etc/locale.gen").write_text("".join(f"{line}\n" for line in LOCALES))
    policy = rootfs / "usr/sbin/policy-rc.d"
    policy.write_text("#!/bin/sh\nexit 101\n")  # no service starts inside the chroot
    policy.chmod(0o755)
    resolv = rootfs / "etc/resolv.conf"
    resolv.unlink(missing_ok=True)
    shutil.copyfile("/etc/resolv.conf", resolv)
    env = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"}
    with _mounted_proc(rootfs):
        _step("apt-get update", ["chroot", str(rootfs), "apt-get", "update", "-q"], build_log, log, env)
        _step(f"install {len(set(recipe.packages))} packages",
              ["chroot", str(rootfs), "apt-get", "install", "-y", "-q", "--no-install-recommends",
               *sorted(set(recipe.packages))], build_log, log, env)
        _step("locale-gen", ["chroot", str(rootfs), "locale-gen"], build_log, log, env)
        _step("apt-get clean", ["chroot", str(rootfs), "apt-get", "clean"], build_log, log, env)
    _generalise(rootfs)
    boot = rootfs / "boot"
    shutil.copyfile(_only(boot.glob("vmlinuz-*")), work / "vmlinuz")
    shutil.copyfile(_only(boot.glob("initrd.img-*")), work / "initrd.img")
    _step("mkfs.ext4 -d", ["mkfs.ext4", "-q", "-F", "-L", "rootfs", "-d", str(rootfs), str(work / "disk.img"),
                           recipe.disk_size], build_log, log)
    shutil.rmtree(rootfs)
    (work / "recipe.json").write_text(json.dumps({**recipe.__dict__, "digest": recipe.digest()},
                                                 indent=2, default=list))
    work.chmod(0o755)


def _generalise(rootfs: Path) -> None:
    """Make the tree a template: no host keys, no machine id, no build-time resolver or policy."""
    for key in (rootfs / "etc/ssh").glob("ssh_host_*"):
        key.unlink()  # cloud-init installs the keys from user_data (or generates them)
    (rootfs / "etc/machine-id").write_text("")  # systemd fills it in at first boot
    (rootfs / "var/lib/dbus/machine-id").unlink(missing_ok=True)
    (rootfs / "usr/sbin/policy-rc.d").unlink()
    (rootfs / "etc/resolv.conf").write_text("")
    for leftover in (rootfs / "var/log").rglob("*"):
        if leftover.is_file():
            leftover.write_text("")


def _step(title: str, argv: list[str], build_log: Path, log, env: dict[str, str] | None = None) -> None:
    """Run one build command, its output appended to the build log; show the tail when it fails."""
    print(f"  image: {title}", file=log, flush=True)
    with build_log.open("a") as out:
        out.write(f"\n$ {' '.join(argv)}\n")
        out.flush()
        status = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, env=env, check=False).returncode
    if status != 0:
        tail = "\n".join(build_log.read_text(errors="replace").splitlines()[-15:])
        raise BothostError(f"building the rehearsal image failed at '{title}' (exit {status}):\n{tail}")


@contextlib.contextmanager
def _mounted_proc(rootfs: Path) -> Iterator[None]:
    """/proc inside the chroot for the duration of package installation."""
    proc = rootfs / "proc"
    subprocess.run(["mount", "-t", "proc", "proc", str(proc)], check=True)
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(proc)], check=False)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock, so two processes never build the same image at once."""
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _only(paths: Iterable[Path]) -> Path:
    """The single path found (the one kernel or initrd the image has)."""
    found = sorted(paths)
    if len(found) != 1:
        raise BothostError(f"expected exactly one kernel file, found {[p.name for p in found]}")
    return found[0]


def _require_root_tools() -> None:
    """Fail early, with the fix, when this machine cannot build the image."""
    if os.geteuid() != 0:
        raise BothostError("building the rehearsal image needs root (debootstrap, chroot, mount)")
    for tool in ("debootstrap", "mkfs.ext4", "chroot"):
        if shutil.which(tool) is None:
            raise BothostError(f"{tool} not found: apt-get install debootstrap e2fsprogs")


def recipe_for_spec(spec) -> Recipe:  # spec: StackSpec
    """The recipe for a spec: base packages plus the union of every role's packages."""
    from bothost.role import RenderContext
    from bothost.userdata import default_roles, role_changes

    changes = role_changes(spec, RenderContext(), default_roles())
    return recipe_for(p for _, c in changes for p in c.packages)
