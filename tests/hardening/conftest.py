"""Fixtures for the hardening tests: one language server per module, talking to a scriptable model server."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import hotwire_assist_exe
from hardening.fake_model import FakeModelServer
from support.raw_lsp import RawLSP

REPLY = "ZZZ"  # the fake model's answer: no character of it occurs in generated documents


def record_stats(name: str, values: dict) -> None:
    """Merge a test's figures into $HOTWIRE_HARDENING_STATS/<name> for benchmarks/hardening_report.py.

    Each test records its own figures when it has checked them: no module globals, so a test run alone or
    in any order reports what it measured (a test that did not run leaves nothing behind)."""
    if not (out := os.environ.get("HOTWIRE_HARDENING_STATS")):
        return
    path = Path(out, name)
    merged = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps({**merged, **values}))


def base_env(home: Path, **settings: str) -> dict[str, str]:
    """A clean environment for `hotwire-assist serve`: own config and data dir, settings as HOTWIRE_ASSIST_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTWIRE_ASSIST_")}
    env["HOTWIRE_ASSIST_CONFIG"] = str(home / "config.toml")
    env["HOTWIRE_ASSIST_DATA_DIR"] = str(home / "data")
    env.update({f"HOTWIRE_ASSIST_{k.upper()}": v for k, v in settings.items()})
    return env


def fake_backend_env(home: Path, url: str, **settings: str) -> dict[str, str]:
    defaults = dict(
        model_backend="openai",
        model_url=url,
        model_timeout_s="20",
        completion_debounce_ms="0",
        completion_prompt_chars="400000",
    )
    return base_env(home, **{**defaults, **settings})


def start_server(env: dict[str, str], root: Path | None, stderr=None) -> RawLSP:
    """A `hotwire-assist serve` process, initialized (the workspace is `root`)."""
    raw = RawLSP([hotwire_assist_exe(), "serve"], env, **({"stderr": stderr} if stderr else {}))
    params = {"processId": None, "capabilities": {}, "rootUri": root.as_uri() if root else None}
    assert "result" in raw.request("init", "initialize", params, timeout=120)
    raw.notify("initialized", {})
    return raw


@pytest.fixture(scope="module")
def fake_model():
    server = FakeModelServer(reply=REPLY)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("ws")
    (root / "Gemfile").write_text('gem "rails"\ngem "turbo-rails"\n')
    (root / "app" / "views").mkdir(parents=True)
    return root


@pytest.fixture(scope="module")
def lsp(fake_model, workspace, tmp_path_factory):
    """One server for a whole module: the fuzzer must not need a restart."""
    home = tmp_path_factory.mktemp("home")
    raw = start_server(fake_backend_env(home, fake_model.url), workspace)
    yield raw
    raw.__exit__()
