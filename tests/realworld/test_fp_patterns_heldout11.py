"""False-positive patterns found on the eleventh held-out app (labels.jsonl, `held-out-11`), reproduced in small
apps written for these tests, next to the real defects the same rules must keep reporting."""

from __future__ import annotations

from pathlib import Path

from support.small_app import findings_of, write_app


def test_custom_stream_action_needs_no_target(tmp_path: Path):
    """An action the app defines (`Turbo.StreamActions.beep`) decides what it acts on; Turbo's own `append`
    without a target still raises."""
    app = write_app(
        tmp_path,
        {
            "app/javascript/application.js": (
                'import { Turbo } from "@hotwired/turbo-rails"\n'
                "Turbo.StreamActions.beep = function () { new Audio(this.getAttribute('sound')).play() }\n"
            ),
            "app/views/checks/create.turbo_stream.erb": (
                '<turbo-stream action="beep" sound="<%= @sound %>"></turbo-stream>\n'
                '<turbo-stream action="append"><template><p>x</p></template></turbo-stream>\n'
            ),
        },
    )
    assert findings_of(app, "turbo/stream-missing-target") == [("create.turbo_stream.erb", 2, "error")]


def test_plain_class_new_takes_an_argument(tmp_path: Path):
    """`SearchQuery.new(params[:query])` on a plain class with its own initialize passes a string; the same
    call on an Active Record model mass-assigns."""
    app = write_app(
        tmp_path,
        {
            "app/models/search_query.rb": (
                "class SearchQuery\n  def initialize(input)\n    @raw = input.to_s\n  end\nend\n"
            ),
            "app/models/widget.rb": "class Widget < ApplicationRecord\nend\n",
            "app/controllers/widgets_controller.rb": (
                "class WidgetsController < ApplicationController\n"
                "  def index\n    @query = SearchQuery.new(params[:query])\n  end\n\n"
                "  def create\n    @widget = Widget.new(params[:widget])\n  end\nend\n"
            ),
        },
    )
    # Widget.new(params[:widget]) is still reported: Active Record raises ForbiddenAttributesError on it, a bug (a
    # warning), not a hole (test_error_calibration.py)
    assert findings_of(app, "security/mass-assignment") == [("widgets_controller.rb", 7, "warning")]


def test_csrf_skip_on_an_anonymous_public_form(tmp_path: Path):
    """A signup `create` that reads no signed-in user and signs nobody in, under parents that require no sign-in:
    a forged post rides no session (info). Login (`super` into Devise's sessions#create), an action reading
    `current_user` and one whose parent controller authenticates users stay errors."""
    app = write_app(
        tmp_path,
        {
            "app/controllers/application_controller.rb": (
                "class ApplicationController < ActionController::Base\n  before_action :set_locale\nend\n"
            ),
            "app/controllers/admin/base_controller.rb": (
                "class Admin::BaseController < ApplicationController\n  before_action :authenticate_user!\nend\n"
            ),
            "app/controllers/admin/imports_controller.rb": (
                "class Admin::ImportsController < Admin::BaseController\n"
                "  skip_before_action :verify_authenticity_token, only: :create\n\n"
                "  def create\n    Import.create!(file: params[:file])\n  end\nend\n"
            ),
            "app/controllers/signups_controller.rb": (
                "class SignupsController < ApplicationController\n"
                "  # create doesn't read current_user\n"
                "  skip_before_action :verify_authenticity_token, only: :create\n\n"
                "  def create\n    @signup = Signup.new(signup_params)\n"
                "    session[:signup_id] = @signup.id if @signup.save\n    redirect_to root_url\n  end\nend\n"
            ),
            "app/controllers/users/sessions_controller.rb": (
                "class Users::SessionsController < Devise::SessionsController\n"
                "  skip_before_action :verify_authenticity_token, only: :create\n\n"
                "  def create\n    super\n  end\nend\n"
            ),
            "app/controllers/profiles_controller.rb": (
                "class ProfilesController < ApplicationController\n"
                "  skip_before_action :verify_authenticity_token, only: :update\n\n"
                "  def update\n    current_user.update!(name: params[:name])\n  end\nend\n"
            ),
        },
    )
    assert findings_of(app, "security/csrf-skip") == [
        ("imports_controller.rb", 2, "error"),
        ("profiles_controller.rb", 2, "error"),
        ("sessions_controller.rb", 2, "error"),
        ("signups_controller.rb", 3, "info"),
    ]


BUILDER = """class SpecFormBuilder < ActionView::Helpers::FormBuilder
  def text_field(method, options = {})
    layout(method) { super }
  end

  def select(method, choices = nil, options = {}, html_options = {})
    super
  end

  def repeated_fields_for(association)
    @template.tag.div { fields_for(association) { |ff| yield ff } }
  end

  private

  def layout(method)
    @template.content_tag(:div, class: "form-group") { label(method) + yield }
  end
end
"""


