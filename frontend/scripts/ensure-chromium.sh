#!/usr/bin/env bash
# Makes sure Debian's Chromium is at /usr/bin/chromium for the browser test (playwright-core drives it;
# no browser is downloaded by npm). Installs the `chromium` package when it is missing.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  echo "ensure-chromium: /usr/bin/chromium is missing and this user cannot install packages (not root, no sudo)" >&2
  exit 1
fi

echo "ensure-chromium: installing Debian's chromium package" >&2
export DEBIAN_FRONTEND=noninteractive
if ! "${SUDO[@]}" apt-get install -y chromium; then
  # The package lists may be missing or stale: refresh them once and try again.
  "${SUDO[@]}" apt-get update
  "${SUDO[@]}" apt-get install -y chromium
fi

if [ ! -x /usr/bin/chromium ]; then
  echo "ensure-chromium: chromium was installed but /usr/bin/chromium is not there" >&2
  exit 1
fi
