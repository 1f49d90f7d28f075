"""The un-blinded review summary: preference rates with Wilson intervals (overall, per category, per reviewer),
inter-reviewer agreement and per-question answer rates; also the `reviews.json` that `eval report` reads."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from hotwire_assist.evaluation.dashboard.pairs import Decided, Pairing
from hotwire_assist.evaluation.dashboard.stats import agreement, wilson_interval
from hotwire_assist.evaluation.dashboard.votes import QUESTIONS, Vote

REVIEWS_FILE = "reviews.json"
PREFERENCE_BAR = 0.75  # the seed's success bar: the fine-tuned model preferred in 75 %+ of comparisons


def preference(votes: list[Vote], decided: list[Decided] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    """How often run A beat run B among decisive outcomes (ties reported apart, not counted as either):
    reviewers' votes plus the tasks decided without review (an empty answer is a loss, identical ones tie)."""
    a = sum(v.preference == "A" for v in votes) + sum(d.outcome == "A" for d in decided)
    b = sum(v.preference == "B" for v in votes) + sum(d.outcome == "B" for d in decided)
    ties = len(votes) + len(decided) - a - b
    ci = wilson_interval(a, a + b)
    return {
        "votes": len(votes),
        "decided_without_review": len(decided),
        "a_wins": a,
        "b_wins": b,
        "ties": ties,
        "a_rate": a / (a + b) if a + b else None,
        "ci95": list(ci) if ci else None,
        "left_chosen": sum(v.preference == v.left_run for v in votes),  # a large share hints at a side bias
    }


def question_rates(votes: list[Vote]) -> dict[str, dict[str, Any]]:
    """Per question and run: the share of 'yes' among reviewers who answered."""
    out: dict[str, dict[str, Any]] = {}
    for q, text in QUESTIONS.items():
        row: dict[str, Any] = {"question": text}
        for run in ("A", "B"):
            answered = [v.answers.get(run, {}).get(q) for v in votes]
            answered = [x for x in answered if x is not None]
            yes = sum(bool(x) for x in answered)
            ci = wilson_interval(yes, len(answered))
            row[run] = {
                "yes": yes,
                "answered": len(answered),
                "rate": yes / len(answered) if answered else None,
                "ci95": list(ci) if ci else None,
            }
        out[q] = row
    return out


def summarize(pairing: Pairing, votes: list[Vote]) -> dict[str, Any]:
    category = {p.id: p.category for p in pairing.pairs}
    by_category: dict[str, list[Vote]] = defaultdict(list)
    by_reviewer: dict[str, list[Vote]] = defaultdict(list)
    labels: dict[str, dict[str, str]] = defaultdict(dict)
    for v in votes:
        by_category[category.get(v.pair_id, "unknown")].append(v)
        by_reviewer[v.reviewer].append(v)
        labels[v.reviewer][v.pair_id] = v.preference
    decided_by_category: dict[str, list[Decided]] = defaultdict(list)
    for d in pairing.decided:
        decided_by_category[d.category].append(d)
    overall = preference(votes, pairing.decided)
    return {
        "models": {"A": pairing.run_a.label, "B": pairing.run_b.label},
        "runs": {"A": str(pairing.run_a.path), "B": str(pairing.run_b.path)},
        "pairs": len(pairing.pairs),
        "pairs_reviewed": len({v.pair_id for v in votes}),
        "reviewers": len(by_reviewer),
        "preference": overall,
        "bar": PREFERENCE_BAR,
        "meets_bar": overall["a_rate"] is not None and overall["a_rate"] >= PREFERENCE_BAR,
        "by_category": {
            c: preference(by_category.get(c, []), decided_by_category.get(c, []))
            for c in sorted(set(by_category) | set(decided_by_category))
        },
        "decided_without_review": [
            {"task_id": d.task_id, "category": d.category, "outcome": d.outcome, "reason": d.reason}
            for d in pairing.decided
        ],
        "by_reviewer": {r: preference(vs) for r, vs in sorted(by_reviewer.items())},
        "agreement": agreement(labels),
        "questions": question_rates(votes),
        "problems": pairing.problems,
    }


def export_reviews(pairing: Pairing, votes: list[Vote]) -> tuple[dict[str, Any], Path]:
    """The summary plus every vote, written atomically to run A's folder for `eval report`."""
    data = {"generated_at": time.time(), "summary": summarize(pairing, votes), "votes": [v.to_json() for v in votes]}
    path = pairing.run_a.path / REVIEWS_FILE
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
    return data, path
