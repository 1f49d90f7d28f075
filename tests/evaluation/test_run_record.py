"""`eval run` binds a run to what it evaluated (run.json: model sha256, scorer version, task digest, limit,
samples), and a scripted junk model scores at the junk level and is refused by the gate."""

from __future__ import annotations

import json
import threading

import pytest

from hotwire_assist.core.registry import file_sha256
from hotwire_assist.evaluation.gate import gate
from hotwire_assist.evaluation.runner import RunError, RunSettings, model_config, run_eval
from hotwire_assist.evaluation.scoring import scorer_version
from hotwire_assist.evaluation.tasks import read_fim_tasks, read_generation_tasks

JUNK = ["d", "", "end", "// TODO"]


class ScriptedJunk:
    """A model that answers only junk, in turn (the issue's scripted server, in-process)."""

    name = "llama_cpp"
    model_id = "junk.gguf"

    def __init__(self) -> None:
        self.n = 0

    def generate(self, prompt: str, params, cancel: threading.Event):
        self.n += 1
        yield JUNK[self.n % len(JUNK)]

    def close(self) -> None:
        pass


@pytest.fixture
def junk_gguf(tmp_path):
    path = tmp_path / "junk.gguf"
    path.write_bytes(b"GGUF not really a model")
    return path


def _run(path, out, limit=None, settings_label="junk"):
    gen, fim = read_generation_tasks(), read_fim_tasks()
    if limit:
        gen, fim = gen[:limit], fim[:limit]
    settings = RunSettings(label=settings_label, dynamic=False, ruby=False, train_data=[], limit=limit)
    return run_eval(model_config(str(path)), settings, out, gen, fim, backend=ScriptedJunk())


def test_run_json_binds_the_model_and_the_scorer_and_junk_scores_low(junk_gguf, tmp_path):
    run = _run(junk_gguf, tmp_path / "run")
    assert run["model_identity"]["sha256"] == file_sha256(junk_gguf)
    assert run["scorer_version"] == scorer_version()
    assert run["settings"]["limit"] is None and run["tasks"]["samples_per_task"] == 1
    assert run["tasks"]["generation"] == 37 and run["tasks"]["fim"] == 56
    totals = run["totals"]
    assert totals["mean"]["total"] <= 30 and totals["pass_rate"] == 0.0
    assert totals["by_kind"]["generation"]["mean_total"] == 0.0
    on_disk = json.loads((tmp_path / "run" / "run.json").read_text())
    assert on_disk["model_identity"] == run["model_identity"]

    # the gate: junk against junk is still refused, and a smoke run is refused as such
    smoke = _run(junk_gguf, tmp_path / "smoke", limit=3)
    assert smoke["settings"]["limit"] == 3
    reasons = gate(tmp_path / "run", tmp_path / "run").reasons
    assert any("0 % pass rate" in r for r in reasons) and any("known-junk" in r for r in reasons)
    assert any("--limit 3" in r for r in gate(tmp_path / "smoke", tmp_path / "run").reasons)


def test_a_model_swapped_under_the_same_path_does_not_resume_the_run(junk_gguf, tmp_path):
    _run(junk_gguf, tmp_path / "run", limit=1)
    junk_gguf.write_bytes(b"GGUF another model")
    with pytest.raises(RunError, match="another model"):
        _run(junk_gguf, tmp_path / "run", limit=1)
