#!/usr/bin/env bash
# Installs a software Vulkan driver (Mesa's lavapipe) so WebGPU runs without a GPU: Dawn, in the
# `webgpu` package, needs Mesa 25.x, which Debian bookworm has only in bookworm-backports (its own
# Mesa 22.3 is refused). Idempotent; needs root (or sudo) and apt. Prints the driver it found.
set -euo pipefail

icd_present() {
  ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1 && dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null | grep -Eq '^(2[5-9]|[3-9][0-9])\.'
}

if icd_present; then
  echo "webgpu driver: mesa-vulkan-drivers $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers) already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-webgpu-driver: needs root (or sudo) to install packages with apt" >&2
    exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-webgpu-driver: this script supports Debian (apt-get); install Mesa >= 25 with lavapipe (mesa-vulkan-drivers) and libvulkan1 yourself" >&2
  exit 1
fi

codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
if [ "$codename" = "bookworm" ]; then
  list=/etc/apt/sources.list.d/bookworm-backports.list
  if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
    echo "deb http://deb.debian.org/debian bookworm-backports main" | $SUDO tee "$list" >/dev/null
  fi
  target=(-t bookworm-backports)
else
  target=()
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${target[@]}" libvulkan1 mesa-vulkan-drivers >/dev/null

if ! icd_present; then
  echo "install-webgpu-driver: mesa-vulkan-drivers $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || echo missing) installed, but Dawn needs 25.x or newer with lavapipe" >&2
  exit 1
fi
echo "webgpu driver: mesa-vulkan-drivers $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers) installed"
