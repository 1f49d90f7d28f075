"""False-positive patterns found on the twelfth held-out app (labels.jsonl, `held-out-12`), reproduced in small
apps written for these tests, next to the real defects the same rules must keep reporting."""

from __future__ import annotations

from pathlib import Path

from support.small_app import STIMULUS_CONTROLLER, findings_of, write_app

STREAMS_CONTROLLER = (
    "class PostsController < ApplicationController\n"
    "  def update\n"
    "    render turbo_stream: [turbo_stream.app_close_modal, turbo_stream.bogus_action]\n"
    "  end\nend\n"
)


def test_stream_builder_methods_the_app_or_a_gem_adds(tmp_path: Path):
    """`turbo_stream.app_close_modal`, defined by the app's helper that calls `turbo_stream_action_tag` (prepended
    to Turbo's TagBuilder), is no finding; an unknown method is an error, and info where turbo_power (which adds
    methods of its own) is in Gemfile.lock."""
    helper = (
        "module StreamHelper\n  def app_close_modal\n"
        '    turbo_stream_action_tag :replace, target: "modal", template: ""\n  end\nend\n'
    )
    plain = write_app(
        tmp_path / "plain",
        {"app/helpers/stream_helper.rb": helper, "app/controllers/posts_controller.rb": STREAMS_CONTROLLER},
    )
    assert findings_of(plain, "turbo/unknown-stream-action") == [("posts_controller.rb", 3, "error")]
    powered = write_app(
        tmp_path / "powered",
        {
            "Gemfile.lock": "GEM\n  specs:\n    turbo-rails (2.0.11)\n    turbo_power (0.8.0)\n",
            "app/helpers/stream_helper.rb": helper,
            "app/controllers/posts_controller.rb": STREAMS_CONTROLLER,
        },
    )
    assert findings_of(powered, "turbo/unknown-stream-action") == [("posts_controller.rb", 3, "info")]


def test_stream_redirect_action_is_no_controller_redirect(tmp_path: Path):
    """turbo_power's `turbo_stream.redirect_to` in a stream-only respond_to is a stream answer (info, as any
    stream-only endpoint); a format.turbo_stream block that only calls the controller's redirect_to stays a
    warning."""
    app = write_app(
        tmp_path,
        {
            "app/controllers/actions_controller.rb": (
                "class ActionsController < ApplicationController\n"
                "  def create\n    respond_to do |format|\n"
                "      format.turbo_stream { render turbo_stream: turbo_stream.redirect_to(root_path) }\n"
                "    end\n  end\n\n"
                "  def update\n    respond_to do |format|\n"
                "      format.turbo_stream { redirect_to root_path }\n"
                "    end\n  end\nend\n"
            ),
        },
    )
    assert findings_of(app, "rails/turbo-stream-no-html") == [
        ("actions_controller.rb", 4, "info"),
        ("actions_controller.rb", 10, "warning"),
    ]


def test_raw_output_chosen_on_purpose_or_from_configuration(tmp_path: Path):
    """`<%==` under `if @field.as_html` (the template chooses HTML there) and on a local read from a constant's
    configuration are info; `<%==` on a record's attribute stays a warning."""
    app = write_app(
        tmp_path,
        {
            "app/views/fields/_show.html.erb": (
                "<% settings = Admin.configuration.appearance %>\n"
                "<% if @field.as_html %>\n  <%== @field.value %>\n<% else %>\n  <%= @field.value %>\n<% end %>\n"
                "<script>const neutrals = <%== settings.neutrals.as_json %></script>\n"
                "<%== @post.body %>\n"
            ),
        },
    )
    assert findings_of(app, "security/erb-raw-output") == [
        ("_show.html.erb", 3, "info"),
        ("_show.html.erb", 7, "info"),
        ("_show.html.erb", 8, "warning"),
    ]


def test_markup_a_method_builds_itself_is_no_fetched_markup(tmp_path: Path):
    """A method that fetches nothing and inserts a link it builds from a template literal (the controller's XHR
    uploads files elsewhere) is no finding; HTML fetched and written with innerHTML stays a warning."""
    app = write_app(
        tmp_path,
        {
            "app/javascript/controllers/editor_controller.js": STIMULUS_CONTROLLER
            % (
                "  #initToolbar(event) {\n"
                '    const buttonHTML = `<a href="${this.path}" class="button">Gallery</a>`\n'
                "    event.target.toolbar.insertAdjacentHTML('beforeend', buttonHTML)\n"
                "  }\n\n"
                "  upload(file) {\n    const xhr = new XMLHttpRequest()\n    xhr.send(file)\n  }\n"
            ),
            "app/javascript/controllers/search_controller.js": STIMULUS_CONTROLLER
            % (
                "  load() {\n"
                "    fetch(this.url).then((r) => r.text()).then((html) => {\n"
                "      this.resultsTarget.innerHTML = html\n"
                "    })\n  }\n"
            ),
        },
    )
    assert findings_of(app, "stimulus/spa-fetch-html") == [("search_controller.js", 5, "warning")]


def test_unknown_controller_where_plugins_register_late(tmp_path: Path):
    """An app whose script registers controllers by names read at run time (plugins' controllers listed in a
    window config): an unknown identifier may be one of them (info). Rails' usual `window.Stimulus =
    application` alone registers nothing unseen: a warning there."""
    view = '<form data-controller="plugin-fields"></form>\n'
    start = (
        'import { Application } from "@hotwired/stimulus"\nconst application = Application.start()\n'
        "window.Stimulus = application\n"
    )
    late = (
        "const application = window.Stimulus\n"
        "window.App.config.controllers.forEach(([name, c]) => {\n  application.register(name, window[c])\n})\n"
    )
    exposed = write_app(
        tmp_path / "exposed",
        {
            "app/javascript/application.js": start,
            "app/javascript/late-registration.js": late,
            "app/javascript/controllers/form_controller.js": STIMULUS_CONTROLLER % "",
            "app/views/items/new.html.erb": view,
        },
    )
    assert findings_of(exposed, "stimulus/unknown-controller") == [("new.html.erb", 1, "info")]
    closed = write_app(
        tmp_path / "closed",
        {
            "app/javascript/application.js": start,
            "app/javascript/controllers/form_controller.js": STIMULUS_CONTROLLER % "",
            "app/views/items/new.html.erb": view,
        },
    )
    assert findings_of(closed, "stimulus/unknown-controller") == [("new.html.erb", 1, "warning")]


def test_markup_under_if_false_never_renders(tmp_path: Path):
    """`<% if false && @attaching %>` switches markup off: a missing method there is no finding; the same
    markup outside it still is."""
    app = write_app(
        tmp_path,
        {
            "app/javascript/controllers/media_controller.js": STIMULUS_CONTROLLER % "  attach() {}\n",
            "app/views/media/index.html.erb": (
                '<div data-controller="media">\n'
                "  <% if false && @attaching %>\n"
                '    <button data-action="click->media#selectItems">Attach</button>\n'
                "  <% end %>\n"
                '  <button data-action="click->media#selectAll">All</button>\n'
                "</div>\n"
            ),
        },
    )
    assert findings_of(app, "stimulus/unknown-method") == [("index.html.erb", 5, "warning")]
