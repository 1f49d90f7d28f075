#!/usr/bin/env bash
# End-to-end test of the VS Code extension in a real VS Code (code-server 4.100.3 = Code 1.100.3),
# driven by playwright-core through Debian's chromium:
# build the .vsix → install it into an isolated code-server → open examples/todo_app → open a view →
# type → wait for the ghost text → Tab → assert the text is in the saved file and the server saw the
# acceptance.
#
#   tests/editors/vscode_e2e.sh
#
# Installs what it needs (apt packages when root, code-server + playwright-core into
# $HOTWIRE_E2E_CACHE, default ~/.cache/hotwire-assist/editors-e2e) and reuses it next time.
# Server: $HOTWIRE_E2E_SERVER_BIN, else .venv/bin/hotwire-assist, else hotwire-assist on PATH, else a venv
# built in the cache. Model: a tiny model trained on the sample app, cached in the same folder.
# Screenshots and logs go to $HOTWIRE_E2E_OUT (default: a temp dir, printed at the end).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${HOTWIRE_E2E_CACHE:-$HOME/.cache/hotwire-assist/editors-e2e}"
WORK="$(mktemp -d -t hotwire-vscode-e2e.XXXXXX)"
OUT="${HOTWIRE_E2E_OUT:-$WORK/out}"
PORT="${HOTWIRE_E2E_PORT:-18080}"
CODE_SERVER_VERSION=4.100.3
mkdir -p "$CACHE" "$OUT"
log() { printf '\n== %s\n' "$*"; }

# --- system packages -----------------------------------------------------------------------------------
need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium)
command -v rg >/dev/null || need_apt+=(ripgrep)
if [ ! -x "$CACHE/node_modules/.bin/code-server" ]; then
  for pkg in libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
  done
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  log "apt-get install ${need_apt[*]}"
  if [ "$(id -u)" != 0 ]; then echo "need root (or preinstalled): ${need_apt[*]}" >&2; exit 2; fi
  apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need_apt[@]}" >/dev/null
fi
CHROMIUM="$(command -v chromium)"

# --- code-server + playwright-core ---------------------------------------------------------------------
if [ ! -x "$CACHE/node_modules/.bin/code-server" ] || [ ! -d "$CACHE/node_modules/playwright-core" ]; then
  log "npm install code-server@$CODE_SERVER_VERSION playwright-core (about a minute)"
  # code-server's postinstall downloads ripgrep from GitHub; satisfy it from Debian's rg instead.
  export TMPDIR="${TMPDIR:-/tmp}"
  rg_cache="$TMPDIR/vscode-ripgrep-cache-1.15.11"
  mkdir -p "$rg_cache"
  rg_tmp="$(mktemp -d)"
  cp "$(command -v rg)" "$rg_tmp/rg"
  tar -C "$rg_tmp" -czf "$rg_cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" rg
  # npm 11 runs dependency install scripts only when allowed; code-server needs its postinstall.
  cat > "$CACHE/package.json" <<'EOF'
{"private": true, "allowScripts": {"code-server": true, "argon2": true}}
EOF
  (cd "$CACHE" && npm_config_unsafe_perm=true npm_config_yes=true \
    npm install --no-audit --no-fund "code-server@$CODE_SERVER_VERSION" playwright-core >"$OUT/npm-install.log" 2>&1) \
    || { tail -40 "$OUT/npm-install.log"; exit 1; }
fi
CODE_SERVER="$CACHE/node_modules/.bin/code-server"

# --- the language server and a tiny model --------------------------------------------------------------
BIN="${HOTWIRE_E2E_SERVER_BIN:-}"
[ -z "$BIN" ] && [ -x "$REPO/.venv/bin/hotwire-assist" ] && BIN="$REPO/.venv/bin/hotwire-assist"
[ -z "$BIN" ] && BIN="$(command -v hotwire-assist || true)"
if [ -z "$BIN" ]; then
  log "building a venv with hotwire-assist in $CACHE/venv"
  python3 -m venv "$CACHE/venv"
  wheel="$(ls "$HOME"/.cache/hotwire-assist/wheels/llama_cpp_python-0.3.36-*.whl 2>/dev/null | head -1 || true)"
  [ -n "$wheel" ] && "$CACHE/venv/bin/pip" install -q "$wheel"
  "$CACHE/venv/bin/pip" install -q "$REPO[llama,train]"
  BIN="$CACHE/venv/bin/hotwire-assist"
