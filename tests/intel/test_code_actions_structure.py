"""Code actions keep ERB blocks and HTML elements balanced: a selection that cuts a block or an element gets
no action, and no action's result has a structural problem its source did not have."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hotwire_assist.core.appindex import index_app
from hotwire_assist.server.code_actions import (
    convert_ujs,
    cuts_a_region,
    extract_stimulus,
    feature_actions,
    keeps_structure,
    respond_with_turbo_stream,
    structure,
    wrap_in_frame,
)

INTEL = Path(__file__).resolve().parents[1] / "fixtures" / "intel_app"
FORM = """<div class="card">
  <%= form_with model: @task do |f| %>
    <div class="field">
      <%= f.text_field :title %>
    </div>
    <% if @task.persisted? %>
      <p>saved</p>
    <% end %>
  <% end %>
</div>
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    shutil.copytree(INTEL, tmp_path / "app_root")
    return tmp_path / "app_root"


def lines_span(text: str, first: int, last: int) -> tuple[int, int]:
    """Character offsets of a selection from the start of line `first` to the end of line `last` (0-based)."""
    starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
    return starts[first], starts[last + 1] - 1


def test_structure_sees_blocks_elements_and_their_crossings():
    ok = structure("v.html.erb", FORM)
    assert ok.problems == 0
    assert len(ok.regions) >= 5  # card div, form block, field div, if block, p
    crossed = "<div>\n<% if x %>\n</div>\n<% end %>\n"
    assert structure("v.html.erb", crossed).problems > 0
    assert structure("v.html.erb", "<div>\n<p>a</p>\n").problems == 1  # unclosed div
    assert structure("v.html.erb", "<p>a</p>\n</section>\n").problems == 1  # stray end tag
    assert structure("v.html.erb", "<br><img src=x><p>open\n").problems == 0  # void / optional end tags
    assert structure("x.rb", "def a\n  1\nend\n").problems == 0
    assert structure("x.rb", "def a\n  1\n").problems > 0


def test_cuts_a_region_is_true_only_for_half_selected_blocks_and_elements():
    assert cuts_a_region("v.html.erb", FORM, *lines_span(FORM, 1, 2))  # form opener + field div opener
    assert cuts_a_region("v.html.erb", FORM, *lines_span(FORM, 3, 4))  # text field + </div>
    assert cuts_a_region("v.html.erb", FORM, *lines_span(FORM, 5, 6))  # `<% if %>` without its end
    assert not cuts_a_region("v.html.erb", FORM, *lines_span(FORM, 1, 8))  # the whole form block
    assert not cuts_a_region("v.html.erb", FORM, *lines_span(FORM, 2, 4))  # the field div
    assert not cuts_a_region("v.html.erb", FORM, *lines_span(FORM, 3, 3))  # one tag inside


def test_wrap_is_not_offered_when_the_selection_ends_inside_a_do_block(root: Path):
    """The issue's case: the frame's `<% end %>` would close the form block and a `</div>` would land outside
    the frame — the rules engine sees nothing wrong with that result, the structure check does."""
    view = root / "app/views/projects/index.html.erb"
    index = index_app(root)
    for first, last in [(1, 2), (1, 3), (1, 4), (0, 1), (3, 4), (5, 6), (6, 7)]:
        start, end = lines_span(FORM, first, last)
        assert wrap_in_frame(str(view), FORM, start, end, index) is None, (first, last)
    start, end = lines_span(FORM, 1, 8)  # the whole form: offered, and the frame wraps exactly it
    action = wrap_in_frame(str(view), FORM, start, end, index)
    assert action is not None
    after = structure(str(view), action.new_text)
    assert after.problems == 0
    opener = action.new_text.index("<%= turbo_frame_tag")
    closer_end = action.start + len(action.replacement) - 1  # the frame's `<% end %>` ends the replacement
    assert (len(action.new_text[:opener].encode()), len(action.new_text[:closer_end].encode())) in after.regions


def test_every_offered_wrap_and_extract_keeps_the_structure_over_all_selections(root: Path):
    """Every line range of a view: an offered action's result has no new problem, and its wrapper (frame or
    controller div) opens and closes one region."""
    view = root / "app/views/projects/index.html.erb"
    text = FORM.replace('<div class="field">', '<div class="field" onclick="go()">')
    index = index_app(root)
    n = text.count("\n")
    offered = 0
    for first in range(n):
        for last in range(first, n):
            start, end = lines_span(text, first, last)
            for action in (
                wrap_in_frame(str(view), text, start, end, index),
                extract_stimulus(str(view), text, start, end, index),
            ):
                if action is None:
                    continue
                offered += 1
                assert not cuts_a_region(str(view), text, start, end), (first, last, action.title)
                assert structure(str(view), action.new_text).problems == 0, (first, last, action.title)
    assert offered >= 5  # the balanced selections are offered


def test_extract_is_not_offered_when_the_selection_cuts_an_erb_block(root: Path):
    view = root / "app/views/projects/index.html.erb"
    text = '<div>\n  <button onclick="go()">Go</button>\n  <% if x %>\n    <span>y</span>\n  <% end %>\n</div>\n'
    index = index_app(root)
    assert extract_stimulus(str(view), text, *lines_span(text, 1, 2), index) is None
    assert extract_stimulus(str(view), text, *lines_span(text, 1, 1), index) is not None


def test_convert_ujs_keeps_a_file_that_was_already_unbalanced_no_worse(root: Path):
    view = root / "app/views/projects/index.html.erb"
    text = '<div>\n  <%= link_to "Delete", "/p/1", method: :delete, data: { confirm: "Sure?" } %>\n'
    before = structure(str(view), text).problems
    assert before == 1  # the unclosed div
    action = convert_ujs(str(view), text, index_app(root))
    assert action is not None and "turbo_method" in action.new_text
    assert structure(str(view), action.new_text).problems == before


def test_keeps_structure_declines_an_edit_that_breaks_ruby_or_erb():
    assert keeps_structure("a.rb", "def a\nend\n", "def a\n  x\nend\n")
    assert not keeps_structure("a.rb", "def a\nend\n", "def a\n")
    assert not keeps_structure("v.html.erb", FORM, FORM.replace("    </div>\n", "", 1))
    assert not keeps_structure("v.html.erb", FORM, FORM.replace("  <% end %>\n</div>", "</div>\n  <% end %>"))


def test_respond_with_turbo_stream_result_parses_and_is_declined_in_a_broken_controller(root: Path):
    ctrl = root / "app/controllers/tasks_controller.rb"
    text = ctrl.read_text()
    index = index_app(root)
    line = text[: text.index("def complete")].count("\n") + 1
    action = respond_with_turbo_stream(str(ctrl), text, line, index)
    assert action is not None and structure(str(ctrl), action.new_text).problems == 0
    broken = text.replace("def complete", "def complete(", 1)
    assert respond_with_turbo_stream(str(ctrl), broken, line, index) is None
    assert not [a for a in feature_actions(str(ctrl), broken, 0, 0, line, index) if a.path == str(ctrl)]
