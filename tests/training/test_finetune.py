"""LoRA fine-tuning and export, end to end on the tiny base the project builds (the same code path a
real base such as Qwen2.5-Coder takes: AutoModel, peft, the shared prompt module, the rules engine)."""

from __future__ import annotations

import itertools
import json
import random
import threading
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from hotwire_assist.cli.train import train_app
from hotwire_assist.core.prompt import fim_prompt, get_family
from hotwire_assist.core.schemas import Example, FileText, write_examples
from hotwire_assist.training.corpus import is_held_out
from hotwire_assist.training.finetune import (
    DataSpec,
    FinetuneConfig,
    build_items,
    encode,
    example_item,
    order_items,
    schedule,
)

pytestmark = pytest.mark.slow
FAMILY = get_family("hotwire-tiny")
NAMES = ["card", "post", "note", "task", "item", "list", "room", "deal", "team", "page", "user", "plan", "book"]
STEPS = 30


def _card(name: str) -> tuple[str, str, str]:
    """A partial whose frame links out of itself: one line to fill, the same shape for every model name."""
    prefix = f'<div class="{name}">\n  <%= turbo_frame_tag dom_id({name}) do %>\n    '
    middle = f'<%= link_to {name}.title, {name}_path({name}), data: {{ turbo_frame: "_top" }} %>'
    return prefix, middle, "\n  <% end %>\n</div>\n"


def _ids(held: bool, n: int) -> list[str]:
    """Example ids on the requested side of the fixed held-out split."""
    out, k = [], 0
    while len(out) < n:
        if is_held_out(f"ex-{k}") == held:
            out.append(f"ex-{k}")
        k += 1
    return out


def _fim(id: str, name: str) -> Example:
    prefix, middle, suffix = _card(name)
    return Example(
        id=id,
        kind="fim",
        path=f"app/views/{name}s/_{name}.html.erb",
        prefix=prefix,
        middle=middle,
        suffix=suffix,
        category="turbo-frames/navigation",
        source="test",
        license="MIT",
    )


def _dataset(tmp: Path) -> tuple[Path, Path]:
    train_ids, held_ids = _ids(False, 10), _ids(True, 3)
    examples = [_fim(i, n) for i, n in zip(train_ids[:7], NAMES, strict=False)]
    examples += [_fim(i, n) for i, n in zip(held_ids, NAMES[10:], strict=True)]
    two_lines = '<%= link_to deck.title, deck_path(deck) %>\n    <%= button_to "Delete", deck, method: :delete %>'
    multi = _fim(train_ids[7], "deck").model_copy(update={"middle": two_lines})
    instruction = Example(
        id=train_ids[8],
        kind="instruction",
        input="Add a delete button for a comment that asks for confirmation.",
        output=[
            FileText(
                path="app/views/comments/_comment.html.erb",
                content='<%= button_to "Delete", comment, method: :delete,\n'
                '      form: { data: { turbo_confirm: "Delete this comment?" } } %>\n',
            )
        ],
        category="turbo-streams/controller-responses",
        source="test",
        license="MIT",
    )
    # An anti-pattern among the positives: request data marked html_safe (XSS; error-level by the severity
    # contract in core.rules.findings — a record's attribute marked html_safe is only a warning, not dropped).
    unsafe = _fim(train_ids[9], "memo").model_copy(update={"id": "unsafe", "middle": "<%= params[:memo].html_safe %>"})
    negative = _fim("neg-1", "note").model_copy(update={"middle": "<%= params[:note].html_safe %>"})
    data, neg = tmp / "data.jsonl", tmp / "negative.jsonl"
    write_examples(data, [*examples, multi, instruction, unsafe])
    write_examples(neg, [negative])
    return data, neg


