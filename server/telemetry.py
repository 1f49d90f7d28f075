"""Suggestion outcomes → telemetry events: shown, accepted, partial, dismissed, ignored, survival.

The recorder is plain Python (no LSP types) with an injectable clock; the server calls `tick()` on
edits and from a periodic task, so survival checks at 30 s / 2 min / 10 min need no real waiting.
Events go to a background writer thread: SQLite never runs on the completion path.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pygls.uris import to_fs_path

from hotwire_assist.core.config import Config
from hotwire_assist.core.privacy import is_excluded, redact_fim
from hotwire_assist.core.request import CompletionRequest, build_request
from hotwire_assist.core.schemas import TelemetryEvent, TelemetryKind
from hotwire_assist.core.telemetry import TelemetryStore
from hotwire_assist.server.completion import Suggestion

log = logging.getLogger(__name__)
_NAMES: dict[str, str] = {}  # sha256 → registry name, read once per model


def backend_identity(backend: Any) -> dict[str, str]:
    """The model a backend serves now, as telemetry records it: name and sha256 (core.registry). A
    local file's sha256 is computed once in the background; until then, and for models served by
    Ollama or an OpenAI-compatible server, it is ""."""
    from hotwire_assist.core.registry import Registry, RegistryError, identify_soon

    path = getattr(backend, "path", None) if backend.name in ("llama_cpp", "transformers") else None
    sha = identify_soon(path, getattr(backend, "adapter", None) or None) if path else ""
    name = backend.model_id
    if path is not None and backend.name == "llama_cpp":  # "promoted/model.gguf", not just "model.gguf"
        name = f"{Path(path).parent.name}/{Path(path).name}"
    if sha:
        if sha not in _NAMES:
            try:
                rec = Registry().get(sha)
            except (RegistryError, OSError):
                rec = None
            _NAMES[sha] = rec.name if rec else ""
        name = _NAMES[sha] or name
    return {"model": name, "model_sha256": sha}


# A shown suggestion nobody acted on for this long is resolved as ignored (or partial).
PENDING_TIMEOUT_S = 120.0
# Characters of document text either side of a suggestion that locate it again after edits.
ANCHOR_CHARS = 48
TICK_INTERVAL_S = 5.0


class _Writer:
    """One daemon thread owns the store; the store is opened on the first event, never before."""

    def __init__(self, store_factory: Callable[[], TelemetryStore]) -> None:
        self._factory = store_factory
        self._queue: queue.Queue[TelemetryEvent | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.problem: str | None = None  # what the user should know about the store (status reports it)

    def put(self, event: TelemetryEvent) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="telemetry-writer", daemon=True)
                self._thread.start()
                atexit.register(self.close)
        self._queue.put(event)

    def _run(self) -> None:
        store = None
        try:
            store = self._factory()
            if getattr(store, "quarantined", None):
                self.problem = (
                    f"the telemetry store was corrupt; it was moved to {store.quarantined} and a new one started"
                )
        except Exception as e:
            self.problem = f"telemetry store unavailable, events are dropped: {e}"
            log.exception("telemetry store unavailable; events are dropped")
        while True:
            batch = [self._queue.get()]
            while not self._queue.empty():
                batch.append(self._queue.get_nowait())
            events = [e for e in batch if e is not None]
            if store is not None and events:
                try:
                    store.record_many(events)
                except Exception:
                    log.exception("telemetry write failed")
            for _ in batch:
                self._queue.task_done()
            if None in batch:
                if store is not None:
                    store.close()
                return

    def flush(self) -> None:
        """Wait until every queued event is committed (tests, shutdown)."""
        if self._thread is not None:
            self._queue.join()

    def close(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None and thread.is_alive():
            self._queue.put(None)
            thread.join(timeout=5)


@dataclass
class _Tracked:
    suggestion: Suggestion
    doc_uri: str
    prefix: str
    suffix: str
    base: dict
    shown_at: float
    code_ok: bool
    rel_path: str = ""
    partial_chars: int = 0
    accepted_at: float | None = None
    due: list[float] = field(default_factory=list)


class TelemetryRecorder:
    """Turns editor signals into events. Every public method is cheap and never raises into a handler."""

    def __init__(
        self,
        config: Config,
        store_factory: Callable[[], TelemetryStore] = TelemetryStore,
        clock: Callable[[], float] = time.time,
        workspace: Path | None = None,
    ) -> None:
        self.config, self.clock, self.workspace = config, clock, workspace
        self.engine_info = {"backend": "", "model": "", "prompt_format": ""}
        self._identity: Callable[[], dict[str, str]] | None = None
        self._writer = _Writer(store_factory)
        self._pending: dict[str, _Tracked] = {}  # shown, not yet resolved
        self._accepted: dict[str, _Tracked] = {}  # accepted, survival checks still due
        self._texts: dict[str, str] = {}  # last known text of documents with tracked suggestions

    @property
    def enabled(self) -> bool:
        return self.config.telemetry.enabled

    def set_engine(
        self, backend: str, model: str, prompt_format: str, identity: Callable[[], dict[str, str]] | None = None
    ) -> None:
        """`identity`: the model in use now ({"model", "model_sha256"}), asked at every shown event (a
        promoted model is picked up without a restart, so it can change under a running server)."""
        self.engine_info = {"backend": backend, "model": model, "prompt_format": prompt_format}
        self._identity = identity

    def _engine(self) -> dict[str, str]:
        if self._identity is None:
            return self.engine_info
        try:
            return {**self.engine_info, **self._identity()}
        except Exception:  # never let identification break recording
            log.exception("model identity failed")
            return self.engine_info

    # --- editor signals -------------------------------------------------------------------------

    def shown(
        self,
        suggestion: Suggestion,
        doc_uri: str,
        path: str,
        prefix: str,
        suffix: str,
        request: CompletionRequest | None = None,
    ) -> None:
        """A suggestion was shown at the cursor between `prefix` and `suffix` of the file at `path`; the
        recorded path and language are those of the completion request (core.request), built here when the
        caller has none."""
        if not self.enabled:
            return
        self.superseded(doc_uri)
        excluded = is_excluded(path, self.workspace, self.config.privacy.exclude)
        if request is None:
            request = build_request(path, prefix + suffix, len(prefix), self.workspace)
        base = {
            "language": request.language,
            "file_type": Path(path).suffix.lstrip(".") or Path(path).name,
            "latency_ms": suggestion.latency_ms,
            **self._engine(),
        }
        prefix, suffix = request.prefix, request.suffix
        t = _Tracked(suggestion, doc_uri, prefix, suffix, base, self.clock(), not excluded, request.path)
        self._pending[suggestion.id] = t
        self._texts[doc_uri] = prefix + suffix
        self._emit("shown", t)

    def shown_in_document(self, suggestion: Suggestion, doc: Any, position: Any) -> None:
        """`shown` for a pygls document and a cursor; the document is only split when recording."""
        if not self.enabled:
            return
        source = doc.source
        offset = min(doc.offset_at_position(position), len(source))
        path = to_fs_path(doc.uri) or doc.uri
        request = suggestion.request or build_request(path, source, offset, self.workspace, doc.language_id or "")
        self.shown(suggestion, doc.uri, path, request.prefix, request.suffix, request)

    def accepted(self, suggestion_id: str) -> None:
        t = self._pending.pop(str(suggestion_id), None)
        if t is None or not self.enabled:
            return
        t.accepted_at = self.clock()
        t.due = [t.accepted_at + age for age in self.config.telemetry.survival_ages_s]
        self._accepted[t.suggestion.id] = t
        self._texts.setdefault(t.doc_uri, t.prefix + t.suggestion.text + t.suffix)
        self._emit("accepted", t, accepted_chars=len(t.suggestion.text))

    def dismissed(self, suggestion_id: str) -> None:
        t = self._pending.pop(str(suggestion_id), None)
        if t is not None and self.enabled:
            self._emit("rejected", t)

    def superseded(self, doc_uri: str) -> None:
        """Every unresolved suggestion in the document is over: partial if some of it was typed in."""
        for sid in [sid for sid, t in self._pending.items() if t.doc_uri == doc_uri]:
            self._resolve(self._pending.pop(sid))

    def closed(self, doc_uri: str) -> None:
        self.superseded(doc_uri)
        self.tick()

    def on_change(self, doc_uri: str, text: str) -> None:
        if not self.enabled or doc_uri not in self._texts:
            return
        self._texts[doc_uri] = text
        for t in self._pending.values():
            if t.doc_uri == doc_uri:
                t.partial_chars = max(t.partial_chars, typed_through(t.prefix, t.suffix, t.suggestion.text, text))
        self.tick()

    def tick(self) -> None:
        """Record survival checks that are due and resolve suggestions left pending too long."""
        if not self.enabled:
            return
        now = self.clock()
        for sid in [sid for sid, t in self._pending.items() if now - t.shown_at >= PENDING_TIMEOUT_S]:
            self._resolve(self._pending.pop(sid))
        for sid, t in list(self._accepted.items()):
            while t.due and t.due[0] <= now:
                due = t.due.pop(0)
                text = self._texts.get(t.doc_uri, "")
                region = current_region(t.prefix, t.suffix, t.suggestion.text, text)
                share = survival(t.prefix, t.suffix, t.suggestion.text, text)
                self._emit("survival", t, region, age_s=due - (t.accepted_at or due), survival=share)
            if not t.due:
                del self._accepted[sid]
        live = {t.doc_uri for t in (*self._pending.values(), *self._accepted.values())}
        for uri in [u for u in self._texts if u not in live]:
            del self._texts[uri]

    async def run_ticks(self, interval_s: float = TICK_INTERVAL_S) -> None:
        """The periodic tick for quiet documents (survival is due even when nobody types)."""
        while True:
            await asyncio.sleep(interval_s)
            try:
                self.tick()
            except Exception:
                log.exception("telemetry tick failed")

    def flush(self) -> None:
        self._writer.flush()

    @property
    def problem(self) -> str | None:
        return self._writer.problem

    def close(self) -> None:
        self._writer.close()

    # --- events ---------------------------------------------------------------------------------

    def _resolve(self, t: _Tracked) -> None:
        if t.partial_chars:
            self._emit("partial", t, accepted_chars=t.partial_chars)
        else:
            self._emit("ignored", t)

    def _emit(self, kind: TelemetryKind, t: _Tracked, surviving: str = "", **fields: object) -> None:
        if not self.enabled:
            return
        code: dict[str, str] = {}
        if self.config.telemetry.level == "code" and t.code_ok:
            name = t.rel_path  # the real file name: YAML/env-aware checks apply
            prefix, suggestion, suffix = redact_fim(t.prefix, t.suggestion.text, t.suffix, name)
            code = {"prefix": prefix, "suffix": suffix, "suggestion": suggestion, "path": name}
            # what the region holds now, redacted in the context it was inserted into (a fragment of a
            # key alone is not recognisable)
            code["surviving"] = redact_fim(t.prefix, surviving, t.suffix, name)[1]
        try:
            event = TelemetryEvent(
                suggestion_id=t.suggestion.id, kind=kind, ts=self.clock(), **t.base, **code, **fields
            )
        except Exception:
            log.exception("bad telemetry event")
            return
        self._writer.put(event)


def typed_through(prefix: str, suffix: str, suggestion: str, text: str) -> int:
    """How many leading characters of the suggestion the document now holds at the cursor
    (accept-word / accept-line, or typing what the ghost text showed)."""
    if not (text.startswith(prefix) and text.endswith(suffix)) or len(text) < len(prefix) + len(suffix):
        return 0
    middle = text[len(prefix) : len(text) - len(suffix)]
    return len(middle) if middle and suggestion.startswith(middle) else 0


def _nearest(text: str, needle: str, expected: int) -> int:
    """Index of the occurrence of `needle` nearest to `expected`, or -1."""
    best, i = -1, text.find(needle)
    while i >= 0:
        if best < 0 or abs(i - expected) < abs(best - expected):
            best = i
        i = text.find(needle, i + 1)
    return best


def locate(prefix: str, suffix: str, accepted_len: int, text: str) -> str:
    """The current text of the region the suggestion was inserted into: between the document text
    that preceded and followed it, found again after edits elsewhere; a window if those are gone."""
    before, after = prefix[-ANCHOR_CHARS:], suffix[:ANCHOR_CHARS]
    start = _nearest(text, before, len(prefix) - len(before)) if before else 0
    if start >= 0:
        start += len(before)
        end = text.find(after, start) if after else len(text)
        if end >= 0:
            return text[start:end]
    centre = min(len(prefix), len(text))
    return text[max(0, centre - accepted_len) : centre + 2 * accepted_len]


def _best_end(needle: str, text: str) -> tuple[int, int]:
    """(edit distance, end) of the substring of `text` nearest to `needle` (Sellers' semi-global DP:
    the substring may start and end anywhere in `text`)."""
    row = [0] * (len(text) + 1)
    for i, ch in enumerate(needle, 1):
        prev, row = row, [i] + [0] * len(text)
        for j, tj in enumerate(text, 1):
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (ch != tj))
    end = min(range(len(row)), key=lambda j: (row[j], -j))
    return row[end], end


def aligned(accepted: str, window: str) -> str:
    """The part of a window (the anchors around an insertion are gone) that the accepted text became:
    the substring nearest to it by edit distance. Long texts fall back to the whole window."""
    if not accepted or len(accepted) * len(window) > 250_000:
        return window
    _, end = _best_end(accepted, window)
    _, back = _best_end(accepted[::-1], window[:end][::-1])
    return window[end - back : end]


def survival(prefix: str, suffix: str, accepted: str, text: str) -> float:
    """How much of the accepted suggestion is still there, as 1 − normalised edit distance between the
    accepted text and the region it was inserted into now (0..1). Character overlap scored a rewritten
    `end\nend` 0.86 (its letters were still around); edit distance scores what the user had to change."""
    from rapidfuzz.distance import Levenshtein

    if not accepted:
        return 1.0
    return float(Levenshtein.normalized_similarity(accepted, current_region(prefix, suffix, accepted, text)))


def current_region(prefix: str, suffix: str, accepted: str, text: str) -> str:
    """What the accepted suggestion's region holds now: between its old neighbours, or (when those were
    edited away) the part of the text around its old place nearest to the suggestion."""
    region = locate(prefix, suffix, len(accepted), text)
    return region if _anchored(prefix, suffix, text) else aligned(accepted, region)


def _anchored(prefix: str, suffix: str, text: str) -> bool:
    """Whether locate() found the insertion between its old neighbours (else it returned a window)."""
    before, after = prefix[-ANCHOR_CHARS:], suffix[:ANCHOR_CHARS]
    start = text.find(before) if before else 0
    return start >= 0 and (not after or text.find(after, start + len(before)) >= 0)


def suggestion_id_of(params: Any) -> str:
    """The id in a `hotwire-assist/dismissed` notification's params (an object or a dict)."""
    value = params.get("id") if isinstance(params, dict) else getattr(params, "id", None)
    return str(value) if value is not None else ""
