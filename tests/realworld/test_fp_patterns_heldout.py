"""False-positive patterns found on the held-out apps of the third sample (labels.jsonl, `held-out-3`), each
reproduced in a small app written for this test, next to the real defect the same rule must keep reporting.

External checkers are off except where a test feeds Herb's own offense format to the adapter.
"""

from __future__ import annotations

from pathlib import Path

from support.small_app import STIMULUS_CONTROLLER as CONTROLLER
from support.small_app import findings_of, write_app

from hotwire_assist.core.rules.herb import to_findings


def test_bootstrap_data_targets_are_not_stimulus(tmp_path: Path):
    app = write_app(
        tmp_path,
        {
            "app/javascript/controllers/menu_controller.js": CONTROLLER % '  static targets = ["item"]\n',
            "app/views/vendors/new.html.erb": (
                '<%= link_to "Add", "/v/new", { "data-bs-toggle" => "modal", "data-bs-target" => "#modal-window" } %>\n'
                '<%= link_to "Top", "#", data: { toggle: "modal", target: "modal-top" } %>\n'
                '<div data-target="menu.item">Stimulus 1</div>\n'
                '<div data-controller="menu"><span data-menu-target="#item">bad</span></div>\n'
            ),
        },
    )
    assert findings_of(app, "stimulus/outside-controller") == []
    # a bad name on a known controller is still an error; Stimulus 1 syntax is a deprecation Stimulus 3 still
    # reads (held-out-5 labels): info
    assert findings_of(app, "stimulus/malformed-target") == [("new.html.erb", 3, "info"), ("new.html.erb", 4, "error")]


def test_scope_computed_at_run_time_or_out_of_sight_is_info(tmp_path: Path):
    ctrl = CONTROLLER % '  static targets = ["label"]\n  close() {}\n  play() {}\n'
    app = write_app(
        tmp_path,
        {
            "app/javascript/controllers/player_controller.js": ctrl,
            "app/javascript/controllers/modal_controller.js": ctrl,
            "app/javascript/controllers/confirm_controller.js": ctrl,
            # the controller's name comes from a local: may be the player, may be none
            "app/views/talks/_player.html.erb": (
                '<% name = talk.external? ? nil : "player" %>\n'
                "<%= content_tag :div, data: { controller: name } do %>\n"
                '  <div data-player-target="label">Play</div>\n  <%= render "talks/overlay" %>\n<% end %>\n'
            ),
            "app/views/talks/_overlay.html.erb": '<div data-action="click->player#play">Resume</div>\n',
            "app/views/talks/show.html.erb": '<%= render "talks/player", talk: @talk %>\n',
            # a layout that yields the page inside a block helper whose markup is not in app/helpers
            "app/views/layouts/modal.html.erb": "<%= ui_modal open: true do %>\n  <%= yield %>\n<% end %>\n",
            "app/views/profiles/edit.html.erb": '<button data-action="modal#close">Cancel</button>\n',
            # a template a controller renders into a string (sent as JSON to a script)
            "app/controllers/requests_controller.rb": (
                "class RequestsController < ApplicationController\n  def validate\n"
                '    render json: { body: render_to_string(template: "requests/validate", layout: false) }\n'
                "  end\nend\n"
            ),
            "app/views/requests/validate.html.erb": '<button data-action="confirm#close">Yes</button>\n',
        },
    )
    assert findings_of(app, "stimulus/outside-controller") == [
        ("_overlay.html.erb", 1, "info"),
        ("_player.html.erb", 3, "info"),
        ("edit.html.erb", 1, "info"),
        ("validate.html.erb", 1, "info"),
    ]


def test_a_page_outside_any_controller_is_still_a_warning(tmp_path: Path):
    app = write_app(
        tmp_path,
        {
            "app/javascript/controllers/modal_controller.js": CONTROLLER % "  close() {}\n",
            "app/views/layouts/application.html.erb": "<%= content_tag :main do %>\n<%= yield %>\n<% end %>\n",
            "app/views/profiles/edit.html.erb": '<button data-action="modal#close">Cancel</button>\n',
        },
    )
    assert findings_of(app, "stimulus/outside-controller") == [("edit.html.erb", 1, "warning")]


def test_stream_only_endpoints_are_info_but_a_redirect_behind_turbo_stream_is_not(tmp_path: Path):
    app = write_app(
        tmp_path,
        {
            "app/controllers/searches_controller.rb": (
                "class SearchesController < ApplicationController\n  def index\n    @hits = Hit.all\n"
                "    respond_to do |format|\n      format.turbo_stream\n    end\n  end\n\n"
                "  def create\n    Hit.create!\n    respond_to do |format|\n"
                '      format.turbo_stream do\n        redirect_to hits_path, notice: "Created"\n      end\n'
                "    end\n  end\nend\n"
            ),
        },
    )
    assert findings_of(app, "rails/turbo-stream-no-html") == [
        ("searches_controller.rb", 5, "info"),
        ("searches_controller.rb", 12, "warning"),
    ]


def test_local_true_beside_explicit_turbo_options_is_info(tmp_path: Path):
    app = write_app(
        tmp_path,
        {
            "app/views/logos/show.html.erb": (
                '<%= form_with url: "/a", local: true, data: { turbo: false } do |f| %><% end %>\n'
                '<%= form_with url: "/b", local: true, data: { turbo_action: "replace" } do |f| %><% end %>\n'
                '<%= form_with url: "/c", local: true do |f| %><% end %>\n'
            ),
        },
    )
    assert findings_of(app, "turbo/form-local") == [
        ("show.html.erb", 1, "info"),
        ("show.html.erb", 2, "info"),
        ("show.html.erb", 3, "warning"),
    ]