OPT_IN_BUILDER = """class OptInBuilder < ActionView::Helpers::FormBuilder
  def text_field(method, options = {})
    build_label(method, options) + super
  end

  private

  def build_label(method, options)
    return "".html_safe unless options[:label]
    label(method, options[:label])
  end
end
"""


def test_fields_of_the_apps_own_labelling_builder(tmp_path: Path):
    """`form_with … builder: SpecFormBuilder`: its `text_field` renders the label (through a private layout
    method); its `select` does not, a form with the default builder renders none, and a builder that renders a
    label only when given `label:` renders none without it."""
    app = write_app(
        tmp_path,
        {
            "app/lib/spec_form_builder.rb": BUILDER,
            "app/helpers/opt_in_builder.rb": OPT_IN_BUILDER,
            "app/views/items/_form.html.erb": (
                "<%= form_with(model: item, builder: SpecFormBuilder) do |form| %>\n"
                "  <%= form.text_field :name %>\n"
                "  <%= form.select :size, [] %>\n"
                "<% end %>\n"
                "<%= form_with(model: item) do |f| %>\n"
                "  <%= f.text_field :name %>\n"
                "<% end %>\n"
                "<%= form_with(model: item, builder: OptInBuilder) do |o| %>\n"
                "  <%= o.text_field :name %>\n"
                "<% end %>\n"
            ),
        },
    )
    assert findings_of(app, "a11y/input-label", loud=True) == [
        ("_form.html.erb", 3, "warning"),
        ("_form.html.erb", 6, "warning"),
        ("_form.html.erb", 9, "warning"),
    ]


def test_nested_and_passed_in_builders_of_a_labelling_app(tmp_path: Path):
    """The builder's own nesting method (`repeated_fields_for … do |ff|`) yields the same builder, whose
    `text_field` labels; a partial's builder passed in by its caller may be that builder (info). A
    `fields_for` of a default-builder form still has no label."""
    app = write_app(
        tmp_path,
        {
            "app/lib/spec_form_builder.rb": BUILDER,
            "app/views/orders/_form.html.erb": (
                "<%= form_with(model: order, builder: SpecFormBuilder) do |form| %>\n"
                "  <%= form.repeated_fields_for :lines do |line| %>\n"
                "    <%= line.text_field :quantity %>\n"
                "  <% end %>\n"
                '  <%= render "orders/fields", form: form %>\n'
                "<% end %>\n"
                "<%= form_with(model: order) do |f| %>\n"
                "  <%= f.fields_for :lines do |ff| %>\n"
                "    <%= ff.text_field :quantity %>\n"
                "  <% end %>\n"
                "<% end %>\n"
            ),
            "app/views/orders/_fields.html.erb": "<%= form.text_field :note %>\n",
        },
    )
    assert findings_of(app, "a11y/input-label") == [("_fields.html.erb", 1, "info"), ("_form.html.erb", 9, "warning")]


def test_query_in_a_partial_nothing_renders(tmp_path: Path):
    """A record partial rendered by no view, collection, loop or broadcast: whether it ever renders per record is
    unknown (info); the same query in a partial a collection renders is an N+1 (warning)."""
    app = write_app(
        tmp_path,
        {
            "app/models/note.rb": "class Note < ApplicationRecord\nend\n",
            "app/models/comment.rb": "class Comment < ApplicationRecord\nend\n",
            "app/views/notes/_note.html.erb": "<% item = Item.find(note.item_id) %>\n<p><%= item.name %></p>\n",
            "app/views/comments/_comment.html.erb": (
                "<% item = Item.find(comment.item_id) %>\n<p><%= item.name %></p>\n"
            ),
            "app/views/comments/index.html.erb": "<%= render partial: 'comments/comment', collection: @comments %>\n",
        },
    )
    assert findings_of(app, "perf/partial-query") == [
        ("_comment.html.erb", 1, "warning"),
        ("_note.html.erb", 1, "info"),
    ]


def test_commented_out_erb_line_is_valid_erb():
    """`<%# <%= link_to … %>`: Erubi ends the comment at the first `%>`, so Herb's nested-tag parser error is a
    lead (info); an output tag left open by a nested `<%` stays a warning."""
    from hotwire_assist.core.rules.herb import to_findings

    def off(line: int, tag: str) -> dict:
        return {
            "code": "parser-no-errors",
            "message": f"ERB tag `{tag}` at ({line}:6) was terminated by nested `<%` tag at ({line}:10). Nesting "
            "`<%` tags is not supported. (`NESTED_ERB_TAG_ERROR`)",
            "location": {"start": {"line": line, "column": 6}},
        }

    text = "<div>\n  <%# <%= link_to 'Import', import_path %>\n  <%= <%= name %>\n</div>\n"
    found = to_findings("show.html.erb", [off(2, "<%#"), off(3, "<%=")], text)
    assert [f.severity for f in found] == ["info", "warning"]
