"""Task sets: shape, categories, deterministic FIM cutting, bad input, and the contamination check."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hotwire_assist.core.schemas import CATEGORIES, Example, FileText, write_examples
from hotwire_assist.evaluation.contamination import check_contamination
from hotwire_assist.evaluation.tasks import (
    TASKS_DIR,
    TaskError,
    build_fim_tasks,
    read_fim_tasks,
    read_generation_tasks,
)


def test_shipped_task_sets_cover_the_categories():
    gen, fim = read_generation_tasks(), read_fim_tasks()
    assert len(gen) >= 30 and len(fim) >= 40
    assert {t.category for t in gen} == set(CATEGORIES)
    assert len({t.id for t in [*gen, *fim]}) == len(gen) + len(fim)


def test_fim_set_is_the_deterministic_cut_of_its_sources():
    """fim.jsonl is regenerated from fim_sources/ by build_fim_tasks; the two must agree."""
    assert build_fim_tasks() == read_fim_tasks()
    for t in read_fim_tasks():
        assert t.middle.strip() and t.original == (TASKS_DIR / "fim_sources").joinpath(
            next(k for k in json.loads((TASKS_DIR / "fim_sources/manifest.json").read_text()) if k.endswith(t.path))
        ).read_text(encoding="utf-8")


def test_bad_task_line_names_file_and_line(tmp_path):
    path = tmp_path / "gen.jsonl"
    good = read_generation_tasks()[0].model_dump_json()
    path.write_text(good + "\n" + json.dumps({"id": "x", "category": "nope", "request": "r"}) + "\n")
    with pytest.raises(TaskError, match=r"(?s)gen\.jsonl:2: .*unknown category 'nope'"):
        read_generation_tasks(path)
    path.write_text(good + "\n" + good + "\n")
    with pytest.raises(TaskError, match=r"gen\.jsonl:2: duplicate task id"):
        read_generation_tasks(path)
    path.write_text(
        '{"id": "x", "category": "stimulus/targets", "request": "r", "expectations": [{"name": "a", "regex": "("}]}\n'
    )
    with pytest.raises(TaskError, match="not a valid regex"):
        read_generation_tasks(path)


def _train_file(tmp: Path, examples: list[Example]) -> str:
    path = tmp / "curated.jsonl"
    write_examples(path, examples)
    return str(path)


def test_contamination_passes_for_unrelated_training_data(tmp_path):
    ex = Example(
        id="t1",
        kind="instruction",
        input="Write a Stimulus hello controller that greets the name target.",
        output=[FileText(path="app/javascript/controllers/hello_controller.js", content="export default class {}\n")],
        category="stimulus/targets",
        source="test",
        license="MIT",
    )
    report = check_contamination([*read_generation_tasks(), *read_fim_tasks()], [_train_file(tmp_path, [ex])])
    assert report.ok and report.training_texts == 2


def test_contamination_catches_a_planted_near_duplicate(tmp_path):
    """A training example copied from a FIM source with one line changed is caught, as is a copied request."""
    fim = read_fim_tasks()
    original = next(t for t in fim if t.path == "app/controllers/books_controller.rb").original
    planted = original.replace('notice: "Book added."', 'notice: "Book created."')
    gen = read_generation_tasks()
    near = Example(
        id="planted-fim",
        kind="fim",
        path="app/controllers/books_controller.rb",
        prefix=planted[:200],
        middle=planted[200:260],
        suffix=planted[260:],
        category="turbo-streams/controller-responses",
        source="test",
        license="MIT",
    )
    copied = Example(
        id="copied-request",  # on the training side of the held-out split (held-out examples are not training data)
        kind="instruction",
        input="  " + gen[3].request + "\n",  # whitespace differs: still the same text
        output=[FileText(path="app/views/x.html.erb", content="<p>unrelated answer</p>\n")],
        category=gen[3].category,
        source="test",
        license="MIT",
    )
    report = check_contamination([*gen, *fim], [_train_file(tmp_path, [near, copied])])
    assert not report.ok
    hits = {(d.task_id, d.kind) for d in report.duplicates}
    assert (gen[3].id, "exact") in hits
    assert {t.id for t in fim if t.path == "app/controllers/books_controller.rb"} <= {
        d.task_id for d in report.duplicates
    }
    assert all(d.kind == "near" for d in report.duplicates if d.task_id.startswith("fim-"))


def test_contamination_reads_source_folders(tmp_path):
    fim = read_fim_tasks()
    src = tmp_path / "corpus" / "app" / "models"
    src.mkdir(parents=True)
    event = next(t for t in fim if t.path == "app/models/event.rb")
    (src / "event.rb").write_text(event.original)
    report = check_contamination(fim, [str(tmp_path / "corpus")])
    assert {d.task_id for d in report.duplicates} == {t.id for t in fim if t.path == "app/models/event.rb"}


def test_the_curated_held_out_split_is_a_clean_task_set():
    """`eval run --held-out`: held-out curated examples become tasks; none is contaminated by the training data
    (the curated examples and pairs that are trained on, and the starter corpus)."""
    from hotwire_assist.evaluation.contamination import check_contamination
    from hotwire_assist.evaluation.tasks import held_out_tasks
    from hotwire_assist.training.corpus import is_held_out
    from hotwire_assist.training.dataset import curated_files

    tasks = held_out_tasks(curated_files())
    assert len(tasks) >= 20 and all(is_held_out(t.id.removeprefix("held-out:")) for t in tasks)
    assert all(e.check(t.reference) for t in tasks for e in t.expectations)
    report = check_contamination(tasks)
    assert report.duplicates == [] and report.training_texts > 1000


def test_marker_holes_cut_the_rest_of_the_line_after_the_first_hotwire_marker():
    from hotwire_assist.evaluation.tasks import marker_holes

    text = (
        '<div data-controller="tabs" data-action="click->tabs#go">\n'
        '  <%= turbo_frame_tag "panel" do %>\n'
        "  <% if item.respond_to?(:name) %>\n"
        "  <%= turbo_frame_tag\n"
        "</div>\n"
    )
    holes = marker_holes("app/views/tabs/show.html.erb", text, "stimulus/targets")
    # the first marker on a line wins; `respond_to?` is Ruby's check; a line ending at its marker has no hole
    assert [t.middle for t in holes] == ['="tabs" data-action="click->tabs#go">', ' "panel" do %>']
    assert all(t.original == text for t in holes)
    assert holes[1].prefix.endswith("<%= turbo_frame_tag") and holes[1].suffix.startswith("\n  <% if")
    assert len({t.id for t in holes}) == 2
