"""LoRA fine-tuning of any Hugging Face causal LM on Hotwire examples. Read it top to bottom:

1. load the base (a folder or a hub name: configuration, never logic) and its tokenizer;
2. turn `Example` and `PreferencePair` JSONL files and source trees into (prompt, target) items with the
   shared prompt module, so the model learns exactly the format the server asks in;
3. screen every target with the rules engine (anti-patterns, below);
4. order the items by the curriculum and lay out every micro-batch of the run in advance;
5. train LoRA adapters with the transformers Trainer (checkpoints, resume, seeds, mixed precision,
   `accelerate launch` on several GPUs): loss on target tokens only, micro-batches packed into one row;
6. measure target loss on the fixed held-out split (and on the training items) before and after;
7. save the adapter (`save_pretrained`) and `train.json` with the config, data hash and figures.

Anti-patterns (the seed's "penalised anti-patterns"): a *positive* item whose target the rules engine
flags with an error-level finding is DROPPED — we never teach code the engine rejects — and is listed
in train.json. *Negative* items are the opposite: their target is what the model must not write. They
get no likelihood loss; instead an unlikelihood term -log(1 - p(token)) on the target tokens that lie on
the flagged lines (the anti-pattern itself, not the `<%= link_to` that good code shares). Negatives come
from `negative=` example files and from the `rejected` side of preference pairs (whose `chosen` side is a
positive). A negative example file's item the engine does not flag is dropped (it would penalise code we
accept). A pair's rejected side is bad by the pair's own label: it is penalised on the lines the engine
flags (any severity) and on the lines where it differs from `chosen`; a rejected suggestion without a
chosen side (a telemetry dismissal) is penalised whole.
We chose unlikelihood over DPO: it needs no reference model (half the memory, one forward pass), works
on FIM and instruction items alike, and aims the penalty at the flagged tokens rather than the sequence.

Curriculum (the seed's progressive schedule, configurable as `curriculum`): each item goes to the stage
whose selector matches it MOST SPECIFICALLY — "fim-line", "fim-block", "instruction", optionally with a
category prefix ("instruction:turbo-streams/", ":advanced/security" for any kind); the longest matching
category prefix wins, then a selector naming the kind, then the earlier stage. So ":advanced/performance"
takes performance examples from the broader "instruction:advanced/" and every stage the data supports
fills; unmatched items go to the last stage. Items are ordered by (stage, target length). Micro-step s
samples its items from the first k of that order, k growing linearly from `curriculum_start` of the items
to all of them at `curriculum_warmup` of the run; later steps keep replaying the easy items, so nothing is forgotten.

Packing: a micro-batch's items are concatenated into one row with position ids restarting per item;
transformers turns those into a block-diagonal attention mask, so items never see each other and no
token is padding. `packing = false` pads instead (the plain-Trainer baseline of the benchmark).
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import json
import math
import os
import random
import re
import time
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import torch

from hotwire_assist.core.prompt import (
    DEFAULT_PROMPT_CHARS,
    PromptFamily,
    Snippet,
    context_budget,
    fim_training_text,
    get_family,
    instruction_prompt,
    instruction_target,
)
from hotwire_assist.core.schemas import Example, PreferencePair, read_examples, read_pairs
from hotwire_assist.training.corpus import (
    SourceFile,
    hole_request,
    is_held_out,
    load_sources,
    random_hole,
    record_held_out,
)

# The seed's progressive schedule: vocabulary/basic patterns → complex interactions → performance →
# security and accessibility.
DEFAULT_CURRICULUM: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("vocabulary", ("fim-line",)),
    (
        "basic patterns",
        ("fim-block", "instruction:turbo-frames/", "instruction:stimulus/targets", "instruction:stimulus/values"),
    ),
    ("complex interactions", ("instruction:turbo-streams/", "instruction:stimulus/", "instruction:advanced/")),
    ("performance", (":advanced/performance",)),
    ("security and accessibility", (":advanced/security", ":advanced/accessibility")),
)


@dataclass
class FinetuneConfig:
    family: str = "hotwire-tiny"
    steps: int = 200
    batch: int = 8  # items per micro-batch
    grad_accum: int = 1
    lr: float = 2e-4
    warmup_steps: int = 10
    weight_decay: float = 0.0
    rank: int = 8
    alpha: int = 16
    dropout: float = 0.0
    target_modules: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj")
    max_len: int = 1024  # tokens per item; capped by the base's position limit
    packing: bool = True
    fim_per_file: int = 4  # holes cut per source file
    # related-file context for holes cut from source trees, sized as the server sends it (core.prompt.context_budget);
    # 0 turns it off. `context_examples`: a folder of example JSONL to retrieve from, as the server does
    context_chars: int = context_budget(DEFAULT_PROMPT_CHARS)
    context_examples: str | None = None
    curriculum: tuple[tuple[str, tuple[str, ...]], ...] = DEFAULT_CURRICULUM
    curriculum_start: float = 0.34
    curriculum_warmup: float = 0.5
    unlikelihood_weight: float = 1.0
    penalise_severity: str = "error"
    eval_max: int = 64  # training items measured before/after (the held-out split is measured whole)
    save_steps: int = 50  # checkpoint interval; a rerun with the same output resumes from the last one
    skip_bad_lines: bool = False  # skip (and report) malformed JSONL lines instead of failing the run
    seed: int = 1234


@dataclass
class Item:
    """One training item: the prompt the server would send, and the text the model should (not) write."""

    id: str
    prompt: str
    target: str
    kind: str  # "fim-line", "fim-block" or "instruction": what the curriculum selects on
    category: str
    held_out: bool
    negative: bool = False
    stage: int = 0
    # character spans of `target` that the rules engine flags (where unlikelihood applies)
    bad_spans: list[tuple[int, int]] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)


def stage_of(kind: str, category: str, curriculum: Sequence[tuple[str, Sequence[str]]]) -> int:
    """The stage whose selector matches (kind, category) most specifically: longest category prefix,
    then a selector naming the kind, then the earlier stage; the last stage when none matches.
    (First-match assignment let "instruction:advanced/" empty the performance and security stages.)"""
    best: tuple[int, int, int] | None = None
    for n, (_, selectors) in enumerate(curriculum):
        for sel in selectors:
            k, _, prefix = sel.partition(":")
            if (not k or k == kind) and category.startswith(prefix):
                rank = (len(prefix), bool(k), -n)
                best = rank if best is None or rank > best else best
    return -best[2] if best is not None else len(curriculum) - 1


# --- 2. examples → items ------------------------------------------------------------------------


def _line_spans(text: str, lines: Iterable[int]) -> list[tuple[int, int]]:
    """Character spans of the given 1-based lines of text."""
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    return [(starts[n - 1], starts[n]) for n in sorted(set(lines)) if 0 < n < len(starts)]


def _flagged(path: str, text: str, severity: str) -> dict[int, list[str]]:
    """Lines of one file the rules engine flags at `severity`: line → rules (in-process checks only)."""
    return {n: list(rules) for n, rules in _findings(path, text).get(severity, {}).items()}


@functools.lru_cache(maxsize=4096)
def _findings(path: str, text: str) -> dict[str, dict[int, tuple[str, ...]]]:
    """severity → line → rules of one file, computed once: an example's file is screened for its own item
    and again for every FIM hole cut from it (and a pair's rejected side at three severities)."""
    from hotwire_assist.core.rules import check_source

    out: dict[str, dict[int, list[str]]] = {}
    for f in check_source(path, text, external=False):
        for n in range(f.line, max(f.line, f.end_line) + 1):
            out.setdefault(f.severity, {}).setdefault(n, []).append(f.rule)
    return {sev: {n: tuple(r) for n, r in lines.items()} for sev, lines in out.items()}


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
    cfg: FinetuneConfig,
    category: str = "",
    negative: bool = False,
) -> Item:
    prompt, target = fim_training_text(family, prefix, middle, suffix, path, context)
    kind = "fim-line" if "\n" not in middle.strip("\n") else "fim-block"
    item = Item(id, prompt, target, kind, category, held_out, negative, stage_of(kind, category, cfg.curriculum))
    return _screen(item, [(-len(prefix), path, prefix + middle + suffix)], cfg.penalise_severity)


