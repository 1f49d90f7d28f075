"""Related-file prompt context: what the model sees besides the current file.

A model that sees one file cannot know the app's frame ids, stream targets, partials or Stimulus
controllers; the files that define them are next door. For the cursor's file this ranks its neighbours
in the Rails sense (controller <-> its views <-> `*.turbo_stream.erb` <-> partials <-> the Stimulus
controllers a view uses <-> the model that broadcasts), adds the most similar curated examples (BM25),
and packs both into a character budget as `Snippet`s for `core/prompt.py`.

The server (per completion) and training's example builder call the same `build_context`, so a model
is trained with the context it will be given. Privacy exclusions apply to every file gathered.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hotwire_assist.core.appindex import AppIndex, pluralize, read_text, singularize, stimulus_identifier, view_name
from hotwire_assist.core.privacy import read_gated
from hotwire_assist.core.prompt import Snippet
from hotwire_assist.core.schemas import Example, read_examples

QUERY_CHARS = 300  # the text before the cursor that retrieval matches examples against
MAX_FILE_CHARS = 1500  # one related file never takes more than this (its head: declarations come first)
MIN_SNIPPET_CHARS = 120  # a cut that leaves less than this is dropped, not sent as a fragment
EXAMPLE_SHARE = 0.34  # of the budget, kept for retrieved examples when there are any
_WORD = re.compile(r"[A-Za-z_][\w-]*")


@dataclass(frozen=True)
class Related:
    path: str  # relative to the app root
    score: float
    reason: str


# --- ranking ----------------------------------------------------------------------------------------


def related_files(index: AppIndex, path: str | Path) -> list[Related]:
    """The cursor file's Rails neighbours, best first (each path once, never the file itself)."""
    rels = {index.rel(p): p for p in index.files}
    me = index.rel(str(path))
    found: dict[str, Related] = {}

    def add(rel: str, score: float, reason: str) -> None:
        if rel != me and rel in rels and (rel not in found or found[rel].score < score):
            found[rel] = Related(rel, score, reason)

    facts = index.files.get(rels.get(me, str(path)))
    view = view_name(me)
    if view is not None:
        _view_neighbours(index, me, view, facts, rels, add)
    elif m := re.search(r"app/controllers/(.+)_controller\.rb$", me):
        _resource_neighbours(m.group(1), rels, add, controller=False)
    elif m := re.search(r"app/models/(.+)\.rb$", me):
        _resource_neighbours(pluralize(m.group(1)), rels, add, controller=True)
    elif (ident := stimulus_identifier(me)) is not None:
        for p, f in index.files.items():
            if ident in f.data_controllers:
                add(index.rel(p), 0.8, f"uses data-controller={ident}")
    return sorted(found.values(), key=lambda r: (-r.score, r.path))


def _view_neighbours(index: AppIndex, me: str, view: str, facts, rels: dict, add: Callable) -> None:
    folder, _, name = view.rpartition("/")
    action = name.lstrip("_")
    add(f"app/controllers/{folder}_controller.rb", 0.9, "the controller rendering this view")
    model = f"app/models/{singularize(folder.rpartition('/')[2])}.rb"
    broadcasts = any(m["broadcasts"] for m in index.models if index.rel(m["path"]) == model)
    add(model, 0.75 if broadcasts else 0.55, "the model (broadcasts)" if broadcasts else "the model")
    partials = {k: index.rel(v) for k, v in index.partials.items()}
    for r in facts.renders if facts else []:
        if r.startswith("*/"):
            base = r[2:]
            for k, v in partials.items():
                if k.rpartition("/")[2] == base:
                    add(v, 0.85 if k.startswith(folder + "/") else 0.7, f"rendered here ({k})")
        elif r in partials:
            add(partials[r], 0.85, f"rendered here ({r})")
    if name.startswith("_"):
        for p in index.renderers_of(f"{folder}/{action}"):
            add(index.rel(p), 0.7, "renders this partial")
    known = index.stimulus_controllers
    for ident in dict.fromkeys([*facts.data_controllers, *facts.stimulus_refs] if facts else []):
        if ident in known:
            add(index.rel(known[ident].path), 0.8, f"data-controller={ident}")
    for rel in rels:
        v = view_name(rel)
        if v is None or v.rpartition("/")[0] != folder or rel == me:
            continue
        if v.rpartition("/")[2] == action:
            add(rel, 0.8, "the same action in another format")
        elif rel.endswith(".turbo_stream.erb") or me.endswith(".turbo_stream.erb"):
            add(rel, 0.5, "a view of the same controller")


def _resource_neighbours(plural: str, rels: dict, add: Callable, controller: bool) -> None:
    if controller:
        add(f"app/controllers/{plural}_controller.rb", 0.7, "the resource's controller")
    else:
        add(f"app/models/{singularize(plural.rpartition('/')[2])}.rb", 0.6, "the resource's model")
    for rel in rels:
        v = view_name(rel)
        if v is not None and v.rpartition("/")[0] == plural:
            stream = rel.endswith(".turbo_stream.erb")
            partial = v.rpartition("/")[2].startswith("_")
            add(rel, 0.85 if stream else 0.75 if partial else 0.65, "a view of this resource")


# --- curated examples -------------------------------------------------------------------------------


