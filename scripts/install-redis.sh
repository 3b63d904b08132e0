#!/usr/bin/env bash
# Installs Debian's Redis server for the distributed sweep tests (apps/sweep/test/queue), which
# start their own redis-server on a free port (or use UNFOLD_TEST_REDIS_URL when it is set).
# Idempotent; needs root (or sudo) and apt. Runs `apt-get update` only when the package is not
# found in the current package lists.
set -euo pipefail

if command -v redis-server >/dev/null 2>&1; then
  echo "redis: $(redis-server --version | cut -d' ' -f1-3) already installed"
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-redis: needs root (or sudo) to install Debian's redis-server with apt" >&2
    exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-redis: this script supports Debian (apt-get); install redis-server (Redis >= 6.2) yourself and put it on PATH" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if ! apt-cache show redis-server >/dev/null 2>&1; then
  $SUDO apt-get update -qq
fi
$SUDO apt-get install -y -qq --no-install-recommends redis-server >/dev/null
# The package starts a system-wide server where an init system runs; the tests start their own on
# a free port, so that one is neither needed nor touched.
echo "redis: $(redis-server --version | cut -d' ' -f1-3) installed"
