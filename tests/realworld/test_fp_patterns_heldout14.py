"""False-positive pattern found on the fourteenth held-out app (labels.jsonl, `held-out-14`), reproduced in a
small app written for this test, next to the real defects the same rule must keep reporting."""

from __future__ import annotations

from pathlib import Path

from support.small_app import findings_of, write_app

BUILDER = """class AdminFormBuilder < ActionView::Helpers::FormBuilder
  def text_field(method, **options)
    render component("ui/forms/field").new(self, method, **options)
  end

  def text_area(method, **options)
    render component("ui/forms/plain").new(self, method, **options)
  end

  def select(method, choices, **options)
    super
  end
end
"""


def test_builder_rendering_a_labelling_component_through_a_form_helper(tmp_path: Path):
    """`admin_form_for` (an app helper passing `builder: AdminFormBuilder`): its `text_field` renders a component
    whose template wraps the field in a <label>. Its `text_area` renders a component without one, its `select`
    is Rails' own, and a plain `form_for` labels nothing: those stay warnings."""
    app = write_app(
        tmp_path,
        {
            "app/lib/admin_form_builder.rb": BUILDER,
            "app/helpers/admin_form_helper.rb": (
                "module AdminFormHelper\n  def admin_form_for(*args, **kwargs, &block)\n"
                "    form_for(*args, **kwargs, builder: AdminFormBuilder, &block)\n  end\nend\n"
            ),
            "app/components/admin/ui/forms/field/component.html.erb": (
                "<label><span><%= @label %></span><%= @input %></label>\n"
            ),
            "app/components/admin/ui/forms/plain/component.html.erb": "<div><%= @input %></div>\n",
            "app/views/reasons/_form.html.erb": (
                "<%= admin_form_for @reason do |f| %>\n"
                "  <%= f.text_field :name %>\n"
                "  <%= f.text_area :body %>\n"
                "  <%= f.select :kind, [] %>\n"
                "<% end %>\n"
                "<%= form_for @reason do |g| %>\n"
                "  <%= g.text_field :name %>\n"
                "<% end %>\n"
            ),
        },
    )
    assert findings_of(app, "a11y/input-label", loud=True) == [
        ("_form.html.erb", 3, "warning"),
        ("_form.html.erb", 4, "warning"),
        ("_form.html.erb", 7, "warning"),
    ]