def _tokens(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def example_text(ex: Example) -> tuple[str, str]:
    """(path, text) an example shows the model: the whole file of a FIM example, else its outputs."""
    if ex.kind == "fim":
        return ex.path, ex.prefix + ex.middle + ex.suffix
    return (ex.output[0].path, "\n".join(f.content for f in ex.output)) if ex.output else ("", "")


class ExampleRetriever:
    """BM25 (rank-bm25) over curated examples; an absent or empty folder retrieves nothing."""

    def __init__(self, examples: Sequence[Example]):
        from rank_bm25 import BM25Plus  # its idf stays positive on small curated sets (Okapi zeroes it)

        self.examples = list(examples)
        self._texts = [example_text(e) for e in self.examples]
        corpus = [
            _tokens(f"{e.category} {e.input} {p} {t}") for e, (p, t) in zip(self.examples, self._texts, strict=True)
        ]
        self._bm25 = BM25Plus(corpus) if corpus else None

    @classmethod
    def from_folder(cls, folder: Path) -> ExampleRetriever:
        examples: list[Example] = []
        problems: list[str] = []  # a bad line is the dataset validator's to report; retrieval skips it
        for f in sorted(folder.glob("*.jsonl")) if folder.is_dir() else []:
            examples.extend(read_examples(f, skip_bad=True, problems=problems))
        return cls(examples)

    def top(self, query: str, k: int = 2) -> list[Snippet]:
        words = _tokens(query)
        if self._bm25 is None or not words:
            return []
        scores = self._bm25.get_scores(words)
        best = sorted(range(len(scores)), key=lambda i: -scores[i])[:k]
        return [
            Snippet(f"example: {self._texts[i][0]}", self._texts[i][1])
            for i in best
            if scores[i] > 0 and self._texts[i][1]
        ]


# --- packing ----------------------------------------------------------------------------------------


def _head(text: str, limit: int) -> str:
    """The first `limit` chars, cut at a line end."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    return cut[: cut.rfind("\n") + 1] or cut


def build_context(
    index: AppIndex,
    path: str | Path,
    query: str = "",
    *,
    budget_chars: int = 1500,
    exclude: Sequence[str] = (),
    retriever: ExampleRetriever | None = None,
    read: Callable[[Path], str | None] = read_text,
) -> list[Snippet]:
    """Snippets for the prompt of `path`: related files by rank, then examples similar to `query`
    (the text around the cursor), all within `budget_chars`. Excluded files are never read; secrets in the
    others are redacted (core.privacy)."""
    examples = retriever.top(query) if retriever is not None and query.strip() else []
    file_budget = int(budget_chars * (1 - EXAMPLE_SHARE)) if examples else budget_chars
    root = index.root
    out: list[Snippet] = []
    used = 0
    for rel in related_files(index, path):
        full = (root / rel.path) if root is not None else Path(rel.path)
        text = read_gated(full, root, exclude, read)  # None for an excluded file: never read
        if not text or not text.strip():
            continue
        room = min(MAX_FILE_CHARS, file_budget - used)
        if room < MIN_SNIPPET_CHARS:
            break
        if text := _fit(text, room):
            out.append(Snippet(rel.path, text))
            used += len(text)
    for s in examples:
        if text := _fit(s.text, budget_chars - used):
            out.append(Snippet(s.path, text))
            used += len(text)
    return out


def query_of(prefix: str) -> str:
    """What retrieval searches with: the end of the text before the cursor (server and training alike)."""
    return prefix[-QUERY_CHARS:]


def _fit(text: str, room: int) -> str:
    """The head of `text` within `room`, or "" when what fits is too little to help."""
    head = _head(text, room)
    return head if len(head.strip()) >= min(MIN_SNIPPET_CHARS, len(text.strip())) else ""


CURATED_DIR = Path(__file__).resolve().parents[1] / "training" / "curated"  # data files, not an import


class ContextCache:
    """The server's per-file cache around `build_context`: one build per (file, index generation, query)."""

    @classmethod
    def for_config(cls, config, curated: Path | None = CURATED_DIR) -> ContextCache:
        """Sized and filtered as a configuration says: what the server and `complete` both use."""
        from hotwire_assist.core.prompt import context_budget

        return cls(curated, context_budget(config.completion.prompt_chars), config.privacy.exclude)

    def for_request(self, index: AppIndex | None, request):
        """The app context of a core.request.CompletionRequest (core.request.request_context, cached)."""
        from hotwire_assist.core.request import request_context

        if index is None or index.root is None:
            return ()
        key = (index.generation, request.path, request.prefix[-QUERY_CHARS:])
        hit = self._last.get(request.path)
        if hit is not None and hit[0] == key:
            return hit[1]
        found = request_context(
            request, index, budget_chars=self.budget_chars, exclude=self.exclude, retriever=self.retriever()
        )
        self._last[request.path] = (key, found)
        return found

    def __init__(self, curated: Path | None = None, budget_chars: int = 1500, exclude: Sequence[str] = ()):
        self.budget_chars = budget_chars
        self.exclude = tuple(exclude)
        self._curated = curated
        self._retriever: ExampleRetriever | None = None
        self._lock = threading.Lock()
        self._last: dict[str, tuple[tuple, list[Snippet]]] = {}

    def retriever(self) -> ExampleRetriever | None:
        with self._lock:
            if self._retriever is None and self._curated is not None:
                self._retriever = ExampleRetriever.from_folder(self._curated)
            return self._retriever

    def get(self, index: AppIndex, path: str | Path, query: str) -> list[Snippet]:
        key = (index.generation, query)
        hit = self._last.get(str(path))
        if hit is not None and hit[0] == key:
            return hit[1]
        snippets = build_context(
            index, path, query, budget_chars=self.budget_chars, exclude=self.exclude, retriever=self.retriever()
        )
        self._last[str(path)] = (key, snippets)
        return snippets
