"""`model adapt` on a real base given as a Hugging Face folder: a LoRA adapter, scored through transformers,
promoted into the workspace's registry slot and served by the transformers backend there only.

The tiny model's `hf/` folder (a real Llama checkpoint) stands in for the real base."""

from __future__ import annotations

import json
import shutil
import threading

import pytest
import torch
from conftest import SAMPLE_APP
from typer.testing import CliRunner

from hotwire_assist.backends import GenerationParams, make_backend, model_candidates
from hotwire_assist.cli.adapt import AdaptRefused, CurrentModel, _promote, _promote_adapter, current_model
from hotwire_assist.cli.main import app
from hotwire_assist.core.config import Config
from hotwire_assist.core.prompt import fim_prompt, get_family
from hotwire_assist.core.registry import ADAPTER_KIND, Registry, model_sha256, workspace_key
from hotwire_assist.training import adapt as A

FAMILY = get_family("hotwire-tiny")
PROMPT = fim_prompt(FAMILY, "<%= turbo_frame_tag ", " do %>\n", "app/views/todos/index.html.erb")
SETTINGS = A.AdaptSettings(steps=4, lr=5e-3, holes_per_file=2, item_batch=4, batch=1, checkpoint_every_s=0.0)


def _hf_config(base) -> Config:
    return Config.model_validate({"model": {"backend": "transformers", "path": str(base), "context_size": 256}})


def _logits(model, tok) -> torch.Tensor:
    with torch.no_grad():
        return model(**tok(PROMPT, return_tensors="pt")).logits[0, -1]


@pytest.fixture(scope="module")
def lora_run(tiny_model, tmp_path_factory):
    """One LoRA adaptation of the tiny base on the sample app, cancelled half-way and resumed."""
    data = A.workspace_data(SAMPLE_APP)
    work = tmp_path_factory.mktemp("lora-work")
    before = A._tree_digest(tiny_model / "hf")
    calls = {"n": 0}

    def stop_after_two() -> bool:
        calls["n"] += 1
        return calls["n"] > 2

    with pytest.raises(A.Cancelled):
        A.adapt_lora(tiny_model / "hf", data, work, SETTINGS, should_stop=stop_after_two)
    cancelled = A.read_checkpoint_state(work)
    info = A.adapt_lora(tiny_model / "hf", data, work, SETTINGS)
    return {"data": data, "work": work, "info": info, "cancelled": cancelled, "base_digest": before}


def test_lora_adapt_writes_an_adapter_that_changes_the_model_and_resumes(tiny_model, lora_run):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    work, info = lora_run["work"], lora_run["info"]
    assert lora_run["cancelled"]["step"] == 2 and not lora_run["cancelled"]["done"]
    assert info["resumed_from_step"] == 2 and info["steps"] == info["planned_steps"] == 4 and info["kind"] == "lora"
    cand = work / "candidate"
    assert (cand / "adapter" / "adapter_config.json").is_file() and (cand / "adapt.json").is_file()
    assert not (cand / "model.gguf").exists() and not (cand / "hf").exists()  # no GGUF, no full copy
    assert A.adapter_base(cand / "adapter") == str((tiny_model / "hf").resolve())
    assert A._tree_digest(tiny_model / "hf") == lora_run["base_digest"]  # the base stays frozen
    tok = AutoTokenizer.from_pretrained(tiny_model / "hf")
    base = AutoModelForCausalLM.from_pretrained(tiny_model / "hf")
    total = sum(p.numel() for p in base.parameters())
    assert 0 < info["trainable_parameters"] < total / 5
    plain = _logits(base, tok)
    adapted = _logits(PeftModel.from_pretrained(base, cand / "adapter"), tok)
    assert (adapted - plain).abs().max().item() > 1e-3


def test_lora_adapt_continues_the_adapter_in_use(tiny_model, lora_run, tmp_path):
    from safetensors.torch import load_file

    start = lora_run["work"] / "candidate" / "adapter"
    settings = A.AdaptSettings(steps=1, lr=1e-4, holes_per_file=1, item_batch=2, batch=1)
    info = A.adapt_lora(tiny_model / "hf", lora_run["data"], tmp_path / "w", settings, adapter=start)
    assert info["continued_from"] == str(start) and info["steps"] == 1
    before = load_file(start / "adapter_model.safetensors")
    after = load_file(tmp_path / "w" / "candidate" / "adapter" / "adapter_model.safetensors")
    assert before.keys() == after.keys()
    # continued, not restarted: one small step from the trained B matrices (a fresh LoRA's B starts at zero)
    for b in (k for k in after if "lora_B" in k):
        assert not torch.equal(before[b], after[b])
        assert (after[b] - before[b]).norm() < 0.5 * before[b].norm()
    with pytest.raises(A.AdaptError, match="not a peft adapter"):
        A.adapt_lora(tiny_model / "hf", lora_run["data"], tmp_path / "x", settings, adapter=tmp_path)


