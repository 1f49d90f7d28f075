"""LoRA fine-tuning of any Hugging Face causal LM on Hotwire examples. Read it top to bottom:

1. load the base (a folder or a hub name: configuration, never logic) and its tokenizer;
2. turn `Example` JSONL files and source trees into (prompt, target) items with the shared prompt
   module, so the model learns exactly the format the server asks in;
3. screen every target with the rules engine (anti-patterns, below);
4. order the items by difficulty and train with a progressive schedule (curriculum, below);
5. train LoRA adapters with AdamW, loss on target tokens only (prompt tokens are labelled -100);
6. measure target loss on the fixed held-out split (and on the training items) before and after;
7. save the adapter (`save_pretrained`) and `train.json` with the figures.

Anti-patterns (the seed's "penalised anti-patterns"): a *positive* item whose target the rules engine
flags with an error-level finding is DROPPED — we never teach code the engine rejects — and is listed
in train.json. Items from an explicit *negative* file (`negative=`) are the opposite: their target is
what the model must not write. They get no likelihood loss; instead an unlikelihood term
-log(1 - p(token)) on the target tokens that lie on the flagged lines (the anti-pattern itself, not the
`<%= link_to` that good code shares). A negative the engine does not flag is dropped too: it would
penalise code we accept.

Curriculum: items are sorted by (stage, target length) — stage 0 single-line FIM, 1 multi-line FIM,
2 instruction answers. Step s samples its batch from the first k items of that order, where k grows
linearly from `curriculum_start` of the items to all of them at `curriculum_warmup` of the run; later
steps keep replaying the easy items, so nothing learned early is forgotten.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from hotwire_assist.core.prompt import PromptFamily, Snippet, fim_training_text, get_family, instruction_prompt
from hotwire_assist.core.schemas import Example, FileText, read_examples
from hotwire_assist.training.corpus import SourceFile, is_held_out, load_sources, random_hole

STAGES = ("single-line FIM", "multi-line FIM", "instruction")


@dataclass
class FinetuneConfig:
    family: str = "hotwire-tiny"
    steps: int = 200
    batch: int = 8
    grad_accum: int = 1
    lr: float = 2e-4
    weight_decay: float = 0.0
    rank: int = 8
    alpha: int = 16
    dropout: float = 0.0
    target_modules: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj")
    max_len: int = 1024  # tokens per item; capped by the base's position limit
    fim_per_file: int = 4  # holes cut per source file
    curriculum_start: float = 0.34
    curriculum_warmup: float = 0.5
    unlikelihood_weight: float = 1.0
    penalise_severity: str = "error"
    eval_max: int = 64  # training items measured before/after (the held-out split is measured whole)
    seed: int = 1234


@dataclass
class Item:
    """One training item: the prompt the server would send, and the text the model should (not) write."""

    id: str
    prompt: str
    target: str
    stage: int
    held_out: bool
    negative: bool = False
    # character spans of `target` that the rules engine flags (where unlikelihood applies)
    bad_spans: list[tuple[int, int]] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)


# --- 2. examples → items ------------------------------------------------------------------------


def instruction_target(outputs: Sequence[FileText], family: PromptFamily) -> str:
    """The answer to an instruction prompt: each output file in the prompt's own `### File:` layout."""
    body = "\n".join(f"### File: {f.path}\n{f.content.rstrip()}\n" for f in outputs)
    return body + family.eos


def _line_spans(text: str, lines: Iterable[int]) -> list[tuple[int, int]]:
    """Character spans of the given 1-based lines of text."""
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    return [(starts[n - 1], starts[n]) for n in sorted(set(lines)) if 0 < n < len(starts)]


def _flagged(path: str, text: str, severity: str) -> dict[int, list[str]]:
    """Lines of one file the rules engine flags at `severity`: line → rules (in-process checks only)."""
    from hotwire_assist.core.rules import check_source

    lines: dict[int, list[str]] = {}
    for f in check_source(path, text, external=False):
        if f.severity == severity:
            for n in range(f.line, max(f.line, f.end_line) + 1):
                lines.setdefault(n, []).append(f.rule)
    return lines


