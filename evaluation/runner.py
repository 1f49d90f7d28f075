"""`eval run`: generate n samples per task with any backend, score them, write results.jsonl + run.json.

Generations are cached in SQLite by (model fingerprint, prompt, params, sample index), so re-scoring
costs nothing and an interrupted run resumes: finished (task, sample) lines in results.jsonl are
kept, and anything generated before the interruption comes from the cache.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from hotwire_assist.core.config import Config, ModelConfig
from hotwire_assist.core.prompt import (
    Snippet,
    fim_prompt,
    get_family,
    instruction_prompt,
    instruction_stop,
    parse_files,
)
from hotwire_assist.core.request import CompletionRequest, build_request
from hotwire_assist.core.schemas import FileText
from hotwire_assist.evaluation.contamination import ContaminationReport, check_contamination
from hotwire_assist.evaluation.results import RESULTS_FILE, RUN_FILE, SampleResult, append_result, read_results
from hotwire_assist.evaluation.scoring import Sample, score_batch, score_fim_batch, to_record
from hotwire_assist.evaluation.tasks import FimTask, GenerationTask, tasks_digest

CACHE_FILE = "generations.sqlite"


class RunError(ValueError):
    """The run cannot start or go on (bad model spec, contamination, a run folder of another model)."""


# --- the model --------------------------------------------------------------------------------------------


def model_config(
    model: str, backend: str | None = None, family: str | None = None, adapter: str | None = None
) -> Config:
    """A core Config from what the user typed: a TOML file (the server's `[model]` table), a GGUF file,
    a Hugging Face folder, or a model name for ollama/openai (with --backend)."""
    fields: dict = {}
    path = Path(model)
    if model.endswith(".toml"):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise RunError(f"{model}: cannot read model config: {e}") from None
        fields = dict(data.get("model", data))
    elif model.endswith(".gguf"):
        fields = {"backend": "llama_cpp", "path": model}
    elif (path / "config.json").is_file():
        fields = {"backend": "transformers", "path": model}
    elif backend in ("ollama", "openai"):
        fields = {"backend": backend, "name": model}
    else:
        raise RunError(
            f"cannot tell which backend serves '{model}': give a .gguf file, a Hugging Face folder, "
            "a TOML file with a [model] table, or --backend ollama/openai with a model name"
        )
    for key, value in (("backend", backend), ("family", family), ("adapter", adapter)):
        if value:
            fields[key] = value
    try:
        return Config(model=ModelConfig.model_validate(fields))
    except ValueError as e:
        raise RunError(f"{model}: {e}") from None


def _file_stamp(p: str) -> list:
    path = Path(p)
    files = sorted(f for f in path.rglob("*") if f.is_file()) if path.is_dir() else [path]
    return [(str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in files if f.exists()]


def model_fingerprint(config: Config) -> str:
    """Identity of the model answering: settings that change its text, and its files' sha256 (so a run
    folder never resumes with a model swapped under the same path; see results.model_identity)."""
    from hotwire_assist.evaluation.results import model_identity

    m = config.model
    parts = {k: getattr(m, k) for k in ("backend", "path", "name", "url", "family", "adapter", "context_size")}
    parts["files"] = [_file_stamp(p) for p in (m.path, m.adapter) if p]
    parts["sha256"] = model_identity(m)["sha256"]
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:20]


# --- cache ------------------------------------------------------------------------------------------------


class GenerationCache:
    """SQLite: key → generated text. One writer (the run); safe to reopen after a crash."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path)
        self._db.execute("CREATE TABLE IF NOT EXISTS generations (key TEXT PRIMARY KEY, text TEXT NOT NULL)")
        self._db.commit()

    @staticmethod
    def key(model: str, prompt: str, params: dict, sample: int) -> str:
        blob = json.dumps([model, prompt, params, sample], sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()

    def get(self, key: str) -> str | None:
        row = self._db.execute("SELECT text FROM generations WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def put(self, key: str, text: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO generations VALUES (?, ?)", (key, text))
        self._db.commit()

    def __len__(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM generations").fetchone()[0]

    def close(self) -> None:
        self._db.close()


# --- prompts and answers ----------------------------------------------------------------------------------


def generation_prompt(task: GenerationTask, budget_chars: int | None = None) -> str:
    """The training layout (core.prompt.instruction_prompt): related files, the request, the answer."""
    return instruction_prompt(task.request, [Snippet(c.path, c.content) for c in task.context], budget_chars)


def fim_task_request(task: FimTask) -> CompletionRequest:
    """The completion request the server builds at the hole (core.request.build_request), without app
    context: evaluation's FIM tasks score the model alone on the file."""
    return build_request(task.path, task.prefix + task.suffix, len(task.prefix), None)


def fim_task_prompt(task: FimTask, family: str, budget_chars: int) -> str:
    """The server's FIM prompt for the hole (core.prompt.fim_prompt, same window budget)."""
    r = fim_task_request(task)
    return fim_prompt(get_family(family), r.prefix, r.suffix, r.path, r.context, budget_chars=budget_chars)


def parse_answer(text: str, target_path: str = "") -> list[FileText]:
    """`### File: path` blocks → files (core.prompt.parse_files); an answer without headers is the target file."""
    return [FileText(path=s.path, content=s.text) for s in parse_files(text, target_path)]


# --- the run ----------------------------------------------------------------------------------------------


@dataclass
class RunSettings:
    label: str
    n: int = 1
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int = 1234
    max_tokens: int = 512  # generation tasks
    fim_max_tokens: int = 64
    dynamic: bool = True
    ruby: bool = True
    train_data: list[str] | None = None  # None: the default training data
    limit: int | None = None  # --limit: only the first N tasks of each set (a smoke run; the gate refuses it)
    extra: dict = field(default_factory=dict)


Progress = Callable[[str, int, int], None]


@dataclass
class _Job:
    task: GenerationTask | FimTask
    sample: int
    prompt: str  # as built before fitting to the model's window: the cache key
    params: dict
    budget_chars: int = 0  # FIM: the window budget the prompt was built with


def _params(s: RunSettings, max_tokens: int, stop: Sequence[str], sample: int) -> dict:
    return {
        "max_tokens": max_tokens,
        "temperature": s.temperature,
        "top_p": s.top_p,
        "seed": s.seed + sample,
        "stop": list(stop),
    }


def _generate(backend, job: _Job, family: str) -> str:
    """One sample through the backends' one generation helper: prompt and max_tokens are fitted to the
    model's window in tokens (a FIM window shrinks as the server's does; a generation task loses its least
    related context files first)."""
    from hotwire_assist.backends import GenerationParams
    from hotwire_assist.backends.generation import generate_fitted

    p = GenerationParams(**{**job.params, "stop": tuple(job.params["stop"])})
    task = job.task
    if isinstance(task, FimTask):
        build = lambda budget: fim_task_prompt(task, family, budget)  # noqa: E731
        budget = job.budget_chars
    else:
        build = lambda budget: generation_prompt(task, budget)  # noqa: E731
        budget = len(job.prompt)
    return generate_fitted(backend, build, budget, p, threading.Event())


def _check_run_dir(out_dir: Path, fingerprint: str, label: str) -> None:
    run_file = out_dir / RUN_FILE
    if not run_file.is_file():
        return
    try:
        old = json.loads(run_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise RunError(f"{run_file}: unreadable ({e}); remove it or choose another --out") from None
    if old.get("fingerprint") != fingerprint or old.get("label") != label:
        raise RunError(
            f"{out_dir} holds a run of another model ({old.get('label')}); choose another --out to start a new run"
        )


def run_eval(
    config: Config,
    settings: RunSettings,
    out_dir: Path,
    generation: Sequence[GenerationTask],
    fim: Sequence[FimTask],
    cache_dir: Path | None = None,
    progress: Progress | None = None,
    backend=None,
) -> dict:
    """Generate, score and record every missing (task, sample); returns what run.json holds."""
    from hotwire_assist.backends import make_backend

    fingerprint = model_fingerprint(config)
    _check_run_dir(out_dir, fingerprint, settings.label)
    report = check_contamination([*generation, *fim], settings.train_data)
    if not report.ok:
        lines = "\n  ".join(d.describe() for d in report.duplicates[:20])
        raise RunError(f"contamination: {len(report.duplicates)} task text(s) duplicate training data:\n  {lines}")
    out_dir.mkdir(parents=True, exist_ok=True)
    done = {(r.task_id, r.sample) for r in read_results(out_dir)} if (out_dir / RESULTS_FILE).is_file() else set()
    family = get_family(config.model.family)
    jobs = [
        _Job(t, i, generation_prompt(t), _params(settings, settings.max_tokens, instruction_stop(family), i))
        for t in generation
        for i in range(settings.n)
    ]
    budget = config.completion.prompt_chars
    jobs += [
        _Job(
            t,
            i,
            fim_task_prompt(t, family.name, budget),
            _params(settings, settings.fim_max_tokens, family.stop, i),
            budget,
        )
        for t in fim
        for i in range(settings.n)
    ]
    todo = [j for j in jobs if (j.task.id, j.sample) not in done]
    cache = GenerationCache((cache_dir or out_dir) / CACHE_FILE)
    backend = backend or make_backend(config)
    dynamic_note = ""
    started = time.time()
    try:
        _write_run(out_dir, config, settings, fingerprint, report, generation, fim, started, None, dynamic_note)
        finished_jobs = 0
        for job_batch in _by_task(todo):
            texts = []
            for job in job_batch:
                key = GenerationCache.key(fingerprint, job.prompt, job.params, job.sample)
                text = cache.get(key)
                if text is None:
                    text = _generate(backend, job, family.name)
                    cache.put(key, text)
                texts.append(text)
                finished_jobs += 1
                if progress:
                    progress(job.task.id, finished_jobs, len(todo))
            results, note = score_jobs(config.model, settings, job_batch, texts)
            dynamic_note = dynamic_note or note
            for r in results:
                append_result(out_dir, r)
        summary = _write_run(
            out_dir, config, settings, fingerprint, report, generation, fim, started, time.time(), dynamic_note
        )
    finally:
        cache.close()
        if backend is not None and hasattr(backend, "close"):
            backend.close()
    return summary


def _by_task(jobs: list[_Job]) -> list[list[_Job]]:
    """Consecutive jobs of one task: scored together (one Ruby round trip per task)."""
    groups: list[list[_Job]] = []
    for j in jobs:
        if groups and groups[-1][0].task.id == j.task.id:
            groups[-1].append(j)
        else:
            groups.append([j])
    return groups


def score_jobs(
    model: ModelConfig, settings: RunSettings, jobs: Sequence[_Job], texts: Sequence[str]
) -> tuple[list[SampleResult], str]:
    """SampleResults for one task's samples (all jobs share a task kind); the note says why dynamic checks
    were skipped, if they were."""
    from hotwire_assist.evaluation.dynamic_bridge import dynamic_checks

    gen = [(j, t) for j, t in zip(jobs, texts, strict=True) if isinstance(j.task, GenerationTask)]
    fim = [(j, t) for j, t in zip(jobs, texts, strict=True) if isinstance(j.task, FimTask)]
    out: list[SampleResult] = []
    note = ""
    if gen:
        answers = [parse_answer(t, j.task.target_path) for j, t in gen]  # type: ignore[union-attr]
        scored = score_batch(
            [Sample(a, j.task.context, j.task.expectations) for (j, _), a in zip(gen, answers, strict=True)],  # type: ignore[union-attr]
            settings.ruby,
        )
        contexts = [j.task.context for j, _ in gen]  # type: ignore[union-attr]
        dynamic, note = dynamic_checks(answers, contexts) if settings.dynamic else ([{} for _ in answers], "disabled")
        for (j, _), files, s, dyn in zip(gen, answers, scored, dynamic, strict=True):
            out.append(
                SampleResult(
                    task_id=j.task.id,
                    task_kind="generation",
                    category=j.task.category,
                    model=settings.label,
                    sample=j.sample,
                    prompt=j.task.request,  # type: ignore[union-attr]
                    files=files,
                    scores=s.scores,
                    total=s.total,
                    findings=s.records(),
                    expectations=s.expectations,
                    dynamic=dyn,
                    passed=s.passed and all(dyn.values()),
                )
            )
    if fim:
        for (j, text), fs in zip(fim, score_fim_batch([(j.task, t) for j, t in fim], settings.ruby), strict=True):  # type: ignore[misc]
            out.append(
                SampleResult(
                    task_id=j.task.id,
                    task_kind="fim",
                    category=j.task.category,
                    model=settings.label,
                    sample=j.sample,
                    prompt=j.task.path,  # type: ignore[union-attr]
                    completion=text,
                    scores=fs.scored.scores,
                    total=fs.scored.total,
                    findings=[to_record(f) for f in fs.scored.findings],
                    exact_match=fs.exact_match,
                    edit_similarity=round(fs.edit_similarity, 4),
                    scored_completion=fs.completion,
                    passed=fs.passed,
                )
            )
    return out, note


def _write_run(
    out_dir: Path,
    config: Config,
    settings: RunSettings,
    fingerprint: str,
    report: ContaminationReport,
    generation: Sequence[GenerationTask],
    fim: Sequence[FimTask],
    started: float,
    finished: float | None,
    dynamic_note: str,
) -> dict:
    from hotwire_assist.evaluation.results import model_identity
    from hotwire_assist.evaluation.scoring import scorer_version
    from hotwire_assist.evaluation.stats import run_summary

    results = list(read_results(out_dir)) if (out_dir / RESULTS_FILE).is_file() else []
    run = {
        "label": settings.label,
        "fingerprint": fingerprint,
        "model": config.model.model_dump(),
        "model_identity": model_identity(config.model),  # sha256: what `model promote` checks a file against
        "scorer_version": scorer_version(),  # the gate compares only runs scored alike
        "settings": {k: v for k, v in asdict(settings).items() if k != "label"},
        "tasks": {
            "generation": len(generation),
            "fim": len(fim),
            "digest": tasks_digest([*generation, *fim]),
            "limit": settings.limit,
            "samples_per_task": settings.n,
        },
        "contamination": report.to_json(),
        "dynamic": dynamic_note or "ran",
        "started": started,
        "finished": finished,
        "complete": finished is not None,
        "totals": run_summary(results),
    }
    (out_dir / RUN_FILE).write_text(json.dumps(run, indent=2), encoding="utf-8")
    return run
