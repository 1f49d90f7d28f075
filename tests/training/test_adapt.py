"""`model adapt`: the workspace split, resumable time-boxed training, and the promotion decision."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import SAMPLE_APP

from hotwire_assist.cli.adapt import decide
from hotwire_assist.training import adapt as A
from hotwire_assist.training.corpus import SourceFile


def _sources(n: int) -> list[SourceFile]:
    return [SourceFile(f"app/views/items/_v{i}.html.erb", f"<div>{i}</div>\n") for i in range(n)]


def test_split_is_by_file_fixed_and_never_overlaps():
    sources = _sources(40)
    train, held = A.split_by_file(sources)
    assert {s.path for s in train}.isdisjoint({s.path for s in held})
    assert len(train) + len(held) == 40 and A.MIN_HELD_OUT_FILES <= len(held) <= 40 // 3
    _, again_held = A.split_by_file(list(reversed(sources)))
    assert {s.path for s in again_held} == {s.path for s in held}  # by path hash, not by order
    # with enough files, the held-out ones are exactly those whose path hash falls in HELD_OUT_PERCENT
    many = _sources(300)
    _, held_many = A.split_by_file(many)
    by_hash = {s.path for s in many if A._held_out_rank(s.path) < A.HELD_OUT_PERCENT * 100}
    assert {s.path for s in held_many} == by_hash and 30 < len(by_hash) < 90


def test_workspace_data_goes_through_the_miner_and_privacy_gate(tmp_path):
    app = tmp_path / "app_copy"
    shutil.copytree(SAMPLE_APP, app)
    secret = app / "app" / "models" / "secret_thing.rb"
    secret.write_text("class SecretThing\n  TOKEN = 'x'\nend\n")
    data = A.workspace_data(app, exclude=["app/models/secret_thing.rb"])
    paths = {s.path for s in data.train} | {s.path for s in data.held}
    assert "app/models/secret_thing.rb" not in paths
    assert data.held and data.train and not ({s.path for s in data.train} & {s.path for s in data.held})
    assert all(s.origin is not None and s.origin.is_file() for s in data.train)


@pytest.mark.slow
def test_adapt_trains_within_budget_cancels_resumes_and_refuses_other_data(tiny_model, tmp_path):
    data = A.workspace_data(SAMPLE_APP)
    work = tmp_path / "work"
    settings = A.AdaptSettings(steps=8, holes_per_file=2, item_batch=4, batch=1, checkpoint_every_s=0.0)
    calls = {"n": 0}

    def stop_after_four() -> bool:
        calls["n"] += 1
        return calls["n"] > 4

    with pytest.raises(A.Cancelled):
        A.adapt_full(tiny_model / "hf", data, work, settings, should_stop=stop_after_four)
    saved = A.read_checkpoint_state(work)
    assert saved is not None and saved["step"] == 4 and not saved["done"]

    other = A.WorkspaceData(data.root, data.train[:-1], data.held)
    with pytest.raises(A.AdaptError, match="another run"):  # unfinished work of other data is not resumed
        A.adapt_full(tiny_model / "hf", other, work, settings)

    info = A.adapt_full(tiny_model / "hf", data, work, settings)  # the same run: resumes
    assert info["resumed_from_step"] == 4 and info["steps"] == info["planned_steps"] == 8
    assert (work / "candidate" / "model.gguf").is_file() and (work / "candidate" / "hf" / "config.json").is_file()
    assert json.loads((work / "candidate" / "adapt.json").read_text())["data"]["held_out_files"] == len(data.held)

    calls["n"] = 0
    with pytest.raises(A.Cancelled):  # --restart discards it and starts over
        A.adapt_full(tiny_model / "hf", other, work, settings, should_stop=stop_after_four, restart=True)
    assert A.read_checkpoint_state(work)["step"] == 4


def test_the_schedule_follows_the_measured_pace_and_never_overruns_the_budget():
    assert A.plan_steps(2, 2.0, 600.0, 100_000) == 0  # too few steps timed to plan
    assert A.plan_steps(3, 3.0, 600.0, 100_000) == 600  # 1 s a step: 600 steps in 10 minutes
    assert A.plan_steps(300, 450.0, 600.0, 100_000) == 400  # slower since: the plan shrinks
    assert A.plan_steps(399, 599.0, 600.0, 100_000) == 400
    assert A.plan_steps(401, 605.0, 600.0, 100_000) == 401  # the budget is spent: stop at this step
    assert A.plan_steps(3, 0.3, 600.0, 1_000) == 1_000  # capped


def _score(em: int, similarities: list[float]) -> dict:
    holes = len(similarities)
    return {
        "holes": holes,
        "exact_matches": em,
        "exact_match": em / max(1, holes),
        "edit_similarity": sum(similarities) / max(1, holes),
        "similarities": similarities,
    }


def test_decide_promotes_only_a_measurably_better_model():
    base = [0.3, 0.5, 0.4, 0.6, 0.2] * 6  # 30 holes, mean 0.40
    assert decide(_score(10, base), _score(12, [x + 0.1 for x in base]))[0]  # every hole better
    ok, why = decide(_score(10, base), _score(10, [x + 0.01 for x in base]))
    assert not ok and "below the margin" in why
    ok, why = decide(_score(10, base), _score(9, [x + 0.1 for x in base]))
    assert not ok and "fewer" in why
    ok, why = decide(_score(10, base), _score(3, [x - 0.2 for x in base]))
    assert not ok and "worse" in why
    # one hole jumps from 0 to 1, the rest move a hair either way: the mean rises by > margin, but by chance
    noisy = [base[0] + 0.9, *[x + (0.01 if i % 2 else -0.01) for i, x in enumerate(base[1:])]]
    ok, why = decide(_score(10, base), _score(10, noisy))
    assert not ok and "not significant" in why
    ok, why = decide(_score(0, [0.0] * 4), _score(1, [1.0] * 4))  # all better, but four holes
    assert not ok and "too few" in why
    assert not decide(_score(0, []), _score(0, []))[0]


@pytest.mark.slow
def test_the_gate_refuses_a_deliberately_broken_run(tmp_path, isolated_user):
    """A learning rate that wrecks the weights of the shipped default (the model in use on a fresh machine):
    the adapted model scores worse on the held-out files' holes, so nothing is promoted and the workspace
    keeps the current model. (Against a model that is itself junk, such as a 150-step test model, even a
    wrecked run can be significantly better, and then the gate rightly promotes it.)"""
    import os
    import subprocess

    from conftest import hotwire_assist_exe

    from hotwire_assist.backends import model_candidates

    app = tmp_path / "app"
    shutil.copytree(SAMPLE_APP, app)
    env = dict(os.environ)  # isolated_user: no HOTWIRE_ASSIST_MODEL_PATH, so the shipped default is current
    args = ["model", "adapt", str(app), "--steps", "6", "--lr", "0.5", "--progress", "json", "--format", "json"]
    run = subprocess.run(
        [hotwire_assist_exe(), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert run.returncode == 1, run.stderr
    lines = run.stdout.splitlines()
    events = [json.loads(line) for line in lines if line.startswith('{"event"')]
    assert any(e["event"] == "progress" and e["stage"].startswith("training") for e in events)
    result = json.loads(run.stdout[run.stdout.index("{\n") :])
    cur, cand = result["scores"]["current"], result["scores"]["candidate"]
    assert cur["holes"] == cand["holes"] > 0 and not result["promoted"]
    assert cand["edit_similarity"] < cur["edit_similarity"], result["reason"]
    assert not model_candidates(app)[0].exists()  # the workspace slot stays empty


def test_a_promoted_adaptation_serves_its_workspace_only(tiny_model, tmp_path, isolated_user):
    from hotwire_assist.backends import make_backend, model_candidates
    from hotwire_assist.cli.adapt import CurrentModel, _promote
    from hotwire_assist.core.config import Config, shipped_model_dir
    from hotwire_assist.core.registry import Registry, workspace_key

    ws, other = tmp_path / "ws", tmp_path / "other"
    ws.mkdir()
    other.mkdir()
    cand = tmp_path / "cand"
    shutil.copytree(tiny_model, cand)
    scores = {side: {"exact_match": 0.1, "edit_similarity": 0.5, "holes": 10} for side in ("current", "candidate")}
    trained = {"data_sha256": "d" * 64, "steps": 3, "data": {"held_out_files": 2}}
    current = CurrentModel(tiny_model / "model.gguf", None, "t")
    _promote(ws, cand / "model.gguf", cand / "hf", current, trained, scores, 0.02)
    slot = Registry().model_path(workspace_key(ws))
    assert slot.is_file() and (slot.parent / "hf" / "config.json").is_file()
    assert model_candidates(ws)[0] == slot and model_candidates(other)[0] != slot
    assert model_candidates(other)[-1] == shipped_model_dir() / "model.gguf"
    config = Config.model_validate({"model": {"backend": "llama_cpp", "context_size": 256}})
    backend = make_backend(config, ws)
    assert backend.health().ok and backend.path == slot
    other_backend = make_backend(config, other)
    assert other_backend.path != slot


def test_held_out_holes_put_the_hotwire_markers_first_and_keep_to_the_limit():
    from hotwire_assist.cli.adapt import held_out_tasks

    view = "".join(f'<div data-controller="c{i}">\n  <p>line {i} of the view</p>\n' for i in range(30))
    held = [SourceFile("app/views/items/index.html.erb", view), SourceFile("app/models/item.rb", _MODEL)]
    tasks = held_out_tasks(held, per_file=8, limit=20)
    ids = [t.id for _, t in tasks]
    assert len(tasks) == 20 and len(set(ids)) == 20
    markers = [t for _, t in tasks if t.id.startswith("marker-")]
    assert len(markers) == 10 and tasks[0][1].id.startswith("marker-")  # at most half the limit, taken first
    assert {t.middle for t in markers} <= {f'="c{i}">' for i in range(30)}
    assert any(src.path == "app/models/item.rb" for src, _ in tasks)  # the rest spread over every file


_MODEL = "class Item < ApplicationRecord\n  belongs_to :list\n  validates :name, presence: true\nend\n"


def test_adapt_trains_on_the_hole_after_every_hotwire_marker_too():
    import random

    from hotwire_assist.core.prompt import get_family
    from hotwire_assist.training.tiny_model import source_fim_items

    view = SourceFile(
        "app/views/items/_item.html.erb", '<div data-controller="item">\n  <%= turbo_frame_tag item do %>\n'
    )
    family = get_family("hotwire-tiny")
    plain = source_fim_items([view], family, len, 4000, 2, random.Random(1))
    both = source_fim_items([view], family, len, 4000, 2, random.Random(1), at_markers=True)
    assert [it.target for it in both[: len(plain)]] == [it.target for it in plain]  # the same random holes first
    added = [it.target for it in both[len(plain) :]]
    assert any(t.startswith('="item">') for t in added) and any(t.startswith(" item do %>") for t in added)
