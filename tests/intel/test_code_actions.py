"""Feature code actions: applied, they give the expected files and the rules engine finds nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hotwire_assist.core.appindex import index_app
from hotwire_assist.core.rules import check_source
from hotwire_assist.server.code_actions import feature_actions, respond_with_turbo_stream, wrap_in_frame

INTEL = Path(__file__).resolve().parents[1] / "fixtures" / "intel_app"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    shutil.copytree(INTEL, tmp_path / "app_root")
    return tmp_path / "app_root"


def apply(path: Path, action) -> None:
    """Apply a FeatureAction the way an editor applies its WorkspaceEdit, and check the result."""
    text = path.read_text()
    path.write_text(text[: action.start] + action.replacement + text[action.end :])
    assert path.read_text() == action.new_text
    for new, content in action.creates.items():
        Path(new).write_text(content)


def test_wrap_selected_lines_in_a_turbo_frame(root: Path):
    view = root / "app/views/projects/index.html.erb"
    text = view.read_text()
    start = text.index("<h1>") + 2  # a selection inside the line takes the whole line
    action = wrap_in_frame(str(view), text, start, start + 3, index_app(root))
    apply(view, action)
    wrapped = '<%= turbo_frame_tag "projects_index" do %>\n  <h1>Projects</h1>\n<% end %>\n'
    assert view.read_text().startswith(wrapped + '<%= turbo_frame_tag "projects_list" do %>')
    assert check_source(str(view), view.read_text(), index_app(root), external=False) == []


def test_wrap_keeps_indentation_and_picks_an_unused_id(root: Path):
    view = root / "app/views/projects/index.html.erb"
    view.write_text('<div id="projects_index">\n  <p>a</p>\n\n  <p>b</p>\n</div>\n')
    text = view.read_text()
    index = index_app(root)
    action = wrap_in_frame(str(view), text, text.index("<p>a"), text.index("b</p>") + 5, index)
    assert action.replacement == (
        '  <%= turbo_frame_tag "projects_index_2" do %>\n    <p>a</p>\n\n    <p>b</p>\n  <% end %>\n'
    )
    assert wrap_in_frame(str(view), text, 3, 3, index) is None  # nothing selected
    assert wrap_in_frame(str(root / "app/models/task.rb"), "x\n", 0, 1, index) is None  # not a view


def test_respond_with_turbo_stream_moves_the_redirect_into_the_html_fallback(root: Path):
    ctrl = root / "app/controllers/tasks_controller.rb"
    text = ctrl.read_text()
    index = index_app(root)
    line = text[: text.index("def complete")].count("\n") + 1
    action = respond_with_turbo_stream(str(ctrl), text, line, index)
    apply(ctrl, action)
    assert (
        "    @task.update!(done: true)\n"
        "    respond_to do |format|\n"
        "      format.turbo_stream\n"
        "      format.html { redirect_to @project }\n"
        "    end\n"
        "  end\n"
    ) in ctrl.read_text()
    stream = root / "app/views/tasks/complete.turbo_stream.erb"
    assert stream.read_text() == "<%= turbo_stream.replace @task %>\n"  # the app has tasks/_task
    index = index_app(root)
    assert index.controllers[-1]["actions"]["complete"] == ["html", "turbo_stream"]
    for path in (ctrl, stream):
        assert check_source(str(path), path.read_text(), index, external=False) == []


def test_respond_with_turbo_stream_where_it_does_not_apply(root: Path):
    ctrl = root / "app/controllers/tasks_controller.rb"
    text = ctrl.read_text()
    index = index_app(root)
    at = {name: text[: text.index(f"def {name}")].count("\n") for name in ("create", "set_project")}
    assert respond_with_turbo_stream(str(ctrl), text, at["create"], index) is None  # already responds
    assert respond_with_turbo_stream(str(ctrl), text, at["set_project"], index) is None  # private
    assert respond_with_turbo_stream(str(ctrl), text, 0, index) is None  # not in a method


def test_an_action_without_redirect_gets_a_plain_html_fallback(root: Path):
    ctrl = root / "app/controllers/projects_controller.rb"
    text = ctrl.read_text()
    line = text[: text.index("def show")].count("\n")
    [action] = feature_actions(str(ctrl), text, 0, 0, line, index_app(root))
    apply(ctrl, action)
    assert "    @project = Project.find(params[:id])\n    respond_to do |format|\n      format.turbo_stream\n" in (
        ctrl.read_text()
    )
    assert "      format.html\n    end\n  end\n" in ctrl.read_text()
    stream = root / "app/views/projects/show.turbo_stream.erb"
    assert stream.read_text().startswith("<%# Turbo Stream response for projects#show")  # no projects/_project


def test_an_action_that_already_responds_in_a_branch_is_left_alone(root: Path):
    ctrl = root / "app/controllers/projects_controller.rb"
    text = ctrl.read_text().replace(
        "    @project = Project.find(params[:id])\n",
        "    @project = Project.find(params[:id])\n    if @project.archived?\n      render :archived\n"
        "    else\n      redirect_to projects_path\n    end\n",
    )
    line = text[: text.index("def show")].count("\n")
    assert respond_with_turbo_stream(str(ctrl), text, line, index_app(root)) is None  # would double-render
