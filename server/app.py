"""The pygls language server. Handlers read params, call the pipeline, return lsprotocol types."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import attrs
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidRequest, JsonRpcMethodNotFound, JsonRpcParseError
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.uris import to_fs_path

from hotwire_assist.backends import BackendError, make_backend
from hotwire_assist.core import __version__
from hotwire_assist.core.appindex import AppIndex, index_app, read_text
from hotwire_assist.core.config import Config, ConfigError, completion_allowed, load_config
from hotwire_assist.core.context import CURATED_DIR as _CURATED
from hotwire_assist.core.context import ContextCache
from hotwire_assist.core.hotwire import language_of
from hotwire_assist.core.privacy import is_excluded
from hotwire_assist.core.prompt import Snippet
from hotwire_assist.core.request import CompletionRequest, build_request, replace_lone_surrogates
from hotwire_assist.core.rules import check_source
from hotwire_assist.server.adapt_job import COMMAND as ADAPT_COMMAND
from hotwire_assist.server.adapt_job import AdaptJob, adapt_request
from hotwire_assist.server.code_actions import feature_actions, to_code_action
from hotwire_assist.server.completion import CompletionEngine, Suggestion
from hotwire_assist.server.diagnostics import quick_fixes, to_diagnostics
from hotwire_assist.server.documents import MAX_DOCUMENT_CHARS, describe_size, use_lsp_lines
from hotwire_assist.server.engine.retrieval import add_curated
from hotwire_assist.server.generate import COMMAND as GENERATE_COMMAND
from hotwire_assist.server.generate import run_command as run_generate
from hotwire_assist.server.hotwire_completions import LOOKBEHIND, index_completions, to_lsp_items
from hotwire_assist.server.looplag import STALE, LoopMonitor, cpu_work
from hotwire_assist.server.navigation import Symbol, definitions, hover_markdown, symbol_at
from hotwire_assist.server.telemetry import TelemetryRecorder, backend_identity, suggestion_id_of
from hotwire_assist.server.watch import IndexWatcher, reindex

log = logging.getLogger(__name__)
CURATED_DIR = _CURATED  # the curated examples' data files (not an import of training)
VERSION = __version__
DIAGNOSTICS_DEBOUNCE_S = 0.25
ACCEPTED_COMMAND = "hotwire-assist.accepted"
DISMISSED_NOTIFICATION = "hotwire-assist/dismissed"
INTERNALS_REQUEST = "hotwire-assist/internals"
CUSTOM_NOTIFICATIONS = frozenset({DISMISSED_NOTIFICATION})  # ours: lsprotocol does not know they are notifications
_ANSWERED = object()


def scrub_surrogates(value: Any) -> Any:
    """JSON may escape half a UTF-16 pair (`"\\ud800"`); no handler can encode one, so it becomes U+FFFD.

    Both are one UTF-16 code unit, so every LSP position into the text stays where the client meant it."""
    if isinstance(value, str):
        return replace_lone_surrogates(value)
    if isinstance(value, dict):
        return {scrub_surrogates(k): scrub_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub_surrogates(v) for v in value]
    return value


class _Protocol(LanguageServerProtocol):
    """Exactly one answer to every request, as JSON-RPC 2.0 and LSP 3.17 ask; pygls 2.1 drops these:

    - params that do not deserialize (a string, a number, null): InvalidParams;
    - a body that is JSON but no JSON-RPC message: InvalidRequest, id null;
    - a request named `$/…`: MethodNotFound (LSP: `$/` messages are optional; a request must be errored);
    - a request carrying a notification's name (with an id): MethodNotFound, and the notification's work is
      not done (`exit` with an id stops nothing);
    - any request after `shutdown`: InvalidRequest (pygls ignores it, and the client waits forever).
    Lone surrogates in any string are replaced first (see `scrub_surrogates`).
    """

    def structure_message(self, data: dict[str, Any]):
        if "jsonrpc" in data:  # the whole message (json calls this hook for every object, innermost first)
            data = {k: v if k == "id" else scrub_surrogates(v) for k, v in data.items()}  # the id is echoed as sent
        try:
            if "method" in data and "jsonrpc" in data and (data["jsonrpc"], type(data["method"])) != ("2.0", str):
                raise JsonRpcInvalidRequest()
            if "method" in data and "jsonrpc" in data and "params" not in data:
                data = {**data, "params": None}  # JSON-RPC lets a request omit params; pygls needs the key
            if "method" in data and isinstance(data.get("id"), (int, str)):
                self._check_request(data["method"])
            return super().structure_message(data)
        except JsonRpcException as exc:
            if isinstance(data, dict) and "method" in data and isinstance(data.get("id"), (int, str)):
                self._send_response(data["id"], error=exc.to_response_error())
                return _ANSWERED
            raise

    def _check_request(self, method: str) -> None:
        """Raise the error a request must get before any handler runs, if it must get one."""
        if self._shutdown:
            raise JsonRpcInvalidRequest(f"the server is shutting down: {method!r} not run")
        if method.startswith("$/") or method in CUSTOM_NOTIFICATIONS:
            raise JsonRpcMethodNotFound.of(method)
        message_type = self.get_message_type(method)
        if message_type is not None and "id" not in attrs.fields_dict(message_type):
            raise JsonRpcMethodNotFound(f"{method!r} is a notification, not a request")

    def handle_message(self, message):
        if message is _ANSWERED:
            return
        if not hasattr(message, "jsonrpc"):  # an array, a scalar, or an object without "jsonrpc"
            msg_id = message.get("id") if isinstance(message, dict) else None
            msg_id = msg_id if isinstance(msg_id, (int, str)) else None
            self._send_response(msg_id, error=JsonRpcInvalidRequest().to_response_error())
            return
        super().handle_message(message)


class HotwireServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("hotwire-assist", VERSION, protocol_cls=_Protocol)
        self.config = Config()
        self.root: Path | None = None
        self.engine: CompletionEngine | None = None
        self.index: AppIndex | None = None
        self._indexing: asyncio.Future | None = None
        self.context = ContextCache()
        self.watcher: IndexWatcher | None = None
        self._checks: dict[str, asyncio.Task] = {}
        self._checking: dict[str, asyncio.Future] = {}  # the rules run in a thread, per document
        self.telemetry = TelemetryRecorder(self.config)
        self._telemetry_ticks: asyncio.Task | None = None
        self._too_big_told: set[str] = set()  # documents over the size cap whose one message was shown
        self.loop_monitor: LoopMonitor | None = None
        self.adapt_job = AdaptJob()
        self._lines_lock = threading.Lock()

    def report_server_error(self, error: Exception, source) -> None:
        """A body that is not JSON still gets the answer JSON-RPC asks for: a parse error, id null."""
        if isinstance(error, (json.JSONDecodeError, UnicodeDecodeError)):
            self.protocol._send_response(None, error=JsonRpcParseError().to_response_error())
        log.error("%s", error)

    def notify_user(self, message: str, kind: types.MessageType = types.MessageType.Warning) -> None:
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))

    def setup(self, root: Path | None, overrides: dict[str, Any] | None) -> None:
        self.root = root
        try:
            self.config = load_config(root, overrides=overrides)
        except ConfigError as e:
            self.notify_user(f"hotwire-assist: {e}. Using defaults.", types.MessageType.Error)
            self.config = Config()
        # a recorder for this configuration; it writes nothing unless telemetry is enabled
        self.telemetry.close()
        if self._telemetry_ticks:
            self._telemetry_ticks.cancel()
        self.telemetry = TelemetryRecorder(self.config, workspace=root)
        if self.config.telemetry.enabled:
            with contextlib.suppress(RuntimeError):  # no running loop: ticks come from edits only
                self._telemetry_ticks = asyncio.get_running_loop().create_task(self.telemetry.run_ticks())
        if self.engine:
            self.engine.close()
        try:
            backend = make_backend(self.config, root)
        except BackendError as e:
            self.notify_user(f"hotwire-assist: {e.user_message()}", types.MessageType.Error)
            self.engine = None
            return
        self.engine = CompletionEngine(self.config, backend, notify=self.notify_user)
        self.engine.index_provider = lambda: self.index
        self.engine.sync_lines = self.sync_lines
        self.telemetry.set_engine(
            backend.name, backend.model_id, self.engine.family.name, identity=lambda: backend_identity(backend)
        )
        self.context = ContextCache.for_config(self.config, CURATED_DIR)
        self.engine.context_provider = self.prompt_context

    def prompt_context(self, request: CompletionRequest) -> Sequence[Snippet]:
        """Related files and similar curated examples for a request (runs in the generation thread)."""
        if self.index is None or self.root is None:
            return ()
        try:
            return self.context.for_request(self.index, request)
        except (RuntimeError, OSError) as e:  # the index changed while we read it: no context this once
            log.info("no prompt context for %s: %s", request.path, e)
            return ()

    def sync_lines(self) -> None:
        """Keep the engine's line store (workspace retrieval) in step with the index: a file whose facts
        changed is re-read, from its open buffer when the editor has it open; excluded files never."""
        engine, index = self.engine, self.index
        if engine is None or index is None:
            return
        root, exclude = self.root, self.config.privacy.exclude

        def read(path: str) -> str | None:
            if is_excluded(path, root, exclude):
                return None
            uri = Path(path).as_uri()
            if self.is_open(uri):
                with contextlib.suppress(Exception):
                    return self.workspace.get_text_document(uri).source
            return read_text(Path(path))

        with self._lines_lock:
            engine.lines.sync(index.files, read, index.rel)

    def _load_lines(self, index: AppIndex) -> None:
        """Runs in a thread at start: the curated lines, then the app's (the line store retrieval reads)."""
        if self.engine is not None:
            with self._lines_lock:
                add_curated(self.engine.lines, [CURATED_DIR, CURATED_DIR.parent / "starter_corpus"])
            self.index = index
            self.sync_lines()

    async def build_index(self) -> None:
        """The app's frames, stream targets and Stimulus controllers, for the cross-file rules."""
        if self.root is not None:
            self._indexing = asyncio.ensure_future(self._index_and_warm(self.root))
            try:
                self.index = await self._indexing
            except OSError as e:
                log.warning("cannot index %s: %s", self.root, e)

    async def _index_and_warm(self, root: Path) -> AppIndex:
        """The index, then the curated examples' retriever (~1 s, once): built here, not inside the first
        suggestion's model timeout (the prompt context needs both)."""
        index = await cpu_work(index_app, root)
        try:
            await cpu_work(self.context.retriever)
        except (OSError, ValueError) as e:
            log.warning("no curated examples for prompts: %s", e)
        await asyncio.to_thread(self._load_lines, index)  # the line store workspace retrieval reads
        if self.engine is not None:
            await asyncio.to_thread(self.engine.warm)
        # What exists now (the index, the line store, modules) lives as long as the server: the cyclic
        # collector stops rescanning it, which otherwise stalls a keystroke's answer for tens of ms now and then.
        gc.freeze()
        return index

    async def ready_index(self) -> AppIndex | None:
        """The index once the build started at `initialized` is done (the first requests race it)."""
        if self._indexing is not None and not self._indexing.done():
            await asyncio.wait({self._indexing})
        return self.index

    def schedule_check(self, uri: str, external: bool, delay: float = DIAGNOSTICS_DEBOUNCE_S) -> None:
        """Re-check a document after the typing pauses; a newer edit replaces the pending check."""
        if task := self._checks.pop(uri, None):
            task.cancel()
        self._checks[uri] = asyncio.get_running_loop().create_task(self._check(uri, external, delay))

    async def _check(self, uri: str, external: bool, delay: float) -> None:
        try:
            await asyncio.sleep(delay)
            if (running := self._checking.get(uri)) is not None:
                await asyncio.wait({running})  # one rules run per document at a time: no backlog of stale runs
            await self._check_now(uri, external)
        finally:
            if self._checks.get(uri) is asyncio.current_task():
                del self._checks[uri]

    async def _check_now(self, uri: str, external: bool) -> None:
        if not self.is_open(uri):
            return  # closed, or never opened: never read a file the editor does not show
        doc = self.workspace.get_text_document(uri)
        path = to_fs_path(uri) or uri
        try:
            text, version = doc.source, doc.version
        except OSError:
            return
        if not self.within_size_cap(uri, text):
            return
        # The index update and the rules run in a thread: the event loop keeps answering meanwhile.
        if self.index is not None:
            await reindex(self.index, path, text)
        # Ruby and Herb (external) run on open and save; every keystroke gets the fast in-process rules.
        wanted = lambda: self.is_current(uri, version)  # noqa: E731 - skipped when a newer edit came meanwhile
        run = self._checking[uri] = asyncio.ensure_future(
            cpu_work(check_source, path, text, self.index, external=external, wanted=wanted)
        )
        run.add_done_callback(lambda f: self._checking.pop(uri, None) if self._checking.get(uri) is f else None)
        findings = await asyncio.shield(run)
        if findings is not STALE and self.workspace.get_text_document(uri).version == version:
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=to_diagnostics(findings), version=version)
            )

    def within_size_cap(self, uri: str, text: str) -> bool:
        """Whether per-document work (index, rules, suggestions, items, actions) runs for this document.

        Parsing holds the GIL (tree-sitter: ~80 ns a byte) and some facts grow faster than the file, so a
        document over MAX_DOCUMENT_CHARS gets none of it, and one message saying so."""
        if len(text) <= MAX_DOCUMENT_CHARS:
            self._too_big_told.discard(uri)
            return True
        if uri not in self._too_big_told:
            self._too_big_told.add(uri)
            name = Path(to_fs_path(uri) or uri).name
            self.notify_user(
                f"hotwire-assist: {name} is {describe_size(len(text))}, over the {describe_size(MAX_DOCUMENT_CHARS)} "
                "limit for one file: no suggestions, diagnostics, completion items, code actions or index updates "
                "for it (the rest of the app is unaffected).",
                types.MessageType.Info,
            )
        return False

    def is_current(self, uri: str, version: int | None) -> bool:
        """The document is still open at this version (asked from the worker thread: a dict read)."""
        doc = self.workspace.text_documents.get(unquote(uri))
        return doc is not None and doc.version == version

    def is_open(self, uri: str) -> bool:
        """The editor opened this document (pygls keys them unquoted, and reads any other from disk)."""
        return unquote(uri) in self.workspace.text_documents

    async def suggest(self, uri: str, position: types.Position) -> Suggestion | None:
        """The suggestion for a cursor, or None when it is off here, private, stale or empty."""
        if self.engine is None or not self.is_open(uri):
            return None  # only documents the editor opened: never read a file from disk behind its back
        doc = self.workspace.get_text_document(uri)
        path = to_fs_path(uri) or uri
        if not completion_allowed(self.config, language_of(path, doc.language_id or ""), self.root):
            return None
        if is_excluded(path, self.root, self.config.privacy.exclude):
            return None
        try:
            source = doc.source
        except OSError:
            return None
        if not self.within_size_cap(uri, source):
            return None
        lines = doc.lines
        if position.line > len(lines) or (position.line == len(lines) and position.character > 0):
            return None
        version = doc.version
        offset = min(doc.offset_at_position(position), len(source))
        request = build_request(path, source, offset, self.root, doc.language_id or "")
        await self.ready_index()  # the prompt's related files come from the index: the first requests race its build
        if self.engine is None or self.workspace.get_text_document(uri).version != version:
            return None
        suggestion = await self.engine.complete(uri, request)
        if suggestion is None or self.workspace.get_text_document(uri).version != version:
            return None  # the document changed while we generated: never answer stale
        return suggestion


