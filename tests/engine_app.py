"""A small Rails app written by a test, and the engine's ranked index/retrieval candidates at a hole cut in it
before anything is indexed (the way bench_fim cuts holes in real apps)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from hotwire_assist.core.appindex import index_app, read_text
from hotwire_assist.server.engine import Candidate, Cursor, LineStore, cheap_candidates

JS = "app/javascript/controllers/{}_controller.js"


def make_app(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    (root / "config").mkdir(exist_ok=True)
    (root / "config" / "routes.rb").write_text("Rails.application.routes.draw do\nend\n")
    return root


def ask(
    root: Path, rel: str, text: str, marker: str, store_extra: Callable[[LineStore], None] | None = None
) -> list[Candidate]:
    """Write `text` cut right after the last `marker` to `rel`, index the app, rank the candidates
    (`store_extra` adds lines to the store first, as the curated examples are)."""
    cut = text.rindex(marker) + len(marker)
    prefix, suffix = text[:cut], text[cut:].split("\n", 1)
    buffer = prefix + "\n" + (suffix[1] if len(suffix) > 1 else "")
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / rel).write_text(buffer)
    index = index_app(root)
    store = LineStore()
    if store_extra:
        store_extra(store)
    store.sync(index.files, lambda p: read_text(Path(p)), index.rel)
    return cheap_candidates(Cursor(rel, prefix, buffer[len(prefix) :]), index, store)
