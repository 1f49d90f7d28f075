""" "Generate from a request": a natural-language request -> instruction prompt -> model answer in the
`### File: path` layout -> files checked by the rules engine -> one WorkspaceEdit, or a reason why not.

Pure functions (the model call takes a backend and a cancel event); the server's command handler only
gathers the inputs, runs `generate_answer` off the event loop and sends the edit. A generated file that
is outside the workspace, private, or has an error-level finding the file did not already have stops the
whole answer: the user gets a message and no edit, never a half-applied or broken one.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types

from hotwire_assist.backends import Backend, GenerationParams
from hotwire_assist.backends.generation import generate_fitted
from hotwire_assist.core.appindex import AppIndex, read_text
from hotwire_assist.core.context import ExampleRetriever, build_context
from hotwire_assist.core.privacy import is_excluded, read_gated
from hotwire_assist.core.prompt import PromptFamily, Snippet, instruction_prompt, instruction_stop, parse_files
from hotwire_assist.core.rules import Finding, check_source
from hotwire_assist.core.secrets import is_redacted

COMMAND = "hotwire-assist.generateFeature"
MAX_TOKENS = 1024  # a feature is a few short files; more is a model that does not stop (the window may lower it)
MIN_TIMEOUT_S = 60.0  # completions get model.timeout_s; a whole feature needs longer
CURRENT_FILE_CHARS = 3000  # the file being edited is shown whole up to this
ANNOTATION_ID = "hotwire-assist.generate"
_WORD = re.compile(r"[a-z]{3,}")


class GenerateError(ValueError):
    """Why a request got no edit; the message is shown to the user as it is."""


@dataclass(frozen=True)
class Request:
    text: str
    uri: str | None = None
    apply: bool = True  # False: the client previews and applies the returned edit itself


@dataclass(frozen=True)
class GeneratedFile:
    path: Path  # absolute, inside the workspace
    rel: str
    text: str
    old_text: str | None  # None: a new file


@dataclass
class Outcome:
    """A checked answer: files to write (empty when rejected) and what to tell the user."""

    files: list[GeneratedFile] = field(default_factory=list)
    message: str = ""
    findings: list[Finding] = field(default_factory=list)  # warnings kept in an accepted answer

    @property
    def ok(self) -> bool:
        return bool(self.files)


# --- arguments -------------------------------------------------------------------------------------


def parse_arguments(args: Sequence[Any]) -> Request:
    """`["request", "file:///current.erb"?]` (any client) or `[{"request", "uri"?, "apply"?}]` (ours)."""
    first = args[0] if args else None
    if isinstance(first, dict):
        text, uri, apply = first.get("request"), first.get("uri"), first.get("apply", True)
    else:
        text, uri, apply = first, args[1] if len(args) > 1 else None, True
    if not isinstance(text, str) or not text.strip():
        raise GenerateError("describe the feature to generate (the command needs a request text)")
    if uri is not None and not isinstance(uri, str):
        raise GenerateError("the document argument must be a URI string")
    return Request(text.strip(), uri or None, apply is not False)


# --- prompt ----------------------------------------------------------------------------------------


def anchor_file(index: AppIndex, request: str) -> str | None:
    """Without a current file: the app file whose path shares most words with the request."""
    words = set(_WORD.findall(request.lower()))
    words |= {w[:-1] for w in words if w.endswith("s")}
    best, score = None, 0
    for path in sorted(index.files):
        parts = set(re.split(r"[^a-z]+", index.rel(path).lower()))
        parts |= {p[:-1] for p in parts if p.endswith("s")}
        hits = len(words & parts)
        if hits > score:
            best, score = path, hits
    return best


def feature_context(
    index: AppIndex | None,
    root: Path,
    request: str,
    current: Path | None,
    *,
    budget_chars: int,
    exclude: Sequence[str] = (),
    retriever: ExampleRetriever | None = None,
    read: Callable[[Path], str | None] = read_text,
) -> list[Snippet]:
    """The current file (or the app file the request names), its Rails neighbours and similar examples."""
    anchor = current if current is not None else None
    if anchor is None and index is not None and (found := anchor_file(index, request)):
        anchor = Path(found)
    out: list[Snippet] = []
    if anchor is not None:
        text = read_gated(anchor, root, exclude, read)  # None when excluded: never read
        if text and len(text) <= CURRENT_FILE_CHARS:
            out.append(Snippet(_rel(anchor, root) or anchor.name, text))
    if index is not None and anchor is not None:
        used = sum(len(s.text) for s in out)
        more = build_context(
            index, anchor, request, budget_chars=max(0, budget_chars - used), exclude=exclude, retriever=retriever
        )
        out += more
    return out


def _rel(path: Path, root: Path) -> str | None:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


# --- generation ------------------------------------------------------------------------------------


def generate_answer(
    backend: Backend,
    family: PromptFamily,
    request: str,
    context: list[Snippet],
    cancel: threading.Event,
    max_tokens: int = MAX_TOKENS,
) -> str:
    """The model's whole answer (blocking; run it in a thread). Prompt and answer are fitted to the model's
    window: the least related context goes first, and the answer gets what the window leaves."""
    params = GenerationParams(max_tokens=max_tokens, stop=instruction_stop(family))
    context = list(context)
    full = len(instruction_prompt(request, context))
    return generate_fitted(backend, lambda b: instruction_prompt(request, context, b), full, params, cancel)


# --- checking --------------------------------------------------------------------------------------


def resolve_files(
    answer: str, root: Path, exclude: Sequence[str], read: Callable[[Path], str | None]
) -> list[GeneratedFile]:
    """The answer's files as workspace paths; raises GenerateError for an empty answer or a bad path."""
    parsed = parse_files(answer)
    if not parsed:
        raise GenerateError("the model's answer has no `### File: path` blocks, so there is nothing to apply")
    out: dict[str, GeneratedFile] = {}
    for s in parsed:
        name = s.path
        rel = _rel(root / name, root) if name and not Path(name).is_absolute() else None
        if rel is None:
            raise GenerateError(f"the model wrote to `{name}`, outside the workspace; nothing was applied")
        full = root / rel
        if is_excluded(full, root, exclude):
            raise GenerateError(f"the model wrote to `{rel}`, which privacy settings exclude; nothing was applied")
        if rel in out:
            raise GenerateError(f"the model wrote `{rel}` twice; nothing was applied")
        old = read(full) if full.is_file() else None
        if not s.text.strip():
            raise GenerateError(f"the model's `{rel}` is empty; nothing was applied")
        if is_redacted(s.text):  # the prompt's secrets were redacted: never write a marker over a real one
            raise GenerateError(f"the model's `{rel}` holds a redacted secret ([REDACTED:…]); nothing was applied")
        out[rel] = GeneratedFile(full, rel, s.text, old)
    return list(out.values())


