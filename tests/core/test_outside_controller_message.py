"""`stimulus/outside-controller` when the template itself declares the controller, around other markup."""

from __future__ import annotations

from pathlib import Path

from support.small_app import STIMULUS_CONTROLLER, write_app

from hotwire_assist.core.rules import check_paths


def test_message_names_the_files_own_declaration(tmp_path: Path):
    """The partial declares `toggle` on a sibling: the message says so (with its line) instead of claiming that
    no template declares it; a target with no declaration anywhere keeps the plain message."""
    app = write_app(
        tmp_path,
        {
            "app/javascript/controllers/toggle_controller.js": STIMULUS_CONTROLLER % '  static targets = ["menu"]\n',
            "app/javascript/controllers/tabs_controller.js": STIMULUS_CONTROLLER % '  static targets = ["tab"]\n',
            "app/views/items/_menu.html.erb": (
                '<div data-controller="toggle"><button>Open</button></div>\n'
                '<ul data-toggle-target="menu"><li>One</li></ul>\n'
                '<p data-tabs-target="tab">x</p>\n'
            ),
            "app/views/items/show.html.erb": '<%= render "items/menu" %>\n',
        },
    )
    found = {
        f.line: f.message
        for f in check_paths([app / "app"], external=False).findings
        if f.rule == "stimulus/outside-controller"
    }
    assert set(found) == {2, 3}
    assert 'data-controller="toggle" on line 1 of this file does not enclose this element' in found[2]
    assert "no template rendering this partial declares" not in found[2]
    assert 'no template rendering this partial declares data-controller="tabs"' in found[3]
