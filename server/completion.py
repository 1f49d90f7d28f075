"""The completion pipeline: cheap candidates (app index, workspace retrieval) → the model only when
none is good enough → one ranking → veto, with debounce, cancellation and a typed-ahead cache.
Pure functions plus one engine object; no LSP types here. The sources, ranking and veto live in
`server/engine/`."""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from hotwire_assist.backends import Backend, BackendError, GenerationParams
from hotwire_assist.backends.base import Episode
from hotwire_assist.backends.generation import generate_fitted
from hotwire_assist.core.config import Config
from hotwire_assist.core.privacy import redact_fim
from hotwire_assist.core.prompt import Snippet, fim_prompt, fit_window, get_family
from hotwire_assist.core.request import CompletionRequest, with_context
from hotwire_assist.core.secrets import is_redacted, redact
from hotwire_assist.server.engine import SHOW, Candidate, Cursor, LineStore, allowed, confident, rank, raw_candidates

log = logging.getLogger(__name__)
TYPING_GAP_S = 0.3  # requests closer than this are one typing burst
HINTS_PATH = "lines of this app like the current one"  # the retrieval facts' pseudo-file in the prompt
_FIRST_WORD = re.compile(r"\s*([A-Za-z_@$][\w$-]*)")
# One cursor per kind of file, for `CompletionEngine.warm` (made-up files; nothing is read or written).
WARM_CURSORS = (
    Cursor("app/views/hotwire_assist_warm/show.html.erb", '<div data-controller="', '">\n</div>\n'),
    Cursor(
        "app/controllers/hotwire_assist_warm_controller.rb", "class W\n  def show\n    respond_to", "\n  end\nend\n"
    ),
    Cursor(
        "app/javascript/controllers/hotwire_assist_warm_controller.js",
        "class extends Controller {\n  static targets",
        "}",
    ),
)
MODEL_CONFIDENCE = 0.6  # the model's own text, before ranking (its source prior scales it further)


@dataclass(frozen=True)
class Suggestion:
    id: str
    text: str
    latency_ms: float
    cached: bool = False
    request: CompletionRequest | None = None  # what was asked (with its context when the model generated)
    source: str = "model"  # index | retrieval | model | cache: what the first item came from
    alternatives: tuple[str, ...] = ()  # further items a client can cycle through

    @property
    def items(self) -> list[str]:
        return [self.text, *self.alternatives]


def is_mid_line(suffix: str) -> bool:
    return suffix.split("\n", 1)[0].strip() != ""


def postprocess(raw: str, prefix: str, suffix: str, max_lines: int) -> str:
    """Cut the model's text at a sensible boundary and drop what only repeats the document.

    Mid-line: the rest of this line, minus any tail the line already has (`%>`, `)`).
    At a line end: up to max_lines lines, ending at a blank line.
    """
    line_suffix = suffix.split("\n", 1)[0].strip()
    line_prefix = prefix.rsplit("\n", 1)[-1]
    if line_prefix.strip() and not raw.split("\n", 1)[0].strip():
        return ""  # the user is writing this line; a suggestion that starts on the next one is off the point
    if line_prefix.strip() and not line_prefix.rstrip().endswith(_BLOCK_OPENERS):
        raw = raw.split("\n", 1)[0]  # finishing a line the user is writing: the rest of that line
    if is_mid_line(suffix):
        text = raw.split("\n", 1)[0].rstrip()
        if line_suffix and text.endswith(line_suffix):
            text = text[: -len(line_suffix)].rstrip()
    else:
        lines: list[str] = []
        for line in raw.split("\n"):
            if not line.strip() and any(x.strip() for x in lines):
                break
            lines.append(line.rstrip())
            if len(lines) >= max_lines:
                break
        text = "\n".join(lines).rstrip()
    if not text.strip():
        return ""
    # Only repeats what follows the cursor (the model "completing" the next lines again).
    if suffix.lstrip().startswith(text.strip()):
        return ""
    return text


_BLOCK_OPENERS = (" do", "|", "{", "(", "[", "%>", ">")


