"""One ranking for every source: the candidate most likely to be kept comes first.

A candidate's rank is its source's prior times its own confidence, plus agreement: another source that
proposes the same text, or a text one extends (the index's `="dialog#close"` backs retrieval's
`="dialog#close">Cancel</button>`), adds to it. Below `THRESHOLD` nothing is shown from the index or
retrieval alone, and the model is asked; below `SHOW` nothing is shown at all.
"""

from __future__ import annotations

from collections.abc import Callable

from hotwire_assist.server.engine.cursor import SOURCE_PRIORS, Candidate

THRESHOLD = 0.3  # an index/retrieval candidate at least this good answers without the model
SHOW = 0.12  # nothing below this is ever shown
AGREEMENT = 0.25


def rank(candidates: list[Candidate], likelihood: Callable[[list[str]], list[float]] | None = None) -> list[Candidate]:
    """Merge candidates with the same text, score agreement, and sort best first.

    `likelihood` (optional, for backends that score text cheaply) gives each candidate's mean token
    log-probability; it reorders candidates whose scores are close, never lifts one past the threshold."""
    merged: dict[str, Candidate] = {}
    for c in candidates:
        if not c.key:
            continue
        value = SOURCE_PRIORS.get(c.source, 0.3) * c.score
        have = merged.get(c.key)
        if have is None:
            merged[c.key] = Candidate(c.text, c.source, value, c.reason)
        else:
            if c.source != have.source and c.source not in have.support:
                have.support.append(c.source)
            if value > have.score:
                have.text, have.source, have.reason = c.text, c.source, c.reason
            have.score = max(have.score, value)
    out = list(merged.values())
    for c in out:
        for other in out:
            if other is c or other.source == c.source or other.source in c.support:
                continue
            if c.key.startswith(other.key) or other.key.startswith(c.key):
                c.support.append(other.source)
        c.score = round(min(1.0, c.score + AGREEMENT * len(set(c.support) - {c.source})), 4)
    out.sort(key=lambda c: (-c.score, len(c.text), c.text))
    if likelihood is not None and len(out) > 1:
        close = [c for c in out if out[0].score - c.score < 0.1]
        if len(close) > 1:
            scores = likelihood([c.text for c in close])
            order = sorted(zip(close, scores, strict=True), key=lambda x: -x[1])
            out = [c for c, _ in order] + [c for c in out if c not in close]
    return out


def confident(ranked: list[Candidate]) -> bool:
    """Whether the best index/retrieval candidate answers without asking the model."""
    return bool(ranked) and ranked[0].source != "model" and ranked[0].score >= THRESHOLD
