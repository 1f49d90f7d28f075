"""`hotwire-assist model adapt`: the model learns the open workspace, within a time budget.

1. `workspace_data`: the workspace's files through the existing miner — so the privacy gate (never-capture
   list, .gitignore, `[privacy] exclude`) decides first and an excluded file is never read, secrets are
   redacted and files the rules engine rejects are left out — split BY FILE: held-out files are never
   trained on (not even through telemetry), they are what the gate scores on.
2. `adapt_full`: continue training the current embedded checkpoint (full fine-tune; it is a few million
   parameters) on the training files: server-shaped FIM items (the related-file context and window the
   server builds at that cursor, tiny_model.source_fim_items) plus plain language modelling over the
   files, and accepted suggestions from telemetry. The run stops at its deadline (`minutes`), the cosine
   schedule is laid out for the steps that fit; it checkpoints every minute and on cancel (SIGINT/SIGTERM
   via `should_stop`), and a rerun with the same base, data and settings resumes from the checkpoint
   (other data: refused unless restarted — a checkpoint of other data is not this run).
3. The candidate is saved as an HF folder (further adaptation starts from it) and a GGUF for llama.cpp.
4. `adapt_lora`: for a real base given as a Hugging Face folder (served by the transformers backend), the
   same loop trains a LoRA adapter (peft) instead — the base stays frozen, the adapter in use (if any) is
   continued — and the candidate is work/candidate/adapter/, no GGUF. Both differ only in how the model is
   loaded/wrapped and saved (`_train` is the shared loop).

Scoring current vs candidate and promotion compose evaluation and the registry, so they live in the CLI
(cli/adapt.py); this module trains and never decides what serves.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from hotwire_assist.core.prompt import get_family
from hotwire_assist.core.schemas import Example
from hotwire_assist.training.corpus import SourceFile, training_texts

HELD_OUT_PERCENT = 20  # of the workspace's files, by a fixed hash of the path
MIN_HELD_OUT_FILES = 3

Progress = Callable[[str, float, float], None]  # (stage, done, total)


class AdaptError(RuntimeError):
    """Adaptation cannot run (no usable files, a checkpoint of other data, a model without weights here)."""


class Cancelled(RuntimeError):
    """The run was asked to stop; its checkpoint is saved and a rerun resumes it."""


# --- 1. data --------------------------------------------------------------------------------------------


@dataclass
class WorkspaceData:
    root: Path
    train: list[SourceFile]
    held: list[SourceFile]
    files_seen: int = 0
    rejected: dict[str, list[str]] = field(default_factory=dict)
    telemetry: list[Example] = field(default_factory=list)  # accepted suggestions in training files

    def digest(self) -> str:
        h = hashlib.sha256()
        for side, files in (("train", self.train), ("held", self.held)):
            for s in files:
                h.update(f"{side}\0{s.path}\0".encode() + s.text.encode() + b"\0")
        for ex in self.telemetry:
            h.update(f"telemetry\0{ex.id}\0{ex.path}\0{ex.prefix}\0{ex.middle}\0{ex.suffix}\0".encode())
        return h.hexdigest()

    def summary(self) -> dict:
        return {
            "files_seen": self.files_seen,
            "train_files": len(self.train),
            "held_out_files": len(self.held),
            "held_out_paths": [s.path for s in self.held],
            "rejected_files": len(self.rejected),
            "telemetry_examples": len(self.telemetry),
        }


def _held_out_rank(path: str) -> int:
    return int(hashlib.sha256(f"adapt:{path}".encode()).hexdigest(), 16) % 10_000


def split_by_file(sources: Sequence[SourceFile]) -> tuple[list[SourceFile], list[SourceFile]]:
    """(train, held-out) by a fixed hash of each file's path: HELD_OUT_PERCENT of the files, at least
    MIN_HELD_OUT_FILES (or a third of a tiny workspace), so the gate has holes to score on."""
    ranked = sorted(sources, key=lambda s: (_held_out_rank(s.path), s.path))
    n_held = sum(_held_out_rank(s.path) < HELD_OUT_PERCENT * 100 for s in sources)
    n_held = min(max(n_held, MIN_HELD_OUT_FILES), len(sources) // 3)
    held = {s.path for s in ranked[:n_held]}
    return [s for s in sources if s.path not in held], [s for s in sources if s.path in held]


def workspace_data(
    root: Path,
    exclude: Sequence[str] | None = None,
    telemetry: Sequence[Example] = (),
    progress=None,
) -> WorkspaceData:
    """The workspace's usable files, split by file. `telemetry`: accepted suggestions (FIM examples with
    workspace-relative paths); those in held-out or unknown files are dropped."""
    from hotwire_assist.training.dataset import mine

    if not root.is_dir():
        raise AdaptError(f"{root} is not a folder")
    mined = mine(root, holes_per_file=1, exclude=exclude, progress=progress)
    texts: dict[str, str] = {}
    for ex in mined.examples:  # the gated, redacted text of every accepted file
        texts.setdefault(ex.path, ex.prefix + ex.middle + ex.suffix)
    sources = [SourceFile(rel, text, root / rel) for rel, text in sorted(texts.items())]
    if len(sources) < 2:
        raise AdaptError(
            f"{root}: {len(sources)} usable file(s) of {mined.files_seen} seen under app/ "
            f"({len(mined.files_rejected)} rejected by the rules engine or empty); adaptation needs more code"
        )
    train, held = split_by_file(sources)
    train_paths = {s.path for s in train}
    kept = [ex for ex in telemetry if ex.kind == "fim" and ex.path in train_paths]
    return WorkspaceData(root, train, held, mined.files_seen, dict(mined.files_rejected), kept)


def telemetry_examples(min_survival: float = 0.5) -> list[Example]:
    """Accepted, surviving suggestions from this machine's telemetry store (none when it has no store)."""
    from hotwire_assist.core.telemetry import TelemetryStore, default_store_path, developer_id
    from hotwire_assist.training.ingest import from_events

    if not default_store_path().is_file():
        return []
    with TelemetryStore() as store:
        return from_events(developer_id(), store.events(), min_survival).examples