def scratch_index(index: AppIndex | None, root: Path, files: Sequence[GeneratedFile]) -> AppIndex:
    """The app index as it would be with the generated files written (the live index is untouched)."""
    copy = AppIndex(root)
    if index is not None:
        copy.files = dict(index.files)
        copy.versions = index.versions
    for f in files:
        copy.update_file(str(f.path), f.text)
    return copy


def new_errors(path: str, old: str | None, new: str, index: AppIndex) -> list[Finding]:
    """Error-level findings of `new` beyond those `old` already had (a generation is not blamed for those)."""
    found = check_source(path, new, index)
    before = Counter(f.rule for f in check_source(path, old, index) if f.severity == "error") if old else Counter()
    out = []
    for f in found:
        if f.severity != "error":
            continue
        if before[f.rule] > 0:
            before[f.rule] -= 1
            continue
        out.append(f)
    return out


def check_answer(
    answer: str,
    root: Path,
    index: AppIndex | None,
    exclude: Sequence[str] = (),
    read: Callable[[Path], str | None] = read_text,
) -> Outcome:
    """Accept the answer only when every path is allowed and no file gains an error-level finding."""
    try:
        files = resolve_files(answer, root, exclude, read)
    except GenerateError as e:
        return Outcome(message=str(e))
    files = [f for f in files if f.text != f.old_text]
    if not files:
        return Outcome(message="the model's answer changes nothing")
    index = scratch_index(index, root, files)
    warnings: list[Finding] = []
    for f in files:
        errors = new_errors(str(f.path), f.old_text, f.text, index)
        if errors:
            e = errors[0]
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            return Outcome(
                message=f"the generated {f.rel}:{e.line} has an error: {e.message} [{e.rule}]{more}; "
                "nothing was applied",
                findings=errors,
            )
        warnings += [x for x in check_source(str(f.path), f.text, index, external=False) if x.severity != "error"]
    names = ", ".join(f.rel for f in files)
    note = f" ({len(warnings)} warning{'s' * (len(warnings) != 1)})" if warnings else ""
    return Outcome(files, f"generated {names}{note}", warnings)


# --- the edit --------------------------------------------------------------------------------------


def _end_of(text: str) -> types.Position:
    lines = text.split("\n")
    return types.Position(len(lines) - 1, len(lines[-1].encode("utf-16-le")) // 2)


def to_workspace_edit(
    files: Sequence[GeneratedFile],
    label: str,
    versions: dict[str, int | None] | None = None,
    annotate: bool = True,
) -> types.WorkspaceEdit:
    """One edit: each new file created then filled, each existing one replaced whole. With `annotate`
    every change carries an annotation that needs confirmation, so the editor previews before applying."""
    versions = versions or {}
    ann = ANNOTATION_ID if annotate else None
    changes: list = []
    for f in files:
        uri = f.path.as_uri()
        ident = types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=versions.get(uri))
        if f.old_text is None:
            changes.append(
                types.CreateFile(uri=uri, options=types.CreateFileOptions(overwrite=False), annotation_id=ann)
            )
            where = types.Range(types.Position(0, 0), types.Position(0, 0))
        else:
            where = types.Range(types.Position(0, 0), _end_of(f.old_text))
        edit = (
            types.AnnotatedTextEdit(range=where, new_text=f.text, annotation_id=ann)
            if ann
            else types.TextEdit(where, f.text)
        )
        changes.append(types.TextDocumentEdit(ident, [edit]))
    annotations = None
    if annotate:
        note = types.ChangeAnnotation(label=label, needs_confirmation=True, description="hotwire-assist generated")
        annotations = {ANNOTATION_ID: note}
    return types.WorkspaceEdit(document_changes=changes, change_annotations=annotations)


