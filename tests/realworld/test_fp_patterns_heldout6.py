"""False-positive patterns found on the sixth held-out app (labels.jsonl, `held-out-6`), each reproduced in a
small app written for this test, next to the real defect the same rule must keep reporting.

External checkers are off: these are our rules.
"""

from __future__ import annotations

from pathlib import Path

from support.small_app import findings_of, write_app

from hotwire_assist.core.rules import check_paths

CONTROLLER = 'import { Controller } from "@hotwired/stimulus"\nexport default class extends Controller {\n%s}\n'
FORM = "<%= form_with model: @topic, local: true do |f| %>\n  <%= f.submit %>\n<% end %>\n"


def _messages(root: Path, rule: str) -> list[str]:
    return [f.message for f in check_paths([root / "app"], external=False).findings if f.rule == rule]


def test_local_true_where_turbo_drive_is_off(tmp_path: Path):
    """With Drive off app-wide, Turbo submits no form (outside frames): `local: true` is a harmless leftover."""
    off = write_app(
        tmp_path / "off",
        {
            "app/javascript/application.js": 'import "@hotwired/turbo-rails"\nTurbo.session.drive = false\n',
            "app/views/topics/new.html.erb": FORM,
        },
    )
    config = write_app(
        tmp_path / "config",
        {
            "app/javascript/application.js": (
                'import { Turbo } from "@hotwired/turbo-rails"\nTurbo.config.forms.mode = "optin"\n'
            ),
            "app/views/topics/new.html.erb": FORM,
        },
    )
    on = write_app(
        tmp_path / "on",
        {"app/javascript/application.js": 'import "@hotwired/turbo-rails"\n', "app/views/topics/new.html.erb": FORM},
    )
    assert findings_of(off, "turbo/form-local") == [("new.html.erb", 1, "info")]
    assert findings_of(config, "turbo/form-local") == [("new.html.erb", 1, "info")]
    assert findings_of(on, "turbo/form-local") == [("new.html.erb", 1, "warning")]


def test_targets_inherited_from_a_parent_controller(tmp_path: Path):
    """Stimulus merges a parent class's static targets: a package parent's are unknown here (info), a local
    parent's are read; a target neither declares is still reported."""
    nested = (
        "import NestedForm from '@stimulus-components/rails-nested-form'\n"
        "export default class extends NestedForm {\n  static targets = ['confirmDialog']\n}\n"
    )
    base = CONTROLLER % "  static targets = ['panel']\n  open() {}\n"
    child = (
        "import BaseController from './base_controller'\n"
        "export default class extends BaseController {\n  static targets = ['title']\n}\n"
    )
    app = write_app(
        tmp_path,
        {
            "app/javascript/controllers/casa_nested_form_controller.js": nested,
            "app/javascript/controllers/base_controller.js": base,
            "app/javascript/controllers/tabs_controller.js": child,
            "app/views/cases/edit.html.erb": (
                '<div data-controller="casa-nested-form">\n'
                '  <template data-casa-nested-form-target="template"></template>\n'
                '  <dialog data-casa-nested-form-target="confirmDialog"></dialog>\n</div>\n'
                '<div data-controller="tabs">\n'
                '  <div data-tabs-target="panel"></div>\n'
                '  <div data-tabs-target="title"></div>\n'
                '  <div data-tabs-target="nope"></div>\n'
                '  <button data-action="tabs#open">o</button>\n'
                '  <button data-action="tabs#close">c</button>\n</div>\n'
            ),
        },
    )
    targets = findings_of(app, "stimulus/unknown-target")
    assert targets == [("edit.html.erb", 2, "info"), ("edit.html.erb", 8, "warning")]
    assert findings_of(app, "stimulus/unknown-method") == [("edit.html.erb", 10, "warning")]


def test_labels_that_name_the_field_by_its_generated_id(tmp_path: Path):
    """`label_tag :search` labels `<select id="search">`; a label whose `for` is the id a builder gives a field
    (`<scope>_<attribute>`, here from a form helper whose scope the checker cannot read) labels it; a builder
    label `for: :attribute` without the scope does not."""
    app = write_app(
        tmp_path,
        {
            "app/views/reports/index.html.erb": (
                '<%= label_tag :search, "Volunteer" %>\n'
                '<select name="search" id="search"><option></option></select>\n'
                '<select name="other" id="other"><option></option></select>\n'
                "<%= form_for_filterrific @filterrific do |f| %>\n"
                '  <%= f.label "Starting from", for: "filterrific_occurred_starting_at" %>\n'
                "  <%= f.date_field(:occurred_starting_at) %>\n"
                "  <%= f.date_field(:occurred_ending_at) %>\n"
                "<% end %>\n"
                "<%= form_with model: CaseAssignment.new do |form| %>\n"
                '  <label for="case_assignment_casa_case_id" class="sr-only">Select a case</label>\n'
                "  <%= form.select :casa_case_id, [] %>\n"
                '  <%= form.label "Notes", for: :notes %>\n'
                "  <%= form.text_area :notes %>\n"
                "<% end %>\n"
            ),
        },
    )
    # the last: `for: :notes` misses the form's scope (the field's id is case_assignment_notes)
    expected = [("index.html.erb", 3, "warning"), ("index.html.erb", 7, "warning"), ("index.html.erb", 13, "warning")]
    assert findings_of(app, "a11y/input-label") == expected


def test_live_region_rule_judges_status_regions_only(tmp_path: Path):
    """A button whose id says "notifications" is no status region; a region in an app without streams is
    still reported (a script fills it), without claiming Turbo Streams update it."""
    app = write_app(
        tmp_path,
        {
            "app/views/layouts/_notifier.html.erb": (
                '<div id="notifications"><div class="messages"></div></div>\n'
                '<button id="toggle-minimize-notifications">minimize</button>\n'
            ),
        },
    )
    assert findings_of(app, "a11y/live-region") == [("_notifier.html.erb", 1, "warning")]
    assert "Turbo Streams" not in _messages(app, "a11y/live-region")[0]


def test_status_message_written_with_innerhtml_is_no_spa_markup(tmp_path: Path):
    """A method that shows a message (also called with fixed text) is a status slot; markup fetched and written
    into a list is still the SPA habit."""
    report = CONTROLLER % (
        "  async generate() {\n"
        "    const data = await (await fetch('/report')).json()\n"
        "    if (data.status !== 'ok') { this.showError(data.error_messages) }\n"
        "    this.showError('Something went wrong')\n  }\n"
        "  showError (html) {\n    if (this.hasErrorTarget) {\n      this.errorTarget.innerHTML = html\n    }\n  }\n"
        "  badAlert (message) {\n    this.alertTargets.forEach(t => {\n      t.innerHTML = message\n    })\n  }\n"
        "  warn () { this.badAlert(`Unable to save: ${this.name}`) }\n"
    )
    lister = CONTROLLER % (
        "  async load() {\n    const html = await (await fetch('/items')).text()\n    this.render(html)\n  }\n"
        "  render (html) {\n    this.listTarget.innerHTML = html\n  }\n"
    )
    app = write_app(
        tmp_path,
        {
            "app/javascript/controllers/court_report_controller.js": report,
            "app/javascript/controllers/items_controller.js": lister,
        },
    )
    assert findings_of(app, "stimulus/spa-fetch-html") == [("items_controller.js", 8, "warning")]