def instruction_item(
    family: PromptFamily,
    id: str,
    request: str,
    context: Sequence[Snippet],
    outputs: Sequence[Snippet],
    held_out: bool,
    cfg: FinetuneConfig,
    category: str,
    negative: bool = False,
) -> Item:
    target = instruction_target(outputs, family)
    stage = stage_of("instruction", category, cfg.curriculum)
    item = Item(id, instruction_prompt(request, context), target, "instruction", category, held_out, negative, stage)
    files, offset = [], 0
    for f in outputs:
        offset += len(f"### File: {f.path}\n")
        files.append((offset, f.path, f.text))
        offset += len(f.text.rstrip()) + 2
    return _screen(item, files, cfg.penalise_severity)


def example_item(ex: Example, family: PromptFamily, cfg: FinetuneConfig, negative: bool = False) -> Item:
    """The example itself as one item."""
    context = [Snippet(c.path, c.content) for c in ex.context]
    held = record_held_out(ex)  # by source file: every hole of a held-out file stays out of training
    if ex.kind == "fim":
        r = hole_request(SourceFile(ex.path, ""), ex.prefix, ex.suffix)  # the request served at this hole
        return fim_item(family, ex.id, r.path, r.prefix, ex.middle, r.suffix, context, held, cfg, ex.category, negative)
    outputs = [Snippet(f.path, f.content) for f in ex.output]
    return instruction_item(family, ex.id, ex.input, context, outputs, held, cfg, ex.category, negative)


