"""The completion engine's candidate sources, ranking and veto (pure functions over a `Cursor`).

    candidates (index · retrieval · model) ──► rank ──► veto ──► ghost text / items

`server/completion.py` runs them per request: the cheap sources first; the model only when none of
their candidates clears the confidence threshold.
"""

from __future__ import annotations

from hotwire_assist.core.appindex import AppIndex
from hotwire_assist.server.engine.cursor import Candidate, Cursor, kind_of, normalize
from hotwire_assist.server.engine.index_source import index_candidates, out_of_scope
from hotwire_assist.server.engine.ranking import SHOW, THRESHOLD, confident, rank
from hotwire_assist.server.engine.retrieval import LineStore, retrieve
from hotwire_assist.server.engine.veto import allowed, why_not

__all__ = [
    "SHOW",
    "THRESHOLD",
    "Candidate",
    "Cursor",
    "LineStore",
    "allowed",
    "cheap_candidates",
    "confident",
    "index_candidates",
    "kind_of",
    "normalize",
    "rank",
    "raw_candidates",
    "retrieve",
    "why_not",
]


def raw_candidates(cursor: Cursor, index: AppIndex | None, store: LineStore) -> list[Candidate]:
    """Index and retrieval candidates for a cursor, each with its source's own score (before ranking: a
    later `rank` with the model's candidate must start from these, or the source priors count twice)."""
    if not cursor.line_prefix.strip():
        return []  # a blank line: nothing to continue; the model writes whole lines
    return out_of_scope(cursor, index, index_candidates(cursor, index, store) + retrieve(store, cursor))


def cheap_candidates(cursor: Cursor, index: AppIndex | None, store: LineStore) -> list[Candidate]:
    """Index and retrieval candidates for a cursor, ranked (no model, no rules check): milliseconds."""
    return rank(raw_candidates(cursor, index, store))
