"""False-positive patterns found on the seventh held-out app (labels.jsonl, `held-out-7`), each reproduced in a
small app written for this test, next to the real defect the same rule must keep reporting.

External checkers are off except where a test feeds Herb's own offense format to the adapter.
"""

from __future__ import annotations

from pathlib import Path

from support.small_app import findings_of, write_app

from hotwire_assist.core.rules.herb import to_findings

CONTROLLER = 'import { Controller } from "@hotwired/stimulus"\nexport default class extends Controller {\n%s}\n'


def test_disable_with_false_renders_no_ujs_attribute(tmp_path: Path):
    """`disable_with: false` turns Rails' automatic data-disable-with off: nothing UJS is rendered."""
    app = write_app(
        tmp_path,
        {
            "app/views/users/new.html.erb": (
                "<%= form_with model: @user do |form| %>\n"
                '  <%= form.submit "Sign up", data: { test_id: "go", disable_with: false } %>\n'
                '  <%= form.submit "Save", data: { disable_with: "Saving..." } %>\n'
                "<% end %>\n"
            ),
        },
    )
    assert findings_of(app, "ujs/disable-with") == [("new.html.erb", 3, "warning")]


def test_html_safe_on_a_column_no_form_or_param_writes(tmp_path: Path):
    """Record data nobody writes through the app (seeded HTML, a converter's output) is a lead; a column a form
    or permitted param writes, and a model method's computed value, stay warnings."""
    app = write_app(
        tmp_path,
        {
            "app/controllers/stories_controller.rb": (
                "class StoriesController < ApplicationController\n"
                "  def update\n    @story.update(params.expect(story: %i[title]))\n  end\nend\n"
            ),
            "app/models/story.rb": "class Story < ApplicationRecord\n  def teaser\n    title.first(20)\n  end\nend\n",
            "app/views/stories/index.html.erb": (
                "<% @stories.each do |story| %>\n"
                "  <%= story.story_content.html_safe %>\n"  # seeded HTML: info
                "  <%= story.title.html_safe %>\n"  # users write it: warning
                "  <%= story.teaser.html_safe %>\n"  # computed by the model: warning
                "<% end %>\n"
            ),
        },
    )
    assert findings_of(app, "security/html-safe") == [
        ("index.html.erb", 2, "info"),
        ("index.html.erb", 3, "warning"),
        ("index.html.erb", 4, "warning"),
    ]


def test_aria_hidden_backdrop_whose_action_a_button_repeats(tmp_path: Path):
    app = write_app(
        tmp_path,
        {
            "app/javascript/controllers/visibility_controller.js": CONTROLLER % "  off() {}\n  toggle() {}\n",
            "app/views/shared/_drawer.html.erb": (
                '<div data-controller="visibility" role="dialog" aria-label="Menu">\n'
                '  <div class="backdrop" aria-hidden="true" data-action="click->visibility#off"></div>\n'
                '  <button type="button" data-action="click->visibility#off">Close</button>\n'
                '  <span data-action="click->visibility#toggle">More</span>\n'  # no keyboard path
                '  <div aria-hidden="true" data-action="click->visibility#toggle"></div>\n'  # no button runs it
                "</div>\n"
            ),
        },
    )
    assert findings_of(app, "a11y/click-handler") == [
        ("_drawer.html.erb", 4, "warning"),
        ("_drawer.html.erb", 5, "warning"),
    ]


def test_herb_script_output_of_a_boolean_or_number_is_info():
    off = {
        "code": "erb-no-unsafe-script-interpolation",
        "message": "x",
        "location": {"start": {"line": 2, "column": 2}},
    }
    texts = (
        '<script>\n  window.signedIn = "<%= user_signed_in? %>"\n</script>\n',
        "<script>\n  window.count = <%= @posts.count %>\n</script>\n",
        '<script>\n  window.name = "<%= current_user.name %>"\n</script>\n',
    )
    assert [f.severity for t in texts for f in to_findings("a.html.erb", [off], t)] == ["info", "info", "warning"]