def test_a_checkpoint_of_the_full_fine_tune_is_not_a_lora_run(tiny_model, lora_run, tmp_path):
    """The run key covers the kind of run: the same data and settings as LoRA cannot resume a full run."""
    data = lora_run["data"]
    assert A.run_key(tiny_model / "hf", data, SETTINGS) != A.run_key(
        tiny_model / "hf", data, SETTINGS, {"mode": "lora"}
    )
    with pytest.raises(A.AdaptError, match="prompt family 'qwen"):  # the base lacks that family's FIM tokens
        A.adapt_lora(tiny_model / "hf", data, tmp_path / "w", SETTINGS, family="qwen2.5-coder")


def test_current_model_recognises_an_hf_base_and_refuses_remote_ones(tiny_model, tmp_path):
    cur = current_model(_hf_config(tiny_model / "hf"), tmp_path)
    assert cur.lora and cur.hf == tiny_model / "hf" and cur.adapter is None and cur.gguf is None
    ollama = Config.model_validate({"model": {"backend": "ollama", "name": "qwen2.5-coder:1.5b-base"}})
    with pytest.raises(AdaptRefused, match=r"exists only in Ollama.*cannot be adapted"):
        current_model(ollama, tmp_path)
    folder_on_llama = Config.model_validate({"model": {"backend": "llama_cpp", "path": str(tiny_model / "hf")}})
    with pytest.raises(AdaptRefused, match=r'model\.backend = "transformers"'):
        current_model(folder_on_llama, tmp_path)
    not_hf = Config.model_validate({"model": {"backend": "transformers", "path": str(tmp_path)}})
    with pytest.raises(AdaptRefused, match=r"no config\.json"):
        current_model(not_hf, tmp_path)


def test_the_cli_refuses_an_ollama_model_clearly(tmp_path, monkeypatch):
    monkeypatch.setenv("HOTWIRE_ASSIST_MODEL_BACKEND", "ollama")
    monkeypatch.setenv("HOTWIRE_ASSIST_MODEL_NAME", "qwen2.5-coder:1.5b-base")
    res = CliRunner().invoke(app, ["model", "adapt", str(tmp_path), "--progress", "none"])
    assert res.exit_code == 2 and "cannot be adapted" in res.output and "Ollama" in res.output


def _adapt_cli(app_dir, *args):
    res = CliRunner().invoke(
        app, ["model", "adapt", str(app_dir), "--progress", "none", "--format", "json", "--max-holes", "12", *args]
    )
    out = res.stdout
    return res, (json.loads(out[out.index("{\n") :]) if "{\n" in out else None)


@pytest.mark.slow
def test_the_gate_refuses_a_broken_lora_run_on_the_same_holes(tmp_path, monkeypatch):
    """A huge learning rate wrecks the adapted model. The base here is the shipped default's HF folder (the
    transformers backend's base when model.path is unset), which writes useful ghost text: the candidate
    scores worse on the same held-out holes and nothing is promoted. (Against a junk base such as the
    150-step test model, even a wrecked run can score higher.)"""
    app_dir = tmp_path / "app"
    shutil.copytree(SAMPLE_APP, app_dir)
    monkeypatch.setenv("HOTWIRE_ASSIST_MODEL_BACKEND", "transformers")
    res, result = _adapt_cli(app_dir, "--steps", "4", "--lr", "0.5")
    assert res.exit_code == 1, res.output
    assert result["kind"] == "lora" and result["candidate"].endswith("adapter") and not result["promoted"]
    cur, cand = result["scores"]["current"], result["scores"]["candidate"]
    assert cur["holes"] == cand["holes"] >= 10
    assert [a["id"] for a in cur["answers"]] == [a["id"] for a in cand["answers"]]  # the same holes
    assert [a["expected"] for a in cur["answers"]] == [a["expected"] for a in cand["answers"]]
    assert cand["edit_similarity"] < cur["edit_similarity"], result["reason"]
    assert not Registry().adapter_path(workspace_key(app_dir)).exists()


