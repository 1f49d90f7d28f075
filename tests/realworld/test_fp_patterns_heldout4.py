"""False-positive patterns found on the held-out apps of the fourth sample (labels.jsonl, `held-out-4`), each
reproduced in a small app written for this test, next to the real defect the same rule must keep reporting.

External checkers are off except where a test feeds Herb's own offense format to the adapter.
"""

from __future__ import annotations

from pathlib import Path

from support.small_app import STIMULUS_CONTROLLER as CONTROLLER
from support.small_app import findings_of, write_app

from hotwire_assist.core.rules.herb import to_findings

LOCK = "GEM\n  remote: https://rubygems.org/\n  specs:\n    bootstrap_form (5.4.0)\n    rails (8.0.2)\n"


def test_bootstrap_form_fields_render_their_own_labels(tmp_path: Path):
    app = write_app(
        tmp_path,
        {
            "Gemfile.lock": LOCK,
            "app/views/pets/_form.html.erb": (
                "<%= bootstrap_form_with model: pet do |form| %>\n"
                "  <%= form.text_field :name %>\n"
                "  <%= form.select :species, Pet.species.keys %>\n"
                '  <%= form.check_box :paused, { role: "switch" }, true, false %>\n'
                "  <%= form.fields_for :location do |loc| %>\n    <%= loc.text_field :city %>\n  <% end %>\n"
                "  <%= form.text_field :nickname, skip_label: true %>\n"
                "<% end %>\n"
                "<%= form_with model: pet do |plain| %>\n  <%= plain.text_field :name %>\n<% end %>\n"
            ),
            # a partial whose builder comes from its callers: in a bootstrap_form app, which builder is unknown
            "app/views/shared/_location_fields.html.erb": "<%= form.text_field :city_town %>\n",
        },
    )
    assert findings_of(app, "a11y/input-label") == [
        ("_form.html.erb", 8, "warning"),  # skip_label: true
        ("_form.html.erb", 11, "warning"),  # Rails' own builder renders no label
        ("_location_fields.html.erb", 1, "info"),
    ]


def test_a_builder_from_the_caller_without_bootstrap_form_is_still_a_warning(tmp_path: Path):
    app = write_app(tmp_path, {"app/views/shared/_location_fields.html.erb": "<%= form.text_field :city_town %>\n"})
    assert findings_of(app, "a11y/input-label") == [("_location_fields.html.erb", 1, "warning")]


def test_explicit_id_named_by_a_label_for(tmp_path: Path):
    app = write_app(
        tmp_path,
        {
            "app/views/models/merge.html.erb": (
                "<%= form_with url: '/merge' do |form| %>\n"
                "  <% @models.each do %>\n"
                "    <%= form.radio_button :target, it.public_id, id: it.public_id %>\n"
                '    <label for="<%= it.public_id %>"><%= it.name %></label>\n'
                "  <% end %>\n"
                '  <%= form.radio_button :target, "new", id: "target-new" %>\n'
                '  <label for="target-new">New</label>\n'
                '  <%= form.radio_button :target, "root", id: "target-root" %>\n'
                '  <label for="target-other">Root</label>\n'
                "<% end %>\n"
            ),
        },
    )
    assert findings_of(app, "a11y/input-label") == [("merge.html.erb", 8, "warning")]


def test_click_on_the_wrapper_of_a_form_control_is_info(tmp_path: Path):
    app = write_app(
        tmp_path,
        {
            "app/views/tasks/_toggle.html.erb": (
                "<%= form_for task do |form| %>\n"
                '  <div class="form-check" data-action="click->task-toggle#submit">\n'
                "    <%= form.check_box :completed, { class: 'form-check-input' } %>\n  </div>\n"
                '  <div class="zone" data-action="click->upload#pick">\n'
                '    <input type="file" class="hidden">\n  </div>\n'
                '  <div class="pill" data-action="click->filter#pick">Ruby</div>\n'
                "<% end %>\n"
            ),
        },
    )
    assert findings_of(app, "a11y/click-handler") == [
        ("_toggle.html.erb", 2, "info"),
        ("_toggle.html.erb", 5, "warning"),  # the control inside is hidden: no keyboard path
        ("_toggle.html.erb", 8, "warning"),
    ]


