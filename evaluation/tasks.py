"""Evaluation task sets: what the model is asked, and what its answer must satisfy.

Two sets ship in `evaluation/tasks/`, written for this project and kept apart from training data (the
contamination check enforces it): `generation.jsonl` (a request + context files → files, checked by
per-task expectations) and `fim.jsonl` (holes cut deterministically from the Rails files under
`tasks/fim_sources/`, with the original text as reference). A bad line fails with file:line.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hotwire_assist.core.rules.findings import DIMENSIONS
from hotwire_assist.core.schemas import CATEGORIES, FileText

TASKS_DIR = Path(__file__).parent / "tasks"
GENERATION_FILE = "generation.jsonl"
FIM_FILE = "fim.jsonl"
FIM_SOURCES = "fim_sources"
FIM_MANIFEST = "manifest.json"  # model-visible path → category, for every source file holes are cut from


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Expectation(_Model):
    """One check on the generated files. Files are those whose path matches `file_glob` (`**` spans folders).

    With nothing else set it asks that such a file exists. `contains`/`regex` must hold in at least one
    matching file; `absent`/`not_regex` must hold in none. A failed expectation costs its `dimension`
    one error (see scoring.py)."""

    name: str = Field(min_length=1)
    file_glob: str = "**"
    contains: str | None = None
    regex: str | None = None
    absent: str | None = None
    not_regex: str | None = None
    dimension: str = "conventions"

    @field_validator("regex", "not_regex")
    @classmethod
    def _compiles(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                re.compile(v)
            except re.error as e:
                raise ValueError(f"not a valid regex: {e}") from None
        return v

    @field_validator("dimension")
    @classmethod
    def _dimension(cls, v: str) -> str:
        if v not in DIMENSIONS:
            raise ValueError(f"unknown dimension '{v}' (known: {', '.join(DIMENSIONS)})")
        return v

    def check(self, files: Iterable[FileText]) -> bool:
        matching = [f for f in files if glob_match(self.file_glob, f.path)]
        if not matching:
            return False
        if self.contains is not None and not any(self.contains in f.content for f in matching):
            return False
        if self.regex is not None and not any(re.search(self.regex, f.content, re.M) for f in matching):
            return False
        if self.absent is not None and any(self.absent in f.content for f in matching):
            return False
        return not (self.not_regex is not None and any(re.search(self.not_regex, f.content, re.M) for f in matching))


class _Task(_Model):
    id: str = Field(min_length=1)
    category: str

    @field_validator("category")
    @classmethod
    def _category(cls, v: str) -> str:
        if v not in CATEGORIES:
            raise ValueError(f"unknown category '{v}' (see core.schemas.CATEGORIES)")
        return v


class GenerationTask(_Task):
    """A request; the model answers with `### File: path` blocks (the training layout)."""

    kind: Literal["generation"] = "generation"
    request: str = Field(min_length=1)
    context: list[FileText] = []
    target_path: str = ""  # where an answer without `### File:` headers goes
    expectations: list[Expectation] = Field(min_length=1)
    reference: list[FileText] = []  # one answer that meets every expectation (tests hold the task set to it)

    @model_validator(mode="after")
    def _unique_names(self) -> GenerationTask:
        names = [e.name for e in self.expectations]
        if len(names) != len(set(names)):
            raise ValueError("expectation names must be unique within a task")
        return self


class FimTask(_Task):
    """A hole in one file; `prefix + middle + suffix` is the original file."""

    kind: Literal["fim"] = "fim"
    path: str = Field(min_length=1)
    prefix: str
    middle: str = Field(min_length=1)
    suffix: str

    @property
    def original(self) -> str:
        return self.prefix + self.middle + self.suffix


Task = GenerationTask | FimTask


class TaskError(ValueError):
    """A task file is missing or holds a bad line."""


@lru_cache(maxsize=256)
def _glob_re(glob: str) -> re.Pattern[str]:
    out, i = "", 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif glob.startswith("**", i):
            out, i = out + ".*", i + 2
        elif glob[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif glob[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(glob[i]), i + 1
    return re.compile(out + r"\Z")


def glob_match(glob: str, path: str) -> bool:
    """Path glob where `*` stays within a folder and `**/` spans any number of them (also none)."""
    return _glob_re(glob).match(path) is not None


def _read(path: Path, model: type[_Task]) -> list:
    if not path.is_file():
        raise TaskError(f"{path}: no such task file")
    out, seen = [], set()
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                task = model.model_validate(json.loads(line))
            except (json.JSONDecodeError, ValidationError) as e:
                raise TaskError(f"{path}:{n}: {e}") from None
            if task.id in seen:
                raise TaskError(f"{path}:{n}: duplicate task id '{task.id}'")
            seen.add(task.id)
            out.append(task)
    return out


def read_generation_tasks(path: Path | None = None) -> list[GenerationTask]:
    return _read(path or TASKS_DIR / GENERATION_FILE, GenerationTask)


def read_fim_tasks(path: Path | None = None) -> list[FimTask]:
    return _read(path or TASKS_DIR / FIM_FILE, FimTask)


def tasks_digest(tasks: Iterable[_Task]) -> str:
    """A fingerprint of a task set, so compare/gate can tell whether two runs answered the same questions."""
    h = hashlib.sha256()
    for t in sorted(tasks, key=lambda t: t.id):
        h.update(t.model_dump_json().encode())
    return h.hexdigest()[:16]


# --- cutting FIM holes ----------------------------------------------------------------------------------


def cut_holes(path: str, text: str, category: str, count: int, key: str = "") -> list[FimTask]:
    """`count` holes in one file, the way an editor asks: the rest of a line (from a word boundary after
    its indentation) or one to three whole lines. Seeded by `key` (default the path), so the same file
    always gives the same holes."""
    key = key or path
    rng = random.Random(int(hashlib.sha256(key.encode()).hexdigest(), 16))
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    candidates = [i for i, line in enumerate(lines) if len(line.strip()) >= 4]
    picked = sorted(rng.sample(candidates, min(count, len(candidates))))
    stem = re.sub(r"[^a-z0-9]+", "-", re.sub(r"\.[a-z.]+$", "", key.lower())).strip("-")
    out = []
    for n, i in enumerate(picked):
        line = lines[i].rstrip("\n")
        indent = len(line) - len(line.lstrip())
        if rng.random() < 0.3:
            j = min(len(lines), i + rng.randint(1, 3))
            start, end = starts[i] + indent, starts[j] - 1
        else:
            cuts = [indent] + [m.start() + 1 for m in re.finditer(r"[\s(=,]", line) if m.start() + 1 > indent]
            cuts = [c for c in cuts if c < len(line) - 1]
            start, end = starts[i] + rng.choice(cuts), starts[i] + len(line)
        middle = text[start:end]
        if not middle.strip():
            continue
        out.append(
            FimTask(
                id=f"fim-{stem}-{n + 1}",
                category=category,
                path=path,
                prefix=text[:start],
                middle=middle,
                suffix=text[end:],
            )
        )
    return out


def marker_holes(path: str, text: str, category: str) -> list[FimTask]:
    """One hole per line holding a Hotwire marker (core.hotwire.marker_cuts): the rest of the line after it."""
    from hotwire_assist.core.hotwire import marker_cuts

    stem = re.sub(r"[^a-z0-9]+", "-", re.sub(r"\.[a-z.]+$", "", path.lower())).strip("-")
    return [
        FimTask(
            id=f"marker-{stem}-{text.count(chr(10), 0, cut) + 1}",
            category=category,
            path=path,
            prefix=text[:cut],
            middle=text[cut:end],
            suffix=text[end:],
        )
        for cut, end in marker_cuts(text)
    ]


def build_fim_tasks(sources_dir: Path | None = None, per_file: int = 4) -> list[FimTask]:
    """Every hole of the FIM set, from the manifest's files (path relative to the sources folder)."""
    root = sources_dir or TASKS_DIR / FIM_SOURCES
    manifest = json.loads((root / FIM_MANIFEST).read_text(encoding="utf-8"))
    tasks: list[FimTask] = []
    for rel, category in manifest.items():
        text = (root / rel).read_text(encoding="utf-8")
        model_path = rel.split("/", 1)[1]  # drop the app folder: the model sees app/…
        tasks += cut_holes(model_path, text, category, per_file, key=rel)
    return tasks


