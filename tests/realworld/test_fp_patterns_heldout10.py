"""False-positive pattern found on the tenth held-out app (labels.jsonl, `held-out-10`), reproduced in a small
app written for this test, next to the real defects the same rule must keep reporting."""

from __future__ import annotations

from pathlib import Path

from support.small_app import findings_of, write_app


def test_label_for_the_builders_own_field_id(tmp_path: Path):
    """`<label for="<%= form.field_id(:is_admin) %>">` names the check box's id; a label for another attribute
    (`f.label :provider` beside `:provider_id`) or one holding only text names nothing."""
    app = write_app(
        tmp_path,
        {
            "app/views/users/_form.html.erb": (
                "<%= form_with model: user do |form| %>\n"
                "  <%= form.check_box :is_admin %>\n"
                '  <label for="<%= form.field_id(:is_admin) %>">Administrator</label>\n'
                "  <%= form.label :provider %>\n"
                "  <%= form.collection_select :provider_id, Provider.all, :id, :name %>\n"
                '  <label class="input-label">Order</label>\n'
                "  <%= form.select :order, [] %>\n"
                "<% end %>\n"
            ),
        },
    )
    assert findings_of(app, "a11y/input-label") == [("_form.html.erb", 5, "warning"), ("_form.html.erb", 7, "warning")]
