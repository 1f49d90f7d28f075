"""Dynamic Turbo/Stimulus checks: run generated `<turbo-stream>` markup and Stimulus controllers with the real
libraries (jsdom + @hotwired/turbo + @hotwired/stimulus, from the repo's node_modules).

Static rules cannot prove that a stream action really changes the page or that a controller connects; these
checks can. One Node process per batch (`evaluation/dynamic/runner.mjs`) reads samples as JSON lines and
answers one line each, so Node and jsdom start once, not once per sample. A sample that hangs is cut off by
the runner's per-sample timeout and the batch goes on.
"""

from __future__ import annotations

import html
import json
import os
import queue
import re
import shutil
import subprocess
import threading
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from hotwire_assist.core.appindex import stimulus_identifier
from hotwire_assist.core.hotwire import stimulus_default_event
from hotwire_assist.core.schemas import FileText

RUNNER = Path(__file__).with_name("dynamic") / "runner.mjs"
NODE_PACKAGES = ("jsdom", "@hotwired/turbo", "@hotwired/stimulus", "acorn")
MIN_NODE = (20, 19)  # jsdom 29
STARTUP_GRACE_S = 30.0  # Node + jsdom start, and a worker restart after a timeout, on a loaded machine


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Expectation(_Model):
    """What the DOM must hold afterwards.

    `absent`: nothing matches (with `text`: no match contains it); `count`: exactly that many match; `text`:
    some match's whitespace-normalised text (a form field's value) contains it; a bare selector: at least one
    element matches. Attributes and classes are part of the selector (`#menu[hidden]`)."""

    selector: str = Field(min_length=1)
    count: int | None = Field(default=None, ge=0)
    text: str | None = None
    absent: bool = False


class Action(_Model):
    """An event fired on every element `selector` matches, after setting `value` (form fields) if given."""

    selector: str = Field(min_length=1)
    event: str = Field(default="click", min_length=1)
    value: str | None = None
    key: str | None = None  # KeyboardEvent.key for key* events, e.g. "Enter"


class TurboStreamSample(_Model):
    id: str = Field(min_length=1)
    kind: Literal["turbo_stream"] = "turbo_stream"
    markup: str
    fixture_html: str = ""
    expect: list[Expectation] = []


class StimulusSample(_Model):
    id: str = Field(min_length=1)
    kind: Literal["stimulus"] = "stimulus"
    identifier: str = Field(pattern=r"^[a-z0-9]+(?:-{1,2}[a-z0-9]+)*$")
    controller_source: str
    fixture_html: str = ""
    actions: list[Action] = []
    expect: list[Expectation] = []
    source_path: str = ""  # names the file in error locations
    stub_missing_targets: bool = False  # derived fixtures: add the declared targets a view does not provide


DynamicSample = Annotated[TurboStreamSample | StimulusSample, Field(discriminator="kind")]
_SAMPLE = TypeAdapter(DynamicSample)


class DynamicResult(_Model):
    """One sample's outcome: `checks` by name (for SampleResult.dynamic), `error` says what failed."""

    id: str
    ok: bool
    checks: dict[str, bool] = {}
    error: str | None = None
    console: list[str] = []  # what the page logged at warn/error level, and harness notes
    duration_ms: float = 0.0


class DynamicUnavailable(RuntimeError):
    """Node or the npm packages the checks run on are missing."""


class DynamicSampleError(ValueError):
    """A samples file holds a record that is not a dynamic sample."""


def parse_sample(record: object, where: str = "sample") -> TurboStreamSample | StimulusSample:
    """Validate one record (a dict from JSON); errors name `where` and the bad fields."""
    try:
        return _SAMPLE.validate_python(record)
    except ValidationError as e:
        problems = "; ".join(f"{_field(err['loc'])}: {err['msg']}" for err in e.errors())
        raise DynamicSampleError(f"{where}: {problems}") from None