def example_items(ex: Example, family: PromptFamily, cfg: FinetuneConfig) -> list[Item]:
    """A positive example's item, plus FIM holes cut from an instruction example's output files (on the
    example's side of the held-out split, so a held-out example never leaks into training through its code)."""
    items = [example_item(ex, family, cfg)]
    rng = random.Random(f"{cfg.seed}:{ex.id}")
    for f in ex.output if ex.kind == "instruction" else []:
        for n in range(cfg.fim_per_file if f.content.strip() else 0):
            prefix, middle, suffix = random_hole(f.content, rng)
            if middle.strip():
                hid = f"{ex.id}:{f.path}#{n}"
                r = hole_request(SourceFile(f.path, f.content), prefix, suffix)
                held = items[0].held_out
                items.append(fim_item(family, hid, r.path, r.prefix, middle, r.suffix, (), held, cfg, ex.category))
    return items


def _differing_spans(text: str, other: str) -> list[tuple[int, int]]:
    """Character spans of the lines of `text` that `other` does not have (where a rejected side goes wrong)."""
    a, b = text.splitlines(keepends=True), other.splitlines(keepends=True)
    starts = [0]
    for line in a:
        starts.append(starts[-1] + len(line))
    spans = []
    for op, i1, i2, _, _ in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op in ("replace", "delete") and any(line.strip() for line in a[i1:i2]):
            spans.append((starts[i1], starts[i2]))
    return spans


def pair_items(pair: PreferencePair, family: PromptFamily, cfg: FinetuneConfig) -> list[Item]:
    """`chosen` (when known) as a positive item and `rejected` as a negative one, built the same way.
    The rejected side is labelled bad by the pair itself: it is penalised where the rules engine flags it
    at any severity and where it differs from `chosen` (the whole of it when there is no chosen side)."""
    context = [Snippet(c.path, c.content) for c in pair.context]
    held = record_held_out(pair)
    out = []
    for side, text, negative in (("chosen", pair.chosen, False), ("rejected", pair.rejected, True)):
        if not text:  # a dismissal: only the rejected side is known
            continue
        id = f"{pair.id}:{side}"
        if pair.kind == "fim":
            it = fim_item(
                family, id, pair.path, pair.prefix, text, pair.suffix, context, held, cfg, pair.category, negative
            )
            offset = 0
        else:
            it = instruction_item(
                family, id, pair.input, context, [Snippet(pair.path, text)], held, cfg, pair.category, negative
            )
            offset = len(f"### File: {pair.path}\n")
        if negative:
            body = len(it.target) - len(family.eos)
            for severity in ("warning", "info"):  # the label says it is bad: findings of any severity count
                if severity != cfg.penalise_severity:
                    _screen(it, [(-len(pair.prefix) + offset, pair.path, pair.prefix + text + pair.suffix)], severity)
            spans = _differing_spans(text, pair.chosen) if pair.chosen else [(0, len(text))]
            for a, b in spans:
                a, b = min(a + offset, body), min(b + offset, body)
                if a < b:
                    it.bad_spans.append((a, b))
            if spans and not it.rules:
                it.rules = ["telemetry/dismissed"] if not pair.chosen else ["pair/rejected"]
            it.bad_spans = [(a, min(b, body)) for a, b in it.bad_spans if a < body]  # never the end token
        out.append(it)
    return out


def source_items(sources: list[SourceFile], family: PromptFamily, cfg: FinetuneConfig) -> list[Item]:
    """FIM holes cut from source files (mined code has no request text); held out by file, like tiny_model.
    Each prompt carries the related files of the hole's app, built by core.context exactly as the server
    builds them for a completion there (same ranking, budget and query), so training matches serving."""
    from hotwire_assist.core.appindex import index_app, rails_app_root
    from hotwire_assist.core.context import ExampleRetriever

    rng = random.Random(cfg.seed)
    indexes: dict[Path, object] = {}
    retriever = ExampleRetriever.from_folder(Path(cfg.context_examples)) if cfg.context_examples else None
    items = []
    for src in sources:
        held = is_held_out(src.path + src.text[:64])
        root = rails_app_root(src.origin) if src.origin is not None and cfg.context_chars else None
        if root is not None and root not in indexes:
            indexes[root] = index_app(root)
        for n in range(cfg.fim_per_file):
            prefix, middle, suffix = random_hole(src.text, rng)
            if not middle.strip():
                continue
            r = hole_request(src, prefix, suffix, indexes.get(root), cfg.context_chars, retriever)  # as served
            items.append(fim_item(family, f"{src.path}#{n}", r.path, r.prefix, middle, r.suffix, r.context, held, cfg))
    return items


