"""Build a small code model from scratch: our own BPE tokenizer (with the prompt family's special
tokens), a Llama-architecture model trained on a Hotwire corpus, a held-out measurement, and a
GGUF export the llama.cpp backend loads. Read it top to bottom; every step is here.

Two kinds of training text share every step:
- plain language modelling over the corpus (each file as a document and with random FIM holes), which
  teaches Ruby, ERB and JavaScript from scratch;
- items shaped exactly as the server asks (training.finetune's items): FIM holes cut from the corpus
  with the related-file context core.context builds for a completion there, fitted to the model's
  window by the server's own shrink rule (`server_prompt`), the curated examples (FIM holes and
  instructions) and the preference pairs, whose rejected side is a negative (unlikelihood on the lines
  the rules engine flags). Only target tokens carry loss.
The shipped default (training/default_model/) is this recipe's output; `model build-default` rebuilds it.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

from hotwire_assist.core.prompt import PromptFamily, Snippet, context_budget, fim_prompt
from hotwire_assist.training.corpus import SourceFile, hole_request, is_held_out, random_hole, training_texts
from hotwire_assist.training.export import export_gguf


@dataclass(frozen=True)
class Recipe:
    vocab_size: int
    hidden: int
    layers: int
    heads: int
    kv_heads: int
    ffn: int
    context: int
    steps: int
    batch: int  # language-modelling rows of `context` tokens per step
    lr: float
    seed: int = 1234
    item_batch: int = 0  # server-shaped items per step (target-only loss); 0 = language modelling only
    holes_per_file: int = 6  # server-shaped FIM items cut from each training file
    unlikelihood: float = 1.0  # weight of the penalty on negative items' flagged tokens


RECIPES = {
    # The embedded default (the shipped training/default_model/): see BENCHMARKS.md for what was tried.
    "default": Recipe(
        vocab_size=2048,
        hidden=192,
        layers=4,
        heads=6,
        kv_heads=3,
        ffn=512,
        context=512,
        steps=700,
        batch=4,
        lr=2e-3,
        item_batch=8,
    ),
    # For tests: the same recipe shrunk to seconds.
    "tiny": Recipe(
        vocab_size=512,
        hidden=64,
        layers=2,
        heads=4,
        kv_heads=2,
        ffn=160,
        context=256,
        steps=60,
        batch=8,
        lr=3e-3,
        item_batch=2,
        holes_per_file=1,
    ),
}

# What the server sends (CompletionConfig.prompt_chars, ModelConfig.max_tokens defaults): training's
# prompts are built for the same budget and the same room left in the model's window.
SERVER_PROMPT_CHARS = 4000
SERVER_MAX_TOKENS = 48

Progress = Callable[[str, int, int], None]


def train_tokenizer(texts: list[str], family: PromptFamily, vocab_size: int) -> Tokenizer:
    """Byte-level BPE (HF's ByteLevel regex = llama.cpp's 'gpt-2' pre-tokenizer) with FIM tokens."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(family.special_tokens),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        min_frequency=2,
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer)
    return tok


def _batches(ids: list[int], context: int, batch: int, rng: random.Random) -> torch.Tensor:
    starts = [rng.randrange(0, max(1, len(ids) - context - 1)) for _ in range(batch)]
    return torch.tensor([ids[s : s + context + 1] for s in starts], dtype=torch.long)


def _encode(tok: Tokenizer, texts: list[str]) -> list[int]:
    return [i for enc in tok.encode_batch(texts) for i in enc.ids]


# --- server-shaped items ------------------------------------------------------------------------------


def server_prompt(
    family: PromptFamily,
    count_tokens: Callable[[str], int],
    prefix: str,
    suffix: str,
    path: str,
    context: Sequence[Snippet],
    room: int,
    budget_chars: int = SERVER_PROMPT_CHARS,
) -> str:
    """The FIM prompt the server ends up sending a model with `room` tokens free: core.prompt's window
    at the configured budget, shrunk as server.completion shrinks it after PromptTooLong (4 tries)."""
    budget = budget_chars
    prompt = fim_prompt(family, prefix, suffix, path, context, budget_chars=budget)
    for _ in range(3):
        n = count_tokens(prompt)
        if n <= room:
            break
        budget = int(min(budget, len(prompt)) * room / n * 0.9)
        prompt = fim_prompt(family, prefix, suffix, path, context, budget_chars=budget)
    return prompt