@pytest.fixture(scope="module")
def run(tiny_model: Path, tmp_path_factory) -> dict:
    """One fine-tune (through the CLI) and one export, shared by the tests below."""
    tmp = tmp_path_factory.mktemp("finetune")
    data, neg = _dataset(tmp)
    adapter, export = tmp / "adapter", tmp / "export"
    runner = CliRunner()
    base = str(tiny_model / "hf")
    args = ["finetune", base, "--data", str(data), "--negative", str(neg)]
    args += ["--out", str(adapter), "--steps", str(STEPS), "--rank", "8", "--lr", "2e-2", "--max-len", "256"]
    # every linear layer: the tiny base has little attention to adapt, and the GGUF LoRA covers the MLP too
    args += ["--target-modules", "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj"]
    result = runner.invoke(train_app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    result = runner.invoke(train_app, ["export", base, str(adapter), "--out", str(export)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return {
        "base": tiny_model,
        "adapter": adapter,
        "export": export,
        "data": data,
        "negative": neg,
        "info": json.loads((adapter / "train.json").read_text()),
    }


def _items(run: dict) -> list:
    return build_items(FAMILY, FinetuneConfig(), DataSpec(data=[run["data"]]))[0]


def _tokenizer(base: Path):
    return _tokenizer_dir(base / "hf")


def _tokenizer_dir(path: Path):
    """As finetune loads it: transformers 5 may substitute the model type's own tokenizer class."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(path))


def test_target_loss_goes_down_on_training_and_held_out_items(run):
    info = run["info"]
    derived = [d for d in _items(run) if ":" in d.id]  # FIM holes cut from the instruction example's file
    assert derived and info["items"]["train"] == 10 + len(derived) and info["items"]["held_out"] == 3
    before, after = info["before"], info["after"]
    assert after["train_loss"] < 0.8 * before["train_loss"], info
    assert after["held_out_loss"] < before["held_out_loss"], info
    assert (run["adapter"] / "adapter_model.safetensors").is_file()
    assert json.loads((run["adapter"] / "adapter_config.json").read_text())["r"] == 8
    assert info["config"]["steps"] == STEPS and info["tokens_per_second"] > 0 and len(info["data_sha256"]) == 64


def test_prompt_tokens_are_masked(run):
    tok = _tokenizer(run["base"])
    ex = _fim("x", "card")
    item = example_item(ex, FAMILY, FinetuneConfig())
    enc = encode(tok, item, 256)
    n_prompt = len(tok(item.prompt, add_special_tokens=False)["input_ids"])
    assert enc.labels[:n_prompt] == [-100] * n_prompt
    assert enc.labels[n_prompt:] == enc.ids[n_prompt:]
    assert tok.decode(enc.ids[n_prompt:]) == ex.middle + FAMILY.eos
    assert enc.ul_labels == [-100] * len(enc.ids)  # a positive item is never penalised
    # the prompt is exactly what the server sends for this hole
    assert item.prompt == fim_prompt(FAMILY, ex.prefix, ex.suffix, ex.path)


def test_curriculum_goes_single_line_then_multi_line_then_instruction(run):
    items = [it for it in _items(run) if ":" not in it.id]
    tok = _tokenizer(run["base"])
    lengths = [len(tok(it.target, add_special_tokens=False)["input_ids"]) for it in items]
    order = order_items(items, lengths)
    stages = [items[i].stage for i in order]
    assert stages == sorted(stages) and set(stages) == {0, 1, 2}
    for a, b in itertools.pairwise(order):  # within a stage, shorter targets first
        if items[a].stage == items[b].stage:
            assert lengths[a] <= lengths[b]
    cfg = FinetuneConfig(curriculum_start=0.25, curriculum_warmup=0.5)
    batches = schedule(order, 40, 8, cfg, random.Random(0))
    first_pool = set(order[: -(-len(order) // 4)])
    assert all(i in first_pool for i in batches[0])  # the run starts on the easiest quarter
    assert {items[i].stage for i in batches[0]} == {0}
    assert {items[i].stage for b in batches[20:] for i in b} == {0, 1, 2}  # and replays everything later


def test_anti_patterns_dropped_from_positives_and_penalised_as_negatives(run):
    info = run["info"]
    dropped = {d["id"]: d for d in info["dropped"]}
    assert "security/html-safe" in dropped["unsafe"]["rules"]
    assert info["items"]["negative"] == 1

    tok = _tokenizer(run["base"])
    neg = build_items(FAMILY, FinetuneConfig(), DataSpec(negative=[run["negative"]]))[0][0]
    assert neg.negative and neg.rules == ["security/html-safe"]
    enc = encode(tok, neg, 256)
    assert all(label == -100 for label in enc.labels)  # a negative is never learned
    penalised = [t for t in enc.ul_labels if t != -100]
    assert "html_safe" in tok.decode(penalised)

    # the unlikelihood term made the anti-pattern less likely than in the base
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(str(run["base"] / "hf"), dtype=torch.float32)
    ids = torch.tensor([enc.ids])
    mask = torch.tensor([[t != -100 for t in enc.ul_labels]])[:, 1:]

    def nll() -> float:
        with torch.no_grad():
            logp = torch.log_softmax(model(ids).logits[:, :-1], -1).gather(2, ids[:, 1:, None]).squeeze(2)
        return -logp[mask].mean().item()

    model = base
    before = nll()
    model = PeftModel.from_pretrained(base, str(run["adapter"]))
    assert nll() > before


def _hf_greedy(run, prompt: str, n: int) -> str:
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    tok = _tokenizer(run["base"])
    base = AutoModelForCausalLM.from_pretrained(str(run["base"] / "hf"), dtype=torch.float32)
    model = PeftModel.from_pretrained(base, str(run["adapter"])).eval()
    ids = torch.tensor([tok(prompt, add_special_tokens=False)["input_ids"]])
    eos = tok.convert_tokens_to_ids(FAMILY.eos)
    out = model.generate(input_ids=ids, max_new_tokens=n, do_sample=False, eos_token_id=eos, pad_token_id=eos)
    return tok.decode(out[0, ids.shape[1] :], skip_special_tokens=True)


def test_merged_gguf_and_gguf_lora_match_transformers_peft_token_for_token(run):
    from hotwire_assist.backends import GenerationParams
    from hotwire_assist.backends.llama_cpp import LlamaCppBackend

    prefix, _, suffix = _card("card")  # a hole from the training set
    prompt = fim_prompt(FAMILY, prefix, suffix, "app/views/cards/_card.html.erb")
    expected = _hf_greedy(run, prompt, 24)
    assert expected.strip()

    backend = LlamaCppBackend(run["export"] / "model.gguf", context_size=256, threads=2)
    try:
        got = "".join(backend.generate(prompt, GenerationParams(max_tokens=24), threading.Event()))
    finally:
        backend.close()
    assert got == expected

    from llama_cpp import Llama

    llm = Llama(
        model_path=str(run["base"] / "model.gguf"),
        lora_path=str(run["export"] / "adapter.gguf"),
        n_ctx=256,
        n_threads=2,
        verbose=False,
    )
    try:
        tokens = llm.tokenize(prompt.encode(), add_bos=False, special=True)
        got_lora = llm.create_completion(tokens, max_tokens=24, temperature=0.0)["choices"][0]["text"]
    finally:
        llm.close()
    assert got_lora == expected


def test_modelfile_names_the_gguf_and_the_family_stop_tokens(run):
    text = (run["export"] / "Modelfile").read_text()
    assert f"FROM {(run['export'] / 'model.gguf').resolve()}\n" in text
    for stop in FAMILY.stop:
        assert f'PARAMETER stop "{stop}"' in text
    assert (run["export"] / "hf" / "config.json").is_file()


def test_cli_help_has_examples_and_refuses_empty_input(tmp_path):
    runner = CliRunner()
    for cmd in ("finetune", "export"):
        result = runner.invoke(train_app, [cmd, "--help"])
        assert result.exit_code == 0 and f"hotwire-assist train {cmd}" in result.output
    result = runner.invoke(train_app, ["finetune", str(tmp_path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "nothing to train on" in result.output


def test_malformed_jsonl_names_file_and_line(tiny_model, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(_fim("ok", "card").model_dump_json() + "\n{not json\n")
    result = CliRunner().invoke(
        train_app, ["finetune", str(tiny_model / "hf"), "--data", str(bad), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 1 and f"{bad}:2" in result.output


def test_a_qwen2_base_fine_tunes_and_its_merged_gguf_matches_token_for_token(run, tmp_path):
    """Another architecture through the same code (AutoModel, peft, export): a tiny random Qwen2 with
    Q/K/V biases, NeoX RoPE and rope_theta 1e6, as in Qwen2.5-Coder; only the size differs."""
    from llama_cpp import Llama
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, Qwen2Config, Qwen2ForCausalLM

    from hotwire_assist.training.export import export_merged
    from hotwire_assist.training.finetune import finetune

    tok = _tokenizer(run["base"])
    torch.manual_seed(0)
    config = Qwen2Config(
        vocab_size=len(tok) + 12,  # padded past the tokenizer, as real bases are
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        tie_word_embeddings=True,
        rope_theta=1e6,
        initializer_range=0.3,  # a random model with decided (not near-tied) greedy choices
        eos_token_id=tok.convert_tokens_to_ids(FAMILY.eos),
    )
    base = tmp_path / "qwen2"
    Qwen2ForCausalLM(config).save_pretrained(base)
    tok.save_pretrained(base)
    info = finetune(
        base, tmp_path / "adapter", FinetuneConfig(steps=3, lr=1e-2, max_len=256), DataSpec([run["data"]]), False
    )
    assert info["after"]["train_loss"] < info["before"]["train_loss"]
    paths = export_merged(base, tmp_path / "adapter", tmp_path / "export", FAMILY)

    prefix, _, suffix = _card("card")
    prompt = fim_prompt(FAMILY, prefix, suffix, "app/views/cards/_card.html.erb")
    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(str(base)), str(tmp_path / "adapter"))
    qtok = _tokenizer_dir(base)
    ids = qtok(prompt, add_special_tokens=False)["input_ids"]
    expected = model.eval().generate(input_ids=torch.tensor([ids]), max_new_tokens=12, do_sample=False)[0, len(ids) :]
    llm = Llama(model_path=str(paths["gguf"]), n_ctx=256, n_threads=2, verbose=False)
    try:
        tokens = llm.tokenize(prompt.encode(), add_bos=False, special=True)
        assert tokens == ids
        got = []
        for t in llm.generate(tokens, temp=0.0):
            got.append(t)
            if len(got) == len(expected):
                break
    finally:
        llm.close()
    assert got == expected.tolist()