def stream_to_boundary(chunks, mid_line: bool, max_lines: int) -> str:
    """Consume a stream only as far as post-processing can use, so generation stops early."""
    text = ""
    for chunk in chunks:
        text += chunk
        if mid_line and "\n" in text:
            break
        if not mid_line and (text.count("\n") >= max_lines or "\n\n" in text.lstrip("\n")):
            break
    return text


class TypeAheadCache:
    """Serves the rest of a shown suggestion while the user types its first characters.

    An entry remembers the end of the prefix it was made for, the prefix length and the start of
    the suffix; a later prefix that is that prefix plus the suggestion's first n characters hits.
    """

    def __init__(self, size: int, per_document: int = 16) -> None:
        self._docs: OrderedDict[str, list[tuple[str, int, str, str]]] = OrderedDict()
        self._max_docs = max(1, size // per_document)
        self._per_document = per_document
        self.enabled = size > 0

    def put(self, doc: str, prefix: str, suffix: str, text: str) -> None:
        if not self.enabled:
            return
        entries = self._docs.pop(doc, [])[-(self._per_document - 1) :]
        entries.append((prefix[-400:], len(prefix), suffix[:400], text))
        self._docs[doc] = entries
        while len(self._docs) > self._max_docs:
            self._docs.popitem(last=False)

    def get(self, doc: str, prefix: str, suffix: str) -> str | None:
        for tail, length, head, text in reversed(self._docs.get(doc, [])):
            typed = len(prefix) - length
            if head == suffix[:400] and 0 <= typed < len(text) and prefix.endswith(tail + text[:typed]):
                return text[typed:]
        return None

    def clear(self, doc: str) -> None:
        self._docs.pop(doc, None)

    def __len__(self) -> int:
        """Entries held (bounded by size: at most size // per_document documents of per_document each)."""
        return sum(len(e) for e in self._docs.values())


@dataclass
class _Ticket:
    """A document's request in flight; setting `cancel` stops its generation and hides its answer."""

    cancel: threading.Event


class CompletionEngine:
    """One per server: owns the backend, the cache and the in-flight generation of each document."""

    def __init__(self, config: Config, backend: Backend, notify: Callable[[str], None] = log.warning) -> None:
        self.config = config
        self.backend = backend
        self.family = get_family(config.model.family)
        self.cache = TypeAheadCache(config.completion.cache_size)
        self._tickets: dict[str, _Ticket] = {}
        self._last_request: dict[str, float] = {}
        self._executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="generate")
        self._episode = Episode()
        self._notify = notify
        self.generations_started = 0
        self.last_error = ""
        # request -> related files and examples for the prompt; called only when generating
        self.context_provider: Callable[[CompletionRequest], Sequence[Snippet]] | None = None
        # the app's structure and lines for the cheap candidate sources (the server keeps both live)
        self.index_provider: Callable[[], object] = lambda: None
        self.lines = LineStore()
        self.sync_lines: Callable[[], None] = lambda: None
        self.answered_without_model = 0
        # what answered the last request (index | retrieval | model | cache | none), and whether the model was
        # asked for it: benchmarks split latency by it through the internals request
        self.last_source = ""
        self.last_model_asked = False

    def _debounce_s(self, doc: str, now: float) -> float:
        """The configured debounce, stretched while the user is typing faster than it: a request that
        arrives less than TYPING_GAP_S after the last waits 1.5 gaps, so a burst starts one generation."""
        last = self._last_request.get(doc)
        self._last_request[doc] = now
        delay = self.config.completion.debounce_ms / 1000
        if last is not None and now - last < TYPING_GAP_S:
            delay = max(delay, min(1.5 * (now - last), TYPING_GAP_S))
        return delay

    def forget(self, doc: str) -> None:
        """The document closed: drop what the engine kept for it."""
        self.cancel(doc)
        self.cache.clear(doc)
        self._last_request.pop(doc, None)

    def cancel(self, doc: str) -> None:
        """The document changed or a newer request came: stop its generation, never show it."""
        ticket = self._tickets.pop(doc, None)
        if ticket:
            ticket.cancel.set()

    def _generate(
        self, request: CompletionRequest, cancel: threading.Event, hints: Sequence[str] = ()
    ) -> tuple[str, CompletionRequest]:
        """Gather the request's context, build the prompt, generate to a boundary (prompt and answer fitted
        to the model's window); returns the raw text and the request as asked. `hints` (lines of this app
        that continue like the cursor's, from retrieval) go first in the context."""
        self.generations_started += 1
        params = GenerationParams(
            max_tokens=self.config.model.max_tokens,
            stop=self.family.stop,
            temperature=self.config.model.temperature,
            top_p=self.config.model.top_p,
        )
        r = with_context(request, self.context_provider)
        context = list(r.context)
        if hints:
            context = [Snippet(HINTS_PATH, redact("\n".join(hints) + "\n", r.path)), *context]
        # the privacy gate: no secret of the document reaches a backend (only the window sent is redacted)
        prefix, suffix = fit_window(r.prefix, r.suffix, self.config.completion.prompt_chars)
        prefix, _, suffix = redact_fim(prefix, "", suffix, r.path)
        raw = generate_fitted(
            self.backend,
            lambda budget: fim_prompt(self.family, prefix, suffix, r.path, context, budget_chars=budget),
            self.config.completion.prompt_chars,
            params,
            cancel,
            lambda chunks: stream_to_boundary(chunks, is_mid_line(suffix), self.config.completion.max_lines),
        )
        return raw, r

    def cheap(self, cursor: Cursor) -> list[Candidate]:
        """Index and retrieval candidates, unranked, with their sources' own scores (milliseconds; runs in a
        worker thread)."""
        try:
            self.sync_lines()
            return raw_candidates(cursor, self.index_provider(), self.lines)
        except Exception:  # a bug in one source must not cost the user the model's suggestion
            log.exception("cheap candidates failed for %s", cursor.path)
            return []

    def warm(self) -> None:
        """Run the cheap path and the veto once for each kind of file, answers dropped: the lazy setup
        (parsers, rules, facts derived from the whole index) is paid at start, not by the first keystroke."""
        for cursor in WARM_CURSORS:
            self._shown(rank(self.cheap(cursor)), cursor)

    def _shown(self, ranked: list[Candidate], cursor: Cursor) -> list[Candidate]:
        """What may be shown: vetoed candidates dropped, nothing below SHOW, no secret, at most three items."""
        good = [c for c in ranked if c.score >= SHOW and not is_redacted(c.text) and redact(c.text) == c.text]
        try:
            return allowed(good, cursor, self.index_provider(), limit=3)
        except Exception:
            log.exception("veto failed for %s", cursor.path)
            return []

    def _suggestion(
        self, doc: str, cursor: Cursor, shown: list[Candidate], t0: float, request: CompletionRequest
    ) -> Suggestion | None:
        if not shown:
            return None
        first = shown[0]
        self.last_source = first.source
        self.cache.put(doc, cursor.prefix, cursor.suffix, first.text)
        return Suggestion(
            uuid.uuid4().hex,
            first.text,
            (time.perf_counter() - t0) * 1000,
            request=request,
            source=first.source,
            alternatives=tuple(c.text for c in shown[1:]),
        )

    async def complete(self, doc: str, request: CompletionRequest) -> Suggestion | None:
        """The suggestion for a request (core.request.build_request) in document `doc`, or None."""
        t0 = time.perf_counter()
        prefix, suffix = request.prefix, request.suffix
        self.last_source, self.last_model_asked = "none", False
        if (hit := self.cache.get(doc, prefix, suffix)) is not None:
            self.last_source = "cache"
            return Suggestion(
                uuid.uuid4().hex, hit, (time.perf_counter() - t0) * 1000, cached=True, request=request, source="cache"
            )
        self.cancel(doc)
        ticket = self._tickets[doc] = _Ticket(threading.Event())
        cursor = Cursor(request.path, prefix, suffix)
        try:
            found = await asyncio.to_thread(self.cheap, cursor)
            ranked = rank(found)
            if ticket.cancel.is_set():
                return None
            if confident(ranked):  # the index or the app's own lines answer: no debounce, no model
                shown = await asyncio.to_thread(self._shown, ranked, cursor)
                if ticket.cancel.is_set():
                    return None
                if shown and confident(shown):
                    self.answered_without_model += 1
                    return self._suggestion(doc, cursor, shown, t0, request)
            await asyncio.sleep(self._debounce_s(doc, t0))
        except asyncio.CancelledError:  # the client cancelled the request ($/cancelRequest)
            if self._tickets.get(doc) is ticket:
                del self._tickets[doc]
            raise
        if ticket.cancel.is_set():
            return None
        self.last_model_asked = True
        hints = [cursor.line_prefix.strip() + c.text for c in ranked[:3]]
        future = asyncio.get_running_loop().run_in_executor(
            self._executor, self._generate, request, ticket.cancel, hints
        )
        raw = ""
        try:
            raw, request = await asyncio.wait_for(asyncio.shield(future), self.config.model.timeout_s)
        except asyncio.CancelledError:
            ticket.cancel.set()  # the client cancelled the request: stop generating for it
            raise
        except TimeoutError:
            ticket.cancel.set()
            self._failed(
                BackendError(
                    f"{self.backend.name} took longer than {self.config.model.timeout_s:g} s",
                    "Use a smaller model or raise model.timeout_s.",
                )
            )
        except BackendError as e:
            self._failed(e)
        except Exception as e:  # a backend bug must not take the server down
            log.exception("backend %s failed", self.backend.name)
            self._failed(BackendError(f"{self.backend.name} failed: {e}"))
        else:
            if self._episode.recovered():
                self._notify(f"hotwire-assist: {self.backend.name} is answering again.")
        finally:
            if self._tickets.get(doc) is ticket:
                del self._tickets[doc]
        if ticket.cancel.is_set():
            return None
        text = postprocess(raw, prefix, suffix, self.config.completion.max_lines) if raw else ""
        if text and not self._known_start(cursor, text):
            text = ""
        model = [Candidate(text, "model", MODEL_CONFIDENCE, "the model")] if text else []
        # The model's text joins the cheap candidates in one ranking: it replaces nothing better.
        shown = await asyncio.to_thread(self._shown, rank(found + model), cursor)
        if ticket.cancel.is_set():
            return None
        return self._suggestion(doc, cursor, shown, t0, request)

    def _known_start(self, cursor: Cursor, text: str) -> bool:
        """Whether the model's text begins with a word this app or the curated examples use, or finishes
        the word at the cursor into one (a small model's fragments, `nd` after `rescue `, `ting` after
        `turbo_frame_tag`, are no one's code). With an empty store (no workspace) or the check off
        (`known_words_only`) nothing is held back."""
        if not len(self.lines) or not self.known_words_only:
            return True
        typed = re.search(r"[A-Za-z_@$][\w$-]*$", cursor.line_prefix)
        if typed is not None:  # the cursor is in a word: the word it makes (`respo` + `nd_to`)
            m = re.match(r"[\w$-]*", text)
            return not m.group(0) or self.lines.knows(typed.group(0) + m.group(0))
        m = _FIRST_WORD.match(text)
        return m is None or self.lines.knows(m.group(1))

    @property
    def known_words_only(self) -> bool:
        """completion.known_words_only, or by default: on for the embedded small model only."""
        c, m = self.config.completion, self.config.model
        return c.known_words_only if c.known_words_only is not None else (m.backend == "llama_cpp" and not m.path)

    def internals(self) -> dict[str, int | str]:
        """Sizes of what the engine keeps, for bug reports and the load test (all must stay bounded), and what
        answered the last request (benchmarks split latency by it)."""
        return {
            "answered_without_model": self.answered_without_model,
            "last_source": self.last_source,
            "last_model_asked": int(self.last_model_asked),
            "cache_entries": len(self.cache),
            "tickets": len(self._tickets),
            "typing_clocks": len(self._last_request),
            "generation_queue": self._executor._work_queue.qsize(),
            "retrieval_files": len(self.lines),
        }

    @property
    def failing(self) -> bool:
        return self._episode.failing

    def _failed(self, error: BackendError) -> None:
        self.last_error = error.user_message()
        log.warning("backend error: %s", error.user_message())
        if self._episode.failed():
            self._notify(f"hotwire-assist: {error.user_message()}")

    def close(self) -> None:
        for doc in list(self._tickets):
            self.cancel(doc)
        self._executor.shutdown(wait=False, cancel_futures=True)
        self.backend.close()
