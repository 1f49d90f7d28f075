"""False-positive patterns found on the eighth held-out app (labels.jsonl, `held-out-8`), each reproduced in a
small app written for this test, next to the real defect the same rule must keep reporting.

External checkers are off except where a test feeds Herb's own offense format to the adapter.
"""

from __future__ import annotations

from pathlib import Path

from support.small_app import findings_of, write_app

from hotwire_assist.core.rules.herb import to_findings

CONTROLLER = 'import { Controller } from "@hotwired/stimulus"\nexport default class extends Controller {\n%s}\n'
CLOSE = "document.getElementById('import-modal').classList.add('hidden')"


def test_click_zones_with_a_keyboard_path_nearby(tmp_path: Path):
    """A row holding a link (info: the link may be the path), an empty backdrop whose action or onclick a
    button also runs, and a click zone inside a <summary> have a keyboard path; a bare clickable row has not."""
    app = write_app(
        tmp_path,
        {
            "app/javascript/controllers/row_controller.js": CONTROLLER % "  navigate() {}\n",
            "app/javascript/controllers/sidebar_controller.js": CONTROLLER % "  toggle() {}\n  chevron() {}\n",
            "app/views/admin/users/index.html.erb": (
                "<table><% @users.each do |user| %>\n"
                '  <tr data-controller="row" data-action="click->row#navigate">\n'
                '    <td><%= user.name %></td><td><%= link_to "View", user_path(user) %></td>\n'
                "  </tr>\n"
                '  <tr data-controller="row" data-action="click->row#navigate"><td><%= user.email %></td></tr>\n'
                "<% end %></table>\n"
                f'<div id="import-modal" role="dialog">\n  <div class="backdrop" onclick="{CLOSE}"></div>\n'
                f'  <button type="button" onclick="{CLOSE}">Cancel</button>\n</div>\n'
                '<div data-controller="sidebar">\n'
                '  <button type="button" data-action="click->sidebar#toggle">Menu</button>\n'
                '  <div class="overlay" data-action="click->sidebar#toggle"></div>\n'
                '  <details><summary>Stocks <div data-action="click->sidebar#chevron">v</div></summary></details>\n'
                "</div>\n"
            ),
        },
    )
    assert findings_of(app, "a11y/click-handler") == [("index.html.erb", 2, "info"), ("index.html.erb", 5, "warning")]


def test_ujs_confirm_beside_turbo_confirm_is_a_leftover(tmp_path: Path):
    app = write_app(
        tmp_path,
        {
            "app/views/orders/index.html.erb": (
                '<%= button_to "Cancel", "/orders/1", data: { confirm: "Sure?", turbo_confirm: "Sure?" } %>\n'
                '<%= button_to "Delete", "/orders/1", data: { confirm: "Sure?" } %>\n'
            ),
        },
    )
    assert findings_of(app, "ujs/data-confirm") == [("index.html.erb", 1, "info"), ("index.html.erb", 2, "warning")]


def test_herb_stray_erb_closer_of_an_escaped_code_sample_is_info():
    text = (
        '<pre><code>&lt;%= form_with model: @resource do |f| %>\n  &lt;%= f.submit "Save" %>\n'
        "&lt;% end %></code></pre>\n<p>100 %></p>\n"
    )

    def off(line: int, col: int) -> dict:
        return {
            "code": "parser-no-errors",
            "message": "Stray `%>` found (`STRAY_ERB_CLOSING_TAG_ERROR`)",
            "location": {"start": {"line": line, "column": col}},
        }

    found = to_findings("demo.html.erb", [off(1, 48), off(2, 23), off(3, 9), off(4, 7)], text)
    assert [f.severity for f in found] == ["info", "info", "info", "warning"]
