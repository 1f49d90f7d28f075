"""One ranking for every source: the candidate most likely to be kept comes first.

A candidate's rank is its source's prior times its own confidence, plus agreement: another source that
proposes the same text, or a text one extends (the index's `="dialog#close"` backs retrieval's
`="dialog#close">Cancel</button>`), adds to it. Below `THRESHOLD` nothing is shown from the index or
retrieval alone, and the model is asked; below `SHOW` nothing is shown at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from hotwire_assist.server.engine.cursor import SOURCE_PRIORS, Candidate

THRESHOLD = 0.3  # an index/retrieval candidate at least this good answers without the model
SHOW = 0.12  # nothing below this is ever shown
AGREEMENT = 0.25
_LABELLED = re.compile(r"(.*?[\"'])>[^<>]*</[\w-]+>")


def rank(candidates: list[Candidate], likelihood: Callable[[list[str]], list[float]] | None = None) -> list[Candidate]:
    """Merge candidates with the same text, score agreement, and sort best first.

    Agreement counts as much as the agreeing candidate is backed: a source's weak guess that happens to
    match adds little (a retrieval line seen once backs an index guess less than most of the app's lines).
    A confident candidate that extends another one it agrees with comes before it: it says the same and
    knows the rest of the line (`="pagination">` from the index, `="pagination" data-pagination-…-value=…>`
    from most lines that start alike).
    `likelihood` (optional, for backends that score text cheaply) gives each candidate's mean token
    log-probability; it reorders candidates whose scores are close, never lifts one past the threshold."""
    merged: dict[str, Candidate] = {}
    backing: dict[str, dict[str, float]] = {}  # key -> source -> its best own value for this text
    for c in candidates:
        if not c.key:
            continue
        value = SOURCE_PRIORS.get(c.source, 0.3) * c.score
        have = merged.get(c.key)
        backing.setdefault(c.key, {})
        backing[c.key][c.source] = max(backing[c.key].get(c.source, 0.0), value)
        if have is None:
            merged[c.key] = Candidate(c.text, c.source, value, c.reason)
        else:
            if c.source != have.source and c.source not in have.support:
                have.support.append(c.source)
            if value > have.score:
                have.text, have.source, have.reason = c.text, c.source, c.reason
            have.score = max(have.score, value)
    out = list(merged.values())
    own = {c.key: c.score for c in out}
    for c in out:
        agree: dict[str, float] = {s: v for s, v in backing[c.key].items() if s != c.source}
        for other in out:
            if other is c or other.source == c.source:
                continue
            if extends(c.key, other.key) or extends(other.key, c.key):
                agree[other.source] = max(agree.get(other.source, 0.0), own[other.key])
                if other.source not in c.support:
                    c.support.append(other.source)
        bonus = sum(AGREEMENT * min(1.0, v / THRESHOLD) for s, v in agree.items() if s != c.source)
        c.score = round(min(1.0, c.score + bonus), 4)
    for c in out:  # a confident candidate goes before the shorter one it extends and agrees with
        if own[c.key] < THRESHOLD:
            continue
        for other in out:
            if other is not c and other.source != c.source and c.key != other.key and extends(c.key, other.key):
                c.score = max(c.score, round(other.score + 0.001, 4))
    for c in out:  # the index's label is a guess: the app's own button for that descriptor goes before it
        if c.source == "index" and (m := _LABELLED.fullmatch(c.key)):
            head = m.group(1)  # `="dialog#close"`: then more attributes or the tag's end
            own_way = [
                o
                for o in out
                if o.source == "retrieval" and o.key.startswith(head) and o.key[len(head) :][:1] in (" ", ">")
            ]
            if own_way:
                best = max(own_way, key=lambda o: o.score)
                best.score = max(best.score, round(c.score + 0.001, 4))
    out.sort(key=lambda c: (-c.score, len(c.text), c.text))
    if likelihood is not None and len(out) > 1:
        close = [c for c in out if out[0].score - c.score < 0.1]
        if len(close) > 1:
            scores = likelihood([c.text for c in close])
            order = sorted(zip(close, scores, strict=True), key=lambda x: -x[1])
            out = [c for c, _ in order] + [c for c in out if c not in close]
    return out


def extends(longer: str, shorter: str) -> bool:
    """`longer` starts with `shorter`, the tag end `>` the shorter one closes with aside (the index's
    `="dialog">` and the app's `="dialog" data-dialog-modal-value="true">` agree on the identifier)."""
    if longer.startswith(shorter):
        return True
    # the index's one-line button (`="dialog#close">Close</button>`) and the app's (`…">Cancel</button>`)
    # agree on the descriptor; the label is a guess
    if (m := _LABELLED.fullmatch(shorter)) and longer.startswith(m.group(1) + ">"):
        return True
    short = shorter.removesuffix(">").rstrip()
    return short != shorter and len(short) > 2 and longer.startswith(short) and longer.endswith(">")


def confident(ranked: list[Candidate]) -> bool:
    """Whether the best index/retrieval candidate answers without asking the model."""
    return bool(ranked) and ranked[0].source != "model" and ranked[0].score >= THRESHOLD