server = HotwireServer()


@server.feature(types.INITIALIZE)
def initialize(ls: HotwireServer, params: types.InitializeParams) -> None:
    use_lsp_lines(ls.workspace)
    root = None
    if params.workspace_folders:
        root = to_fs_path(params.workspace_folders[0].uri)
    elif params.root_uri:
        root = to_fs_path(params.root_uri)
    options = params.initialization_options if isinstance(params.initialization_options, dict) else None
    log.info("workspace %s; editor settings: %s", root, json.dumps(options, sort_keys=True))  # settings, no code
    ls.setup(Path(root) if root else None, options)


@server.feature(types.INITIALIZED)
async def initialized(ls: HotwireServer, params: types.InitializedParams) -> None:
    await ls.build_index()
    if ls.root is not None and ls.index is not None:  # files changed outside the editor keep the index live
        ls.watcher = IndexWatcher(ls.root, ls.index, lambda path: ls.is_open(Path(path).as_uri()))
        ls.watcher.start()


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: HotwireServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.schedule_check(params.text_document.uri, external=True, delay=0)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: HotwireServer, params: types.DidSaveTextDocumentParams) -> None:
    ls.schedule_check(params.text_document.uri, external=True, delay=0)


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(
        code_action_kinds=[
            types.CodeActionKind.QuickFix,
            types.CodeActionKind.Refactor,
            types.CodeActionKind.RefactorExtract,
            types.CodeActionKind.RefactorRewrite,
        ]
    ),
)
async def code_action(ls: HotwireServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    """Quick fixes for the rules findings under the cursor (the fix travels in the diagnostic), then the
    feature actions that apply here (wrap in a Turbo Frame, respond with a Turbo Stream)."""
    fixes = quick_fixes(params.text_document.uri, params.context.diagnostics, params.range)
    uri = params.text_document.uri
    if not ls.is_open(uri) or not ls.within_size_cap(uri, ls.workspace.get_text_document(uri).source):
        return fixes
    index = await ls.ready_index()
    doc = ls.workspace.get_text_document(uri)
    text, r = doc.source, params.range
    start, end = doc.offset_at_position(r.start), doc.offset_at_position(r.end)
    path = to_fs_path(uri) or uri
    version = doc.version
    actions = await cpu_work(
        feature_actions, path, text, start, end, r.start.line, index, wanted=lambda: ls.is_current(uri, version)
    )
    if actions is STALE:  # the document changed while this waited its turn: the editor asks again
        return fixes
    return fixes + [to_code_action(a, text, version) for a in actions]


@server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
async def inline_completion(ls: HotwireServer, params: types.InlineCompletionParams) -> types.InlineCompletionList:
    uri = params.text_document.uri
    version = ls.workspace.get_text_document(uri).version if ls.is_open(uri) else None
    s = await ls.suggest(uri, params.position)
    if s is None or (ls.is_open(uri) and ls.workspace.get_text_document(uri).version != version):
        return types.InlineCompletionList(items=[])  # none, or for text the user has changed since asking
    ls.telemetry.shown_in_document(s, ls.workspace.get_text_document(params.text_document.uri), params.position)
    here = types.Range(params.position, params.position)
    # The editor runs the item's command when the user accepts it; further items are for cycling.
    accepted = types.Command(title="Accepted", command=ACCEPTED_COMMAND, arguments=[s.id])
    return types.InlineCompletionList(
        items=[types.InlineCompletionItem(insert_text=text, range=here, command=accepted) for text in s.items]
    )


@server.feature(
    types.TEXT_DOCUMENT_COMPLETION,
    types.CompletionOptions(trigger_characters=[".", " ", '"', "'", "#", ">", "-", ":"]),
)
async def completion(ls: HotwireServer, params: types.CompletionParams) -> types.CompletionList:
    """Index items (frame ids, Stimulus names, stream actions and targets) for every client, plus the model's
    suggestion as an item for clients without inline completion (those show it as ghost text)."""
    uri = params.text_document.uri
    if not ls.is_open(uri) or not ls.within_size_cap(uri, ls.workspace.get_text_document(uri).source):
        return types.CompletionList(is_incomplete=False, items=[])
    index = await ls.ready_index()
    doc = ls.workspace.get_text_document(params.text_document.uri)
    offset = min(doc.offset_at_position(params.position), len(doc.source))
    found = index_completions(doc.source[max(0, offset - LOOKBEHIND) : offset], index, doc.source)
    items = to_lsp_items(found, params.position) if found else []
    if ls.client_capabilities.text_document and ls.client_capabilities.text_document.inline_completion:
        return types.CompletionList(is_incomplete=False, items=items)
    s = await ls.suggest(params.text_document.uri, params.position)
    if s is None:
        return types.CompletionList(is_incomplete=True, items=items)
    lines = ls.workspace.get_text_document(params.text_document.uri).lines
    line = lines[params.position.line] if params.position.line < len(lines) else ""  # the end of the document
    before = line[: params.position.character]
    word = re.search(r"\w*$", before).group(0)  # clients filter items by the word being typed
    start = types.Position(params.position.line, params.position.character - len(word))
    item = types.CompletionItem(
        label=(word + s.text).split("\n", 1)[0].strip()[:80] or s.text.strip()[:80],
        kind=types.CompletionItemKind.Snippet,
        detail="hotwire-assist",
        filter_text=word + s.text,
        sort_text="0",
        insert_text_format=types.InsertTextFormat.PlainText,
        text_edit=types.TextEdit(types.Range(start, params.position), word + s.text),
    )
    return types.CompletionList(is_incomplete=True, items=[item, *items])


@server.feature(types.TEXT_DOCUMENT_HOVER)
async def hover(ls: HotwireServer, params: types.HoverParams) -> types.Hover | None:
    """A Stimulus controller's targets, values and actions; where a Turbo Frame is defined."""
    symbol = await _symbol_at(ls, params.text_document.uri, params.position)
    if symbol is None or ls.index is None:
        return None
    return types.Hover(types.MarkupContent(types.MarkupKind.Markdown, hover_markdown(symbol, ls.index)))


@server.feature(types.TEXT_DOCUMENT_DEFINITION)
async def definition(ls: HotwireServer, params: types.DefinitionParams) -> list[types.Location] | None:
    """Stimulus identifier -> its controller file (at the action method); frame id -> where it is defined."""
    symbol = await _symbol_at(ls, params.text_document.uri, params.position)
    if symbol is None:
        return None
    return [
        types.Location(Path(d.path).as_uri(), types.Range(types.Position(d.line, 0), types.Position(d.line, 0)))
        for d in definitions(symbol)
    ]


async def _symbol_at(ls: HotwireServer, uri: str, position: types.Position) -> Symbol | None:
    if not ls.is_open(uri) or not ls.within_size_cap(uri, ls.workspace.get_text_document(uri).source):
        return None
    index = await ls.ready_index()
    lines = ls.workspace.get_text_document(uri).lines
    return symbol_at(lines[position.line], position.character, index) if position.line < len(lines) else None


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: HotwireServer, params: types.DidChangeTextDocumentParams) -> None:
    if ls.engine:
        ls.engine.cancel(params.text_document.uri)
    ls.schedule_check(params.text_document.uri, external=False)
    ls.telemetry.on_change(params.text_document.uri, ls.workspace.get_text_document(params.text_document.uri).source)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: HotwireServer, params: types.DidCloseTextDocumentParams) -> None:
    if task := ls._checks.pop(params.text_document.uri, None):
        task.cancel()
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[]))
    if ls.engine:
        ls.engine.forget(params.text_document.uri)
    ls.telemetry.closed(params.text_document.uri)


