"""The completion request: what the model is asked at one cursor, built by ONE function for every room.

The server (inline completion), the CLI `complete`, telemetry, training's FIM items, the embedded model's
corpus and evaluation's FIM tasks all call `build_request` (and `request_context` for the app context), so
serving and training cannot drift: the same cursor gives the same path, language, prefix, suffix and
context everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from hotwire_assist.core.appindex import AppIndex, rails_app_root, read_text
from hotwire_assist.core.config import WORKSPACE_FILE
from hotwire_assist.core.context import build_context, query_of
from hotwire_assist.core.hotwire import language_of
from hotwire_assist.core.prompt import Snippet

# Half of a UTF-16 surrogate pair: a client may send one (JSON allows it) but no model can encode it.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def replace_lone_surrogates(text: str) -> str:
    """Each half of a UTF-16 pair becomes U+FFFD: one UTF-16 code unit either way, so positions hold."""
    return _LONE_SURROGATE.sub("\ufffd", text)


@dataclass(frozen=True)
class CompletionRequest:
    """One cursor as the model sees it."""

    path: str  # relative to the workspace (posix), never a path into the user's home
    language: str  # erb | ruby | javascript | typescript | the editor's language id
    prefix: str  # the document before the cursor
    suffix: str  # the document after the cursor
    context: tuple[Snippet, ...] = ()  # related app files and similar examples (core.context), best first

    def to_json(self) -> dict:
        return {
            "path": self.path,
            "language": self.language,
            "prefix": self.prefix,
            "suffix": self.suffix,
            "context": [{"path": s.path, "text": s.text} for s in self.context],
        }


def relative_path(path: str | Path, root: Path | None) -> str:
    """The path the model, telemetry and training see: relative to the workspace root, else from the Rails
    app the file belongs to, else the bare file name. A relative path is taken as already relative."""
    p = Path(path)
    if not p.is_absolute():
        return p.as_posix()
    if root is not None:
        for a, b in ((p, Path(root)), (p.resolve(), Path(root).resolve())):
            if a.is_relative_to(b):
                return a.relative_to(b).as_posix()
    app = rails_app_root(p)
    return p.relative_to(app).as_posix() if app is not None and app.is_absolute() else p.name


def workspace_root(path: str | Path) -> Path:
    """The folder an editor would open for this file, found as the server's workspace is: the nearest folder
    with a `.hotwire-assist.toml`, else the Rails app the file is in, else the git repository, else its folder."""
    p = Path(path).resolve()
    folders = p.parents if not p.is_dir() else (p, *p.parents)
    for d in folders:
        if (d / WORKSPACE_FILE).is_file():
            return d
    if (app := rails_app_root(p)) is not None and app.is_absolute():
        return app
    for d in folders:
        if (d / ".git").exists():
            return d
    return p if p.is_dir() else p.parent


def build_request(
    path: str | Path,
    text: str,
    offset: int,
    root: Path | None,
    language_id: str = "",
    context: Callable[[CompletionRequest], Sequence[Snippet]] | None = None,
) -> CompletionRequest:
    """The request at `offset` of `text` (the document as the editor has it) in the file at `path`.

    `context` gathers the app context for it (`request_context` with the app's index); without it the
    request has none yet (the server adds it only when it generates: see `with_context`)."""
    offset = max(0, min(offset, len(text)))
    rel = relative_path(path, root)
    request = CompletionRequest(
        path=rel,
        language=language_of(rel, language_id),
        prefix=replace_lone_surrogates(text[:offset]),
        suffix=replace_lone_surrogates(text[offset:]),
    )
    return with_context(request, context) if context is not None else request


def with_context(
    request: CompletionRequest, context: Callable[[CompletionRequest], Sequence[Snippet]] | None
) -> CompletionRequest:
    """The request with its app context gathered (unchanged when it has some, or nothing gathers)."""
    if request.context or context is None:
        return request
    return replace(request, context=tuple(context(request)))


def request_context(
    request: CompletionRequest,
    index: AppIndex | None,
    *,
    budget_chars: int,
    exclude: Sequence[str] = (),
    retriever=None,
    read: Callable[[Path], str | None] = read_text,
) -> tuple[Snippet, ...]:
    """The request file's Rails neighbours and the curated examples most like the text before the cursor
    (core.context.build_context), within `budget_chars` (core.prompt.context_budget of the prompt)."""
    if index is None or index.root is None:
        return ()
    snippets = build_context(
        index,
        Path(index.root) / request.path,
        query_of(request.prefix),
        budget_chars=budget_chars,
        exclude=exclude,
        retriever=retriever,
        read=read,
    )
    return tuple(snippets)
