"""Each false-positive pattern found on production apps, reproduced in a small app written for this test.

The idioms below work in production; `check` may mention some as info (a lead), never as warning or error.
The apps themselves are not needed (see test_labels.py for the labelled findings on the real apps).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.small_app import STIMULUS_CONTROLLER as CONTROLLER
from support.small_app import findings_of, write_app

from hotwire_assist.core.rules import check_paths


def test_hidden_and_presentational_images_need_no_alt(tmp_path: Path):
    app = write_app(
        tmp_path,
        {
            "app/views/posts/show.html.erb": (
                '<%= image_tag "icon.svg", aria: { hidden: "true" }, size: 20 %>\n'
                '<%= image_tag "dot.svg", role: "presentation" %>\n'
                '<img src="/divider.png" aria-hidden="true">\n<img src="/x.png" role="none">\n'
                '<%= image_tag "chart.png" %>\n'
            )
        },
    )
    assert findings_of(app, "a11y/img-alt") == [("show.html.erb", 5, "warning")]  # the one informative image


def test_stimulus_scope_reached_through_helpers_forms_parents_frames_and_streams(tmp_path: Path):
    ctrl = CONTROLLER % '  static targets = ["item", "input"]\n  pick() {}\n'
    app = write_app(
        tmp_path,
        {
            "app/javascript/controllers/picker_controller.js": ctrl,
            "app/javascript/controllers/search_controller.js": ctrl,
            "app/javascript/controllers/tray_controller.js": ctrl,
            "app/javascript/controllers/feed_controller.js": ctrl,
            # a helper that wraps its block in the controller's element
            "app/helpers/picker_helper.rb": (
                "module PickerHelper\n  def picker_tag(&)\n"
                '    tag.div class: "picker", data: { controller: "picker" }, &\n  end\nend\n'
            ),
            "app/views/posts/index.html.erb": (
                '<%= picker_tag do %>\n  <button data-action="picker#pick">Pick</button>\n<% end %>\n'
                '<%= form_with url: "/search", html: { data: { controller: "search" } } do |f| %>\n'
                '  <%= f.search_field :q, data: { search_target: "input" }, aria: { label: "Search" } %>\n'
                "<% end %>\n"
                '<div data-controller="picker"><%= render "posts/row" %></div>\n'
                '<nav data-controller="tray"><%= turbo_frame_tag "tray", src: "/tray" %></nav>\n'
                '<section data-controller="feed"><div id="feed_items"></div></section>\n'
            ),
            # rendered by its parent inside the controller's element
            "app/views/posts/_row.html.erb": '<li data-picker-target="item">Row</li>\n',
            # a frame response landing inside the tray controller's element
            "app/views/trays/show.html.erb": '<%= turbo_frame_tag "tray" do %><%= render "trays/entry" %><% end %>\n',
            "app/views/trays/_entry.html.erb": '<a data-tray-target="item" href="/">Entry</a>\n',
            # a stream template whose partial lands inside the feed controller's element
            "app/views/items/create.turbo_stream.erb": (
                '<%= turbo_stream.append "feed_items", partial: "items/item" %>\n'
            ),
            "app/views/items/_item.html.erb": '<p data-feed-target="item">New</p>\n',
        },
    )
    assert findings_of(app, "stimulus/outside-controller", loud=True) == []


def test_unresolved_stimulus_scope_is_info(tmp_path: Path):
    app = write_app(
        tmp_path,
        {
            "app/javascript/controllers/menu_controller.js": CONTROLLER % "  close() {}\n",
            # nobody known renders this partial, and no template declares the controller: cannot be resolved
            "app/views/shared/_orphan.html.erb": '<button data-action="menu#close">Close</button>\n',
            "app/views/posts/show.html.erb": "<p>Post</p>\n",
        },
    )
    assert findings_of(app, "stimulus/outside-controller") == [("_orphan.html.erb", 1, "info")]


def test_safe_html_safe_is_not_reported_and_request_data_is_an_error(tmp_path: Path):
    app = write_app(
        tmp_path,
        {
            "app/helpers/marks_helper.rb": (
                'module MarksHelper\n  MARK = "<mark>"\n'
                "  def marked(text)\n"
                "    CGI.escapeHTML(text).gsub(CGI.escapeHTML(MARK), MARK.html_safe).html_safe\n  end\n"
                "  def byline(post)\n    to_sentence(author_tag(post), title_tag(post)).html_safe\n  end\n"
                "  def names(users)\n    users.map { |u| tag.strong(u.name) }.to_sentence.html_safe\n  end\nend\n"
            ),
            "app/views/pwa/manifest.json.erb": '{ "name": <%= ["App", Rails.env].join(" ").to_json.html_safe %> }\n',
            "app/views/posts/show.html.erb": (
                '<%= "&nbsp;".html_safe %><%= raw t(".intro") %>\n<%= params[:q].html_safe %>\n'
            ),
        },
    )
    assert findings_of(app, "security/html-safe") == [("show.html.erb", 2, "error")]
    assert findings_of(app, "security/raw") == []


def test_dialog_forms_and_safe_csrf_skips(tmp_path: Path):
    app = write_app(
        tmp_path,
        {
            "app/views/shared/_modal.html.erb": (
                '<dialog><form method="dialog"><button>Close</button></form></dialog>\n'
            ),
            "config/routes.rb": (
                'Rails.application.routes.draw do\n  get "manifest" => "pwa#manifest"\n'
                "  resource :unsubscribe, only: %i[show create]\nend\n"
            ),
            "app/controllers/pwa_controller.rb": "class PwaController < ApplicationController\n"
            "  skip_forgery_protection\n\n  def manifest\n  end\nend\n",
            "app/controllers/unsubscribes_controller.rb": (
                "class UnsubscribesController < ApplicationController\n  skip_forgery_protection\n\n"
                "  def create\n    User.find_by_token_for!(:unsubscribe, params[:token]).unsubscribe!\n    head :ok\n"
                "  end\nend\n"
            ),
        },
    )
    assert findings_of(app, "security/form-token") == []
    assert findings_of(app, "security/csrf-skip", loud=True) == []  # the signed-token endpoint stays an info lead


def test_ruby_expressions_and_params_arguments(tmp_path: Path):
    app = write_app(
        tmp_path,
        {
            "app/views/posts/_composer.html.erb": (
                '<div data-controller="composer">\n'
                '  <%= text_area_tag :body, nil, aria: { label: "Body" }, data: { action: composer_actions } %>\n'
                '  <%= tag.div data: { "composer-size-value": max_size } %>\n</div>\n'
            ),
            "app/javascript/controllers/composer_controller.js": CONTROLLER % "  static values = { size: Number }\n",
            "app/models/search.rb": "class Search\n  def self.from(params)\n    new(params)\n  end\nend\n",
        },
    )
    assert findings_of(app, "stimulus/malformed-action") == [] and findings_of(app, "stimulus/malformed-value") == []
    assert findings_of(app, "security/mass-assignment") == []


def test_placeholder_only_inputs_morph_permanent_and_api_streams_are_info(tmp_path: Path):
    app = write_app(
        tmp_path,
        {
            "app/views/layouts/application.html.erb": (
                "<head><%= turbo_refreshes_with method: :morph %></head>\n"
                '<body><div class="player" data-turbo-permanent></div><%= yield %></body>\n'
            ),
            "app/views/posts/index.html.erb": (
                '<input type="search" name="q" placeholder="Filter…">\n'
                '<%= text_field_tag :q, nil, placeholder: "Search" %>\n'
            ),
            "app/controllers/readings_controller.rb": (
                "class ReadingsController < ApplicationController\n  def create\n    respond_to do |format|\n"
                "      format.turbo_stream\n      format.json { head :no_content }\n    end\n  end\nend\n"
            ),
        },
    )
    assert findings_of(app, "a11y/input-label", loud=True) == [] and len(findings_of(app, "a11y/input-label")) == 2
    assert findings_of(app, "turbo/permanent-without-id", loud=True) == []
    assert findings_of(app, "rails/turbo-stream-no-html", loud=True) == []


def test_component_identifiers_keep_their_case(tmp_path: Path):
    app = write_app(
        tmp_path,
        {
            "app/components/DS/menu_controller.js": CONTROLLER % '  static targets = ["button"]\n  close() {}\n',
            "app/components/DS/menu.html.erb": (
                '<%= tag.div data: { controller: "DS--menu" } do %>\n'
                '  <button data-DS--menu-target="button" data-action="DS--menu#close">Menu</button>\n<% end %>\n'
            ),
        },
    )
    result = check_paths([app / "app"], external=False)
    assert [f for f in result.findings if f.rule.startswith("stimulus/")] == []


@pytest.mark.parametrize("rule", ["security/html-safe", "stimulus/outside-controller"])
def test_patterns_are_quiet_without_an_index_too(tmp_path: Path, rule: str):
    """The editor checks a lone buffer without an index: unknown scope stays quiet, literals stay safe."""
    from hotwire_assist.core.rules import check_source

    found = check_source(
        "app/views/x/_row.html.erb", '<li data-picker-target="item"><%= "<b>".html_safe %></li>\n', external=False
    )
    assert [f for f in found if f.rule == rule] == []
