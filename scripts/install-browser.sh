#!/usr/bin/env bash
# Installs Debian's Chromium for the browser test (apps/webgpu-browser), which drives it headless
# with playwright-core; WebGPU then runs on its SwiftShader Vulkan, no GPU needed. Idempotent;
# needs root (or sudo) and apt.
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
  echo "browser: $(chromium --version 2>/dev/null || echo chromium) already installed"
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-browser: needs root (or sudo) to install Debian's chromium with apt" >&2
    exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-browser: this script supports Debian (apt-get); install Chromium and set UNFOLD_CHROMIUM to its path" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
echo "browser: $(chromium --version 2>/dev/null) installed"