@dataclass
class DataSpec:
    """Where a run's items come from. Globs are expanded by the caller (see load_run_config)."""

    data: list[Path] = field(default_factory=list)  # Example JSONL
    sources: list[Path] = field(default_factory=list)  # source trees to cut FIM holes from
    negative: list[Path] = field(default_factory=list)  # Example JSONL of anti-patterns
    pairs: list[Path] = field(default_factory=list)  # PreferencePair JSONL
    notes: list[str] = field(default_factory=list)  # e.g. a glob that matched no file (nothing read from it)


def build_items(family: PromptFamily, cfg: FinetuneConfig, spec: DataSpec) -> tuple[list[Item], list[dict], list[str]]:
    """All items; the ones dropped by the anti-pattern screen (with their rules); malformed lines skipped."""
    from hotwire_assist.training.dataset import is_pairs_file

    problems: list[str] = []
    read = {"skip_bad": cfg.skip_bad_lines, "problems": problems}
    # a data glob may match a pairs file (curated/*.jsonl): read it as pairs, and each file once
    pair_paths = list(dict.fromkeys([*spec.pairs, *(p for p in spec.data if is_pairs_file(p))]))
    data_paths = [p for p in dict.fromkeys(spec.data) if p not in pair_paths]
    items = [it for p in data_paths for ex in read_examples(p, **read) for it in example_items(ex, family, cfg)]
    for root in spec.sources:
        items += source_items(load_sources(root), family, cfg)
    for p in spec.negative:
        items += [example_item(ex, family, cfg, negative=True) for ex in read_examples(p, **read)]
    for p in pair_paths:
        items += [it for pair in read_pairs(p, **read) for it in pair_items(pair, family, cfg)]
    kept, dropped = [], []
    for it in items:
        if it.negative != bool(it.bad_spans):  # flagged positive, or a negative the engine accepts
            why = "negative example the rules engine does not flag" if it.negative else "target flagged"
            dropped.append({"id": it.id, "reason": why, "rules": it.rules})
        else:
            kept.append(it)
    return kept, dropped, problems


# --- 4. curriculum ------------------------------------------------------------------------------


def order_items(items: list[Item], lengths: Sequence[int]) -> list[int]:
    """Indices of items from easiest to hardest: (stage, target tokens, id)."""
    return sorted(range(len(items)), key=lambda i: (items[i].stage, lengths[i], items[i].id))


def schedule(order: list[int], steps: int, batch: int, cfg: FinetuneConfig, rng: random.Random) -> list[list[int]]:
    """The micro-batches of a progressive run: step s samples from the easiest k(s) items, k growing to all."""
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


def collate(batch: list[Encoded], pad_id: int) -> dict[str, torch.Tensor]:
    """Right-pad to the longest item; padding is masked out of attention and loss."""
    width = max(len(e.ids) for e in batch)

    def pad(rows: list[list[int]], value: int) -> torch.Tensor:
        return torch.tensor([r + [value] * (width - len(r)) for r in rows], dtype=torch.long)

    return {
        "input_ids": pad([e.ids for e in batch], pad_id),
        "attention_mask": pad([[1] * len(e.ids) for e in batch], 0),
        "labels": pad([e.labels for e in batch], -100),
        "ul_labels": pad([e.ul_labels for e in batch], -100),
    }


def pack(batch: list[Encoded], row_len: int) -> dict:
    """Rows of at most `row_len` tokens, each holding several items first-fit (longest first), position
    ids restarting per item (no cross-attention); rows are padded to the longest with a block of their own.
    Short rows keep attention cost at rows × row_len² instead of one row's (all tokens)². An item's first
    token is never a label: it would be predicted from the previous item."""
    rows: list[list[Encoded]] = []
    for e in sorted(batch, key=lambda e: -len(e.ids)):
        fit = next((r for r in rows if sum(len(x.ids) for x in r) + len(e.ids) <= row_len), None)
        (fit.append(e) if fit is not None else rows.append([e]))
    width = max(sum(len(x.ids) for x in r) for r in rows)
    out: dict[str, list[list[int]]] = {"input_ids": [], "position_ids": [], "labels": [], "ul_labels": []}
    for r in rows:
        row: dict[str, list[int]] = {k: [] for k in out}
        for e in r:
            row["input_ids"] += e.ids
            row["position_ids"] += list(range(len(e.ids)))
            row["labels"] += [-100, *e.labels[1:]]
            row["ul_labels"] += [-100, *e.ul_labels[1:]]
        pad = width - len(row["input_ids"])
        row["input_ids"] += [0] * pad
        row["position_ids"] += list(range(pad))
        row["labels"] += [-100] * pad
        row["ul_labels"] += [-100] * pad
        for k in out:
            out[k].append(row[k])
    packed = {k: torch.tensor(v, dtype=torch.long) for k, v in out.items()}
    packed["real_tokens"] = sum(len(e.ids) for e in batch)  # a plain int: counting it needs no GPU sync
    packed["has_negative"] = any(t != -100 for e in batch for t in e.ul_labels)
    return packed


