#!/usr/bin/env bash
# Set up a fresh machine for tinyedge (idempotent): Debian packages for the firmware and
# emulator, a virtual environment in .venv, and the pinned Python dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm openocd chromium gcc make)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PYTHON" -m venv .venv
fi

# Reinstall Python packages only when the pinned requirements changed.
stamp=".venv/.tinyedge-setup-$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "setup: installing Python dependencies (ranges in pyproject.toml, exact versions in constraints.txt)"
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  # torch first and alone: a CPU wheel; anything that pulls a newer torch would fetch CUDA.
  .venv/bin/python -m pip install -q -c constraints.txt torch
  .venv/bin/python -m pip install -q -c constraints.txt -e '.[dev,power]'
  rm -f .venv/.tinyedge-setup-*
  touch "$stamp"
fi
echo "setup: ready (.venv/bin/tinyedge)"