# --- 2. training ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AdaptSettings:
    minutes: float = 10.0
    lr: float = 6e-4
    batch: int = 2  # language-modelling rows per step (of the model's context length)
    item_batch: int = 8  # server-shaped items per step
    holes_per_file: int = 8
    seed: int = 1234
    max_steps: int = 100_000
    steps: int = 0  # > 0: exactly this many steps, whatever the time (tests, reproducible benchmarks)
    checkpoint_every_s: float = 60.0
    quant: str = "f16"


def _tree_digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(q for q in folder.rglob("*") if q.is_file()):
        h.update(p.relative_to(folder).as_posix().encode() + b"\0" + hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


def run_key(base_hf: Path, data: WorkspaceData, settings: AdaptSettings, extra: dict | None = None) -> str:
    """What a checkpoint must match to be resumed: base weights, data and settings (minus the budget);
    `extra`: what else the run depends on (LoRA: its shape, the adapter it continues)."""
    s = asdict(settings)
    s.pop("minutes")
    s.pop("checkpoint_every_s")
    parts = [_tree_digest(base_hf), data.digest(), s] + ([extra] if extra else [])
    payload = json.dumps(parts, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def _save_checkpoint(work: Path, model, opt, state: dict) -> None:
    """Atomically: write a new folder, then swap it in (a crash leaves the old checkpoint or the new)."""
    tmp = work / "checkpoint.new"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    model.save_pretrained(tmp / "model", safe_serialization=True)
    rngs = {"rng": state.pop("rng"), "torch_rng": torch.get_rng_state()}
    torch.save({"optimizer": opt.state_dict(), **rngs}, tmp / "optim.pt")
    (tmp / "state.json").write_text(json.dumps(state, indent=2))
    final = work / "checkpoint"
    old = work / "checkpoint.old"
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        os.replace(final, old)
    os.replace(tmp, final)
    shutil.rmtree(old, ignore_errors=True)


def finish(work: Path) -> None:
    """The run was scored and decided: its checkpoint is no longer work to resume (the candidate stays)."""
    shutil.rmtree(work / "checkpoint", ignore_errors=True)


def read_checkpoint_state(work: Path) -> dict | None:
    path = work / "checkpoint" / "state.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _check_checkpoint(work: Path, key: str, restart: bool) -> dict | None:
    """The checkpoint state to resume (None: start afresh); refuses unfinished work of another run."""
    state = read_checkpoint_state(work)
    if state is not None and state.get("key") != key and state.get("done"):
        state = None  # a finished run of other data is no work to resume: start afresh
    if state is not None and state.get("key") != key:
        if not restart:
            raise AdaptError(
                f"{work / 'checkpoint'} is from another run (other base model, data or settings: it was made "
                f"at step {state.get('step')} of {state.get('planned_steps')}); rerun with --restart to discard it"
            )
        state = None
    if restart:
        shutil.rmtree(work / "checkpoint", ignore_errors=True)
        shutil.rmtree(work / "candidate", ignore_errors=True)
        state = None
    return state


def _family_tokens_missing(tok, family) -> list[str]:
    return [t for t in family.special_tokens if len(tok(t, add_special_tokens=False)["input_ids"]) != 1]


def _lm_ids(tok, texts: list[str]) -> list[int]:
    """Token ids of the LM texts, concatenated (the fast tokenizer's batch encoder where there is one)."""
    from hotwire_assist.training.tiny_model import _encode

    backend = getattr(tok, "backend_tokenizer", None)
    if backend is not None:
        return _encode(backend, texts)
    return [i for t in texts for i in tok(t, add_special_tokens=False)["input_ids"]]


def _train(
    load_model: Callable[[Path | None], torch.nn.Module],
    save_candidate: Callable[[torch.nn.Module, Path], dict],
    tok,
    family,
    key: str,
    base: Path,
    data: WorkspaceData,
    work: Path,
    settings: AdaptSettings,
    progress: Progress | None,
    should_stop: Callable[[], bool],
    restart: bool,
    context_examples: Path | None,
    max_context: int,
) -> dict:
    """The loop both kinds of adaptation share: items from the workspace's training files, the time-boxed
    schedule re-planned from the measured pace, checkpoints (every `checkpoint_every_s` and on cancel) and
    resume. `load_model(checkpoint_model_dir or None)` gives the model to train (only parameters that
    require grad are trained); `save_candidate(model, work/candidate)` writes the candidate and returns
    what adapt.json adds."""
    from hotwire_assist.core.context import ExampleRetriever
    from hotwire_assist.training.finetune import FinetuneConfig, encode, fim_item, target_loss
    from hotwire_assist.training.tiny_model import (
        SERVER_MAX_TOKENS,
        _batches,
        lr_at,
        server_prompt,
        source_fim_items,
        train_step,
    )

    t0 = time.time()
    work.mkdir(parents=True, exist_ok=True)
    state = _check_checkpoint(work, key, restart)
    model = load_model(work / "checkpoint" / "model" if state else None)
    context = min(int(model.config.max_position_embeddings), max_context)
    rng = random.Random(settings.seed)
    torch.manual_seed(settings.seed)

    # items: server-shaped FIM holes of the training files (+ accepted suggestions), LM texts of the same
    if progress:
        progress("preparing items", 0, 1)
    count = lambda text: len(tok(text, add_special_tokens=False)["input_ids"])  # noqa: E731
    room = context - SERVER_MAX_TOKENS
    retriever = ExampleRetriever.from_folder(context_examples) if context_examples else None
    items = source_fim_items(data.train, family, count, room, settings.holes_per_file, rng, retriever, at_markers=True)
    cfg = FinetuneConfig(family=family.name)
    for ex in data.telemetry:
        it = fim_item(family, ex.id, ex.path, ex.prefix, ex.middle, ex.suffix, (), False, cfg, ex.category)
        it.prompt = server_prompt(family, count, ex.prefix, ex.suffix, ex.path, (), room)
        items.append(it)
    items = [it for it in items if not it.negative and not it.bad_spans]
    if not items:
        raise AdaptError("no training items could be cut from the workspace's training files")
    encoded = [encode(tok, it, context) for it in items]
    lm_ids = _lm_ids(tok, training_texts(data.train, family, rng))
    pad_id = tok.convert_tokens_to_ids(family.eos)
    probe = encoded[: min(64, len(encoded))]

    trainable = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(trainable, lr=settings.lr, weight_decay=0.0, betas=(0.9, 0.95))
    step, planned, spent, history = 0, 0, 0.0, []
    before = target_loss(model, probe, pad_id)
    resumed_from = state["step"] if state else None
    if state:
        saved = torch.load(work / "checkpoint" / "optim.pt", weights_only=False)
        opt.load_state_dict(saved["optimizer"])
        torch.set_rng_state(saved["torch_rng"])
        rng.setstate(saved["rng"])
        step, planned, spent = state["step"], state["planned_steps"], state["train_seconds"]
        before = state.get("probe_loss_before", before)
    budget = settings.minutes * 60.0
    done = bool(state and state.get("done"))
    last_save = time.time()
    model.train()
    while not done:
        if should_stop():
            _save_checkpoint(work, model, opt, _state(key, step, planned, spent, before, False, rng))
            raise Cancelled(f"stopped at step {step} of {planned or '?'}; rerun the same command to resume")
        t_step = time.time()
        total = settings.steps or planned or settings.max_steps
        for g in opt.param_groups:
            g["lr"] = lr_at(step, total, settings.lr, warmup=min(20, max(1, total // 10)), floor=0.1)
        lm = _batches(lm_ids, context, settings.batch, rng) if settings.batch and len(lm_ids) > 2 else None
        picked = [encoded[rng.randrange(len(encoded))] for _ in range(settings.item_batch)]
        history.append(train_step(model, opt, lm, picked, context))
        step += 1
        spent += time.time() - t_step
        planned = settings.steps or plan_steps(step, spent, budget, settings.max_steps) or planned
        if progress:
            recent = history[-10:]
            loss = sum(h["items"] for h in recent) / len(recent)
            progress(f"training (loss {loss:.3f})", step, planned or step + 1)
        done = bool(planned) and step >= planned
        if done or time.time() - last_save >= settings.checkpoint_every_s:
            _save_checkpoint(work, model, opt, _state(key, step, planned, spent, before, done, rng))
            last_save = time.time()

    # the candidate
    if progress:
        progress("saving the candidate", 1, 1)
    model.eval()
    cand = work / "candidate"
    shutil.rmtree(cand, ignore_errors=True)
    cand.mkdir(parents=True)
    extra = save_candidate(model, cand)
    info = {
        "base": str(base),
        "workspace": str(data.root),
        "family": family.name,
        "settings": asdict(settings),
        "data_sha256": data.digest(),
        "data": data.summary(),
        "items": len(items),
        "steps": step,
        "planned_steps": planned,
        "train_seconds": round(spent, 1),
        "seconds_per_step": round(spent / max(1, step), 3),
        "probe_item_loss_before": before,
        "probe_item_loss_after": target_loss(model, probe, pad_id),
        "trainable_parameters": sum(p.numel() for p in trainable),
        "torch_threads": torch.get_num_threads(),
        "seconds": round(time.time() - t0, 1),
        "resumed_from_step": resumed_from,
        **extra,
    }
    (cand / "adapt.json").write_text(json.dumps(info, indent=2))
    return info


def _quiet_hf() -> None:
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # our own progress; no "Writing model shards" bar per checkpoint


def adapt_full(
    base_hf: Path,
    data: WorkspaceData,
    work: Path,
    settings: AdaptSettings = AdaptSettings(),
    progress: Progress | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    restart: bool = False,
    context_examples: Path | None = None,
) -> dict:
    """Full fine-tune of the embedded checkpoint `base_hf` on the workspace's training files within
    `settings.minutes`; writes work/candidate/{hf/, model.gguf, adapt.json} and returns the figures.
    Resumes work/checkpoint when it is this run's (same base, data, settings); `restart` discards it."""
    from transformers import AutoTokenizer, LlamaForCausalLM

    from hotwire_assist.training.export import export_gguf

    _quiet_hf()
    key = run_key(base_hf, data, settings)
    tok = AutoTokenizer.from_pretrained(str(base_hf))
    family = (
        get_family(json.loads((base_hf / "hotwire.json").read_text())["family"])
        if (base_hf / "hotwire.json").is_file()
        else get_family("hotwire-tiny")
    )
    missing = _family_tokens_missing(tok, family)
    if missing or not (base_hf / "config.json").is_file():
        raise AdaptError(f"{base_hf} is not an embedded-model checkpoint (FIM tokens {missing or 'ok'})")

    def load(checkpoint: Path | None):
        return LlamaForCausalLM.from_pretrained(str(checkpoint or base_hf), dtype=torch.float32)

    def save(model, cand: Path) -> dict:
        (cand / "hf").mkdir(parents=True)
        model.save_pretrained(cand / "hf", safe_serialization=True)
        tok.save_pretrained(cand / "hf")
        (cand / "hf" / "hotwire.json").write_text(json.dumps({"family": family.name}))
        if progress:
            progress("exporting", 1, 1)
        export_gguf(cand / "hf", cand / "model.gguf", family, quant=settings.quant)
        return {"kind": "full"}

    args = (key, base_hf, data, work, settings, progress, should_stop, restart, context_examples)
    return _train(load, save, tok, family, *args, max_context=1 << 30)


# LoRA on a real base: the attention projections when the model names them so (Llama, Qwen, Mistral…),
# else peft's own choice for the architecture. Context rows are capped: a 32k-position base would make
# each language-modelling row 32k tokens.
LORA_RANK = 8
LORA_ALPHA = 16
LORA_MAX_CONTEXT = 1024
ADAPTER_INFO = "hotwire.json"  # in an adapter folder: the base it was trained on (the server checks it)


def adapter_base(adapter: Path) -> str:
    """The resolved base path an adapter of ours was trained on ("" when unknown)."""
    try:
        return str(json.loads((Path(adapter) / ADAPTER_INFO).read_text()).get("base", ""))
    except (OSError, ValueError, AttributeError):
        return ""


def adapt_lora(
    base_hf: Path,
    data: WorkspaceData,
    work: Path,
    settings: AdaptSettings = AdaptSettings(),
    family: str = "hotwire-tiny",
    adapter: Path | None = None,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    restart: bool = False,
    context_examples: Path | None = None,
) -> dict:
    """A LoRA adapter for the Hugging Face base `base_hf` (its weights stay frozen), trained by the same
    loop, items, budget and checkpoints as `adapt_full`; continues `adapter` (the one in use) when given.
    Writes work/candidate/{adapter/ (peft save_pretrained + hotwire.json naming the base), adapt.json};
    no GGUF (the transformers backend serves base + adapter)."""
    from peft import LoraConfig, PeftModel, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    _quiet_hf()
    base_hf = Path(base_hf).expanduser().resolve()
    if not (base_hf / "config.json").is_file():
        raise AdaptError(f"{base_hf} is not a Hugging Face model folder (no config.json)")
    if adapter is not None and not (Path(adapter) / "adapter_config.json").is_file():
        raise AdaptError(f"{adapter} is not a peft adapter folder (no adapter_config.json)")
    fam = get_family(family)
    tok = AutoTokenizer.from_pretrained(str(base_hf))
    missing = _family_tokens_missing(tok, fam)
    if missing:
        raise AdaptError(
            f"{base_hf}: the tokens of prompt family '{fam.name}' (model.family) are not single tokens in its "
            f"vocabulary: {missing}; set model.family to the family this base was trained with"
        )
    extra = {"mode": "lora", "family": fam.name, "rank": LORA_RANK, "alpha": LORA_ALPHA, "max": LORA_MAX_CONTEXT}
    if adapter is not None:
        extra["adapter"] = _tree_digest(Path(adapter))
    key = run_key(base_hf, data, settings, extra)

    def load(checkpoint: Path | None):
        model = AutoModelForCausalLM.from_pretrained(str(base_hf), dtype=torch.float32)
        start = checkpoint or adapter
        if start is not None:
            return PeftModel.from_pretrained(model, str(start), is_trainable=True)
        names = {n.rsplit(".", 1)[-1] for n, _ in model.named_modules()}
        targets = ["q_proj", "k_proj", "v_proj", "o_proj"]
        lora = LoraConfig(
            r=LORA_RANK,
            lora_alpha=LORA_ALPHA,
            lora_dropout=0.0,
            target_modules=targets if set(targets) <= names else None,
            task_type="CAUSAL_LM",
        )
        return get_peft_model(model, lora)

    def save(model, cand: Path) -> dict:
        model.save_pretrained(cand / "adapter")
        info = {"family": fam.name, "base": str(base_hf), "continued_from": str(adapter) if adapter else None}
        (cand / "adapter" / ADAPTER_INFO).write_text(json.dumps(info, indent=2))
        return {"kind": "lora", "adapter": str(cand / "adapter"), "continued_from": info["continued_from"]}

    args = (key, base_hf, data, work, settings, progress, should_stop, restart, context_examples)
    return _train(load, save, tok, fam, *args, max_context=LORA_MAX_CONTEXT)


def plan_steps(step: int, spent: float, budget: float, max_steps: int) -> int:
    """The steps that fit the time budget at the pace measured so far (0 until three steps are timed).

    Re-planned after every step: a machine that gets busier mid-run shortens the schedule instead of
    overrunning the budget (planned once from the first steps, a 10-minute run took 17.5 minutes)."""
    if step < 3 or spent <= 0:
        return 0
    return max(step + 1, min(max_steps, int(budget / (spent / step)))) if spent < budget else step


def _state(key: str, step: int, planned: int, spent: float, before, done: bool, rng: random.Random) -> dict:
    return {
        "rng": rng.getstate(),  # goes to optim.pt, not state.json
        "key": key,
        "step": step,
        "planned_steps": planned,
        "train_seconds": round(spent, 2),
        "probe_loss_before": before,
        "done": done,
        "saved_at": time.time(),
    }