def losses(model, b: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(mean target NLL, mean unlikelihood, target tokens) as tensors: nothing here waits for the GPU.
    The unlikelihood term is computed only for batches the collator marked as holding negatives."""
    out = model(
        input_ids=b["input_ids"],
        attention_mask=b.get("attention_mask"),
        position_ids=b.get("position_ids"),
        use_cache=False,  # with a cache, transformers would not see the packed sequences
    )
    logits = out.logits[:, :-1].float()
    labels = b["labels"][:, 1:]
    count = (labels != -100).sum()
    nll = torch.nn.functional.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index=-100, reduction="sum")
    nll = nll / count.clamp(min=1)
    ul = logits.sum() * 0.0
    if b.get("has_negative", True):
        ul_labels = b["ul_labels"][:, 1:]
        bad = ul_labels != -100
        logp = torch.log_softmax(logits, dim=-1).gather(2, ul_labels.clamp(min=0)[..., None]).squeeze(2)
        penalty = -torch.log1p(-logp.exp().clamp(max=1 - 1e-6))
        ul = (penalty * bad).sum() / bad.sum().clamp(min=1)
    return nll, ul, count


@torch.no_grad()
def target_loss(model, encoded: list[Encoded], pad_id: int, batch: int = 8) -> float | None:
    """Token-weighted mean NLL on target tokens: the figure that should go down."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    total, count = 0.0, 0
    for i in range(0, len(encoded), batch):
        b = {k: v.to(device) for k, v in collate(encoded[i : i + batch], pad_id).items()}
        nll, _, n = losses(model, b)
        total, count = total + nll.item() * int(n), count + int(n)
    model.train(was_training)
    return round(total / count, 4) if count else None


# --- 5. the Trainer -----------------------------------------------------------------------------


class MicroBatches(torch.utils.data.Dataset):
    """Micro-batch i of the laid-out schedule; the Trainer reads them in order (one per device step)."""

    def __init__(self, encoded: list[Encoded], batches: list[list[int]]):
        self.encoded, self.batches = encoded, batches

    def __len__(self) -> int:
        return len(self.batches)

    def __getitem__(self, i: int) -> list[Encoded]:
        return [self.encoded[j] for j in self.batches[i]]


def _trainer_class():
    """Defined lazily: importing transformers is slow, and only a run needs it."""
    from transformers import Trainer

    class HotwireTrainer(Trainer):
        """The Trainer with our loss: target NLL + weighted unlikelihood on flagged negative tokens."""

        loss_is_scaled_for_ga = False  # a per-micro-batch mean: the Trainer divides by grad_accum

        def __init__(self, *args, unlikelihood_weight: float = 1.0, **kwargs):
            super().__init__(*args, **kwargs)
            self.unlikelihood_weight = unlikelihood_weight
            self.last = (torch.tensor(float("nan")), torch.tensor(0.0))
            self.tokens = 0

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            real = inputs.pop("real_tokens", None)
            nll, ul, _ = losses(model, inputs)
            self.last = (nll.detach(), ul.detach())  # read by the progress bar only: no GPU sync per step
            self.tokens += real if real is not None else int(inputs["attention_mask"].sum())  # no padding
            loss = nll + self.unlikelihood_weight * ul
            return (loss, None) if return_outputs else loss

    return HotwireTrainer


def _progress_callback(steps: int, show: bool):
    """Per-step progress on stderr: step, loss, unlikelihood, tokens/s and ETA (the Trainer's tqdm is off).
    A terminal gets a live rich bar; a log or pipe gets one plain line every ~5 % of the run, so a CI log
    or `| tee` shows the run moving too."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from transformers import TrainerCallback

    console = Console(stderr=True)

    class RichProgress(TrainerCallback):
        def __init__(self):
            columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn()]
            columns += [TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn()]
            columns += [
                TextColumn("loss {task.fields[loss]:.3f}  ul {task.fields[ul]:.3f}  {task.fields[tps]:.0f} tok/s")
            ]
            self.live = show and console.is_terminal
            self.bar = Progress(*columns, disable=not self.live, console=console)
            self.every = max(1, steps // 20)
            self.trainer = None
            self.t0 = 0.0
            self.start_step = 0
            self.task = None

        def on_train_begin(self, args, state, control, **kw):
            self.bar.start()
            self.t0 = time.time()
            self.start_step = state.global_step
            self.task = self.bar.add_task(
                "LoRA", total=steps, completed=state.global_step, loss=float("nan"), ul=0.0, tps=0.0
            )

        def on_step_end(self, args, state, control, **kw):
            if not show:
                return
            nll, ul = (float(x) for x in self.trainer.last)
            elapsed = max(1e-9, time.time() - self.t0)
            tps = self.trainer.tokens / elapsed
            self.bar.update(self.task, completed=state.global_step, loss=nll, ul=ul, tps=tps)
            step = state.global_step
            if not self.live and (step % self.every == 0 or step == steps):
                done = max(1, step - self.start_step)
                eta = elapsed / done * (steps - step)
                console.print(
                    f"step {step}/{steps}  loss {nll:.3f}  ul {ul:.3f}  {tps:.0f} tok/s  "
                    f"elapsed {elapsed:.0f}s  eta {eta:.0f}s",
                    highlight=False,
                )

        def on_train_end(self, args, state, control, **kw):
            self.bar.stop()

    return RichProgress()


def _note(message: str) -> None:
    from rich.console import Console

    Console(stderr=True).print(message, highlight=False)


RUN_STATE = "run-state.json"  # in the checkpoints folder: what the checkpoints were trained on


def _resume_point(ckpt_dir: Path, digest: str, cfg: FinetuneConfig, resume: bool, restart: bool) -> str | None:
    """The checkpoint to resume from, or None to start fresh. A checkpoint of other data or another
    configuration is refused (it would be recorded as trained on the new data): restart discards it."""
    import shutil

    state = {"data_sha256": digest, "config": _config_key(cfg)}
    if restart and ckpt_dir.exists():
        shutil.rmtree(ckpt_dir)
    last = _last_complete_checkpoint(ckpt_dir)
    if last is not None and resume:
        try:
            saved = json.loads((ckpt_dir / RUN_STATE).read_text())
        except (OSError, ValueError):
            saved = {}
        changed = [k for k in state if saved.get(k) != state[k]]
        if changed:
            what = " and ".join("data" if k == "data_sha256" else "configuration" for k in changed)
            raise ValueError(
                f"refusing to resume: {Path(last).name} in {ckpt_dir} was trained on different {what}. "
                f"Rerun with --restart to discard the checkpoints and start over, or restore the original {what} "
                "to resume"
            )
    elif last is not None:  # not resuming: the old checkpoints must not mix with this run's
        shutil.rmtree(ckpt_dir)
        last = None
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    (ckpt_dir / RUN_STATE).write_text(json.dumps(state, indent=2))
    return last


def _last_complete_checkpoint(ckpt_dir: Path) -> str | None:
    """The newest checkpoint the Trainer finished writing (its trainer_state.json, written last, reads
    back), or None. A run killed while saving leaves a newer, partial folder: it is removed, not resumed."""
    import shutil

    from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR

    if not ckpt_dir.is_dir():
        return None
    steps = sorted(
        (
            (int(m.group(1)), p)
            for p in ckpt_dir.iterdir()
            if (m := re.fullmatch(rf"{PREFIX_CHECKPOINT_DIR}-(\d+)", p.name))
        ),
        reverse=True,
    )
    for _, folder in steps:
        try:
            json.loads((folder / "trainer_state.json").read_text())
            return str(folder)
        except (OSError, ValueError):
            _note(f"removing {folder.name}: the run stopped while saving it; resuming from the one before")
            shutil.rmtree(folder, ignore_errors=True)
    return None


def _config_key(cfg: FinetuneConfig) -> dict:
    """The configuration that shapes the laid-out run (not bookkeeping such as checkpoint intervals)."""
    skip = {"save_steps", "eval_max", "skip_bad_lines"}
    return json.loads(json.dumps({k: v for k, v in asdict(cfg).items() if k not in skip}))


def data_digest(items: Iterable[Item]) -> str:
    digest = hashlib.sha256()
    for it in items:
        digest.update(json.dumps([it.id, it.prompt, it.target, it.negative]).encode())
    return digest.hexdigest()


# --- the run ------------------------------------------------------------------------------------


def finetune(
    base: str | Path,
    out_dir: Path,
    cfg: FinetuneConfig,
    spec: DataSpec,
    show_progress: bool = True,
    resume: bool = True,
    restart: bool = False,
) -> dict:
    """Train a LoRA adapter on `base` and save it (with train.json) in out_dir; returns the figures.
    Checkpoints go to out_dir/checkpoints; with `resume`, a run picks up from the last one there — only
    when its items and configuration are the ones the checkpoints were trained on (else ValueError);
    `restart` discards the checkpoints and starts over."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer, PrinterCallback, TrainingArguments, set_seed

    t0 = time.time()
    set_seed(cfg.seed)
    family = get_family(cfg.family)
    cuda = torch.cuda.is_available()

    # 1. The base model and tokenizer. The family's FIM tokens must be single tokens in its vocabulary.
    tok = AutoTokenizer.from_pretrained(str(base))
    missing = [t for t in family.special_tokens if len(tok(t, add_special_tokens=False)["input_ids"]) != 1]
    if missing:
        raise ValueError(f"{base}: tokens of prompt family '{family.name}' are not single tokens: {missing}")
    pad_id = tok.pad_token_id if tok.pad_token_id is not None else tok.convert_tokens_to_ids(family.eos)
    model = AutoModelForCausalLM.from_pretrained(str(base), dtype=torch.float32)
    max_len = min(cfg.max_len, getattr(model.config, "max_position_embeddings", cfg.max_len) or cfg.max_len)

    # 2-3. Items, screened by the rules engine; then tokens and masks.
    items, dropped, problems = build_items(family, cfg, spec)
    train = [it for it in items if not it.held_out]
    held = [it for it in items if it.held_out and not it.negative]
    if not train:
        raise ValueError("no training items (every item was held out or dropped)")
    enc_train = [encode(tok, it, max_len) for it in train]
    enc_held = [encode(tok, it, max_len) for it in held]
    enc_eval = [e for e, it in zip(enc_train, train, strict=True) if not it.negative][: cfg.eval_max]

    # 4. The progressive schedule, laid out for the whole run.
    order = order_items(train, [len(e.ids) - e.labels.count(-100) for e in enc_train])
    batches = schedule(order, cfg.steps * cfg.grad_accum, cfg.batch, cfg, random.Random(cfg.seed))

    # 5. LoRA adapters (only they train), driven by the Trainer.
    lora = LoraConfig(
        r=cfg.rank,
        lora_alpha=cfg.alpha,
        lora_dropout=cfg.dropout,
        target_modules=list(cfg.target_modules),
        task_type="CAUSAL_LM",
    )
    model = get_peft_model(model, lora)
    if cuda:
        model.to("cuda")
    if show_progress:
        _note(f"{len(train)} training items, {len(held)} held out; measuring target loss before training")
    before = {"held_out_loss": target_loss(model, enc_held, pad_id), "train_loss": target_loss(model, enc_eval, pad_id)}

    ckpt_dir = out_dir / "checkpoints"
    last = _resume_point(ckpt_dir, data_digest(items), cfg, resume, restart)
    args = TrainingArguments(
        output_dir=str(ckpt_dir),
        max_steps=cfg.steps,
        per_device_train_batch_size=1,  # one laid-out micro-batch per device step
        gradient_accumulation_steps=cfg.grad_accum,
        learning_rate=cfg.lr,
        lr_scheduler_type="cosine",
        warmup_steps=min(cfg.warmup_steps, max(0, cfg.steps // 10)),
        weight_decay=cfg.weight_decay,
        max_grad_norm=1.0,
        seed=cfg.seed,
        data_seed=cfg.seed,
        train_sampling_strategy="sequential",  # the curriculum already ordered and sampled the batches
        save_strategy="steps",
        save_steps=cfg.save_steps,
        save_total_limit=2,
        logging_steps=max(1, cfg.steps // 50),
        bf16=cuda and torch.cuda.is_bf16_supported(),
        fp16=cuda and not torch.cuda.is_bf16_supported(),
        remove_unused_columns=False,
        dataloader_num_workers=0,
        dataloader_pin_memory=cuda,
        report_to=[],
        disable_tqdm=True,
    )
    Trainer = _trainer_class()
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=MicroBatches(enc_train, batches),
        data_collator=(lambda b: pack(b[0], max_len)) if cfg.packing else (lambda b: collate(b[0], pad_id)),
        unlikelihood_weight=cfg.unlikelihood_weight,
    )
    progress = _progress_callback(cfg.steps, show_progress)
    progress.trainer = trainer
    trainer.add_callback(progress)
    trainer.remove_callback(PrinterCallback)  # the rich bar reports progress; no dict per logging step
    t_train = time.time()
    result = trainer.train(resume_from_checkpoint=last)
    train_seconds = time.time() - t_train

    # 6. After.
    after = {"held_out_loss": target_loss(model, enc_held, pad_id), "train_loss": target_loss(model, enc_eval, pad_id)}
    losses_logged = [h["loss"] for h in trainer.state.log_history if "loss" in h]

    # 7. The adapter and the figures.
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out_dir))
    tok.save_pretrained(str(out_dir))
    info = {
        "base": str(base),
        "family": family.name,
        "config": asdict(cfg),
        "data": {k: [str(p) for p in v] for k, v in asdict(spec).items() if k != "notes"},
        "data_notes": spec.notes,
        "data_sha256": data_digest(items),
        "items": {"train": len(train), "held_out": len(held), "negative": sum(it.negative for it in train)},
        "stages": {name: sum(it.stage == n for it in train) for n, (name, _) in enumerate(cfg.curriculum)},
        "dropped": dropped,
        "skipped_lines": problems,
        "resumed_from": last,
        "trainable_parameters": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "before": before,
        "after": after,
        "final_loss": round(sum(losses_logged[-5:]) / len(losses_logged[-5:]), 4) if losses_logged else None,
        "train_runtime_loss": round(result.training_loss, 4),
        "tokens_per_second": round(trainer.tokens / max(1e-9, train_seconds), 1),
        "device": "cuda" if cuda else "cpu",
        "seconds": round(time.time() - t0, 2),
    }
    (out_dir / "train.json").write_text(json.dumps(info, indent=2))
    return info


# --- run configuration files --------------------------------------------------------------------

DEFAULT_BASE = "default"  # the embedded default model's Hugging Face folder (`model build-default` writes it)


def resolve_base(base: str, here: Path = Path(".")) -> str:
    """A run file's or command's base: "default" → the embedded model's hf/ folder in the data dir; `~`
    expanded; a folder relative to `here` when one exists there; anything else is a hub name."""
    from hotwire_assist.core.config import default_model_dir

    if base == DEFAULT_BASE:
        hf = default_model_dir() / "hf"
        if not hf.is_dir():
            raise ValueError(f'base = "default" needs the embedded model ({hf}): `hotwire-assist model build-default`')
        return str(hf)
    path = Path(base).expanduser()
    if (here / path).exists():
        return str(here / path)
    return str(path) if path.exists() else base


def load_run_config(path: Path) -> tuple[str, Path, FinetuneConfig, DataSpec]:
    """(base, output dir, config, data) from a TOML run file; paths and globs are relative to the file.

    base = "models/base"            # a folder, a hub name, or "default" (the embedded model's hf/ folder)
    output = "runs/lora1"
    data = ["training/curated/*.jsonl"]
    pairs = ["training/curated/pairs.jsonl"]
    sources = []                    # source trees to cut FIM holes from
    negative = []
    [train]                         # any FinetuneConfig field: steps, batch, lr, rank, packing, ...
    [[curriculum]]                  # optional: replaces the default stages, in order
    name = "vocabulary"
    select = ["fim-line"]
    """
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ValueError(f"{path}: {e}") from None
    here = path.parent

    notes: list[str] = []

    def paths(key: str) -> list[Path]:
        """A named file must exist; a glob may match nothing (a data folder not filled yet), said in notes."""
        out: list[Path] = []
        for pattern in raw.get(key, []):
            if any(c in pattern for c in "*?["):
                matches = sorted(Path(os.path.normpath(m)) for m in here.glob(pattern))  # no "x/../"
                if not matches:
                    notes.append(f"{path}: {key} = {pattern!r} matches no file")
            elif not (here / pattern).exists():
                raise ValueError(f"{path}: {key} = {pattern!r} matches no file")
            else:
                matches = [Path(os.path.normpath(here / pattern))]
            out += matches
        return out

    for key in ("base", "output"):
        if not isinstance(raw.get(key), str):
            raise ValueError(f"{path}: `{key}` is required (a string)")
    known = {f.name for f in fields(FinetuneConfig)} - {"curriculum"}
    train = dict(raw.get("train", {}))
    unknown = sorted(set(train) - known)
    if unknown:
        raise ValueError(f"{path}: unknown [train] setting(s) {unknown}; known: {sorted(known)}")
    if "target_modules" in train:
        train["target_modules"] = tuple(train["target_modules"])
    if "curriculum" in raw:
        train["curriculum"] = tuple((s["name"], tuple(s["select"])) for s in raw["curriculum"])
    base = resolve_base(raw["base"], here)
    spec = DataSpec(paths("data"), paths("sources"), paths("negative"), paths("pairs"), notes)
    if not (spec.data or spec.sources or spec.pairs):
        raise ValueError("; ".join([*notes, f"{path}: nothing to train on: give `data`, `pairs` or `sources`"]))
    return base, Path(os.path.normpath(here / raw["output"])), FinetuneConfig(**train), spec
