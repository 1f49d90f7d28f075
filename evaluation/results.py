"""The result records an evaluation run writes and everything downstream reads (compare, report, gate,
the dashboard's blind review): one line per (task, sample) in `results.jsonl` inside a run folder.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hotwire_assist.core.schemas import FileText

RESULTS_FILE = "results.jsonl"
RUN_FILE = "run.json"  # the run's model (label, config, identity), task set, scorer version, params and totals


class FindingRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str
    rule: str
    severity: str
    dimension: str
    line: int
    message: str


class SampleResult(BaseModel):
    """One generated sample and its scores. `scores` holds the five dimensions (None: not applicable);
    `total` is 0–100, rescaled over the applicable dimensions."""

    model_config = ConfigDict(extra="forbid")

    task_id: str = Field(min_length=1)
    task_kind: Literal["generation", "fim"]
    category: str
    model: str  # the run's model label, e.g. "base" or "candidate"
    sample: int = 0  # index among the n samples drawn for this task
    prompt: str = ""  # the request (generation) or the file path (fim), as a reviewer sees it
    files: list[FileText] = []  # generation: the files the model wrote
    completion: str = ""  # fim: the text the model put in the hole
    scores: dict[str, float | None]
    total: float
    findings: list[FindingRecord] = []
    expectations: dict[str, bool] = {}  # per-task checks, by name
    dynamic: dict[str, bool] = {}  # Node-side Turbo/Stimulus checks, by name
    exact_match: bool | None = None  # fim only
    scored_completion: str | None = None  # fim only: the completion cut to the hole's unit, as scored
    edit_similarity: float | None = None  # fim only, 0..1
    passed: bool  # no error-level finding and every expectation and dynamic check holds


class ResultsError(ValueError):
    """A results file is missing or holds a line that is not a SampleResult."""


def read_results(run_dir: Path) -> Iterator[SampleResult]:
    path = run_dir / RESULTS_FILE
    if not path.is_file():
        raise ResultsError(f"{run_dir} holds no {RESULTS_FILE}: run `hotwire-assist eval run` first")
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    yield SampleResult.model_validate(json.loads(line))
                except (json.JSONDecodeError, ValidationError) as e:
                    raise ResultsError(f"{path}:{n}: {e}") from None


def append_result(run_dir: Path, result: SampleResult) -> None:
    """Append and flush one line, so an interrupted run keeps every finished sample."""
    run_dir.mkdir(parents=True, exist_ok=True)
    with (run_dir / RESULTS_FILE).open("a", encoding="utf-8") as f:
        f.write(result.model_dump_json() + "\n")


def model_identity(model) -> dict:
    """What run.json says about the model answering (a core ModelConfig): its sha256 (`core.registry`:
    the GGUF file, or the HF folder + adapter), its name and the files hashed. A model served by Ollama
    or an OpenAI-compatible server has no file here: sha256 None, and the gate will not promote it."""
    from hotwire_assist.core.config import default_model_dir
    from hotwire_assist.core.registry import Registry, model_sha256

    path, adapter = model.path, model.adapter or None
    if model.backend == "llama_cpp" and not path:
        path = str(Registry().resolve() or default_model_dir() / "model.gguf")
    elif model.backend == "transformers" and not path:
        path = str(default_model_dir() / "hf")
    if model.backend in ("ollama", "openai") or not path:
        return {"sha256": None, "name": model.name or model.backend, "path": None, "adapter": None}
    try:
        sha = model_sha256(path, adapter)
    except OSError:
        sha = None
    name = Path(adapter).name if adapter else Path(path).name
    try:
        if sha is not None and (rec := Registry().get(sha)) is not None:
            name = rec.name
    except ValueError:  # an unreadable registry: the file's own name will do
        pass
    return {
        "sha256": sha,
        "name": name,
        "path": str(Path(path).resolve()),
        "adapter": str(Path(adapter).resolve()) if adapter else None,
    }
