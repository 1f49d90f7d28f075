"""`hotwire-assist model adapt` and `model list`: train the model on the workspace, score it against the
model in use on the workspace's held-out files, promote it to the workspace's registry slot only when it
is better. The CLI composes the rooms here: training.adapt trains, evaluation's FIM scoring judges the
ghost text (generated through backends with the server's prompt), core.registry records and serves.
"""

from __future__ import annotations

import itertools
import json
import signal
import statistics
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

out = Console()
err = Console(stderr=True, soft_wrap=True)

# Promotion: the adapted model's mean edit similarity on the held-out holes must beat the current model's
# by at least this much, and its exact-match count must not be lower. Held-out sets are tens of holes,
# so smaller differences are noise (one hole of 50 moves exact match by 0.02).
DEFAULT_MARGIN = 0.02
MIN_HOLES = 10
HOLES_PER_FILE = 6
MAX_HOLES = 120
LORA_LR = 1e-3  # the adapter starts at zero and trains a few minutes: a higher peak than the full fine-tune's


class AdaptRefused(RuntimeError):
    """The model in use cannot be adapted here (said why, and what to do instead)."""


# --- which model is in use, and where its weights are ------------------------------------------------------


@dataclass
class CurrentModel:
    gguf: Path | None  # the GGUF llama.cpp serves (None: an HF base served by transformers)
    hf: Path | None  # the HF checkpoint adaptation continues from (None: not adaptable by full fine-tune)
    label: str
    adapter: Path | None = None  # the LoRA adapter served on `hf` now (HF bases), continued by adaptation
    lora: bool = False  # an HF base served by transformers: adaptation trains a LoRA adapter on it


def _hf_base(config, workspace: Path) -> CurrentModel:
    """The transformers backend's base (model.path, else the embedded default's HF folder) and the adapter
    it serves in `workspace`: model.adapter when set, else the workspace's promoted one for this base."""
    from hotwire_assist.core.config import embedded_model_dir
    from hotwire_assist.core.registry import Registry

    m = config.model
    base = Path(m.path).expanduser() if m.path else embedded_model_dir() / "hf"
    if not (base / "config.json").is_file():
        raise AdaptRefused(
            f"model.path {base} is not a Hugging Face model folder (no config.json); the transformers backend "
            "serves (and `model adapt` trains LoRA adapters on) HF folders only"
        )
    if m.adapter:
        adapter = Path(m.adapter).expanduser()
        if not (adapter / "adapter_config.json").is_file():
            raise AdaptRefused(f"model.adapter {adapter} is not a peft adapter folder (no adapter_config.json)")
        label = f"{base.name} + model.adapter {adapter.name}"
    else:
        adapter = Registry().resolve_adapter(workspace, base)
        label = f"{base.name}" + (" + this workspace's adapter" if adapter else "")
    return CurrentModel(None, base, label, adapter, lora=True)


def shipped_model_dir() -> Path:
    from hotwire_assist.core.config import shipped_model_dir as shipped

    return shipped()


