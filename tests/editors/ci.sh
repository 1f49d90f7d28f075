#!/usr/bin/env bash
# Every editor check, for .ci/run: VS Code unit tests and .vsix, both Neovims headless against the real
# server, and the VS Code extension in code-server driven by chromium.
# Needs the package installed in the Python that runs pytest (pip install '.[llama,train,dev]').
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PYTHON="${PYTHON:-python}"
cd "$REPO/editors/vscode"
npm ci --no-audit --no-fund
npm test
npx @vscode/vsce package -o "${TMPDIR:-/tmp}/hotwire-assist.vsix"
cd "$REPO"
tests/editors/setup_neovim.sh
"$PYTHON" -m pytest tests/editors -v -rs
HOTWIRE_E2E_SERVER_BIN="${HOTWIRE_E2E_SERVER_BIN:-$(dirname "$(command -v "$PYTHON")")/hotwire-assist}" \
  tests/editors/vscode_e2e.sh