def source_fim_items(
    sources: Sequence[SourceFile],
    family: PromptFamily,
    count_tokens: Callable[[str], int],
    room: int,
    holes_per_file: int,
    rng: random.Random,
    retriever=None,
    at_markers: bool = False,
) -> list:
    """FIM items cut from source files with the prompt the server would send at that cursor: the request
    it builds there (corpus.hole_request: core.request with the hole's related files over its app, the
    server's budget and query) in the window `server_prompt` fits. Held out by file (`is_held_out`).
    `at_markers` adds a hole after every Hotwire marker (core.hotwire.marker_cuts), where `model adapt`
    is judged."""
    from hotwire_assist.core.appindex import index_app, rails_app_root
    from hotwire_assist.core.hotwire import marker_cuts
    from hotwire_assist.training.finetune import FinetuneConfig, fim_item

    cfg = FinetuneConfig(family=family.name)
    indexes: dict[Path, object] = {}
    items = []
    for src in sources:
        held = is_held_out(src.path + src.text[:64])
        root = rails_app_root(src.origin) if src.origin is not None else None
        if root is not None and root not in indexes:
            indexes[root] = index_app(root)
        holes = [random_hole(src.text, rng) for _ in range(holes_per_file)]
        cuts = marker_cuts(src.text) if at_markers else []
        holes += [(src.text[:cut], src.text[cut:end], src.text[end:]) for cut, end in cuts]
        for n, (prefix, middle, suffix) in enumerate(holes):
            if not middle.strip():
                continue
            budget = context_budget(SERVER_PROMPT_CHARS)
            r = hole_request(src, prefix, suffix, indexes.get(root), budget, retriever)  # as served
            it = fim_item(family, f"{src.path}#{n}", r.path, r.prefix, middle, r.suffix, r.context, held, cfg)
            it.prompt = server_prompt(family, count_tokens, r.prefix, r.suffix, r.path, r.context, room)
            items.append(it)
    return items


def curated_items(family: PromptFamily, examples: Sequence[Path], pairs: Sequence[Path], seed: int) -> list:
    """The curated examples (FIM and instruction, plus FIM holes in instruction outputs) and the
    preference pairs (chosen positive, rejected negative), screened by the rules engine (finetune)."""
    from hotwire_assist.training.finetune import DataSpec, FinetuneConfig, build_items

    if not examples and not pairs:
        return []
    cfg = FinetuneConfig(family=family.name, fim_per_file=2, seed=seed)
    items, _, _ = build_items(family, cfg, DataSpec(data=list(examples), pairs=list(pairs)))
    return items


def fast_tokenizer(tok: Tokenizer, family: PromptFamily) -> PreTrainedTokenizerFast:
    return PreTrainedTokenizerFast(tokenizer_object=tok, eos_token=family.eos, pad_token=family.eos)


# --- one training step ----------------------------------------------------------------------------------


def train_step(
    model: LlamaForCausalLM,
    opt: torch.optim.Optimizer,
    lm_batch: torch.Tensor | None,
    items: list | None,
    context: int,
    unlikelihood: float = 1.0,
) -> dict[str, float]:
    """One optimiser step on a language-modelling batch and/or a packed micro-batch of items."""
    from hotwire_assist.training.finetune import losses, pack

    total = torch.zeros(())
    out: dict[str, float] = {}
    if lm_batch is not None:
        lm = model(lm_batch[:, :-1], labels=lm_batch[:, :-1].clone()).loss
        total = total + lm
        out["lm"] = lm.item()
    if items:
        nll, ul, _ = losses(model, pack(items, context))
        total = total + nll + unlikelihood * ul
        out["items"], out["ul"] = nll.item(), ul.item()
    opt.zero_grad(set_to_none=True)
    total.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    return out