def current_model(config, workspace: Path) -> CurrentModel:
    """The model the server would use in `workspace`, with its HF checkpoint; refuses models whose
    weights are not on this machine (Ollama, OpenAI-compatible servers) with what to do instead."""
    from hotwire_assist.core.config import default_model_dir

    m = config.model
    if m.backend in ("ollama", "openai"):
        where = "Ollama" if m.backend == "ollama" else f"the OpenAI-compatible server at {m.url or '?'}"
        raise AdaptRefused(
            f"the model in use ('{m.name or '?'}') exists only in {where}: its weights are not on this machine, "
            "so it cannot be adapted. Fine-tune its Hugging Face folder with LoRA (`hotwire-assist train run`), "
            "or unset model.backend to adapt the embedded default."
        )
    if m.backend == "transformers":
        return _hf_base(config, workspace)
    if m.path:
        p = Path(m.path).expanduser()
        if p.is_dir():
            raise AdaptRefused(
                f'model.path {p} is a folder, but model.backend = "{m.backend}" serves GGUF files; set '
                'model.backend = "transformers" to serve this Hugging Face model — `model adapt` then trains '
                "a LoRA adapter on it for this workspace"
            )
        hf = p.parent / "hf"
        if not (hf / "config.json").is_file():
            raise AdaptRefused(
                f"model.path {p} is a GGUF without the HF checkpoint it came from (no {hf}); a GGUF alone "
                "cannot be trained. Fine-tune the model's Hugging Face folder with `hotwire-assist train run`."
            )
        return CurrentModel(p, hf, f"model.path {p}")
    from hotwire_assist.backends import model_candidates

    gguf = next((p for p in model_candidates(workspace) if p.is_file()), None)
    if gguf is None:
        raise AdaptRefused(
            "no embedded model found: reinstall hotwire-assist or run `hotwire-assist model build-default`"
        )
    hf = gguf.parent / "hf"
    if not (hf / "config.json").is_file():
        raise AdaptRefused(
            f"the model in use ({gguf}) has no HF checkpoint beside it (promoted without one), so it cannot be "
            "trained further; `model rollback` to the embedded default, or fine-tune with `hotwire-assist train run`"
        )
    labels = {default_model_dir(): "built default", shipped_model_dir(): "shipped default"}
    return CurrentModel(gguf, hf, labels.get(gguf.parent, f"registry: {gguf.parent.name}"))


def work_dir(workspace: Path, lora: bool = False) -> Path:
    """Where a workspace's adaptation keeps its checkpoint and candidate (resumable between runs); LoRA
    runs apart, so switching backends never meets the other kind's checkpoint."""
    from hotwire_assist.core.config import data_dir
    from hotwire_assist.core.registry import workspace_key

    return data_dir() / "adapt" / (workspace_key(workspace) + ("-lora" if lora else ""))


# --- scoring: the model's own ghost text on held-out holes -------------------------------------------------


def ghost_text(backend, family, prefix: str, suffix: str, path: str, context, config) -> str:
    """What the server shows for this cursor from this model alone: the server's prompt fitted to the
    model's window (backends.generation), generation to a boundary and the server's post-processing."""
    from hotwire_assist.backends import GenerationParams
    from hotwire_assist.backends.base import PromptTooLong
    from hotwire_assist.backends.generation import generate_fitted
    from hotwire_assist.core.prompt import fim_prompt
    from hotwire_assist.server.completion import is_mid_line, postprocess, stream_to_boundary

    params = GenerationParams(max_tokens=config.model.max_tokens, stop=family.stop)
    max_lines = config.completion.max_lines
    try:
        raw = generate_fitted(
            backend,
            lambda budget: fim_prompt(family, prefix, suffix, path, context, budget_chars=budget),
            config.completion.prompt_chars,
            params,
            threading.Event(),
            lambda chunks: stream_to_boundary(chunks, is_mid_line(suffix), max_lines),
        )
    except PromptTooLong:
        return ""
    return postprocess(raw, prefix, suffix, max_lines)