@server.feature(types.SHUTDOWN)
def shutdown(ls: HotwireServer, params: None) -> None:
    if ls.watcher:
        ls.watcher.stop()
    if ls.loop_monitor:
        ls.loop_monitor.stop()
    if ls.engine:
        ls.engine.close()
        ls.engine = None
    ls.adapt_job.close()


@server.feature("hotwire-assist/status")
def status(ls: HotwireServer, params: Any) -> dict[str, Any]:
    """What the editor's status item shows: backend, model, health, on/off."""
    engine = ls.engine
    return {
        "enabled": ls.config.completion.enabled,
        "backend": ls.config.model.backend,
        "model": engine.backend.model_id if engine else "",
        "healthy": bool(engine) and not engine.failing,
        "detail": engine.last_error if engine and engine.failing else "",
        "telemetry": ls.config.telemetry.enabled,
        "telemetry_problem": ls.telemetry.problem or "",
        "generations_started": engine.generations_started if engine else 0,
        "adapt": ls.adapt_job.snapshot(),
    }


@server.command(GENERATE_COMMAND)
async def generate_feature(ls: HotwireServer, *args: Any) -> dict[str, Any]:
    """Generate from a request: files checked by the rules engine, applied as one previewed WorkspaceEdit."""
    return await run_generate(ls, args)