def _screen(item: Item, files: list[tuple[int, str, str]], severity: str) -> Item:
    """Record which target characters the rules engine flags. `files` are (offset of the file's
    text within the target — negative for FIM, whose target starts mid-file —, path, whole file)."""
    for offset, path, text in files:
        flagged = _flagged(path, text, severity)
        for n in sorted(flagged):
            for a, b in _line_spans(text, [n]):
                a, b = max(a + offset, 0), min(b + offset, len(item.target))
                if a < b:  # the flagged line overlaps the target (not just the FIM prefix/suffix)
                    item.bad_spans.append((a, b))
                    item.rules.extend(flagged[n])
    item.rules = sorted(set(item.rules))
    return item


def fim_item(
    family: PromptFamily,
    id: str,
    path: str,
    prefix: str,
    middle: str,
    suffix: str,
    context: Sequence[Snippet],
    held_out: bool,
    severity: str,
    negative: bool = False,
) -> Item:
    prompt, target = fim_training_text(family, prefix, middle, suffix, path, context)
    item = Item(id, prompt, target, 0 if "\n" not in middle.strip("\n") else 1, held_out, negative)
    return _screen(item, [(-len(prefix), path, prefix + middle + suffix)], severity)


def example_item(ex: Example, family: PromptFamily, severity: str, negative: bool = False) -> Item:
    context = [Snippet(c.path, c.content) for c in ex.context]
    held = is_held_out(ex.id)
    if ex.kind == "fim":
        return fim_item(family, ex.id, ex.path, ex.prefix, ex.middle, ex.suffix, context, held, severity, negative)
    target = instruction_target(ex.output, family)
    item = Item(ex.id, instruction_prompt(ex.input, context), target, 2, held, negative)
    files, offset = [], 0
    for f in ex.output:
        offset += len(f"### File: {f.path}\n")
        files.append((offset, f.path, f.content))
        offset += len(f.content.rstrip()) + 2
    return _screen(item, files, severity)


def source_items(sources: list[SourceFile], family: PromptFamily, cfg: FinetuneConfig) -> list[Item]:
    """FIM holes cut from source files (mined code has no request text); held out by file, like tiny_model."""
    rng = random.Random(cfg.seed)
    items = []
    for src in sources:
        held = is_held_out(src.path + src.text[:64])
        for n in range(cfg.fim_per_file):
            prefix, middle, suffix = random_hole(src.text, rng)
            if middle.strip():
                id = f"{src.path}#{n}"
                items.append(fim_item(family, id, src.path, prefix, middle, suffix, (), held, cfg.penalise_severity))
    return items


def build_items(
    family: PromptFamily,
    cfg: FinetuneConfig,
    data: Sequence[Path] = (),
    sources: Sequence[Path] = (),
    negative: Sequence[Path] = (),
) -> tuple[list[Item], list[dict]]:
    """All items, and the ones dropped by the anti-pattern screen (with their rules) for train.json."""
    items = [example_item(ex, family, cfg.penalise_severity) for p in data for ex in read_examples(p)]
    for root in sources:
        items += source_items(load_sources(root), family, cfg)
    for p in negative:
        items += [example_item(ex, family, cfg.penalise_severity, negative=True) for ex in read_examples(p)]
    kept, dropped = [], []
    for it in items:
        if it.negative != bool(it.bad_spans):  # flagged positive, or a negative the engine accepts
            why = "negative example the rules engine does not flag" if it.negative else "target flagged"
            dropped.append({"id": it.id, "reason": why, "rules": it.rules})
        else:
            kept.append(it)
    return kept, dropped


# --- 4. curriculum ------------------------------------------------------------------------------


def order_items(items: list[Item], lengths: Sequence[int]) -> list[int]:
    """Indices of items from easiest to hardest: (stage, target tokens, id)."""
    return sorted(range(len(items)), key=lambda i: (items[i].stage, lengths[i], items[i].id))


def schedule(order: list[int], steps: int, batch: int, cfg: FinetuneConfig, rng: random.Random) -> list[list[int]]:
    """The batches of a progressive run: step s samples from the easiest k(s) items, k growing to all."""
    n, out = len(order), []
    warm = max(1, int(steps * cfg.curriculum_warmup))
    for s in range(steps):
        frac = min(1.0, cfg.curriculum_start + (1 - cfg.curriculum_start) * s / warm)
        pool = order[: max(1, min(n, math.ceil(n * frac)))]
        out.append([rng.choice(pool) for _ in range(batch)])
    return out


# --- 5. tokens, masks and the loss --------------------------------------------------------------