def lr_at(step: int, steps: int, peak: float, warmup: int = 50, floor: float = 0.05) -> float:
    """Linear warm-up, cosine decay to `floor` of the peak."""
    lr = peak * min(1.0, (step + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * step / max(1, steps)))
    return max(lr, peak * floor)


@torch.no_grad()
def held_out_metrics(
    model: LlamaForCausalLM, tok: Tokenizer, family: PromptFamily, files: list[SourceFile], recipe: Recipe
) -> dict[str, float]:
    """Loss on held-out files, and exact match / first-token accuracy on held-out FIM holes."""
    model.eval()
    rng = random.Random(99)
    if not files:
        return {}
    eos = tok.token_to_id(family.eos)
    ids = _encode(tok, [f.text for f in files])
    losses = []
    for s in range(0, max(1, len(ids) - recipe.context), recipe.context):
        chunk = torch.tensor([ids[s : s + recipe.context + 1]])
        if chunk.shape[1] < 2:
            break
        losses.append(model(chunk[:, :-1], labels=chunk[:, :-1].clone()).loss.item())
    exact, n = 0, 0
    for f in files:
        for _ in range(2):
            prefix, middle, suffix = random_hole(f.text, rng)
            if "\n" in middle or not middle.strip():
                continue
            r = hole_request(f, prefix, suffix)  # the request the server builds at this hole
            prompt = fim_prompt(family, r.prefix, r.suffix, r.path, r.context, budget_chars=recipe.context * 2)
            p_ids = tok.encode(prompt).ids[-(recipe.context - 32) :]
            out = model.generate(
                torch.tensor([p_ids]), max_new_tokens=24, do_sample=False, eos_token_id=eos, pad_token_id=eos
            )
            text = tok.decode(out[0, len(p_ids) :].tolist(), skip_special_tokens=True).split("\n")[0]
            exact += int(text.strip() == middle.strip())
            n += 1
    loss = sum(losses) / max(1, len(losses))
    model.train()
    return {
        "held_out_loss": round(loss, 4),
        "held_out_perplexity": round(math.exp(loss), 2),
        "held_out_fim_exact_match": round(exact / max(1, n), 4),
        "held_out_fim_holes": n,
    }