def held_out_tasks(held, per_file: int = HOLES_PER_FILE, limit: int = MAX_HOLES) -> list:
    """(source file, hole) pairs in the held-out files: the rest of the line after each Hotwire marker
    (evaluation's marker_holes, where ghost text matters most; at most half the limit, taken evenly), then
    evaluation's FIM holes (cut_holes, seeded by path: the same holes every run; up to `per_file` each)
    up to the limit."""
    from hotwire_assist.core.schemas import CATEGORIES
    from hotwire_assist.evaluation.tasks import cut_holes, marker_holes
    from hotwire_assist.training.dataset import infer_category

    def category(s) -> str:
        c = infer_category(s.path, s.text)
        return c if c in CATEGORIES else CATEGORIES[0]  # a task label only ("other" is none)

    markers = [(s, t) for s in held for t in marker_holes(s.path, s.text, category(s))]
    if len(markers) > limit // 2:
        step = len(markers) / (limit // 2)
        markers = [markers[int(i * step)] for i in range(limit // 2)]
    per_source = [
        [(s, t) for t in cut_holes(s.path, s.text, category(s), per_file, key=f"adapt:{s.path}")] for s in held
    ]
    # round-robin over the files: the rest of the limit spread over every file, filled where some have few
    pairs = [p for row in itertools.zip_longest(*per_source) for p in row if p is not None]
    return markers + pairs[: limit - len(markers)]


def score_model(gguf: Path, tasks, config, exclude=(), progress=None, label: str = "") -> dict:
    """Exact match and edit similarity (evaluation.scoring) of a GGUF's own ghost text on `tasks`."""
    from hotwire_assist.backends.llama_cpp import LlamaCppBackend

    make = lambda: LlamaCppBackend(gguf, context_size=config.model.context_size, threads=1)  # noqa: E731
    return score_backend(make, tasks, config, exclude, progress, label)


def transformers_factory(base: Path, adapter: Path | None, config):
    """A backend factory for `score_backend`: an HF base with an optional LoRA adapter, one thread."""
    from hotwire_assist.backends.transformers_backend import TransformersBackend

    return lambda: TransformersBackend(base, str(adapter or ""), 1, config.model.context_size)


def score_backend(make_backend, tasks, config, exclude=(), progress=None, label: str = "") -> dict:
    """Exact match and edit similarity (evaluation.scoring) of a model's own ghost text on `tasks`, each
    prompt with the related files the server would add (the hole's app indexed from disk). `make_backend()`
    builds the backend (llama.cpp GGUF, or transformers base + adapter): the same holes, prompts and
    post-processing whichever serves."""
    from hotwire_assist.core.appindex import index_app, rails_app_root
    from hotwire_assist.core.context import ExampleRetriever, build_context, query_of
    from hotwire_assist.core.prompt import context_budget, get_family
    from hotwire_assist.evaluation.scoring import edit_similarity, exact_match
    from hotwire_assist.training.dataset import curated_pairs

    family = get_family(config.model.family)
    backend = make_backend()
    indexes: dict[Path, object] = {}
    retriever = ExampleRetriever.from_folder(curated_pairs().parent)
    ems, ess, answers = [], [], []
    t0 = time.time()
    try:
        for n, (src, t) in enumerate(tasks):
            context = []
            root = rails_app_root(src.origin) if src.origin is not None else None
            if root is not None:
                if root not in indexes:
                    indexes[root] = index_app(root)
                context = build_context(
                    indexes[root],
                    src.origin,
                    query_of(t.prefix),
                    budget_chars=context_budget(config.completion.prompt_chars),
                    exclude=exclude,
                    retriever=retriever,
                )
            text = ghost_text(backend, family, t.prefix, t.suffix, t.path, context, config)
            ems.append(exact_match(text, t.middle))
            ess.append(edit_similarity(text, t.middle))
            answers.append({"id": t.id, "answer": text, "expected": t.middle})
            if progress:
                progress(f"scoring {label}", n + 1, len(tasks))
    finally:
        backend.close()
    at_markers = [i for i, (_, t) in enumerate(tasks) if t.id.startswith("marker-")]
    return {
        "holes": len(tasks),
        "marker_holes": {  # the ghost text after Hotwire markers, the completion benchmark's kind of hole
            "holes": len(at_markers),
            "exact_match": round(sum(ems[i] for i in at_markers) / max(1, len(at_markers)), 4),
            "edit_similarity": round(statistics.fmean(ess[i] for i in at_markers), 4) if at_markers else 0.0,
        },
        "exact_match": round(sum(ems) / max(1, len(ems)), 4),
        "exact_matches": sum(ems),
        "edit_similarity": round(statistics.fmean(ess), 4) if ess else 0.0,
        "similarities": [round(x, 4) for x in ess],  # per hole, in task order: the gate pairs them
        "seconds": round(time.time() - t0, 1),
        "answers": answers,
    }


def decide(current: dict, candidate: dict, margin: float = DEFAULT_MARGIN) -> tuple[bool, str]:
    """Promote only a measurably better model: on the same held-out holes, mean edit similarity up by ≥ margin,
    the per-hole differences significant (paired Wilcoxon, as `eval gate` pairs tasks), exact matches not fewer.
    A junk current model makes almost any change look better on average; significance needs most holes to agree."""
    from hotwire_assist.evaluation.stats import ALPHA, wilcoxon_p

    d_es = candidate["edit_similarity"] - current["edit_similarity"]
    d_em = candidate["exact_matches"] - current["exact_matches"]
    if candidate["holes"] < MIN_HOLES or candidate["holes"] != current["holes"]:
        return False, f"{candidate['holes']} held-out holes: too few to tell two models apart (at least {MIN_HOLES})"
    if d_es < margin:
        return False, f"edit similarity {current['edit_similarity']:.3f} → {candidate['edit_similarity']:.3f} " + (
            f"(+{d_es:.3f} is below the margin {margin:.3f})" if d_es >= 0 else f"({d_es:.3f}: worse)"
        )
    if d_em < 0:
        return False, f"exact matches {current['exact_matches']} → {candidate['exact_matches']} (fewer)"
    p = wilcoxon_p([b - a for a, b in zip(current["similarities"], candidate["similarities"], strict=True)])
    if p >= ALPHA:
        return False, f"edit similarity +{d_es:.3f}, but not significant over {candidate['holes']} holes (p={p:.3f})"
    return True, (
        f"edit similarity {current['edit_similarity']:.3f} → {candidate['edit_similarity']:.3f} (+{d_es:.3f} ≥ "
        f"{margin:.3f}, p={p:.3f}), exact match {current['exact_match']:.3f} → {candidate['exact_match']:.3f}"
    )


# --- the command --------------------------------------------------------------------------------------------


class _Reporter:
    """Progress as a rich bar (people) or JSON lines on stdout (`--progress json`, the server reads them)."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.bar = None
        self.task = None
        self._last = 0.0
        if mode == "bar":
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

            self.bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.completed:.0f}/{task.total:.0f}"),
                TimeElapsedColumn(),
                TextColumn("eta"),
                TimeRemainingColumn(),
                console=err,
            )
            self.bar.start()
            self.task = self.bar.add_task("adapt", total=1)

    def __call__(self, stage: str, done: float, total: float) -> None:
        if self.bar is not None:
            self.bar.update(self.task, description=stage, completed=done, total=max(total, 1))
        elif self.mode == "json":
            now = time.time()
            if now - self._last >= 0.5 or done >= total:
                self._last = now
                self.event({"event": "progress", "stage": stage, "done": done, "total": total})

    def event(self, payload: dict) -> None:
        if self.mode == "json":
            print(json.dumps(payload), flush=True)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def adapt_command(
    workspace: Annotated[Path, typer.Argument(help="The workspace (a Rails app) to adapt the model to.")] = Path("."),
    minutes: Annotated[float, typer.Option(min=0.05, help="Training time budget in minutes.")] = 10.0,
    margin: Annotated[
        float, typer.Option(help="Edit-similarity gain over the model in use needed to promote.")
    ] = DEFAULT_MARGIN,
    restart: Annotated[bool, typer.Option(help="Discard a checkpoint of an earlier, different run.")] = False,
    no_promote: Annotated[bool, typer.Option("--no-promote", help="Train and score; promote nothing.")] = False,
    threads: Annotated[int, typer.Option(min=1, help="torch threads (1 keeps the editor responsive).")] = 1,
    lr: Annotated[
        float | None, typer.Option(help="Peak learning rate (default: 6e-4 full fine-tune, 1e-3 LoRA).")
    ] = None,
    steps: Annotated[int, typer.Option(min=0, help="Exactly this many steps, not the time budget (0: budget).")] = 0,
    max_holes: Annotated[int, typer.Option(min=1, help="Held-out holes scored per model (fewer: faster, noisier).")] = (
        MAX_HOLES
    ),
    progress: Annotated[str, typer.Option(help="bar, json (one JSON line per update) or none")] = "bar",
    format: Annotated[str, typer.Option("--format", help="text or json (the result)")] = "text",
) -> None:
    """Train the model on this workspace for a few minutes and use it here only if it measurably helps.

    The workspace's files pass the privacy gate and the rules engine (the miner); a fifth of them, chosen
    by a fixed hash of the path, are held out and never trained on. The embedded model is fine-tuned on
    the rest (server-shaped FIM holes with their related files, plus accepted suggestions from telemetry)
    until the time budget is spent, then the model in use and the candidate write ghost text for the
    held-out files' holes (evaluation's FIM holes and scoring). The candidate is promoted to this
    workspace's registry slot only if its edit similarity beats the current model by the margin and its
    exact matches are not fewer; a running server switches at its next completion. Ctrl-C saves a
    checkpoint: rerunning the same command resumes it.

    With model.backend = "transformers" (a real base given as a Hugging Face folder in model.path) the
    base stays frozen: a LoRA adapter is trained instead (continuing the adapter in use, if any), scored
    as base + adapter against the model in use, and promoted as an adapter the transformers backend
    serves in this workspace. Models served by Ollama or an OpenAI-compatible server cannot be adapted.

    Example: hotwire-assist model adapt ~/code/myapp --minutes 5
    """
    from hotwire_assist.cli.main import _config

    workspace = workspace.expanduser().resolve()
    if progress not in ("bar", "json", "none"):
        err.print(f"unknown --progress '{progress}' (bar, json or none)")
        raise typer.Exit(2)
    try:
        import torch

        from hotwire_assist.training import adapt as adapt_mod
    except ImportError as e:
        err.print(f"adaptation needs the [train] extra: {e}")
        raise typer.Exit(2) from None
    torch.set_num_threads(threads)
    config = _config(workspace)
    report = _Reporter(progress)
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        if lr is None:
            lr = LORA_LR if config.model.backend == "transformers" else adapt_mod.AdaptSettings.lr
        settings = adapt_mod.AdaptSettings(minutes=minutes, lr=lr, steps=steps)
        result = _run(adapt_mod, workspace, config, settings, margin, restart, no_promote, max_holes, report, stop)
    except adapt_mod.Cancelled as e:
        report.stop()
        report.event({"event": "cancelled", "message": str(e)})
        err.print(f"cancelled: {e}")
        raise typer.Exit(130) from None
    except (AdaptRefused, adapt_mod.AdaptError) as e:
        report.stop()
        report.event({"event": "error", "message": str(e)})
        err.print(f"cannot adapt: {e}")
        raise typer.Exit(2) from None
    finally:
        report.stop()
        for s, h in old.items():
            signal.signal(s, h)
    report.event({"event": "done", **{k: v for k, v in result.items() if k != "scores"}})
    if format == "json":
        print(json.dumps(result, indent=2))
    else:
        cur, cand = result["scores"]["current"], result["scores"]["candidate"]
        out.print(f"held-out holes: {cur['holes']} in {result['data']['held_out_files']} files never trained on")
        out.print(
            f"  current   ({result['current']}): exact match {cur['exact_match']:.3f}, "
            f"edit similarity {cur['edit_similarity']:.3f}"
        )
        out.print(
            f"  adapted   ({result['training']['steps']} steps, {result['training']['train_seconds']:.0f} s): "
            f"exact match {cand['exact_match']:.3f}, edit similarity {cand['edit_similarity']:.3f}"
        )
        verdict = "promoted for this workspace" if result["promoted"] else "not promoted"
        out.print(f"{verdict}: {result['reason']}")
    if not result["promoted"] and not no_promote:
        raise typer.Exit(1)


def _run(adapt_mod, workspace, config, settings, margin, restart, no_promote, max_holes, report, stop) -> dict:
    from hotwire_assist.backends.llama_cpp import LlamaCppBackend
    from hotwire_assist.core.privacy import workspace_globs
    from hotwire_assist.training.dataset import curated_pairs

    current = current_model(config, workspace)
    exclude = tuple(config.privacy.exclude) or tuple(workspace_globs(workspace))
    report("mining the workspace", 0, 1)
    data = adapt_mod.workspace_data(workspace, exclude=exclude, telemetry=adapt_mod.telemetry_examples())
    tasks = held_out_tasks(data.held, limit=max_holes)
    if not tasks:
        raise adapt_mod.AdaptError("the held-out files have no holes to score on")
    work = work_dir(workspace, lora=current.lora)
    common = dict(progress=report, should_stop=stop.is_set, restart=restart, context_examples=curated_pairs().parent)
    if current.lora:  # an HF base: a LoRA adapter, scored through transformers (base [+ adapter in use])
        trained = adapt_mod.adapt_lora(
            current.hf, data, work, settings, family=config.model.family, adapter=current.adapter, **common
        )
        candidate = work / "candidate" / "adapter"
        make_current = transformers_factory(current.hf, current.adapter, config)
        make_candidate = transformers_factory(current.hf, candidate, config)
    else:
        trained = adapt_mod.adapt_full(current.hf, data, work, settings, **common)
        candidate = work / "candidate" / "model.gguf"
        make_current = lambda: LlamaCppBackend(current.gguf, context_size=config.model.context_size, threads=1)  # noqa: E731
        make_candidate = lambda: LlamaCppBackend(candidate, context_size=config.model.context_size, threads=1)  # noqa: E731
    scores = {
        "current": score_backend(make_current, tasks, config, exclude, report, "current"),
        "candidate": score_backend(make_candidate, tasks, config, exclude, report, "adapted"),
    }
    better, reason = decide(scores["current"], scores["candidate"], margin)
    promoted = False
    if better and not no_promote:
        if current.lora:
            _promote_adapter(workspace, candidate, current, trained, scores, margin)
            if config.model.adapter:
                reason += (
                    f"; note: model.adapter is set ({config.model.adapter}), so the server keeps serving that "
                    "adapter; unset model.adapter to use this workspace's promoted one"
                )
        else:
            _promote(workspace, candidate, work / "candidate" / "hf", current, trained, scores, margin)
        promoted = True
    (work / "candidate" / "scores.json").write_text(json.dumps(scores, indent=2))
    adapt_mod.finish(work)
    return {
        "workspace": str(workspace),
        "kind": "lora" if current.lora else "full",
        "candidate": str(candidate),
        "current": current.label,
        "data": data.summary(),
        "training": {k: trained[k] for k in ("steps", "planned_steps", "train_seconds", "seconds_per_step", "items")},
        "scores": scores,
        "current_exact_match": scores["current"]["exact_match"],
        "adapted_exact_match": scores["candidate"]["exact_match"],
        "current_edit_similarity": scores["current"]["edit_similarity"],
        "adapted_edit_similarity": scores["candidate"]["edit_similarity"],
        "margin": margin,
        "promoted": promoted,
        "reason": reason,
    }


def _figures(scores: dict, trained: dict, margin: float) -> dict:
    figures = {
        f"{side}_{k}": scores[side][k]
        for side in ("current", "candidate")
        for k in ("exact_match", "edit_similarity", "holes")
    }
    return {**figures, "margin": margin, "steps": trained["steps"], "held_out_files": trained["data"]["held_out_files"]}


def _promote_adapter(
    workspace: Path, adapter: Path, current: CurrentModel, trained: dict, scores: dict, margin
) -> None:
    """The LoRA adapter into the workspace's registry slot (copied whole, then renamed in); its identity is
    base + adapter, as telemetry records the model the transformers backend serves."""
    from hotwire_assist.core.registry import ADAPTER_KIND, ModelRecord, Registry, model_sha256, workspace_key

    record = ModelRecord(
        sha256=model_sha256(current.hf, adapter),
        name=f"adapted-{workspace.name}-lora",
        kind=ADAPTER_KIND,
        scope=workspace_key(workspace),
        source=str(adapter),
        data_hash=trained["data_sha256"],
        base_sha256=model_sha256(current.hf, current.adapter),
        figures={**_figures(scores, trained, margin), "base": str(Path(current.hf).resolve())},
        notes=f"model adapt {workspace} (LoRA on {current.hf})",
    )
    Registry().promote_adapter(adapter, current.hf, record, workspace_key(workspace))


def _promote(workspace: Path, gguf: Path, hf: Path, current: CurrentModel, trained: dict, scores: dict, margin) -> None:
    """Into the workspace's registry slot, atomically (the registry copies, then renames)."""
    from hotwire_assist.core.registry import ModelRecord, Registry, file_sha256, workspace_key

    record = ModelRecord(
        sha256=file_sha256(gguf),
        name=f"adapted-{workspace.name}",
        kind="gguf",
        scope=workspace_key(workspace),
        source=str(gguf),
        data_hash=trained["data_sha256"],
        base_sha256=file_sha256(current.gguf),
        figures=_figures(scores, trained, margin),
        notes=f"model adapt {workspace}",
    )
    Registry().promote(gguf, record, workspace_key(workspace), hf_dir=hf)


def list_command(format: Annotated[str, typer.Option("--format", help="text or json")] = "text") -> None:
    """Every model: the shipped default, a built default, and the registry's (generic and per workspace).

    Example: hotwire-assist model list --format json
    """
    from hotwire_assist.core.config import default_model_dir

    rows = []
    for label, folder in (("shipped default", shipped_model_dir()), ("built default", default_model_dir())):
        gguf = folder / "model.gguf"
        if gguf.is_file():
            info = {}
            for name in ("train.json", "model.json"):
                if (folder / name).is_file():
                    info = json.loads((folder / name).read_text())
                    break
            rows.append(
                {
                    "name": label,
                    "scope": "generic (fallback)",
                    "path": str(gguf),
                    "size_mb": round(gguf.stat().st_size / 1e6, 1),
                    "figures": {k: info.get(k) for k in ("held_out_loss", "held_out_fim_exact_match") if k in info},
                }
            )
    try:
        from hotwire_assist.core.registry import Registry

        reg = Registry()
        status = reg.status()
        for rec in reg.records():
            roles = [
                f"{role} in {scope}"
                for scope, slot in status.items()
                for role in ("current", "previous")
                if slot[role] and slot[role]["sha256"] == rec.sha256
            ]
            rows.append(
                {
                    "name": rec.name,
                    "kind": rec.kind,
                    "scope": rec.scope,
                    "sha256": rec.sha256,
                    "roles": roles,
                    "data_hash": rec.data_hash,
                    "figures": rec.figures,
                }
            )
    except ImportError:  # pragma: no cover
        pass
    if format == "json":
        print(json.dumps(rows, indent=2))
        return
    if not rows:
        out.print("no models: reinstall hotwire-assist (it ships the embedded default) or `model build-default`")
    for r in rows:
        where = ", ".join(r.get("roles", [])) or r.get("path", "")
        figs = ", ".join(f"{k} {v}" for k, v in r["figures"].items() if isinstance(v, int | float))
        out.print(f"{r['name']:<28} {r['scope']:<34} {where}  {figs}")