def test_a_wholly_computed_id_says_nothing_about_where_a_stream_lands(tmp_path: Path):
    ctrl = CONTROLLER % '  static targets = ["state"]\n'
    app = write_app(
        tmp_path,
        {
            "app/javascript/controllers/country_state_controller.js": ctrl,
            "app/views/countries_states/index.turbo_stream.erb": (
                "<%= turbo_stream.replace @target do %>\n"
                "  <%= select_tag @name, options_for_select(@states), 'data-country-state-target': 'state' %>\n"
                "<% end %>\n"
            ),
            "app/components/tabs_component.html.erb": (
                '<% tabs.each do |tab, value| %>\n  <%= turbo_frame_tag "#{tab}", src: value[:src] %>\n<% end %>\n'
            ),
            "app/views/people/edit.html.erb": (
                '<div data-controller="country-state"><select id="state" data-country-state-target="state">'
                "</select></div>\n"
            ),
            # a stream into a literal id on a page without the controller stays a warning
            "app/views/notes/update.turbo_stream.erb": (
                '<%= turbo_stream.replace "notes" do %>\n  <div data-country-state-target="state"></div>\n<% end %>\n'
            ),
            "app/views/notes/index.html.erb": '<div id="notes"></div>\n',
        },
    )
    assert findings_of(app, "stimulus/outside-controller") == [
        ("index.turbo_stream.erb", 2, "info"),
        ("update.turbo_stream.erb", 2, "warning"),
    ]


def test_development_only_controller_skipping_csrf_is_info(tmp_path: Path):
    body = (
        "  skip_before_action :verify_authenticity_token\n  before_action :guard\n\n"
        "  def create\n    Model.first.touch\n    head :ok\n  end\n\n  private\n\n  def guard\n%s  end\nend\n"
    )
    app = write_app(
        tmp_path,
        {
            "app/controllers/benchmark_controller.rb": "class BenchmarkController < ApplicationController\n"
            + body % "    raise ActionController::BadRequest if Rails.env.production?\n",
            "app/controllers/imports_controller.rb": "class ImportsController < ApplicationController\n"
            + body % "    true\n",
            # a sign-in filter in sight makes the imports skip an error (test_error_calibration.py)
            "app/controllers/application_controller.rb": (
                "class ApplicationController < ActionController::Base\n  before_action :authenticate_user!\nend\n"
            ),
        },
    )
    assert findings_of(app, "security/csrf-skip") == [
        ("benchmark_controller.rb", 2, "info"),
        ("imports_controller.rb", 2, "error"),
    ]


def _conditional(line: int, at: int) -> dict:
    return {
        "code": "parser-no-errors",
        "message": (
            f"Conditional element pattern detected at ({at}:4) but the conditional block contains multiple HTML "
            "tags. (`CONDITIONAL_ELEMENT_MULTIPLE_TAGS_ERROR`)"
        ),
        "location": {"start": {"line": line, "column": 2}},
    }


def test_herb_conditional_element_with_an_omitted_optional_end_tag_is_info():
    valid = "<div>\n  <% if pending %>\n    <p>Help\n    <p>\n      Key: <code>k</code>\n    </p>\n"
    valid += "  <% end %>\n</div>\n"
    broken = '<% if a %>\n  <div class="x"><span>\n  <div class="y">\n<% end %>\n</div>\n'
    assert [f.severity for f in to_findings("a.html.erb", [_conditional(2, 4)], valid)] == ["info"]
    assert [f.severity for f in to_findings("b.html.erb", [_conditional(1, 3)], broken)] == ["warning"]


def test_a_bare_field_a_stream_lands_in_a_page_form_is_info(tmp_path: Path):
    app = write_app(
        tmp_path,
        {
            "app/views/notes/update.turbo_stream.erb": (
                '<%= turbo_stream.replace_all ".notes-textarea" do %>\n'
                '  <%= text_area_tag "note[content]", @note.content, class: "notes-textarea" %>\n<% end %>\n'
                '<%= turbo_stream.replace "note_form" do %>\n'
                "  <%= form_with model: @note do |form| %>\n    <%= form.text_area :content %>\n  <% end %>\n"
                "<% end %>\n"
            ),
        },
    )
    # a whole form streamed in carries its own labels: its field without one is still a warning
    assert findings_of(app, "a11y/input-label") == [
        ("update.turbo_stream.erb", 2, "info"),
        ("update.turbo_stream.erb", 6, "warning"),
    ]
