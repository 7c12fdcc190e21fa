#!/usr/bin/env bash
# Set up bothost on a Debian/Ubuntu machine, then run its main job or its test suite.
#   ./install.sh           install, then rehearse the example stack on a local VM (no Hetzner account needed)
#   ./install.sh --tests   install, plus the test tools, then run the whole test suite
# Root (or sudo) is needed for the system packages and for building the rehearsal VM image.
set -euo pipefail
cd "$(dirname "$0")"

mode=rehearse
case "${1:-}" in
  "") ;;
  --tests) mode=tests ;;
  --no-run) mode=none ;;
  *) echo "usage: $0 [--tests|--no-run]" >&2; exit 2 ;;
esac

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
# What the rehearsal needs: qemu, an image built with debootstrap, a seed ISO, a static busybox for the demo bot.
RUNTIME_PACKAGES="python3 python3-venv qemu-system-x86 qemu-utils debootstrap genisoimage e2fsprogs busybox-static openssh-client"
# What the tests add: nft -c for rulesets, kmod (the modules fact is compared with modprobe --showconfig), and
# cloud-init's and sshd's own validators (unpacked, not installed; the unpacked sshd links libwrap.so.0, hence
# libwrap0).
TEST_PACKAGES="nftables kmod shellcheck libwrap0 python3-yaml python3-jsonschema python3-jinja2 python3-configobj python3-jsonpatch python3-requests python3-netifaces python3-oauthlib"
TOOLS_DIR="${BOTHOST_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/bothost/tools}"

packages="$RUNTIME_PACKAGES"
[ "$mode" = tests ] && packages="$packages $TEST_PACKAGES"
missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "==> installing system packages:$missing"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
fi

if [ "$mode" = tests ] && [ ! -x "$TOOLS_DIR/root/usr/sbin/sshd" ]; then
  # cloud-init and openssh-server would start services on this machine; only their validators are needed.
  echo "==> unpacking cloud-init and sshd validators into $TOOLS_DIR"
  rm -rf "$TOOLS_DIR" && mkdir -p "$TOOLS_DIR/debs"
  (cd "$TOOLS_DIR/debs" && apt-get download cloud-init openssh-server 2>/dev/null)
  for deb in "$TOOLS_DIR"/debs/*.deb; do dpkg-deb -x "$deb" "$TOOLS_DIR/root"; done
fi
if [ "$mode" = tests ] && ! id sshd >/dev/null 2>&1; then
  # `sshd -t` refuses to run without its privilege separation user (openssh-server's postinst creates it).
  echo "==> adding the sshd privilege separation user"
  $SUDO useradd --system --no-create-home --home-dir /run/sshd --shell /usr/sbin/nologin sshd
fi

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  python3 -m venv .venv
fi
echo "==> installing bothost into .venv"
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'

case "$mode" in
  rehearse) exec .venv/bin/bothost rehearse ;;
  tests) exec .venv/bin/python -m pytest -q ;;
  none) echo "==> installed; run .venv/bin/bothost --help" ;;
esac
