"""The recipe of a Hummingbot image in the official Dockerfile's layout, from its PyPI release.

Official: https://github.com/hummingbot/hummingbot/blob/v2.16.0/Dockerfile (miniconda, the package built in
place as /home/hummingbot/hummingbot, mount points conf/ (connectors, strategies, controllers, scripts),
logs/, data/, certs/, scripts/, controllers/ under WORKDIR /home/hummingbot, `sudo` and libusb installed,
ENV INSTALLATION_TYPE=docker, CMD `conda activate hummingbot && ./bin/hummingbot_quickstart.py`).

Hummingbot 2.16.0 is PyPI release 20260729 (its hummingbot/VERSION says 2.16.0; the later 2026-09 releases
are dev-2.17/2.18 builds of the development branch). It is an sdist only (Cython, compiled at install) and
needs Python >= 3.12 in practice (its pandas-ta requires it), so the image is Debian trixie (Python 3.13)
and pip compiles it in the chroot. pip installs into the user's ~/.local like the Freqtrade image; the
package directory then moves to /home/hummingbot/hummingbot, where the official image has it, because
Hummingbot finds conf/, logs/, data/ and scripts/ next to its package (hummingbot.root_path()).
"""

from __future__ import annotations

from bothost.rehearsal.bot_image import BotImageRecipe

HUMMINGBOT_VERSION = "2.16.0"
HUMMINGBOT_PYPI = "20260729"  # the PyPI release of the v2.16.0 tag
HUMMINGBOT_TAG = f"bothost-hummingbot:{HUMMINGBOT_VERSION}"
HOME = "/home/hummingbot"
PYTHON = "python3.13"  # Debian trixie's

# The official image's mount points (its `mkdir -p` line), owned by the user here.
MOUNT_POINTS = tuple(
    f"{HOME}/{d}"
    for d in (
        "conf",
        "conf/connectors",
        "conf/strategies",
        "conf/controllers",
        "conf/scripts",
        "logs",
        "data",
        "certs",
        "scripts",
        "controllers",
    )
)

# Move the installed package to where the official image has it; a symlink keeps `import hummingbot`
# working from site-packages, and root_path() (a realpath) then resolves to /home/hummingbot.
RELOCATE = (
    "/bin/sh",
    "-ec",
    f'site=$({PYTHON} -m site --user-site); mv "$site/hummingbot" {HOME}/hummingbot; '
    f'ln -s {HOME}/hummingbot "$site/hummingbot"',
)

HUMMINGBOT_RECIPE = BotImageRecipe(
    tag=HUMMINGBOT_TAG,
    requirements=(f"hummingbot=={HUMMINGBOT_PYPI}",),
    # sudo and libusb as the official image; g++ and the Python headers compile its Cython modules (the
    # official image compiles in a builder stage and leaves the compiler behind: a difference, see README).
    # pkgconf and libsecp256k1-dev: coincurve 20's CMake build links Debian's libsecp256k1 (found with
    # pkg-config) instead of downloading the library's source from GitHub, which it does by default.
    apt_packages=("sudo", "libusb-1.0-0", "g++", "python3-dev", "cmake", "pkgconf", "libsecp256k1-dev"),
    user="hummingbot",
    uid=1000,
    gid=1000,
    workdir=HOME,
    entrypoint=(),
    # The official CMD, without conda. The PyPI release's quickstart script imports bin/path_util.py and
    # bin/hummingbot.py, which the release does not ship, so this default fails; bothost's preset runs
    # Hummingbot through its own start (roles/bot/hummingbot_start.py) instead.
    cmd=("/bin/bash", "-lc", "hummingbot_quickstart.py 2>> ./logs/errors.log"),
    env=(
        ("PATH", f"{HOME}/.local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
        ("LANG", "C.UTF-8"),
        ("INSTALLATION_TYPE", "docker"),
    ),
    user_dirs=MOUNT_POINTS,
    suite="trixie",
    python=PYTHON,
    pip_in_chroot=True,
    # The official image's pins (setup/environment.yml: injective-py 1.14, xrpl-py 4.4.0), plus the versions
    # that let pip resolve the release's metadata on Python 3.13: web3 7.14 (websockets >= 14 for
    # decibel-python-sdk), aptos-sdk 0.11 (0.12 needs urllib3 >= 2, Hummingbot < 2), bip-utils 2.9.3 and
    # coincurve 20 (injective-py's bip32 caps it below 21; its sdist needs cmake >= 3.26 and a
    # scikit-build-core before 0.10).
    constraints=(
        "injective-py==1.14.1",
        "xrpl-py==4.4.0",
        "web3==7.14.0",
        "aptos-sdk==0.11.0",
        "bip-utils==2.9.3",
        "coincurve==20.0.0",
        "scikit-build-core<0.10",
    ),
    post_install=(RELOCATE,),
    # coincurve's switch (its pyproject.toml: PROJECT_IGNORE_SYSTEM_LIB from COINCURVE_IGNORE_SYSTEM_LIB,
    # default ON).
    build_env=(("COINCURVE_IGNORE_SYSTEM_LIB", "OFF"),),
)
