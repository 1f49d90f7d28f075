"""The scorer separates good from junk: every known-junk answer scores ≤ 30, every reference ≥ 90.

Junk, per task: empty, random tokens, a lone `end`, a comment, code in another language, and another
task's clean reference (well-formed code that does not do what was asked). FIM junk: the same kinds in
the hole. Scored through the same answer parsing and scoring as `eval run`.
"""

from __future__ import annotations

import random
import statistics

import pytest

from hotwire_assist.evaluation.runner import parse_answer
from hotwire_assist.evaluation.scoring import Sample, score_batch, score_fim_batch, truncate_fim
from hotwire_assist.evaluation.tasks import read_fim_tasks, read_generation_tasks

JUNK_MAX, REFERENCE_MIN = 30.0, 90.0
_VOCAB = [
    "foo",
    "bar",
    "<div>",
    "%>",
    "end",
    "do",
    "|x|",
    "(",
    ")",
    "=",
    ".",
    ",",
    "def",
    "class",
    "data-controller",
    "turbo",
    "42",
    "@task",
]


def _random_tokens(seed: int) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(_VOCAB) for _ in range(40))


def _junk_texts(n: int, other_reference: str) -> dict[str, str]:
    return {
        "empty": "",
        "random": _random_tokens(n),
        "end": "end",
        "comment": "// TODO: implement this",
        "wrong-language": "def handler(event):\n    return {'status': 200}\n",
        "other-task": other_reference,
    }


def _as_answer(files) -> str:
    return "".join(f"### File: {f.path}\n{f.content}" for f in files)


@pytest.fixture(scope="module")
def generation_scores():
    tasks = read_generation_tasks()
    samples, labels = [], []
    for n, t in enumerate(tasks):
        # another task's reference, from a different category and for a different file
        other = next(
            o for o in tasks[n + 1 :] + tasks[:n] if o.category != t.category and o.target_path != t.target_path
        )
        for kind, text in _junk_texts(n, _as_answer(other.reference)).items():
            samples.append(Sample(parse_answer(text, t.target_path), t.context, t.expectations))
            labels.append((t.id, kind))
        samples.append(Sample(parse_answer(_as_answer(t.reference), t.target_path), t.context, t.expectations))
        labels.append((t.id, "reference"))
    return dict(zip(labels, (s.total for s in score_batch(samples)), strict=True))


def test_generation_junk_scores_at_most_30_and_references_at_least_90(generation_scores):
    too_high = {k: v for k, v in generation_scores.items() if k[1] != "reference" and v > JUNK_MAX}
    too_low = {k: v for k, v in generation_scores.items() if k[1] == "reference" and v < REFERENCE_MIN}
    assert too_high == {} and too_low == {}
    junk = [v for k, v in generation_scores.items() if k[1] != "reference"]
    refs = [v for k, v in generation_scores.items() if k[1] == "reference"]
    assert statistics.mean(refs) - statistics.mean(junk) >= 80


def test_fim_junk_scores_at_most_30_and_references_at_least_90():
    tasks = read_fim_tasks()
    items, labels = [], []
    for n, t in enumerate(tasks):
        other = tasks[(n + 7) % len(tasks)].middle
        for kind, text in {**_junk_texts(n, other), "d": "d"}.items():
            items.append((t, text))
            labels.append((t.id, kind))
        items.append((t, t.middle + "\n" + t.suffix.lstrip("\n")[:40]))  # runs on into the suffix: cut
        labels.append((t.id, "reference"))
    scores = dict(zip(labels, score_fim_batch(items), strict=True))
    too_high = {k: s.scored.total for k, s in scores.items() if k[1] != "reference" and s.scored.total > JUNK_MAX}
    refs = {k: s for k, s in scores.items() if k[1] == "reference"}
    assert too_high == {}
    assert {k: s.scored.total for k, s in refs.items() if s.scored.total < REFERENCE_MIN} == {}
    assert sum(s.exact_match for s in refs.values()) >= 0.9 * len(refs)


@pytest.mark.parametrize(
    ("completion", "middle", "suffix", "expected"),
    [
        ("foo(1)\nbar()\n", "foo(1)", "\nbaz", "foo(1)"),  # one-line hole: the first line
        ("x %>\n", "x", " %>\n", "x"),  # the tail the line already has is dropped
        # two-line hole, the model opened a block: completed to its end
        ("if a\n  b\n  c\nend\nmore\n", "x = 1\ny = 2", "\nfoo\n", "if a\n  b\n  c\nend"),
        # the hole's own text leaves the element open (the suffix closes it): nothing added
        ("<div>\n  <%= x %>\n</div>\nzzz", "<div>\n  <%= y %>", "\n</div>\n", "<div>\n  <%= x %>"),
        # extended to close the model's element, but never into the suffix
        ("<ul>\n<li>a</li>\n</ul>\n</div>", "<p>a</p>\n<p>b</p>", "\n</div>\n", "<ul>\n<li>a</li>\n</ul>"),
        ("<ul>\n<li>a</li>\n</div>\nmore", "<p>a</p>\n<p>b</p>", "\n</div>\n", "<ul>\n<li>a</li>"),
    ],
)
def test_truncate_fim_cuts_at_the_syntactic_unit(completion, middle, suffix, expected):
    assert truncate_fim(completion, middle, suffix) == expected
