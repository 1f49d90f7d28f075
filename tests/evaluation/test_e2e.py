"""End to end: the tiny model and a LoRA fine-tuned on it answer real tasks through the transformers
backend; the runs are cached and resumable, compared, gated and reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hotwire_assist.cli.eval import eval_app
from hotwire_assist.core.config import Config
from hotwire_assist.core.prompt import get_family
from hotwire_assist.evaluation.gate import gate
from hotwire_assist.evaluation.results import read_results
from hotwire_assist.evaluation.runner import (
    CACHE_FILE,
    GenerationCache,
    RunSettings,
    fim_task_prompt,
    model_config,
    run_eval,
)
from hotwire_assist.evaluation.stats import compare_runs
from hotwire_assist.evaluation.tasks import read_fim_tasks, read_generation_tasks

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
FAMILY = get_family("hotwire-tiny")


def _sent_prompt(hf: Path, task, max_tokens: int) -> str:
    """The FIM prompt `eval run` sends the model for `task`: the server's prompt for the hole at the default
    budget, fitted with `max_tokens` to the model's window (backends.generation, as runner._generate does)."""
    from hotwire_assist.backends.generation import fit_prompt
    from hotwire_assist.backends.transformers_backend import TransformersBackend

    budget = Config().completion.prompt_chars
    build = lambda b: fim_task_prompt(task, FAMILY.name, b)  # noqa: E731
    return fit_prompt(TransformersBackend(hf), build, budget, max_tokens).prompt


def _lora(base: Path, out: Path, tasks, max_tokens: int) -> Path:
    """A LoRA adapter trained (peft, a few hundred tiny steps, loss on the answer only) on `tasks` as evaluation
    asks them: the exact prompt it sends, then the hole's text. A candidate that should do better on them than its
    base. (Attention-only LoRA or 30 steps leave the tiny model answering junk on whole-line holes.)"""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(0)
    tok = AutoTokenizer.from_pretrained(base)
    model = get_peft_model(
        AutoModelForCausalLM.from_pretrained(base),
        LoraConfig(r=8, lora_alpha=32, target_modules="all-linear", task_type="CAUSAL_LM"),
    )
    batches = []
    for t in tasks:
        prompt = tok(_sent_prompt(base, t, max_tokens))["input_ids"]  # as the backend encodes it
        target = tok(t.middle + FAMILY.eos, add_special_tokens=False)["input_ids"]
        assert len(prompt) + len(target) <= model.config.max_position_embeddings
        ids = torch.tensor([prompt + target])
        labels = torch.tensor([[-100] * len(prompt) + target])
        batches.append((ids, labels))
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    model.train()
    for step in range(200):
        ids, labels = batches[step % len(batches)]
        loss = model(input_ids=ids, labels=labels).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
    model.save_pretrained(out)
    return out


def test_tiny_model_vs_lora_end_to_end(tiny_model, tmp_path):
    hf = tiny_model / "hf"
    fim = read_fim_tasks()[:3]
    adapter = _lora(hf, tmp_path / "adapter", fim, max_tokens=24)
    train_data = [str(REPO / "examples" / "todo_app")]  # what the tiny model was trained on

    # The base through the CLI (progress, run.json), the candidate through the Python API.
    runner = CliRunner()
    args = ["run", "--model", str(hf), "--label", "base", "--out", str(tmp_path / "base"), "-n", "2"]
    args += ["--max-tokens", "24", "--fim-max-tokens", "24", "--limit", "3", "--train-data", train_data[0]]
    res = runner.invoke(eval_app, args)
    assert res.exit_code == 0, res.output
    settings = RunSettings(label="lora", n=2, max_tokens=24, fim_max_tokens=24, train_data=train_data)
    config = model_config(str(hf), adapter=str(adapter))
    run_eval(config, settings, tmp_path / "lora", read_generation_tasks()[:3], fim, None)

    base = list(read_results(tmp_path / "base"))
    lora = list(read_results(tmp_path / "lora"))
    assert len(base) == len(lora) == 12  # (3 generation + 3 fim tasks) × 2 samples
    assert {r.task_kind for r in base} == {"generation", "fim"}
    assert all(r.edit_similarity is not None for r in base if r.task_kind == "fim")
    run = json.loads((tmp_path / "base" / "run.json").read_text())
    assert run["complete"] and run["contamination"]["ok"] and run["totals"]["samples"] == 12

    # Resuming is free: every generation is cached, nothing is appended twice.
    cache = GenerationCache(tmp_path / "base" / CACHE_FILE)
    cached = len(cache)
    cache.close()
    assert cached == 12
    (tmp_path / "base" / "results.jsonl").write_text(
        "".join(line + "\n" for line in (tmp_path / "base" / "results.jsonl").read_text().splitlines()[:5])
    )
    res = runner.invoke(eval_app, args)
    assert res.exit_code == 0, res.output
    assert len(list(read_results(tmp_path / "base"))) == 12

    # The adapter learned the holes it was trained on: closer to the reference than its base.
    def fim_similarity(results):
        rs = [r.edit_similarity for r in results if r.task_kind == "fim" and r.task_id in {t.id for t in fim}]
        return sum(rs) / len(rs)

    assert fim_similarity(lora) > fim_similarity(base)

    c = compare_runs(tmp_path / "base", tmp_path / "lora")
    assert c["paired_tasks"] == 6 and c["metrics"]["total"]["n"] == 6
    # a smoke run of 6 tasks cannot promote anything, however wide the margin
    verdict = gate(tmp_path / "lora", tmp_path / "base", margin=100.0)
    assert not verdict.passed
    assert any("--limit 3" in r for r in verdict.reasons) and any("share 6 tasks" in r for r in verdict.reasons)
    assert (
        verdict.candidate_sha256 == json.loads((tmp_path / "lora" / "run.json").read_text())["model_identity"]["sha256"]
    )
    res = runner.invoke(
        eval_app, ["report", str(tmp_path / "base"), str(tmp_path / "lora"), "--out", str(tmp_path / "r")]
    )
    assert res.exit_code == 0, res.output
    html = (tmp_path / "r" / "report.html").read_text()
    assert "base vs lora" in html and html.count("data:image/png;base64,") == 2
