"""The scorer on known-good and known-bad answers (per dimension), FIM metrics and pass@k."""

from __future__ import annotations

import math

import pytest

from hotwire_assist.core.schemas import FileText
from hotwire_assist.evaluation.scoring import (
    Sample,
    edit_similarity,
    exact_match,
    pass_at_k,
    score_batch,
    score_files,
    score_fim_batch,
)
from hotwire_assist.evaluation.tasks import Expectation, read_fim_tasks, read_generation_tasks

GOOD_VIEW = FileText(
    path="app/views/tasks/index.html.erb",
    content='<div id="tasks">\n  <%= render @tasks %>\n</div>\n<%= turbo_frame_tag "new_task", src: new_task_path,'
    " loading: :lazy %>\n",
)
GOOD_STREAM = FileText(
    path="app/views/tasks/create.turbo_stream.erb", content='<%= turbo_stream.append "tasks", @task %>\n'
)
# Every dimension loses points: a stream action Turbo does not know (syntax error), a UJS leftover and
# a stream target no view defines (two conventions warnings), an eager frame (efficiency info), raw on
# params (security error) and an unlabelled input (accessibility warning).
BAD_VIEW = FileText(
    path="app/views/tasks/index.html.erb",
    content=(
        '<turbo-stream action="explode" target="tasks"><template>x</template></turbo-stream>\n'
        '<%= link_to "Delete", task_path(1), method: :delete %>\n'
        '<%= turbo_frame_tag "stats", src: stats_path %>\n'
        "<%= raw params[:q] %>\n"
        '<input type="text" name="q">\n'
    ),
)
GOOD_CONTROLLER = FileText(
    path="app/controllers/tasks_controller.rb",
    content="class TasksController < ApplicationController\n  def index\n    @tasks = Task.all\n  end\nend\n",
)
BROKEN_RUBY = FileText(
    path="app/models/task.rb", content="class Task < ApplicationRecord\n  def done?\n    true\nend\n"
)


def test_known_good_answer_scores_full_marks():
    s = score_files([GOOD_VIEW, GOOD_STREAM])
    assert s.findings == []
    assert s.scores == {d: 20.0 for d in ("syntax", "conventions", "efficiency", "security", "accessibility")}
    assert s.total == 100.0 and s.passed


def test_known_bad_view_loses_points_in_every_dimension():
    s = score_files([BAD_VIEW])
    assert s.scores == {
        "syntax": 10.0,
        "conventions": 12.0,
        "efficiency": 19.0,
        "security": 10.0,
        "accessibility": 16.0,
    }
    assert s.total == 67.0
    assert not s.passed
    rules = {f.rule for f in s.findings}
    assert {
        "turbo/unknown-stream-action",
        "ujs/method-delete",
        "turbo/unknown-stream-target",
        "turbo/eager-frame",
        "security/raw",
        "a11y/input-label",
    } == rules


def test_ruby_file_has_no_accessibility_dimension_and_syntax_errors_count():
    good = score_files([GOOD_CONTROLLER])
    assert good.scores["accessibility"] is None and good.total == 100.0
    bad = score_files([BROKEN_RUBY])
    assert bad.scores["syntax"] == 10.0 and bad.scores["accessibility"] is None
    assert bad.total == pytest.approx(100 * 70 / 80)


def test_failed_expectations_cap_the_score_and_an_off_task_answer_scores_zero():
    view = FileText(path="app/views/tasks/index.html.erb", content='<div id="tasks" aria-live="polite"></div>\n')
    exp = [
        Expectation(name="stream", file_glob="app/views/**/*.turbo_stream.erb", contains="turbo_stream.append"),
        Expectation(name="live", file_glob="**/*.erb", contains="aria-live", dimension="accessibility"),
        Expectation(name="no-raw", file_glob="**/*.erb", absent="raw"),
    ]
    full = score_files([GOOD_STREAM, view], exp)
    assert full.total == 100.0 and full.passed
    one_missing = score_files([view], exp)  # clean code, 2 of 3 expectations met
    assert one_missing.expectations == {"stream": False, "live": True, "no-raw": True}
    assert one_missing.total == pytest.approx(20.0) and not one_missing.passed
    assert max(v for v in one_missing.scores.values() if v is not None) <= 6.0  # dimensions scaled alike
    assert "expect/stream" in {f.rule for f in one_missing.findings}
    off_task = score_files([FileText(path="app/views/tasks/index.html.erb", content="<p>hello</p>\n")], exp)
    assert off_task.total == 0.0 and "eval/off-task" in {f.rule for f in off_task.findings}