def test_no_promote_trains_and_scores_but_promotes_nothing(tiny_model, tmp_path, monkeypatch):
    app_dir = tmp_path / "app"
    shutil.copytree(SAMPLE_APP, app_dir)
    monkeypatch.setenv("HOTWIRE_ASSIST_MODEL_BACKEND", "transformers")
    monkeypatch.setenv("HOTWIRE_ASSIST_MODEL_PATH", str(tiny_model / "hf"))
    res, result = _adapt_cli(app_dir, "--steps", "2", "--no-promote")
    assert res.exit_code == 0, res.output
    assert result["kind"] == "lora" and not result["promoted"] and result["training"]["steps"] == 2
    assert result["scores"]["current"]["holes"] == result["scores"]["candidate"]["holes"] > 0
    assert not Registry().adapter_path(workspace_key(app_dir)).exists() and not Registry().records()


def test_a_promoted_adapter_is_served_in_its_workspace_only(tiny_model, lora_run, tmp_path):
    ws, other = tmp_path / "ws", tmp_path / "other"
    ws.mkdir()
    other.mkdir()
    base = tiny_model / "hf"
    adapter = lora_run["work"] / "candidate" / "adapter"
    scores = {side: {"exact_match": 0.1, "edit_similarity": 0.5, "holes": 10} for side in ("current", "candidate")}
    current = current_model(_hf_config(base), ws)
    _promote_adapter(ws, adapter, current, lora_run["info"], scores, 0.02)

    reg = Registry()
    slot = reg.adapter_path(workspace_key(ws))
    rec = reg.current(workspace_key(ws))
    assert rec.kind == ADAPTER_KIND and rec.sha256 == model_sha256(base, slot) == model_sha256(base, adapter)
    config = _hf_config(base)
    served = make_backend(config, ws)
    assert served.health().ok and served.adapter == str(slot)
    elsewhere = make_backend(config, other)
    assert elsewhere.health().ok and not elsewhere.adapter
    from peft import PeftModel

    m_ws, tok = served._load()
    m_other, _ = elsewhere._load()
    assert isinstance(m_ws, PeftModel) and not isinstance(m_other, PeftModel)
    assert (_logits(m_ws, tok) - _logits(m_other, tok)).abs().max().item() > 1e-3
    # a copy of the base elsewhere is another base: the adapter was not trained on it
    moved = tmp_path / "other-base"
    shutil.copytree(base, moved)
    on_moved = make_backend(_hf_config(moved), ws)
    assert on_moved.health().ok and not on_moved.adapter
    # adaptation continues from the workspace's adapter; an explicit model.adapter wins everywhere
    assert current_model(config, ws).adapter == slot
    explicit = Config.model_validate(
        {"model": {"backend": "transformers", "path": str(base), "adapter": str(adapter), "context_size": 256}}
    )
    assert make_backend(explicit, other).adapter == str(adapter)

    rows = CliRunner().invoke(app, ["model", "list", "--format", "json"])
    listed = [r for r in json.loads(rows.stdout) if r.get("kind") == ADAPTER_KIND]
    assert len(listed) == 1 and listed[0]["roles"] == [f"current in {workspace_key(ws)}"]
    assert listed[0]["figures"]["base"] == str(base.resolve())

    # a GGUF promoted after it retires the adapter (the backend picks that up at its next load), rollback restores it
    cand = tmp_path / "cand"
    shutil.copytree(tiny_model, cand)
    trained = {"data_sha256": "d" * 64, "steps": 3, "data": {"held_out_files": 2}}
    _promote(
        ws, cand / "model.gguf", cand / "hf", CurrentModel(tiny_model / "model.gguf", None, "t"), trained, scores, 0.02
    )
    assert not slot.exists() and model_candidates(ws)[0].is_file()
    params = GenerationParams(max_tokens=4, stop=FAMILY.stop)
    list(served.generate(PROMPT, params, threading.Event()))
    assert not served.adapter
    reg.rollback(workspace_key(ws))
    assert reg.current(workspace_key(ws)).kind == ADAPTER_KIND and slot.is_dir()
    assert not model_candidates(ws)[0].exists()
    list(served.generate(PROMPT, params, threading.Event()))
    assert served.adapter == str(slot)