def _field(loc: tuple) -> str:
    """`('stimulus', 'actions', 0, 'selector')` -> `actions.0.selector` (the kind tag says nothing new)."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("stimulus", "turbo_stream"):
        parts = parts[1:]
    return ".".join(parts) or "record"


def read_samples(path: Path) -> list[TurboStreamSample | StimulusSample]:
    """Samples from a JSON-lines file; a bad line is an error naming path:line."""
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            raise DynamicSampleError(f"{path}:{n}: invalid JSON: {e.msg}") from None
        out.append(parse_sample(record, f"{path}:{n}"))
    return out


# --- finding Node and the packages -----------------------------------------------------------------------


def find_node_modules(search_from: Sequence[Path] = ()) -> Path | None:
    """$HOTWIRE_ASSIST_NODE_MODULES, or the first node_modules holding jsdom above `search_from`, the cwd or
    this package (a checkout's `.venv` sits under the repo root, whose `npm ci` installed the packages)."""
    env = os.environ.get("HOTWIRE_ASSIST_NODE_MODULES")
    if env:
        return Path(env)
    for start in [*(p.resolve() for p in search_from), Path.cwd(), Path(__file__).resolve().parent]:
        for d in [start, *start.parents]:
            if (d / "node_modules" / "jsdom").is_dir():
                return d / "node_modules"
    return None


def _node_version(node: str) -> tuple[int, ...] | None:
    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.match(r"v(\d+)\.(\d+)", out.strip())
    return (int(m.group(1)), int(m.group(2))) if m else None


def dynamic_available(node_modules: Path | None = None) -> str | None:
    """None when the checks can run; otherwise the reason (what is missing and how to get it)."""
    node = shutil.which("node")
    if node is None:
        return "node is not on PATH (install Node 20.19 or newer)"
    version = _node_version(node)
    if version is None or version < MIN_NODE:
        found = ".".join(map(str, version)) if version else "unknown"
        return f"Node {found} is too old: jsdom needs {MIN_NODE[0]}.{MIN_NODE[1]} or newer"
    nm = node_modules or find_node_modules()
    if nm is None:
        return "no node_modules with jsdom found (run `npm ci` at the repo root)"
    missing = [p for p in NODE_PACKAGES if not (nm / p / "package.json").is_file()]
    if missing:
        return f"npm packages missing in {nm}: {', '.join(missing)} (run `npm ci` at the repo root)"
    return None


# --- running a batch -------------------------------------------------------------------------------------


def run_dynamic_checks(
    samples: Sequence[TurboStreamSample | StimulusSample],
    timeout_s: float = 5.0,
    *,
    node_modules: Path | None = None,
    on_result: Callable[[DynamicResult], None] | None = None,
) -> list[DynamicResult]:
    """Run every sample in one Node process; results come back in the order of `samples`.

    `timeout_s` bounds each sample. `on_result` is called as each result arrives (progress bars).
    Raises DynamicUnavailable when Node or the packages are missing, ValueError on duplicate ids.
    """
    if not samples:
        return []
    seen: set[str] = set()
    for s in samples:
        if s.id in seen:
            raise ValueError(f"duplicate dynamic sample id {s.id!r}: ids must be unique within a batch")
        seen.add(s.id)
    nm = node_modules or find_node_modules()
    reason = dynamic_available(nm)
    if reason:
        raise DynamicUnavailable(reason)
    assert nm is not None
    batch = _Batch(list(samples), timeout_s, nm)
    return batch.run(on_result)


@dataclass
class _Batch:
    samples: list[TurboStreamSample | StimulusSample]
    timeout_s: float
    node_modules: Path
    stderr: deque[str] = field(default_factory=lambda: deque(maxlen=40))

    def command(self) -> list[str]:
        node = shutil.which("node") or "node"
        return [
            node,
            "--experimental-vm-modules",  # the controller source is loaded as a real ES module (vm.SourceTextModule)
            "--no-warnings",
            str(RUNNER),
            "--node-modules",
            str(self.node_modules),
            "--timeout-ms",
            str(max(1, round(self.timeout_s * 1000))),
        ]

    def run(self, on_result: Callable[[DynamicResult], None] | None) -> list[DynamicResult]:
        proc = subprocess.Popen(
            self.command(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        lines: queue.Queue[str | None] = queue.Queue()
        threads = [
            threading.Thread(target=self._write, args=(proc,), daemon=True),
            threading.Thread(target=_pump, args=(proc.stdout, lines.put), daemon=True),
            threading.Thread(target=_pump, args=(proc.stderr, self.stderr.append), daemon=True),
        ]
        for t in threads:
            t.start()
        results: dict[str, DynamicResult] = {}
        try:
            self._collect(proc, lines, results, on_result)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        return [results[s.id] for s in self.samples]

    def _write(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdin is not None
        try:
            for s in self.samples:
                proc.stdin.write(s.model_dump_json() + "\n")
            proc.stdin.close()
        except (BrokenPipeError, OSError, ValueError):
            pass  # the runner died; _collect reports it

    def _collect(
        self,
        proc: subprocess.Popen[str],
        lines: queue.Queue[str | None],
        results: dict[str, DynamicResult],
        on_result: Callable[[DynamicResult], None] | None,
    ) -> None:
        wait_s = self.timeout_s + STARTUP_GRACE_S  # the runner cuts a sample at timeout_s; this is the backstop
        wanted = {s.id for s in self.samples}
        while len(results) < len(self.samples):
            try:
                line = lines.get(timeout=wait_s)
            except queue.Empty:
                self._fail_rest(results, f"the Node runner gave no result within {wait_s:.0f} s and was stopped")
                return
            if line is None:
                proc.wait()
                tail = " | ".join(s.strip() for s in self.stderr if s.strip())[-800:]
                detail = f": {tail}" if tail else ""
                self._fail_rest(results, f"the Node runner exited (code {proc.returncode}){detail}")
                return
            result = self._parse(line)
            if result is None or result.id in results or result.id not in wanted:
                continue
            results[result.id] = result
            if on_result:
                on_result(result)

    def _parse(self, line: str) -> DynamicResult | None:
        try:
            return DynamicResult.model_validate_json(line)
        except ValidationError:
            self.stderr.append(f"unreadable runner output: {line[:200]}")
            return None

    def _fail_rest(self, results: dict[str, DynamicResult], error: str) -> None:
        for s in self.samples:
            results.setdefault(s.id, DynamicResult(id=s.id, ok=False, error=error))


def _pump(stream, put: Callable) -> None:  # type: ignore[no-untyped-def]
    """Forward a pipe's lines (then None, at EOF) so the reader never blocks on a full pipe."""
    for line in stream:
        put(line)
    put(None)


# --- deriving samples from generated files ---------------------------------------------------------------

_STREAM_BLOCK = re.compile(r"<turbo-stream\b[^>]*>.*?</turbo-stream>", re.S | re.I)
_ERB_TAG = re.compile(r"<%(?!%).*?%>", re.S)
_ATTR = re.compile(r"""([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_TEMPLATE = re.compile(r"<template\b[^>]*>(.*)</template>", re.S | re.I)
_ID = re.compile(r"""\bid\s*=\s*["']([^"'<>]+)["']""")
_TAG = re.compile(r"<[^>]*>")
_DATA_ACTION = re.compile(r"<(\w+)\b([^>]*)\bdata-action\s*=\s*[\"']([^\"']+)[\"']", re.I)
_DESCRIPTOR = re.compile(r"^(?:([\w:.-]+(?:@(?:window|document))?)->)?([a-z0-9-]+)#([\w$]+)")
_KEYS = {"enter": "Enter", "esc": "Escape", "space": " ", "tab": "Tab", "up": "ArrowUp", "down": "ArrowDown"}
_KEYS |= {"left": "ArrowLeft", "right": "ArrowRight", "home": "Home", "end": "End"}


@dataclass
class DerivedSamples:
    samples: list[TurboStreamSample | StimulusSample] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # path: why nothing (or not everything) was checked


def strip_erb(text: str) -> str:
    """Drop ERB tags: what is left is the literal markup a template always produces (best effort)."""
    return _ERB_TAG.sub("", text)


def _attrs(tag: str) -> dict[str, str]:
    return {m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3) for m in _ATTR.finditer(tag)}


def _id_selector(element_id: str) -> str:
    return f"[id={json.dumps(element_id)}]"


def _is_view(f: FileText) -> bool:
    return f.path.endswith((".html.erb", ".html")) and not f.path.endswith(".turbo_stream.erb")


def _stream_expectations(attrs: dict[str, str], block: str) -> list[Expectation]:
    """What a literal stream must visibly do: remove its target, or put the template's elements/text in."""
    action, target, targets = attrs.get("action"), attrs.get("target"), attrs.get("targets")
    where = _id_selector(target) if target else targets
    if not where or action in (None, "refresh"):
        return []
    if action == "remove":
        return [Expectation(selector=where, absent=True)]
    m = _TEMPLATE.search(block)
    content = m.group(1) if m else ""
    ids = _ID.findall(content)
    if ids:
        return [Expectation(selector=_id_selector(i), count=1) for i in dict.fromkeys(ids)]
    text = " ".join(html.unescape(_TAG.sub("", content)).split())
    if text and action in ("append", "prepend", "update") and target:
        return [Expectation(selector=where, text=text[:200])]
    return []


def _stream_sample(f: FileText, fixture: str, id_prefix: str, skipped: list[str]) -> TurboStreamSample | None:
    blocks, expect, target_ids = [], [], []
    for i, block in enumerate(_STREAM_BLOCK.findall(f.content)):
        opening = block[: block.index(">") + 1]
        if "<%" in opening:
            skipped.append(f"{f.path}: stream {i} has ERB in its attributes; only literal markup is checked")
            continue
        literal = strip_erb(block)
        attrs = _attrs(opening)
        blocks.append(literal)
        expect += _stream_expectations(attrs, literal)
        if attrs.get("target"):
            target_ids.append(attrs["target"])
    if not blocks:
        skipped.append(f"{f.path}: no literal <turbo-stream> markup (helpers need ActionView, out of scope)")
        return None
    # Targets no given view defines get a placeholder: whether the id exists in the app is the static rules'
    # question; here the question is whether Turbo runs the stream and it changes the page.
    present = set(_ID.findall(fixture))
    placeholders = "".join(f'<div id="{html.escape(t)}"></div>' for t in dict.fromkeys(target_ids) if t not in present)
    return TurboStreamSample(
        id=f"{id_prefix}{f.path}", markup="\n".join(blocks), fixture_html=fixture + placeholders, expect=expect
    )


def _actions_for(identifier: str, fixture: str) -> tuple[list[Action], list[str]]:
    actions, notes = [], []
    for tag, _attrs_text, value in _DATA_ACTION.findall(fixture):
        for descriptor in value.split():
            m = _DESCRIPTOR.match(descriptor)
            if not m or m.group(2) != identifier:
                continue
            event_part = m.group(1) or stimulus_default_event(tag)
            if "@" in event_part:
                notes.append(f"{descriptor}: window/document events are not fired")
                continue
            event, _, key_filter = event_part.partition(".")
            key = _KEYS.get(key_filter, key_filter or None) if key_filter else None
            selector = f"[data-action*={json.dumps(f'{identifier}#{m.group(3)}')}]"
            actions.append(Action(selector=selector, event=event, key=key))
    unique = {a.model_dump_json(): a for a in actions}
    return list(unique.values()), notes


def _stimulus_sample(
    f: FileText, identifier: str, views: list[FileText], id_prefix: str, skipped: list[str]
) -> StimulusSample:
    uses = re.compile(rf"""data-controller\s*=\s*["'][^"']*(?<![\w-]){re.escape(identifier)}(?![\w-])""")
    fixture = "\n".join(strip_erb(v.content) for v in views if uses.search(v.content))
    if not fixture:
        fixture = f'<div data-controller="{identifier}"></div>'
        skipped.append(f"{f.path}: no given view uses data-controller={identifier!r}; checked on a bare element")
    actions, notes = _actions_for(identifier, fixture)
    skipped += [f"{f.path}: {n}" for n in notes]
    return StimulusSample(
        id=f"{id_prefix}{f.path}",
        identifier=identifier,
        controller_source=f.content,
        fixture_html=fixture,
        actions=actions,
        source_path=f.path,
        stub_missing_targets=True,
    )


def derive_samples(
    files: Iterable[FileText], context: Iterable[FileText] = (), *, id_prefix: str = ""
) -> DerivedSamples:
    """Dynamic samples for generated files: each `*.turbo_stream.erb` with literal `<turbo-stream>` markup,
    and each Stimulus controller (`controllers/*_controller.js`), with fixtures from the views among `files`
    and `context` (ERB tags dropped). Best effort: what cannot be checked is listed in `skipped`."""
    files = list(files)
    views = [v for v in [*files, *context] if _is_view(v)]
    fixture = "\n".join(strip_erb(v.content) for v in views)
    out = DerivedSamples()
    for f in files:
        if f.path.endswith(".turbo_stream.erb"):
            sample = _stream_sample(f, fixture, id_prefix, out.skipped)
            if sample:
                out.samples.append(sample)
        elif f.path.endswith((".js", ".mjs")) and (identifier := stimulus_identifier(f.path)):
            out.samples.append(_stimulus_sample(f, identifier, views, id_prefix, out.skipped))
    return out


def samples_from_files(
    files: Iterable[FileText], context: Iterable[FileText] = (), *, id_prefix: str = ""
) -> list[TurboStreamSample | StimulusSample]:
    """derive_samples without the notes: the dynamic samples the generated `files` allow."""
    return derive_samples(files, context, id_prefix=id_prefix).samples