def test_click_zones_of_a_controller_listening_for_keys_on_the_page_are_info(tmp_path: Path):
    app = write_app(
        tmp_path,
        {
            "app/views/stories/index.html.erb": (
                '<div data-controller="stories" data-action="keydown@window->stories#key">\n'
                '  <div class="prev" data-action="click->stories#previous"></div>\n'
                '  <div class="pill" data-action="click->filter#pick">Ruby</div>\n</div>\n'
            ),
        },
    )
    assert findings_of(app, "a11y/click-handler") == [("index.html.erb", 2, "info"), ("index.html.erb", 3, "warning")]


def test_queries_in_a_partial_rendered_once_are_info(tmp_path: Path):
    app = write_app(
        tmp_path,
        {
            "app/models/talk.rb": "class Talk < ApplicationRecord\nend\n",
            "app/models/series.rb": "class Series < ApplicationRecord\nend\n",
            "app/views/talks/_talk.html.erb": "<%= talk.watchers.count %>\n",
            "app/views/talks/show.html.erb": '<%= render partial: "talks/talk", locals: { talk: @talk } %>\n',
            "app/views/series/_series.html.erb": "<%= series.events.count %>\n",
            "app/views/series/index.html.erb": (
                '<% @series.each do |s| %>\n  <%= render partial: "series/series", locals: { series: s } %>\n'
                "<% end %>\n"
            ),
        },
    )
    assert findings_of(app, "perf/partial-query") == [("_series.html.erb", 1, "warning"), ("_talk.html.erb", 1, "info")]


def test_select_tag_labelled_through_a_computed_id(tmp_path: Path):
    app = write_app(
        tmp_path,
        {
            "app/views/donations/index.html.erb": (
                '<% id = "filter_#{SecureRandom.uuid}" %>\n<%= label_tag id, "Category" %>\n'
                '<%= select_tag "filters[category]", options_for_select(@c), { include_blank: true, id: id } %>\n'
                '<%= select_tag "filters[kind]", options_for_select(@k) %>\n'
            ),
        },
    )
    assert findings_of(app, "a11y/input-label") == [("index.html.erb", 4, "warning")]


def _offense(line: int, kind: str) -> dict:
    return {
        "code": "parser-no-errors",
        "message": f"Opening tag `<x>` at ({line}:1) is wrong. (`{kind}`)",
        "location": {"start": {"line": line, "column": 0}},
    }


def test_herb_style_and_conditional_comment_offenses_are_info():
    text = "<table>\n<tr><td>a\n</table>\n<div>\n"
    got = to_findings(
        "a.html.erb", [_offense(2, "OMITTED_CLOSING_TAG_ERROR"), _offense(4, "MISSING_CLOSING_TAG_ERROR")], text
    )
    assert [(f.line, f.severity) for f in got] == [(2, "info"), (4, "warning")]
    mail = "<!--[if mso]><table><tr><td><![endif]-->\n<p>Hi</p>\n<!--[if mso]></td></tr></table><![endif]-->\n</td>\n"
    got = to_findings("m.html.erb", [_offense(4, "MISSING_OPENING_TAG_ERROR")], mail)
    assert [(f.line, f.severity) for f in got] == [(4, "info")]


def test_empty_heading_filled_by_the_templates_script_is_info():
    off = {
        "code": "html-no-empty-headings",
        "message": "Heading must not be empty.",
        "location": {"start": {"line": 1}},
    }
    filled = '<h4 class="modal-title"></h4>\n<script>\n  $(".modal-title").text("Reject")\n</script>\n'
    empty = '<h4 class="card-title"></h4>\n<script>\n  $(".modal-title").text("Reject")\n</script>\n'
    assert [f.severity for f in to_findings("a.html.erb", [off], filled)] == ["info"]
    assert [f.severity for f in to_findings("b.html.erb", [off], empty)] == ["warning"]


def test_simple_form_input_block_labels_its_own_field(tmp_path: Path):
    app = write_app(
        tmp_path,
        {
            "app/views/orgs/edit.html.erb": (
                "<%= simple_form_for @org do |f| %>\n"
                '  <%= f.input :note, label: "Note", wrapper: :input_group do %>\n'
                '    <%= f.text_area :note, class: "form-control" %>\n  <% end %>\n'
                '  <%= f.input :virtual, label: "Virtual?" do %>\n'
                '    <%= f.check_box :virtual, { id: "virtual" }, "true" %>\n  <% end %>\n'
                "  <%= f.input :visible do %>\n    <%= f.check_box :shown %>\n  <% end %>\n"
                "<% end %>\n"
            ),
        },
    )
    # the field with an id of its own and the field of another attribute stay unlabelled
    assert findings_of(app, "a11y/input-label") == [("edit.html.erb", 6, "warning"), ("edit.html.erb", 9, "warning")]


def test_herb_erb_block_structure_is_left_to_the_ruby_compile():
    off = _offense(3, "MISSING_ERB_END_TAG_ERROR")
    assert [f.severity for f in to_findings("c.html.erb", [off], "<%= a ||\n  begin\n<%= x do %>\n")] == ["info"]
