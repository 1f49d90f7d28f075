"""The Trainer-driven run: packing is exact, runs resume after a kill, pairs and run files work."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from hotwire_assist.cli.train import train_app
from hotwire_assist.core.prompt import get_family
from hotwire_assist.core.schemas import Example, PreferencePair, write_examples
from hotwire_assist.training.finetune import (
    DEFAULT_CURRICULUM,
    DataSpec,
    FinetuneConfig,
    build_items,
    collate,
    encode,
    example_item,
    load_run_config,
    losses,
    pack,
    stage_of,
)

pytestmark = pytest.mark.slow
FAMILY = get_family("hotwire-tiny")
NAMES = ["card", "post", "note", "task", "item", "list", "room", "deal", "team", "page", "user", "plan"]


def _examples(n: int = 12) -> list[Example]:
    out = []
    for k, name in enumerate(NAMES[:n]):
        out.append(
            Example(
                id=f"t-{k}",
                kind="fim",
                path=f"app/views/{name}s/_{name}.html.erb",
                prefix=f"<%= turbo_frame_tag dom_id({name}) do %>\n  " + "<p>filler</p>\n  " * (k % 4),
                middle=f'<%= link_to {name}.title, {name}_path({name}), data: {{ turbo_frame: "_top" }} %>',
                suffix="\n<% end %>\n",
                category="turbo-frames/navigation",
                source="test",
                license="MIT",
            )
        )
    return out


def _pair(id: str, rejected: str, source: str = "curated") -> PreferencePair:
    return PreferencePair(
        id=id,
        kind="fim",
        path="app/views/notes/_note.html.erb",
        prefix="<div>\n  ",
        suffix="\n</div>\n",
        chosen="<%= note.body %>",
        rejected=rejected,
        category="advanced/security",
        source=source,
        license="MIT",
    )


def test_the_default_curriculum_follows_the_seed_schedule():
    names = [name for name, _ in DEFAULT_CURRICULUM]
    assert names[0] == "vocabulary" and names[-1] == "security and accessibility"
    assert stage_of("fim-line", "turbo-frames/forms", DEFAULT_CURRICULUM) == 0
    assert stage_of("instruction", "turbo-frames/forms", DEFAULT_CURRICULUM) == 1
    assert stage_of("instruction", "turbo-streams/actions", DEFAULT_CURRICULUM) == 2
    assert stage_of("instruction", "advanced/native", DEFAULT_CURRICULUM) == 2  # "instruction:advanced/"
    # the most specific selector wins: ":advanced/performance" over the broader "instruction:advanced/"
    assert stage_of("instruction", "advanced/performance", DEFAULT_CURRICULUM) == 3
    assert stage_of("fim-line", "advanced/security", DEFAULT_CURRICULUM) == 4
    assert stage_of("fim-block", "x", (("a", ("fim-line",)), ("b", (":advanced/",)))) == 1  # unmatched: last
    assert stage_of("fim-line", "a/b", (("x", (":a/",)), ("y", (":a/",)))) == 0  # a tie: the earlier stage


def test_every_stage_of_the_default_curriculum_fills_from_the_curated_set():
    """First-match assignment left performance and security/accessibility empty (issue 19)."""
    from hotwire_assist.core.schemas import read_examples
    from hotwire_assist.training.dataset import curated_files

    examples = [ex for p in curated_files() for ex in read_examples(p)]
    sizes = [0] * len(DEFAULT_CURRICULUM)
    for ex in examples:  # each example's instruction item and the FIM holes cut from its files
        for kind in ("instruction", "fim-line", "fim-block"):
            sizes[stage_of(kind, ex.category, DEFAULT_CURRICULUM)] += 1
    assert all(n > 0 for n in sizes), dict(zip([n for n, _ in DEFAULT_CURRICULUM], sizes, strict=True))


def test_every_curated_pair_keeps_its_rejected_side_penalised():
    """Only error-level findings were penalised: 29 of 47 curated pairs lost their rejected side."""
    from hotwire_assist.core.schemas import read_pairs
    from hotwire_assist.training.dataset import curated_pairs
    from hotwire_assist.training.finetune import pair_items

    cfg = FinetuneConfig()
    pairs = list(read_pairs(curated_pairs()))
    rejected = [it for p in pairs for it in pair_items(p, FAMILY, cfg) if it.negative]
    assert len(rejected) == len(pairs) and all(it.bad_spans for it in rejected)
    for it in rejected:  # the penalty lies inside the answer, never on the end-of-text token
        assert all(0 <= a < b <= len(it.target) - len(FAMILY.eos) for a, b in it.bad_spans)


def test_packed_rows_give_the_same_loss_as_padded_batches(tiny_model):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(tiny_model / "hf"))
    model = AutoModelForCausalLM.from_pretrained(str(tiny_model / "hf"), dtype=torch.float32).eval()
    encoded = [encode(tok, example_item(ex, FAMILY, FinetuneConfig()), 256) for ex in _examples(5)]
    assert len({len(e.ids) for e in encoded}) > 1  # variable length: padding would be needed
    with torch.no_grad():
        one_row = pack(encoded, 10_000)
        rows = pack(encoded, max(len(e.ids) for e in encoded))
        assert one_row["input_ids"].shape[0] == 1 and rows["input_ids"].shape[0] > 1
        assert rows["real_tokens"] == sum(len(e.ids) for e in encoded) and not rows["has_negative"]
        packed, _, n_packed = losses(model, one_row)
        in_rows, _, n_rows = losses(model, rows)
        padded, _, n_padded = losses(model, collate(encoded, 0))
        one_by_one = [losses(model, collate([e], 0)) for e in encoded]
    assert n_packed == n_padded == n_rows
    assert packed.item() == pytest.approx(padded.item(), rel=1e-4)
    assert in_rows.item() == pytest.approx(padded.item(), rel=1e-4)
    weighted = sum(nll.item() * int(n) for nll, _, n in one_by_one) / sum(int(n) for _, _, n in one_by_one)
    assert packed.item() == pytest.approx(weighted, rel=1e-4)  # no item attends to another


def test_pairs_teach_the_chosen_side_and_penalise_the_rejected_one(tmp_path):
    pairs = tmp_path / "pairs.jsonl"
    write_examples(
        pairs,
        [
            _pair("p1", "<%= note.body.html_safe %>"),
            _pair("p2", "<%= note.body %>!", source="telemetry:dev-a"),  # dismissed by a user, not flagged
            _pair("p3", "<%= note.body %>?"),  # curated, the engine accepts it: bad by the pair's own label
        ],
    )
    items, dropped, problems = build_items(FAMILY, FinetuneConfig(), DataSpec(pairs=[pairs]))
    by_id = {it.id: it for it in items}
    assert not problems and not dropped
    assert not by_id["p1:chosen"].negative and by_id["p1:chosen"].target.startswith("<%= note.body %>")
    assert by_id["p1:rejected"].negative and by_id["p1:rejected"].rules == ["security/html-safe"]
    for pid in ("p2", "p3"):
        rejected = by_id[f"{pid}:rejected"]
        assert rejected.rules == ["pair/rejected"]
        assert rejected.target[slice(*rejected.bad_spans[0])] == f"<%= note.body %>{'!' if pid == 'p2' else '?'}"
    dismissal = _pair("p4", "<%= note.x %>", source="telemetry:dev-a").model_copy(update={"chosen": ""})
    write_examples(pairs, [dismissal])
    (it,) = build_items(FAMILY, FinetuneConfig(), DataSpec(pairs=[pairs]))[0]
    assert it.rules == ["telemetry/dismissed"] and it.target[slice(*it.bad_spans[0])] == "<%= note.x %>"


def test_a_data_glob_that_matches_a_pairs_file_reads_it_as_pairs(tmp_path):
    (tmp_path / "data").mkdir()
    write_examples(tmp_path / "data" / "a.jsonl", _examples(3))
    write_examples(tmp_path / "data" / "pairs.jsonl", [_pair("p1", "<%= note.body.html_safe %>")])
    run = tmp_path / "run.toml"
    run.write_text('base = "x"\noutput = "out"\ndata = ["data/*.jsonl"]\npairs = ["data/pairs.jsonl"]\n')
    _, _, cfg, spec = load_run_config(run)
    items, _, problems = build_items(FAMILY, cfg, spec)
    ids = [it.id for it in items]
    assert not problems and ids.count("p1:rejected") == 1 and ids.count("p1:chosen") == 1  # read once, as pairs
    assert {"t-0", "t-1", "t-2"} <= set(ids)


def test_bad_lines_fail_the_run_or_are_skipped_and_reported(tiny_model, tmp_path):
    data = tmp_path / "d.jsonl"
    write_examples(data, _examples(6))
    data.write_text(data.read_text() + "{oops\n")
    args = ["finetune", str(tiny_model / "hf"), "--data", str(data), "--steps", "2", "--max-len", "128"]
    failed = CliRunner().invoke(train_app, [*args, "--out", str(tmp_path / "a")])
    assert failed.exit_code == 1 and f"{data}:7" in failed.output
    ok = CliRunner().invoke(train_app, [*args, "--out", str(tmp_path / "b"), "--skip-bad-lines"])
    assert ok.exit_code == 0, ok.output
    assert f"{data}:7" in ok.output
    skipped = json.loads((tmp_path / "b" / "train.json").read_text())["skipped_lines"]
    assert len(skipped) == 1 and skipped[0].startswith(f"{data}:7: not JSON")


def test_run_file_resolves_globs_and_rejects_unknown_settings(tiny_model, tmp_path):
    (tmp_path / "data").mkdir()
    write_examples(tmp_path / "data" / "a.jsonl", _examples(6))
    run = tmp_path / "run.toml"
    run.write_text(
        f'base = "{tiny_model / "hf"}"\noutput = "out"\ndata = ["data/*.jsonl"]\n'
        "[train]\nsteps = 2\nmax_len = 128\npacking = false\n"
        '[[curriculum]]\nname = "all"\nselect = [":"]\n'
    )
    base, out, cfg, spec = load_run_config(run)
    assert base == str(tiny_model / "hf") and out == tmp_path / "out"
    assert spec.data == [tmp_path / "data" / "a.jsonl"] and cfg.steps == 2 and not cfg.packing
    assert cfg.curriculum == (("all", (":",)),)

    result = CliRunner().invoke(train_app, ["run", str(run)])
    assert result.exit_code == 0, result.output
    info = json.loads((tmp_path / "out" / "train.json").read_text())
    assert info["stages"] == {"all": info["items"]["train"]}

    run.write_text(run.read_text().replace("steps = 2", "stepz = 2"))
    bad = CliRunner().invoke(train_app, ["run", str(run)])
    assert bad.exit_code == 2 and "unknown [train] setting(s) ['stepz']" in bad.output
    run.write_text(run.read_text().replace("stepz", "steps").replace("data/*.jsonl", "nope/*.jsonl"))
    assert "matches no file" in CliRunner().invoke(train_app, ["run", str(run)]).output


def test_a_killed_run_resumes_from_its_last_checkpoint_and_ends_where_an_unbroken_run_does(tiny_model, tmp_path):
    from safetensors.torch import load_file

    data = tmp_path / "d.jsonl"
    write_examples(data, _examples())
    exe = Path(sys.executable).parent / "hotwire-assist"

    def args(out: Path) -> list[str]:
        a = [str(exe), "train", "finetune", str(tiny_model / "hf"), "--data", str(data), "--out", str(out)]
        return [*a, "--steps", "8", "--save-steps", "2", "--max-len", "128", "--batch", "4", "--lr", "1e-2"]

    env = dict(os.environ)
    out = tmp_path / "broken"
    proc = subprocess.Popen(args(out), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 300
        while not (out / "checkpoints" / "checkpoint-4" / "trainer_state.json").exists():
            assert proc.poll() is None and time.time() < deadline, "the run ended before its second checkpoint"
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert not (out / "train.json").exists()
    # a kill while saving leaves a newer folder without the trainer state (written last): never resumed from
    partial = out / "checkpoints" / "checkpoint-7"
    partial.mkdir(exist_ok=True)
    (partial / "adapter_model.safetensors").write_bytes(b"half a file")

    resumed = subprocess.run(args(out), env=env, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    info = json.loads((out / "train.json").read_text())
    assert info["resumed_from"] is not None and "checkpoint-" in info["resumed_from"]
    assert not info["resumed_from"].endswith("checkpoint-7") and "removing checkpoint-7" in resumed.stderr

    unbroken = subprocess.run(args(tmp_path / "whole"), env=env, capture_output=True, text=True, timeout=300)
    assert unbroken.returncode == 0, unbroken.stderr
    a = load_file(str(out / "adapter_model.safetensors"))
    b = load_file(str(tmp_path / "whole" / "adapter_model.safetensors"))
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], atol=1e-5, rtol=1e-4)


def test_source_holes_carry_the_related_files_the_server_would_send():
    import random

    from conftest import SAMPLE_APP

    from hotwire_assist.core.appindex import index_app
    from hotwire_assist.core.context import ContextCache, query_of
    from hotwire_assist.core.prompt import fim_training_text
    from hotwire_assist.training.corpus import load_sources, random_hole
    from hotwire_assist.training.finetune import source_items

    (src,) = [s for s in load_sources(SAMPLE_APP) if s.path == "app/views/todos/_todo.html.erb"]
    cfg = FinetuneConfig(fim_per_file=1)
    (item,) = source_items([src], FAMILY, cfg)
    prefix, middle, suffix = random_hole(src.text, random.Random(cfg.seed))  # the hole source_items cut
    served = ContextCache(None, cfg.context_chars).get(index_app(SAMPLE_APP), src.origin, query_of(prefix))
    assert item.prompt == fim_training_text(FAMILY, prefix, middle, suffix, src.path, served)[0]
    assert "app/controllers/todos_controller.rb" in item.prompt  # the controller rendering this partial
    (bare,) = source_items([src], FAMILY, FinetuneConfig(fim_per_file=1, context_chars=0))
    assert "todos_controller" not in bare.prompt


def test_resuming_on_changed_data_is_refused_and_restart_starts_over(tiny_model, tmp_path):
    """Resuming used to say "resumed from checkpoint-N" and record the new data hash for an adapter trained
    on the old data (issue 19); progress shows step, loss, tokens/s and ETA even without a terminal."""
    data, out = tmp_path / "d.jsonl", tmp_path / "out"
    write_examples(data, _examples(6))
    args = ["finetune", str(tiny_model / "hf"), "--data", str(data), "--out", str(out)]
    args += ["--steps", "2", "--save-steps", "1", "--max-len", "128", "--batch", "2"]
    first = CliRunner().invoke(train_app, args)
    assert first.exit_code == 0, first.output
    assert "step 2/2" in first.output and "tok/s" in first.output and "eta" in first.output
    trained_on = json.loads((out / "train.json").read_text())["data_sha256"]

    same = CliRunner().invoke(train_app, args)  # the same data and settings: resumes
    assert same.exit_code == 0 and "resumed from" in same.output

    write_examples(data, _examples(8))  # the data changed since the checkpoints
    refused = CliRunner().invoke(train_app, args)
    assert refused.exit_code == 1 and "refusing to resume" in refused.output and "--restart" in refused.output
    assert json.loads((out / "train.json").read_text())["data_sha256"] == trained_on  # nothing recorded

    restarted = CliRunner().invoke(train_app, [*args, "--restart"])
    assert restarted.exit_code == 0, restarted.output
    info = json.loads((out / "train.json").read_text())
    assert info["resumed_from"] is None and info["data_sha256"] != trained_on


def test_a_glob_that_matches_nothing_is_a_note_and_a_missing_named_file_an_error(tmp_path):
    (tmp_path / "data").mkdir()
    write_examples(tmp_path / "data" / "a.jsonl", _examples(2))
    run = tmp_path / "examples" / "run.toml"
    run.parent.mkdir()
    run.write_text('base = "x"\noutput = "../out"\ndata = ["../data/*.jsonl", "../mined/*.jsonl"]\n')
    _, out, _, spec = load_run_config(run)
    assert spec.data == [tmp_path / "data" / "a.jsonl"] and out == tmp_path / "out"  # no "examples/.." left
    assert spec.notes == [f"{run}: data = '../mined/*.jsonl' matches no file"]
    run.write_text('base = "x"\noutput = "out"\ndata = ["../data/a.jsonl", "../data/gone.jsonl"]\n')
    with pytest.raises(ValueError, match=r"gone\.jsonl' matches no file"):
        load_run_config(run)
    run.write_text('base = "x"\noutput = "out"\ndata = ["../mined/*.jsonl"]\n')
    with pytest.raises(ValueError, match=r"matches no file.*nothing to train on"):
        load_run_config(run)