def test_expectation_glob_spans_folders_and_absent_checks():
    e = Expectation(name="x", file_glob="app/views/**/*.turbo_stream.erb", absent="raw")
    assert e.check([FileText(path="app/views/a/b/c.turbo_stream.erb", content="ok")])
    assert not e.check([FileText(path="app/views/a/c.turbo_stream.erb", content="raw x")])
    assert not e.check([FileText(path="app/views/c.html.erb", content="ok")])  # no matching file at all


def test_empty_answer_scores_zero():
    s = score_files([], [Expectation(name="any")])
    assert s.total == 0.0 and set(s.scores.values()) == {0.0} and s.expectations == {"any": False}


def test_cross_file_rules_see_the_task_context():
    """A stream target is known when the context's view defines it, unknown otherwise."""
    index = FileText(path="app/views/tasks/index.html.erb", content='<div id="tasks"></div>\n')
    assert score_files([GOOD_STREAM], context=[index]).findings == []
    elsewhere = GOOD_STREAM.model_copy(update={"content": '<%= turbo_stream.append "nowhere", @t %>\n'})
    assert [f.rule for f in score_files([elsewhere], context=[index]).findings] == ["turbo/unknown-stream-target"]


def test_every_task_reference_meets_its_expectations_with_full_marks():
    tasks = read_generation_tasks()
    scored = score_batch([Sample(t.reference, t.context, t.expectations) for t in tasks])
    bad = {t.id: (s.total, s.expectations) for t, s in zip(tasks, scored, strict=True) if s.total < 100 or not s.passed}
    assert bad == {}


def test_fim_reference_completion_is_exact_and_clean_a_wrong_one_is_not():
    task = next(t for t in read_fim_tasks() if t.path.endswith("_book.html.erb"))
    right, wrong = score_fim_batch([(task, task.middle + "  \n"), (task, "<%= raw params[:x] %>")])
    assert right.exact_match and right.edit_similarity == 1.0 and right.passed and right.scored.findings == []
    assert right.scored.total == 100.0
    assert not wrong.exact_match and wrong.edit_similarity < 0.6 and not wrong.passed
    # the completion's raw (an error, not the file around it): capped, and security scaled from 10
    assert wrong.scored.total <= 30.0
    assert wrong.scored.scores["security"] == pytest.approx(10.0 * wrong.edit_similarity, abs=1e-3)


def test_edit_similarity_and_exact_match():
    assert exact_match("foo()\n", "foo()") and not exact_match("foo(1)", "foo()")
    assert edit_similarity("abcd", "abce") == pytest.approx(0.75)
    assert edit_similarity("", "abc") == 0.0


@pytest.mark.parametrize(
    ("n", "c", "k", "expected"),
    [
        (10, 3, 1, 0.3),  # c/n
        (5, 0, 2, 0.0),
        (5, 4, 2, 1.0),  # n - c < k: every draw of 2 holds a pass
        (5, 2, 2, 1 - 3 / 10),  # 1 - C(3,2)/C(5,2)
        (10, 5, 3, 1 - 10 / 120),  # 1 - C(5,3)/C(10,3)
    ],
)
def test_pass_at_k_matches_hand_computed_values(n, c, k, expected):
    assert pass_at_k(n, c, k) == pytest.approx(expected)


def test_pass_at_k_is_stable_for_large_n():
    got = pass_at_k(2000, 7, 100)
    assert got == pytest.approx(1 - math.comb(1993, 100) / math.comb(2000, 100), rel=1e-9)


def test_pass_at_k_rejects_impossible_counts():
    with pytest.raises(ValueError, match="k ≤ n"):
        pass_at_k(3, 4, 1)