def generation_timeout(model_timeout_s: float) -> float:
    """A whole feature takes many completions' time; never less than MIN_TIMEOUT_S."""
    return max(MIN_TIMEOUT_S, model_timeout_s * 6)


# --- the command -----------------------------------------------------------------------------------


def _answer(message: str, edit: types.WorkspaceEdit | None = None, **extra: Any) -> dict[str, Any]:
    from lsprotocol.converters import get_converter

    body = get_converter().unstructure(edit, types.WorkspaceEdit) if edit is not None else None
    return {"message": f"hotwire-assist: {message}", "edit": body, **extra}


async def run_command(ls: Any, args: Sequence[Any]) -> dict[str, Any]:
    """The `hotwire-assist.generateFeature` command for the server `ls` (a HotwireServer): every outcome
    is a result with a message; only an accepted answer carries an edit (sent with workspace/applyEdit
    unless the client asked to apply it itself)."""
    import asyncio

    from pygls.uris import to_fs_path

    from hotwire_assist.backends import BackendError

    def refuse(message: str, **extra: Any) -> dict[str, Any]:
        answer = _answer(message, applied=False, **extra)
        ls.notify_user(answer["message"], types.MessageType.Warning)
        return answer

    try:
        req = parse_arguments(args)
    except GenerateError as e:
        return refuse(str(e))
    if ls.root is None:
        return refuse("open the Rails app's folder as the workspace to generate a feature")
    if ls.engine is None:
        return refuse("no model is running (see the earlier message about the model backend)")
    root: Path = ls.root
    config = ls.config
    index = await ls.ready_index()

    def read(p: Path) -> str | None:
        uri = p.as_uri()
        return ls.workspace.get_text_document(uri).source if ls.is_open(uri) else read_text(p)

    current = Path(to_fs_path(req.uri) or "") if req.uri else None
    if current is not None and _rel(current, root) is None:
        current = None
    retriever = ls.context.retriever()
    budget = config.completion.prompt_chars  # the generation helper fits it to the model's window in tokens
    context = await asyncio.to_thread(
        feature_context, index, root, req.text, current, budget_chars=budget,
        exclude=config.privacy.exclude, retriever=retriever, read=read,
    )  # fmt: skip
    cancel = threading.Event()
    engine = ls.engine
    work = asyncio.to_thread(generate_answer, engine.backend, engine.family, req.text, context, cancel, MAX_TOKENS)
    timeout = generation_timeout(config.model.timeout_s)
    try:
        answer = await asyncio.wait_for(work, timeout)
    except asyncio.CancelledError:
        cancel.set()  # the client cancelled the request: stop the model
        raise
    except TimeoutError:
        cancel.set()
        return refuse(f"the model took longer than {timeout:g} s; nothing was applied")
    except BackendError as e:
        return refuse(f"the model failed: {e.user_message()}")
    outcome = await asyncio.to_thread(check_answer, answer, root, index, config.privacy.exclude, read)
    if not outcome.ok:
        return refuse(outcome.message, findings=[f.to_json() for f in outcome.findings])
    uris = [f.path.as_uri() for f in outcome.files]
    versions = {u: ls.workspace.get_text_document(u).version for u in uris if ls.is_open(u)}
    ws = ls.client_capabilities.workspace
    annotate = bool(ws and ws.workspace_edit and ws.workspace_edit.change_annotation_support)
    edit = to_workspace_edit(outcome.files, req.text, versions, annotate)
    files = [f.rel for f in outcome.files]
    warnings = [f.to_json() for f in outcome.findings]
    if not req.apply:
        return _answer(outcome.message, edit, applied=False, files=files, findings=warnings)
    result = await ls.workspace_apply_edit_async(
        types.ApplyWorkspaceEditParams(edit=edit, label=f"hotwire-assist: {req.text}")
    )
    if not result.applied:
        why = f": {result.failure_reason}" if result.failure_reason else ""
        return refuse(f"the editor did not apply the generated files{why}", files=files)
    answer = _answer(outcome.message, None, applied=True, files=files, findings=warnings)  # applied: no 2nd copy
    ls.notify_user(answer["message"], types.MessageType.Info)
    return answer