def _peak_rss_kb() -> int:
    """This process's peak RSS (getrusage's ru_maxrss survives exec: it would report the parent's peak)."""
    try:
        status = Path("/proc/self/status").read_text()
        return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))
    except (OSError, StopIteration, ValueError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


@server.feature(INTERNALS_REQUEST)
def internals(ls: HotwireServer, params: Any) -> dict[str, Any]:
    """What the server holds right now (sizes, threads, tasks, peak memory): for bug reports and load tests.
    `{"loop_monitor": true}` starts measuring the event loop's lag from zero (reported from then on)."""
    import threading

    wanted = params.get("loop_monitor") if isinstance(params, dict) else getattr(params, "loop_monitor", False)
    if wanted is True:  # (pygls hands custom params over as a namedtuple) start, or restart from zero
        if ls.loop_monitor is not None:
            ls.loop_monitor.stop()
        ls.loop_monitor = LoopMonitor()
        ls.loop_monitor.start()
    return {
        **(ls.loop_monitor.figures() if ls.loop_monitor else {}),
        "open_documents": len(ls.workspace.text_documents),
        "pending_checks": len(ls._checks),
        "running_checks": len(ls._checking),
        "threads": threading.active_count(),
        "tasks": len(asyncio.all_tasks()),
        "peak_rss_kb": _peak_rss_kb(),
        **(ls.engine.internals() if ls.engine else {}),
        "index_generation": ls.index.generation if ls.index is not None else 0,
        "watcher_updates": ls.watcher.updates if ls.watcher else 0,
    }


@server.command(ADAPT_COMMAND)
async def adapt_model(ls: HotwireServer, *args: Any) -> dict[str, Any]:
    """Adapt the model to this workspace in the background (`model adapt`, niced, one thread); the status
    request reports its progress. Arguments: optional {"minutes": 10} or {"cancel": true}."""
    loop = asyncio.get_running_loop()

    def finished(state: dict[str, Any]) -> None:
        kind = types.MessageType.Info if state["state"] == "done" else types.MessageType.Warning
        text = f"hotwire-assist: model adaptation {state['outcome']}" + (
            f" ({state['message']})" if state.get("message") else ""
        )
        loop.call_soon_threadsafe(ls.notify_user, text, kind)

    return adapt_request(ls.adapt_job, ls.root, args, finished)


@server.command("hotwire-assist.toggle")
def toggle(ls: HotwireServer, *args: Any) -> dict[str, bool]:
    """Turn suggestions off or on for this session (the editor's toggle command)."""
    ls.config.completion.enabled = not ls.config.completion.enabled
    return {"enabled": ls.config.completion.enabled}


@server.command(ACCEPTED_COMMAND)
def accepted(ls: HotwireServer, *args: Any) -> None:
    """The user took a suggestion (VS Code and Neovim run the item's command)."""
    log.info("suggestion accepted: %s", args)
    ls.telemetry.accepted(str(args[0]) if args else "")


@server.feature(DISMISSED_NOTIFICATION)
def dismissed(ls: HotwireServer, params: Any) -> None:
    """The user explicitly dismissed a suggestion (clients that can see it: Neovim)."""
    log.info("suggestion dismissed: %s", params)
    ls.telemetry.dismissed(suggestion_id_of(params))
