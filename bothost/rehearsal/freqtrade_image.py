"""The recipe of a Freqtrade image in the official Dockerfile's layout, from its PyPI release.

Official: https://github.com/freqtrade/freqtrade/blob/stable/Dockerfile (python:3.x-slim-bookworm, user
ftuser uid 1000 with `sudo chown` rights, WORKDIR /freqtrade, packages in /home/ftuser/.local via
`pip install --user`, user_data in /freqtrade/user_data, ENTRYPOINT ["freqtrade"], CMD ["trade"]).
"""

from __future__ import annotations

from bothost.rehearsal.bot_image import BotImageRecipe

FREQTRADE_VERSION = "2026.9"  # PyPI release; needs Python >= 3.11 (Debian 12 has 3.11)
FREQTRADE_TAG = f"bothost-freqtrade:{FREQTRADE_VERSION}"

FREQTRADE_RECIPE = BotImageRecipe(
    tag=FREQTRADE_TAG,
    requirements=(f"freqtrade=={FREQTRADE_VERSION}",),
    # The official image adds libatlas3-base and libhdf5-serial-dev (for optional HDF5 data, not a
    # dependency of the release) and installs TA-Lib from source; the TA-Lib wheel bundles the library.
    apt_packages=("sudo", "curl", "sqlite3", "libgomp1"),
    user="ftuser",
    uid=1000,
    gid=1000,
    workdir="/freqtrade",
    entrypoint=("freqtrade",),
    cmd=("trade",),
    env=(
        ("PATH", "/home/ftuser/.local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
        ("LANG", "C.UTF-8"),
        ("LC_ALL", "C.UTF-8"),
        ("PYTHONDONTWRITEBYTECODE", "1"),
        ("PYTHONFAULTHANDLER", "1"),
        ("FT_APP_ENV", "docker"),
    ),
    user_dirs=("/freqtrade/user_data",),
    sudo_rules=("ftuser ALL=(ALL) NOPASSWD: /bin/chown",),
)