def held_out_tasks(files: Iterable[Path]) -> list[GenerationTask]:
    """Generation tasks from the curated set's held-out split (fixed by hash, never trained on): the
    request and context as written, the example's own files as reference; the answer must write them.
    A held-out example with a file that (nearly) repeats a training example's file is left out: the
    model has seen that code, and the contamination check would fail the run."""
    from hotwire_assist.core.dedupe import NearDuplicateIndex
    from hotwire_assist.core.schemas import read_examples
    from hotwire_assist.training.corpus import is_held_out

    examples = [ex for path in files for ex in read_examples(path) if ex.kind == "instruction"]
    seen = NearDuplicateIndex()
    for ex in examples:
        for f in ex.output if not is_held_out(ex.id) else []:
            if f"{ex.id}:{f.path}" not in seen:
                seen.add(f"{ex.id}:{f.path}", f.content)
    tasks = []
    for ex in examples:
        if not is_held_out(ex.id) or any(seen.find(f.content) for f in ex.output):
            continue
        tasks.append(
            GenerationTask(
                id=f"held-out:{ex.id}",
                category=ex.category,
                request=ex.input,
                context=ex.context,
                target_path=ex.output[0].path,
                expectations=[Expectation(name=f"writes {f.path}", file_glob=f.path) for f in ex.output],
                reference=ex.output,
            )
        )
    return tasks


def write_tasks(path: Path, tasks: Iterable[_Task]) -> None:
    path.write_text("".join(t.model_dump_json() + "\n" for t in tasks), encoding="utf-8")
