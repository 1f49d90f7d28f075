"""Shared fixtures: an isolated user environment and a tiny model built by the project's own recipe."""

from __future__ import annotations

import dataclasses
import os
import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLE_APP = REPO / "examples" / "todo_app"


@pytest.fixture(autouse=True)
def isolated_user(tmp_path_factory, monkeypatch):
    """No test reads the developer's real config or writes their data dir."""
    home = tmp_path_factory.mktemp("user")
    monkeypatch.setenv("HOTWIRE_ASSIST_CONFIG", str(home / "config.toml"))
    monkeypatch.setenv("HOTWIRE_ASSIST_DATA_DIR", str(home / "data"))
    for name in list(os.environ):
        if name.startswith("HOTWIRE_ASSIST_") and name not in ("HOTWIRE_ASSIST_CONFIG", "HOTWIRE_ASSIST_DATA_DIR"):
            monkeypatch.delenv(name)
    return home


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """A tiny Llama trained from scratch on the sample app (so it has seen the test positions),
    through the same tokenizer, training and GGUF export code as the embedded default."""
    from hotwire_assist.core.prompt import get_family
    from hotwire_assist.training.corpus import load_sources
    from hotwire_assist.training.tiny_model import RECIPES, build_model

    out = tmp_path_factory.mktemp("tiny-model")
    recipe = dataclasses.replace(RECIPES["tiny"], steps=150)
    build_model(load_sources(SAMPLE_APP), get_family("hotwire-tiny"), out, recipe)
    return out


@pytest.fixture
def server_env(tiny_model, isolated_user) -> dict[str, str]:
    """Environment for a `hotwire-assist serve` process using the tiny model."""
    env = dict(os.environ)
    env["HOTWIRE_ASSIST_MODEL_PATH"] = str(tiny_model / "model.gguf")
    env["HOTWIRE_ASSIST_COMPLETION_DEBOUNCE_MS"] = "0"
    env["HOTWIRE_ASSIST_MODEL_TIMEOUT_S"] = "60"  # a loaded CI machine is slow; timeouts have their own tests
    return env


def hotwire_assist_exe() -> str:
    """The installed entry point next to this interpreter (the venv need not be on PATH)."""
    exe = shutil.which("hotwire-assist", path=str(Path(sys.executable).parent)) or shutil.which("hotwire-assist")
    assert exe, "the package must be installed (pip install '.[llama,train,dev]')"
    return exe