@dataclass
class Encoded:
    ids: list[int]
    labels: list[int]  # -100 on prompt tokens (and on every token of a negative item)
    ul_labels: list[int]  # token id where unlikelihood applies, else -100


def encode(tok, item: Item, max_len: int) -> Encoded:
    """Prompt and target are tokenized apart, as at inference the prompt is tokenized alone."""
    p = tok(item.prompt, add_special_tokens=False)["input_ids"]
    enc = tok(item.target, add_special_tokens=False, return_offsets_mapping=True)
    t, offsets = enc["input_ids"], enc["offset_mapping"]
    t = t[: max_len // 2 if p else max_len]
    offsets = offsets[: len(t)]
    p = p[-(max_len - len(t)) :] if len(p) + len(t) > max_len else p
    bad = [any(a < e and s < b for a, b in item.bad_spans) for s, e in offsets]
    ul = [tid if b else -100 for tid, b in zip(t, bad, strict=True)] if item.negative else [-100] * len(t)
    labels = [-100] * len(t) if item.negative else list(t)
    return Encoded(p + t, [-100] * len(p) + labels, [-100] * len(p) + ul)


def collate(batch: list[Encoded], pad_id: int, device: torch.device) -> dict[str, torch.Tensor]:
    """Right-pad to the longest item; padding is masked out of attention and loss."""
    width = max(len(e.ids) for e in batch)

    def pad(rows: list[list[int]], value: int) -> torch.Tensor:
        return torch.tensor([r + [value] * (width - len(r)) for r in rows], dtype=torch.long, device=device)

    return {
        "input_ids": pad([e.ids for e in batch], pad_id),
        "attention_mask": pad([[1] * len(e.ids) for e in batch], 0),
        "labels": pad([e.labels for e in batch], -100),
        "ul_labels": pad([e.ul_labels for e in batch], -100),
    }


def losses(model, b: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor, int]:
    """(mean target NLL, mean unlikelihood, target tokens). Only labelled positions reach log_softmax."""
    logits = model(input_ids=b["input_ids"], attention_mask=b["attention_mask"]).logits[:, :-1].float()
    labels, ul_labels = b["labels"][:, 1:], b["ul_labels"][:, 1:]
    zero = logits.sum() * 0.0
    nll, ul = zero, zero
    keep = labels != -100
    if keep.any():
        nll = torch.nn.functional.cross_entropy(logits[keep], labels[keep])
    bad = ul_labels != -100
    if bad.any():
        logp = torch.log_softmax(logits[bad], dim=-1).gather(1, ul_labels[bad][:, None]).squeeze(1)
        ul = -torch.log1p(-logp.exp().clamp(max=1 - 1e-6)).mean()
    return nll, ul, int(keep.sum())


@torch.no_grad()
def target_loss(model, encoded: list[Encoded], pad_id: int, device: torch.device, batch: int = 8) -> float | None:
    """Token-weighted mean NLL on target tokens: the figure that should go down."""
    model.eval()
    total, count = 0.0, 0
    for i in range(0, len(encoded), batch):
        nll, _, n = losses(model, collate(encoded[i : i + batch], pad_id, device))
        total, count = total + nll.item() * n, count + n
    model.train()
    return round(total / count, 4) if count else None


# --- the run ------------------------------------------------------------------------------------


def finetune(
    base: str | Path,
    out_dir: Path,
    cfg: FinetuneConfig,
    data: Sequence[Path] = (),
    sources: Sequence[Path] = (),
    negative: Sequence[Path] = (),
    show_progress: bool = True,
) -> dict:
    """Train a LoRA adapter on `base` and save it (with train.json) in out_dir; returns the figures."""
    from peft import LoraConfig, get_peft_model
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from transformers import AutoModelForCausalLM, AutoTokenizer

    t0 = time.time()
    random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    rng = random.Random(cfg.seed)
    family = get_family(cfg.family)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    # 1. The base model and tokenizer. The family's FIM tokens must be single tokens in its vocabulary.
    tok = AutoTokenizer.from_pretrained(str(base))
    missing = [t for t in family.special_tokens if len(tok(t, add_special_tokens=False)["input_ids"]) != 1]
    if missing:
        raise ValueError(f"{base}: tokens of prompt family '{family.name}' are not single tokens: {missing}")
    pad_id = tok.pad_token_id if tok.pad_token_id is not None else tok.convert_tokens_to_ids(family.eos)
    model = AutoModelForCausalLM.from_pretrained(str(base), dtype=torch.float32).to(device)
    max_len = min(cfg.max_len, getattr(model.config, "max_position_embeddings", cfg.max_len) or cfg.max_len)

    # 2-3. Items, screened by the rules engine; then tokens and masks.
    items, dropped = build_items(family, cfg, data, sources, negative)
    train = [it for it in items if not it.held_out]
    held = [it for it in items if it.held_out and not it.negative]
    if not train:
        raise ValueError("no training items (every item was held out or dropped)")
    enc_train = [encode(tok, it, max_len) for it in train]
    enc_held = [encode(tok, it, max_len) for it in held]
    enc_eval = [e for e, it in zip(enc_train, train, strict=True) if not it.negative][: cfg.eval_max]

    # 4. The progressive schedule.
    order = order_items(train, [len(e.ids) - e.labels.count(-100) for e in enc_train])
    batches = schedule(order, cfg.steps * cfg.grad_accum, cfg.batch, cfg, rng)

    # 5. LoRA adapters; only they train.
    lora = LoraConfig(
        r=cfg.rank,
        lora_alpha=cfg.alpha,
        lora_dropout=cfg.dropout,
        target_modules=list(cfg.target_modules),
        task_type="CAUSAL_LM",
    )
    model = get_peft_model(model, lora)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    autocast = device.type == "cuda" and torch.cuda.is_bf16_supported()

    # 6a. Before.
    def measure() -> dict[str, float | None]:
        held_loss = target_loss(model, enc_held, pad_id, device)
        return {"held_out_loss": held_loss, "train_loss": target_loss(model, enc_eval, pad_id, device)}

    before = measure()

    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    columns += [TextColumn("loss {task.fields[loss]:.3f}  ul {task.fields[ul]:.3f}  {task.fields[tps]:.0f} tok/s")]
    tokens, history, t_train = 0, [], time.time()
    with Progress(*columns, disable=not show_progress, transient=True) as bar:
        task = bar.add_task("LoRA", total=cfg.steps, loss=float("nan"), ul=0.0, tps=0.0)
        for step in range(cfg.steps):
            lr = cfg.lr * min(1.0, (step + 1) / 10) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * step / cfg.steps)))
            for g in opt.param_groups:
                g["lr"] = lr
            for micro in range(cfg.grad_accum):
                b = collate([enc_train[i] for i in batches[step * cfg.grad_accum + micro]], pad_id, device)
                with torch.autocast(device.type, dtype=torch.bfloat16, enabled=autocast):
                    nll, ul, _ = losses(model, b)
                ((nll + cfg.unlikelihood_weight * ul) / cfg.grad_accum).backward()
                tokens += int(b["attention_mask"].sum())
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            opt.zero_grad(set_to_none=True)
            history.append((nll.item(), ul.item()))
            tps = tokens / max(1e-9, time.time() - t_train)
            bar.update(task, advance=1, loss=nll.item(), ul=ul.item(), tps=tps)
    train_seconds = time.time() - t_train

    # 6b. After.
    after = measure()

    # 7. The adapter and the figures.
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out_dir))
    digest = hashlib.sha256()
    for it in items:
        digest.update(json.dumps([it.id, it.prompt, it.target, it.negative]).encode())
    info = {
        "base": str(base),
        "family": family.name,
        "config": asdict(cfg),
        "data": [str(p) for p in data],
        "sources": [str(p) for p in sources],
        "negative": [str(p) for p in negative],
        "data_sha256": digest.hexdigest(),
        "items": {"train": len(train), "held_out": len(held), "negative": sum(it.negative for it in train)},
        "stages": {name: sum(it.stage == n for it in train) for n, name in enumerate(STAGES)},
        "dropped": dropped,
        "trainable_parameters": sum(p.numel() for p in params),
        "before": before,
        "after": after,
        "final_loss": round(sum(h[0] for h in history[-10:]) / len(history[-10:]), 4),
        "final_unlikelihood": round(sum(h[1] for h in history[-10:]) / len(history[-10:]), 4),
        "tokens_per_second": round(tokens / max(1e-9, train_seconds), 1),
        "device": device.type,
        "seconds": round(time.time() - t0, 2),
    }
    (out_dir / "train.json").write_text(json.dumps(info, indent=2))
    return info
