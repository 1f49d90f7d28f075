"""False-positive patterns found on the thirteenth held-out app (labels.jsonl, `held-out-13`), reproduced in
small apps written for these tests, next to the real defects the same rules must keep reporting."""

from __future__ import annotations

from pathlib import Path

from support.small_app import STIMULUS_CONTROLLER, findings_of, write_app


def test_static_html_page_under_assets_is_no_template(tmp_path: Path):
    """An icon font's generated preview page under app/assets is a static file no view renders: a directory
    check skips it; a view's unlabelled input is still reported."""
    app = write_app(
        tmp_path,
        {
            "app/assets/icons/preview/icons-preview.html": '<input type="text" readonly value=".icon-mail">\n',
            "app/views/items/index.html.erb": '<input type="text" name="q">\n',
        },
    )
    assert findings_of(app, "a11y/input-label") == [("index.html.erb", 1, "warning")]


def test_controller_reading_its_own_target_attribute(tmp_path: Path):
    """`delegate-click` declares no targets and reads `this.element.dataset.delegateClickTarget` as a selector:
    `data-delegate-click-target="#file"` is its setting. On `tabs`, which declares targets, `#pane` is still no
    target name."""
    app = write_app(
        tmp_path,
        {
            "app/javascript/controllers/delegate_click_controller.js": STIMULUS_CONTROLLER
            % "  click() {\n    document.querySelector(this.element.dataset.delegateClickTarget).click()\n  }\n",
            "app/javascript/controllers/tabs_controller.js": STIMULUS_CONTROLLER % '  static targets = ["pane"]\n',
            "app/views/images/index.html.erb": (
                '<input type="file" id="file" class="hidden" aria-label="Files">\n'
                '<button data-controller="delegate-click" data-action="delegate-click#click" '
                'data-delegate-click-target="#file">Upload</button>\n'
                '<div data-controller="tabs"><div data-tabs-target="#pane"></div></div>\n'
            ),
        },
    )
    assert findings_of(app, "stimulus/malformed-target") == [("index.html.erb", 3, "error")]


def test_permit_bang_on_a_record_behind_sign_in(tmp_path: Path):
    """`params.require(:page).permit!` in a controller whose parent authenticates: signed-in editors set every
    column of a record they edit (info). Without a sign-in filter it is an error, and `params.permit!` (all
    query keys, for url_for) stays one behind sign-in too."""
    app = write_app(
        tmp_path,
        {
            "app/controllers/admin/admin_controller.rb": (
                "module Admin\n  class AdminController < ApplicationController\n"
                "    before_action :authenticate\n  end\nend\n"
            ),
            "app/controllers/admin/pages_controller.rb": (
                "module Admin\n  class PagesController < AdminController\n"
                "    def update\n      Page.find(params[:id]).update(page_params)\n"
                "      redirect_to url_for(params.permit!)\n    end\n\n"
                "    private\n\n    def page_params\n      params.require(:page).permit!\n    end\n  end\nend\n"
            ),
            "app/controllers/comments_controller.rb": (
                "class CommentsController < ApplicationController\n"
                "  def create\n    Comment.create(comment_params)\n  end\n\n"
                "  private\n\n  def comment_params\n    params.require(:comment).permit!\n  end\nend\n"
            ),
        },
    )
    assert findings_of(app, "security/permit-bang") == [
        ("comments_controller.rb", 9, "error"),
        ("pages_controller.rb", 5, "error"),
        ("pages_controller.rb", 11, "info"),
    ]
