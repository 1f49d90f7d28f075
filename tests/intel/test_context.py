"""The related-file prompt context: ranking, budget, privacy exclusion, curated-example retrieval."""

from __future__ import annotations

import json
from pathlib import Path

from hotwire_assist.core.appindex import index_app, read_text
from hotwire_assist.core.context import ContextCache, ExampleRetriever, build_context, related_files

INTEL = Path(__file__).resolve().parents[1] / "fixtures" / "intel_app"
STREAM = INTEL / "app/views/tasks/create.turbo_stream.erb"


def ranked(path: str) -> list[str]:
    return [r.path for r in related_files(index_app(INTEL), INTEL / path)]


def test_a_stream_view_ranks_its_controller_partials_and_broadcasting_model():
    assert ranked("app/views/tasks/create.turbo_stream.erb") == [
        "app/controllers/tasks_controller.rb",
        "app/views/tasks/_form.html.erb",  # turbo_stream.replace ..., partial: "tasks/form"
        "app/views/tasks/_task.html.erb",  # turbo_stream.append "project_tasks", @task
        "app/models/task.rb",
    ]


def test_neighbours_of_a_partial_a_controller_a_model_and_a_stimulus_controller():
    partial = ranked("app/views/tasks/_task.html.erb")
    assert partial[0] == "app/controllers/tasks_controller.rb"
    assert "app/views/projects/show.html.erb" in partial  # renders it as a collection
    assert "app/javascript/controllers/clipboard_controller.js" in partial  # data-action="clipboard#copy" scope
    assert ranked("app/controllers/tasks_controller.rb")[0] == "app/views/tasks/create.turbo_stream.erb"
    assert ranked("app/models/task.rb")[-1] == "app/controllers/tasks_controller.rb"
    assert ranked("app/javascript/controllers/clipboard_controller.js") == ["app/views/projects/show.html.erb"]
    assert "app/views/tasks/_task.html.erb" not in ranked("app/views/tasks/_task.html.erb")


def test_budget_is_kept_and_files_come_in_rank_order():
    index = index_app(INTEL)
    big = build_context(index, STREAM, budget_chars=5000)
    assert [s.path for s in big] == ranked("app/views/tasks/create.turbo_stream.erb")
    assert big[0].text == (INTEL / "app/controllers/tasks_controller.rb").read_text()
    small = build_context(index, STREAM, budget_chars=700)
    assert sum(len(s.text) for s in small) <= 700
    assert [s.path for s in small] == [s.path for s in big][: len(small)] and 0 < len(small) < len(big)
    assert all(s.text.endswith("\n") for s in small)  # cut at line ends, never mid-line


def test_excluded_files_are_never_read():
    read: list[Path] = []

    def reader(p: Path) -> str | None:
        read.append(p)
        return read_text(p)

    snippets = build_context(index_app(INTEL), STREAM, budget_chars=5000, exclude=["app/models/"], read=reader)
    assert "app/models/task.rb" not in [s.path for s in snippets]
    assert all("app/models" not in str(p) for p in read) and len(read) == 3


def write_curated(folder: Path) -> None:
    folder.mkdir()
    rows = [
        {"id": "stream-append", "kind": "fim", "path": "app/views/comments/create.turbo_stream.erb",
         "prefix": "<%= turbo_stream.", "middle": 'append "comments", @comment', "suffix": " %>\n",
         "category": "turbo_streams", "source": "test", "license": "MIT"},
        {"id": "stimulus-clipboard", "kind": "instruction", "input": "Copy a link with a Stimulus controller",
         "output": [{"path": "app/javascript/controllers/clipboard_controller.js",
                     "content": "export default class extends Controller { copy() {} }\n"}],
         "category": "stimulus", "source": "test", "license": "MIT"},
    ]  # fmt: skip
    (folder / "examples.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\nnot json\n")


def test_similar_curated_examples_are_retrieved_and_a_missing_folder_gives_none(tmp_path: Path):
    write_curated(tmp_path / "curated")
    retriever = ExampleRetriever.from_folder(tmp_path / "curated")
    assert len(retriever.examples) == 2  # the bad line is skipped, not fatal
    top = retriever.top('<%= turbo_stream.append "comments"', k=1)
    assert [s.path for s in top] == ["example: app/views/comments/create.turbo_stream.erb"]
    assert top[0].text == '<%= turbo_stream.append "comments", @comment %>\n'
    assert ExampleRetriever.from_folder(tmp_path / "absent").top("turbo_stream") == []
    snippets = build_context(index_app(INTEL), STREAM, "turbo_stream.append comments", retriever=retriever)
    assert snippets[-1].path.startswith("example: ") and sum(len(s.text) for s in snippets) <= 1500


def test_the_cache_rebuilds_when_the_index_changes(tmp_path: Path):
    index = index_app(INTEL)
    cache = ContextCache(tmp_path / "no-curated", budget_chars=5000)
    first = cache.get(index, STREAM, "q")
    assert cache.get(index, STREAM, "q") is first
    index.update_file(INTEL / "app/models/task.rb", "class Task < ApplicationRecord\nend\n")
    assert cache.get(index, STREAM, "q") is not first
