"""Record schemas shared by the server (writes telemetry), training (reads and writes examples)
and evaluation (reads examples as files). One definition each; corrupt input fails with the
line and the field that is wrong.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

SCHEMA_VERSION = 1

# The seed's pattern categories: "<group>/<topic>". The curated set covers every one; `data report`
# measures balance over them; evaluation tasks use the same names.
CATEGORIES: tuple[str, ...] = (
    "turbo-frames/navigation",
    "turbo-frames/lazy-loading",
    "turbo-frames/permanent-morphing",
    "turbo-frames/forms",
    "turbo-streams/actions",
    "turbo-streams/broadcasts",
    "turbo-streams/controller-responses",
    "turbo-streams/error-handling",
    "stimulus/targets",
    "stimulus/action-params",
    "stimulus/values",
    "stimulus/lifecycle",
    "stimulus/outlets",
    "advanced/progressive-enhancement",
    "advanced/native",
    "advanced/accessibility",
    "advanced/performance",
    "advanced/security",
)


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FileText(_Record):
    path: str = Field(min_length=1)
    content: str


class Example(_Record):
    """One dataset example in the seed format.

    `instruction`: natural-language `input` → `output` files, with `context` files the request refers to.
    `fim`: a hole in one file: `prefix` + `middle` + `suffix` is the file at `path`; no `input`.
    """

    id: str = Field(min_length=1)
    kind: Literal["instruction", "fim"]
    input: str = ""
    output: list[FileText] = []
    context: list[FileText] = []
    path: str = ""
    prefix: str = ""
    middle: str = ""
    suffix: str = ""
    category: str = Field(min_length=1)
    source: str = Field(min_length=1)
    license: str = Field(min_length=1)
    schema_version: int = SCHEMA_VERSION

    @model_validator(mode="after")
    def _kind_fields(self) -> Example:
        if self.kind == "instruction" and (not self.input.strip() or not self.output):
            raise ValueError("an instruction example needs a non-empty 'input' and at least one 'output' file")
        if self.kind == "fim" and (not self.path or not self.middle):
            raise ValueError("a fim example needs 'path' and a non-empty 'middle'")
        return self


class PreferencePair(_Record):
    """Chosen-vs-rejected code for one request, for a preference loss (DPO) or unlikelihood on `rejected`.

    Format-independent like `Example`: the prompt is built at training time with core.prompt for
    whichever model is trained. `fim`: the hole at `path` between `prefix` and `suffix`; `chosen` and
    `rejected` are two middles. `instruction`: `input` (+ `context`) asks for the file at `path`;
    `chosen` and `rejected` are two versions of it. `rejected` is what the rules engine (or a user's
    dismissal) says not to write. Telemetry ingestion writes these from dismissed suggestions.
    """

    id: str = Field(min_length=1)
    kind: Literal["instruction", "fim"]
    input: str = ""
    context: list[FileText] = []
    path: str = Field(min_length=1)
    prefix: str = ""
    suffix: str = ""
    chosen: str = ""  # empty when only the rejected side is known (a dismissed suggestion)
    rejected: str = Field(min_length=1)
    category: str = Field(min_length=1)
    source: str = Field(min_length=1)
    license: str = Field(min_length=1)
    schema_version: int = SCHEMA_VERSION

    @model_validator(mode="after")
    def _kind_fields(self) -> PreferencePair:
        if self.kind == "instruction" and not self.input.strip():
            raise ValueError("an instruction pair needs a non-empty 'input'")
        if self.chosen == self.rejected:
            raise ValueError("'chosen' and 'rejected' are the same text")
        return self


TelemetryKind = Literal["shown", "accepted", "rejected", "partial", "ignored", "survival"]


class TelemetryEvent(_Record):
    """One suggestion outcome. Code fields stay empty unless the user chose the `code` level."""

    suggestion_id: str = Field(min_length=1)
    kind: TelemetryKind
    ts: float
    language: str = ""
    file_type: str = ""
    latency_ms: float | None = None
    backend: str = ""
    model: str = ""  # the model's name (registry name, else its file name)
    model_sha256: str = ""  # core.registry identity of the model file(s); "" when unknown (remote models)
    prompt_format: str = ""
    # survival: share of the accepted text still present after `age_s` seconds (edit similarity, 0..1)
    age_s: float | None = None
    survival: float | None = Field(default=None, ge=0.0, le=1.0)
    accepted_chars: int | None = None
    # `code` level only (redacted): the file (workspace-relative), the text around the cursor, the
    # suggestion and, on survival events, what the inserted region holds now (the user-edited text)
    path: str = ""
    prefix: str = ""
    suffix: str = ""
    suggestion: str = ""
    surviving: str = ""
    schema_version: int = SCHEMA_VERSION


R = TypeVar("R", bound=BaseModel)


class DatasetError(ValueError):
    """A dataset file holds a line that is not a valid example."""


def describe_validation_error(e: ValidationError) -> str:
    """Every wrong field as `field.path: what is wrong`, for messages that name file:line."""
    return "; ".join(f"{'.'.join(map(str, err['loc'])) or 'record'}: {err['msg']}" for err in e.errors())


def _problem(e: Exception) -> str:
    return describe_validation_error(e) if isinstance(e, ValidationError) else f"not JSON ({e})"


def read_records(
    path: Path, model: type[R], *, skip_bad: bool = False, problems: list[str] | None = None
) -> Iterator[R]:
    """Yield records from a JSONL file. A bad line raises DatasetError naming file:line and the field;
    with `skip_bad` it is skipped instead and the same message appended to `problems` — never dropped silently."""
    if skip_bad and problems is None:
        raise ValueError("skip_bad needs a `problems` list to report skipped lines in")
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                yield model.model_validate(json.loads(line))
            except (json.JSONDecodeError, ValidationError) as e:
                message = f"{path}:{n}: {_problem(e)}"
                if not skip_bad:
                    raise DatasetError(message) from None
                problems.append(message)  # type: ignore[union-attr]


def read_examples(path: Path, *, skip_bad: bool = False, problems: list[str] | None = None) -> Iterator[Example]:
    return read_records(path, Example, skip_bad=skip_bad, problems=problems)


def read_pairs(path: Path, *, skip_bad: bool = False, problems: list[str] | None = None) -> Iterator[PreferencePair]:
    return read_records(path, PreferencePair, skip_bad=skip_bad, problems=problems)


def write_examples(path: Path, examples: Sequence[BaseModel]) -> None:
    """Write atomically, so an interrupted write never leaves half a dataset."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for ex in examples:
            f.write(ex.model_dump_json(exclude_defaults=False) + "\n")
    tmp.replace(path)
