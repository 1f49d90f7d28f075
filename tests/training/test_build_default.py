"""The embedded model's recipe, run through the CLI as users run it (shrunk to seconds)."""

import json
import subprocess

from conftest import SAMPLE_APP, hotwire_assist_exe

from hotwire_assist.backends.llama_cpp import LlamaCppBackend
from hotwire_assist.core.prompt import get_family


def test_build_default_writes_a_gguf_the_server_loads_with_held_out_figures(tmp_path, isolated_user):
    out = subprocess.run(
        [
            hotwire_assist_exe(),
            "model",
            "build-default",
            "--recipe",
            "tiny",
            "--steps",
            "20",
            "--corpus",
            str(SAMPLE_APP),
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    info = json.loads((tmp_path / "train.json").read_text())
    assert info["recipe"]["steps"] == 20 and info["held_out_files"] > 0
    assert info["held_out_loss"] > 0 and 0 <= info["held_out_fim_exact_match"] <= 1
    backend = LlamaCppBackend(tmp_path / "model.gguf")
    assert backend.health().ok
    assert all(backend.vocabulary_has(get_family("hotwire-tiny").special_tokens).values())


def test_build_default_rejects_an_unknown_recipe(tmp_path):
    out = subprocess.run(
        [hotwire_assist_exe(), "model", "build-default", "--recipe", "huge", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2 and "unknown recipe 'huge'" in out.stderr