fi
MODEL_DIR="${HOTWIRE_E2E_MODEL_DIR:-$CACHE/model}"
if [ ! -f "$MODEL_DIR/model.gguf" ]; then
  log "training a tiny model on the sample app into $MODEL_DIR"
  "$BIN" model build-default --recipe tiny --corpus "$REPO/examples/todo_app" --steps 150 --out "$MODEL_DIR" >/dev/null
fi

# --- the extension ---------------------------------------------------------------------------------------
log "building the .vsix"
(cd "$REPO/editors/vscode" && { [ -d node_modules ] || npm ci --no-audit --no-fund >/dev/null; } \
  && npx tsc -p . && npx @vscode/vsce package -o "$WORK/hotwire-assist.vsix" >"$OUT/vsce.log" 2>&1) \
  || { cat "$OUT/vsce.log"; exit 1; }

USER_DATA="$WORK/user-data"
EXTENSIONS="$WORK/extensions"
mkdir -p "$USER_DATA/User"
log "installing the .vsix into an isolated code-server"
"$CODE_SERVER" --user-data-dir "$USER_DATA" --extensions-dir "$EXTENSIONS" \
  --install-extension "$WORK/hotwire-assist.vsix" 2>&1 | tee "$OUT/install-extension.log"
ls "$EXTENSIONS" | grep -q '^hotwire-assist.hotwire-assist-' || { echo "extension not installed" >&2; exit 1; }

SERVER_LOG="$OUT/server.log"
: >"$SERVER_LOG"
python3 - "$USER_DATA/User/settings.json" "$BIN" "$SERVER_LOG" <<'EOF'
import json, sys
path, exe, log = sys.argv[1:]
json.dump({
    "hotwireAssist.serverCommand": exe,
    "hotwireAssist.serverArgs": ["serve", "--log-file", log],
    "security.workspace.trust.enabled": False,
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": False,
    "telemetry.telemetryLevel": "off",
    "extensions.autoCheckUpdates": False,
    "extensions.autoUpdate": False,
    "git.enabled": False,
    "editor.inlineSuggest.enabled": True,
    # Only the inline path is under test: keep the suggest widget from competing for Tab.
    "editor.quickSuggestions": {"other": "off", "comments": "off", "strings": "off"},
    "editor.suggestOnTriggerCharacters": False,
}, open(path, "w"), indent=1)
EOF

cp -r "$REPO/examples/todo_app" "$WORK/todo_app"
# The user writes the create template's first stream action again (cut on disk, so the server never saw
# it): the index knows the answer, `append "todos", @todo %>`. The tiny model alone would offer junk.
sed -i 1d "$WORK/todo_app/app/views/todos/create.turbo_stream.erb"
export HOTWIRE_ASSIST_MODEL_PATH="$MODEL_DIR/model.gguf"
export HOTWIRE_ASSIST_DATA_DIR="$WORK/data"
export HOTWIRE_ASSIST_CONFIG="$WORK/none.toml"
export HOTWIRE_ASSIST_COMPLETION_PROMPT_CHARS=600   # the tiny model's context is short

log "starting code-server on 127.0.0.1:$PORT"
"$CODE_SERVER" --bind-addr "127.0.0.1:$PORT" --auth none --disable-telemetry --disable-update-check \
  --disable-workspace-trust --user-data-dir "$USER_DATA" --extensions-dir "$EXTENSIONS" \
  "$WORK/todo_app" >"$OUT/code-server.log" 2>&1 &
CS_PID=$!
cleanup() {
  kill "$CS_PID" 2>/dev/null || true
  wait "$CS_PID" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 1 60); do
  curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break
  sleep 0.5
done
curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null || { cat "$OUT/code-server.log"; exit 1; }

log "driving code-server with playwright-core + chromium"
status=0
NODE_PATH="$CACHE/node_modules" \
  E2E_URL="http://127.0.0.1:$PORT/?folder=$WORK/todo_app" \
  E2E_WORKSPACE="$WORK/todo_app" \
  E2E_FILE="app/views/todos/create.turbo_stream.erb" \
  E2E_TYPE="<%= turbo_stream." \
  E2E_EXPECT_ANY="$(grep -rhoP '(?<=turbo_stream\.)\w.*' "$WORK/todo_app/app/views" | sed 's/[[:space:]]*$//')" \
  E2E_CHROMIUM="$CHROMIUM" \
  E2E_OUT="$OUT" \
  E2E_SERVER_LOG="$SERVER_LOG" \
  E2E_EXT_LOG_DIR="$USER_DATA/logs" \
  node "$REPO/tests/editors/vscode_e2e.mjs" || status=$?
log "artifacts (screenshots, logs): $OUT"
exit $status
