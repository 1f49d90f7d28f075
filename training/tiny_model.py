"""Build a small code model from scratch: our own BPE tokenizer (with the prompt family's special
tokens), a Llama-architecture model trained on a Hotwire corpus, a held-out measurement, and a
GGUF export the llama.cpp backend loads. Read it top to bottom; every step is here.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

from hotwire_assist.core.prompt import PromptFamily, fim_prompt
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
    batch: int
    lr: float
    seed: int = 1234


RECIPES = {
    # The embedded default: sized to build in a few minutes on 2 CPU cores.
    "default": Recipe(
        vocab_size=2048, hidden=192, layers=4, heads=6, kv_heads=3, ffn=512, context=512, steps=450, batch=8, lr=2e-3
    ),
    # For tests: the same recipe shrunk to seconds.
    "tiny": Recipe(
        vocab_size=512, hidden=64, layers=2, heads=4, kv_heads=2, ffn=160, context=256, steps=60, batch=8, lr=3e-3
    ),
}

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
    return {
        "held_out_loss": round(loss, 4),
        "held_out_perplexity": round(math.exp(loss), 2),
        "held_out_fim_exact_match": round(exact / max(1, n), 4),
        "held_out_fim_holes": n,
    }


def build_model(
    sources: list[SourceFile],
    family: PromptFamily,
    out_dir: Path,
    recipe: Recipe,
    progress: Progress | None = None,
) -> dict:
    """Tokenizer → model → training → held-out metrics → HF folder + GGUF in out_dir."""
    t0 = time.time()
    rng = random.Random(recipe.seed)
    torch.manual_seed(recipe.seed)
    train = [s for s in sources if not is_held_out(s.path + s.text[:64])]
    held = [s for s in sources if is_held_out(s.path + s.text[:64])]

    # 1. Tokenizer, trained on the training files only.
    first_pass = training_texts(train, family, rng)
    tok = train_tokenizer(first_pass, family, recipe.vocab_size)

    # 2. A Llama model from scratch.
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

    # 3. Training: fresh FIM holes every pass over the corpus, cosine learning rate.
    opt = torch.optim.AdamW(model.parameters(), lr=recipe.lr, weight_decay=0.05, betas=(0.9, 0.95))
    ids = _encode(tok, first_pass)
    seen_tokens, losses = 0, []
    model.train()
    for step in range(recipe.steps):
        if seen_tokens >= len(ids):
            ids, seen_tokens = _encode(tok, training_texts(train, family, rng)), 0
        lr = recipe.lr * min(1.0, (step + 1) / 50) * 0.5 * (1 + math.cos(math.pi * step / recipe.steps))
        for g in opt.param_groups:
            g["lr"] = max(lr, recipe.lr * 0.05)
        batch = _batches(ids, recipe.context, recipe.batch, rng)
        loss = model(batch[:, :-1], labels=batch[:, :-1].clone()).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        seen_tokens += batch.numel()
        losses.append(loss.item())
        if progress:
            progress(f"train loss {sum(losses[-20:]) / len(losses[-20:]):.3f}", step + 1, recipe.steps)

    # 4. Measure on files the model never saw.
    if progress:
        progress("held-out evaluation", recipe.steps, recipe.steps)
    metrics = held_out_metrics(model, tok, family, held, recipe)

    # 5. Save the HF folder (the transformers backend and LoRA training load it) and the GGUF.
    hf_dir = out_dir / "hf"
    hf_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(hf_dir, safe_serialization=True)
    PreTrainedTokenizerFast(tokenizer_object=tok, eos_token=family.eos, pad_token=family.eos).save_pretrained(hf_dir)
    gguf_path = export_gguf(hf_dir, out_dir / "model.gguf", family)
    info = {
        "family": family.name,
        "recipe": asdict(recipe),
        "parameters": n_params,
        "train_files": len(train),
        "held_out_files": len(held),
        "final_train_loss": round(sum(losses[-20:]) / max(1, len(losses[-20:])), 4),
        "build_seconds": round(time.time() - t0, 1),
        "gguf": str(gguf_path),
        **metrics,
    }
    (out_dir / "model.json").write_text(json.dumps(info, indent=2))
    return info