def data_sha256(sources: Sequence[SourceFile], extra: Sequence[Path] = ()) -> str:
    """What the model was built from: every source file (path and text) and every data file's bytes."""
    h = hashlib.sha256()
    for s in sorted(sources, key=lambda s: s.path):
        h.update(s.path.encode() + b"\0" + s.text.encode() + b"\0")
    for p in sorted(extra):
        h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def build_model(
    sources: list[SourceFile],
    family: PromptFamily,
    out_dir: Path,
    recipe: Recipe,
    progress: Progress | None = None,
    examples: Sequence[Path] = (),
    pairs: Sequence[Path] = (),
    context_examples: Path | None = None,
    quant: str = "f32",
) -> dict:
    """Tokenizer → model → training → held-out metrics → HF folder + GGUF in out_dir.

    `examples`/`pairs`: curated JSONL trained as server-shaped items next to the source files;
    `context_examples`: the folder the server retrieves similar examples from for a prompt's context."""
    t0 = time.time()
    rng = random.Random(recipe.seed)
    torch.manual_seed(recipe.seed)
    train = [s for s in sources if not is_held_out(s.path + s.text[:64])]
    held = [s for s in sources if is_held_out(s.path + s.text[:64])]

    # 1. Items from the curated data, then the tokenizer, trained on the training side only.
    curated = curated_items(family, examples, pairs, recipe.seed) if recipe.item_batch else []
    first_pass = training_texts(train, family, rng)
    tok_texts = first_pass + [it.prompt + it.target for it in curated if not it.held_out]
    tok = train_tokenizer(tok_texts, family, recipe.vocab_size)
    hf_tok = fast_tokenizer(tok, family)

    # 2. Server-shaped FIM items from the source files (their prompts are fitted with this tokenizer).
    items = list(curated)
    if recipe.item_batch:
        from hotwire_assist.core.context import ExampleRetriever

        retriever = ExampleRetriever.from_folder(context_examples) if context_examples else None
        count = lambda text: len(tok.encode(text).ids)  # noqa: E731
        room = recipe.context - SERVER_MAX_TOKENS
        items += source_fim_items(sources, family, count, room, recipe.holes_per_file, rng, retriever)
    from hotwire_assist.training.finetune import encode, target_loss

    enc_train = [encode(hf_tok, it, recipe.context) for it in items if not it.held_out]
    enc_held = [encode(hf_tok, it, recipe.context) for it in items if it.held_out and not it.negative]

    # 3. A Llama model from scratch.
    config = LlamaConfig(
        vocab_size=tok.get_vocab_size(),
        hidden_size=recipe.hidden,
        intermediate_size=recipe.ffn,
        num_hidden_layers=recipe.layers,
        num_attention_heads=recipe.heads,
        num_key_value_heads=recipe.kv_heads,
        max_position_embeddings=recipe.context,
        rms_norm_eps=1e-5,
        rope_theta=10000.0,
        tie_word_embeddings=True,
        bos_token_id=tok.token_to_id(family.eos),
        eos_token_id=tok.token_to_id(family.eos),
    )
    model = LlamaForCausalLM(config)
    n_params = sum(p.numel() for p in model.parameters())

    # 4. Training: fresh FIM holes every pass over the corpus, items sampled, cosine learning rate.
    opt = torch.optim.AdamW(model.parameters(), lr=recipe.lr, weight_decay=0.05, betas=(0.9, 0.95))
    ids = _encode(tok, first_pass)
    seen_tokens, history = 0, []
    t_train = time.time()
    model.train()
    for step in range(recipe.steps):
        if seen_tokens >= len(ids):
            ids, seen_tokens = _encode(tok, training_texts(train, family, rng)), 0
        for g in opt.param_groups:
            g["lr"] = lr_at(step, recipe.steps, recipe.lr)
        batch = _batches(ids, recipe.context, recipe.batch, rng)
        picked = [rng.choice(enc_train) for _ in range(recipe.item_batch)] if enc_train else None
        history.append(train_step(model, opt, batch, picked, recipe.context, recipe.unlikelihood))
        seen_tokens += batch.numel()
        if progress:
            recent = history[-20:]
            msg = f"train loss {sum(h['lm'] for h in recent) / len(recent):.3f}"
            if picked:
                msg += f"  items {sum(h['items'] for h in recent) / len(recent):.3f}"
            progress(msg, step + 1, recipe.steps)
    train_seconds = time.time() - t_train

    # 5. Measure on files and items the model never saw.
    if progress:
        progress("held-out evaluation", recipe.steps, recipe.steps)
    metrics = held_out_metrics(model, tok, family, held, recipe)
    if enc_held:
        metrics["held_out_item_loss"] = target_loss(model, enc_held, tok.token_to_id(family.eos))

    # 6. Save the HF folder (the transformers backend and fine-tuning load it) and the GGUF.
    hf_dir = out_dir / "hf"
    hf_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(hf_dir, safe_serialization=True)
    hf_tok.save_pretrained(hf_dir)
    (hf_dir / "hotwire.json").write_text(json.dumps({"family": family.name}))  # adaptation reads the format
    gguf_path = export_gguf(hf_dir, out_dir / "model.gguf", family, quant=quant)
    recent = history[-20:]
    info = {
        "family": family.name,
        "recipe": asdict(recipe),
        "parameters": n_params,
        "train_files": len(train),
        "held_out_files": len(held),
        "held_out_paths": sorted(s.path for s in held),
        "items": {
            "train": len(enc_train),
            "held_out": len(enc_held),
            "negative": sum(it.negative for it in items if not it.held_out),
        },
        "data_sha256": data_sha256(sources, [*examples, *pairs]),
        "final_train_loss": round(sum(h["lm"] for h in recent) / max(1, len(recent)), 4),
        "seconds_per_step": round(train_seconds / max(1, recipe.steps), 3),
        "torch_threads": torch.get_num_threads(),
        "build_seconds": round(time.time() - t0, 1),
        "gguf": str(gguf_path),
        "quant": quant,
        **metrics,
    }
    (out_dir / "train.json").write_text(json.dumps(info, indent=2))
    return info
