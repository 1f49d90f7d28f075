"""False-positive patterns found on the fifteenth and sixteenth held-out apps (labels.jsonl, `held-out-15`:
summer-of-making; `held-out-16`: dawarich, pagecord), each reproduced in a small app written for this test, next
to the real defect the same rule must keep reporting."""

from __future__ import annotations

from pathlib import Path

from support.small_app import STIMULUS_CONTROLLER, findings_of, write_app

from hotwire_assist.core.rules.herb import to_findings

SIGNED_IN_BASE = "class ApplicationController < ActionController::Base\n  before_action :authenticate_user!\nend\n"


def test_csrf_skip_on_an_action_that_returns_at_once(tmp_path: Path):
    """A skipped action whose first statement is `return render json: ...` (a stub) changes nothing, so a forged
    request does nothing: not reported. The same skip on an action that writes stays an error."""
    app = write_app(
        tmp_path,
        {
            "app/controllers/application_controller.rb": SIGNED_IN_BASE,
            "app/controllers/pings_controller.rb": (
                "class PingsController < ApplicationController\n"
                "  skip_before_action :verify_authenticity_token, only: [:create]\n"
                "  def create\n    # stub for now\n    return render json: { ok: true }\n\n"
                "    Ping.create!(user: current_user)\n  end\nend\n"
            ),
            "app/controllers/likes_controller.rb": (
                "class LikesController < ApplicationController\n"
                "  skip_before_action :verify_authenticity_token, only: [:create]\n"
                "  def create\n    return head :not_found unless params[:id]\n\n"
                "    Like.create!(user: current_user)\n  end\nend\n"
            ),
        },
    )
    assert findings_of(app, "security/csrf-skip", loud=True) == [("likes_controller.rb", 2, "error")]


def test_data_attribute_a_script_finds_elements_by(tmp_path: Path):
    """`data-delete-target` with no `delete` controller, read by another controller through
    `querySelector("[data-delete-target]")`; a `data-toggle-target="slug"` that the editor controller reads off the
    clicked element (`dataset.toggleTarget`); a `data-map-target="tip"` the map controller does not declare but
    finds by selector: markers a script uses, not stray targets. A target nobody reads stays a warning."""
    app = write_app(
        tmp_path,
        {
            "app/javascript/controllers/editor_controller.js": STIMULUS_CONTROLLER
            % (
                '  trash() { this.element.querySelector("[data-delete-target]").click() }\n'
                "  show(event) { this.open(event.currentTarget.dataset.toggleTarget) }\n"
            ),
            "app/javascript/controllers/toggle_controller.js": STIMULUS_CONTROLLER % '  static targets = ["element"]\n',
            "app/javascript/controllers/map_controller.js": STIMULUS_CONTROLLER
            % (
                '  static targets = ["canvas"]\n'
                "  show(el) { el.querySelector('[data-map-target=\"tip\"]').textContent = 'x' }\n"
            ),
            "app/views/posts/_menu.html.erb": (
                '<%= button_to "Delete", trash_path, data: { delete_target: true } %>\n'
            ),
            "app/views/posts/edit.html.erb": (
                '<div data-controller="editor toggle"><%= render "menu" %>'
                '<a data-action="editor#show" data-toggle-target="slug">Slug</a></div>\n'
                '<div data-controller="map">\n'
                '  <span data-map-target="tip"></span>\n'
                '  <span data-map-target="stale"></span>\n'
                "</div>\n"
            ),
        },
    )
    loud = findings_of(app, "stimulus/unknown-target", loud=True) + findings_of(
        app, "stimulus/outside-controller", loud=True
    )
    assert loud == [("edit.html.erb", 4, "warning")]


def test_controller_in_a_data_hash_the_partial_builds(tmp_path: Path):
    """A partial builds `{ controller: "dialog" }` in its own Ruby and wraps its markup in
    `tag.div(**wrapper) do`: its actions and targets are inside the controller. A partial that never names the
    controller stays a warning."""
    ctrl = STIMULUS_CONTROLLER % '  static targets = ["dialog"]\n  open() {}\n'
    app = write_app(
        tmp_path,
        {
            "app/javascript/controllers/dialog_controller.js": ctrl,
            "app/views/shared/_dialog.html.erb": (
                '<%\n  data = { controller: "dialog" }\n  wrapper = { data: data }\n%>\n'
                "<%= tag.div(**wrapper) do %>\n"
                '  <button data-action="dialog#open">Open</button>\n'
                '  <dialog data-dialog-target="dialog"></dialog>\n'
                "<% end %>\n"
            ),
            "app/views/shared/_other.html.erb": (
                '<% wrapper = { class: "box" } %>\n'
                "<%= tag.div(**wrapper) do %>\n"
                '  <button data-action="dialog#open">Open</button>\n'
                "<% end %>\n"
            ),
            "app/views/posts/show.html.erb": '<%= render "shared/dialog" %>\n<%= render "shared/other" %>\n',
        },
    )
    assert findings_of(app, "stimulus/outside-controller", loud=True) == [("_other.html.erb", 3, "warning")]


def test_views_of_an_app_namespace_belong_to_the_whole_app(tmp_path: Path):
    """Views of an `App::` namespace live in app/views/app/: app/views is not an app root of its own, so the
    cross-file rules see the app's Stimulus controllers and layouts (here the layout's data-controller) from
    there too. A page that never gets the controller stays a warning."""
    ctrl = STIMULUS_CONTROLLER % "  open() {}\n"
    app = write_app(
        tmp_path,
        {
            "app/javascript/controllers/menu_controller.js": ctrl,
            "app/views/layouts/app.html.erb": '<body data-controller="menu"><%= yield %></body>\n',
            "app/controllers/app/posts_controller.rb": (
                'class App::PostsController < ApplicationController\n  layout "app"\n  def index; end\nend\n'
            ),
            "app/views/app/posts/index.html.erb": '<button data-action="menu#open">Menu</button>\n',
            "app/views/app/posts/_row.html.erb": '<button data-action="menu#opne">Menu</button>\n',
        },
    )
    assert findings_of(app, "stimulus/unknown-method", loud=True) == [("_row.html.erb", 1, "warning")]


def test_label_for_an_interpolated_id(tmp_path: Path):
    """`form.radio_button :theme, name, id: "theme_#{name}"` beside `<label for="theme_<%= name %>">` is labelled
    (the same id, written once in Ruby and once in ERB). A label for another id leaves the radio unlabelled."""
    app = write_app(
        tmp_path,
        {
            "app/views/settings/_themes.html.erb": (
                "<% THEMES.each do |name| %>\n"
                '  <%= form.radio_button :theme, name, id: "theme_#{name}" %>\n'
                '  <label for="theme_<%= name %>"><%= name %></label>\n'
                '  <%= form.radio_button :font, name, id: "font_#{name}" %>\n'
                '  <label for="typeface_<%= name %>"><%= name %></label>\n'
                "<% end %>\n"
            ),
        },
    )
    assert findings_of(app, "a11y/input-label", loud=True) == [("_themes.html.erb", 4, "warning")]


def test_ujs_leftovers_beside_turbos_own_attributes(tmp_path: Path):
    """`method: :delete` beside `data: { turbo_method: :delete }` and `remote: true` on a button_to that sets
    `data: { turbo_method: :post }`: Turbo reads its own attribute, so the leftovers break nothing (info). Alone,
    each is still a warning (no rails-ujs in this app)."""
    app = write_app(
        tmp_path,
        {
            "app/views/pages/_actions.html.erb": (
                '<%= link_to "Unlink", page_path, method: :delete, data: { turbo_method: :delete } %>\n'
                '<%= link_to "Remove", page_path, method: :delete %>\n'
                '<%= button_to "Like", like_path, remote: true, data: { turbo_method: :post } %>\n'
                '<%= button_to "Star", star_path, remote: true %>\n'
            ),
        },
    )
    assert findings_of(app, "ujs/method-delete") == [
        ("_actions.html.erb", 1, "info"),
        ("_actions.html.erb", 2, "warning"),
    ]
    assert findings_of(app, "ujs/remote") == [("_actions.html.erb", 3, "info"), ("_actions.html.erb", 4, "warning")]


def test_local_true_where_turbo_submitting_is_intended(tmp_path: Path):
    """`local: true` on a form whose action answers `format.turbo_stream` (Turbo submission is intended): a
    harmless leftover, info. On a POST form to an action that only answers HTML it stays a warning, and so does a
    GET filter form (earlier rounds labelled that a warning-worthy leftover)."""
    app = write_app(
        tmp_path,
        {
            "config/routes.rb": (
                "Rails.application.routes.draw do\n  resources :subscribers, only: [:create]\n"
                "  resources :reports, only: [:index, :create]\nend\n"
            ),
            "app/controllers/subscribers_controller.rb": (
                "class SubscribersController < ApplicationController\n  def create\n    respond_to do |format|\n"
                "      format.turbo_stream\n      format.html { redirect_to root_path }\n    end\n  end\nend\n"
            ),
            # a route the index does not read (inside a constraint block in the real app): found by convention
            "app/controllers/blogs/newsletters_controller.rb": (
                "class Blogs::NewslettersController < ApplicationController\n  def create\n"
                "    respond_to do |format|\n      format.turbo_stream\n    end\n  end\nend\n"
            ),
            "app/controllers/reports_controller.rb": (
                "class ReportsController < ApplicationController\n  def index; end\n"
                "  def create\n    redirect_to reports_path\n  end\nend\n"
            ),
            "app/views/reports/index.html.erb": (
                "<%= form_with url: reports_path, method: :get, local: true do |f| %><% end %>\n"
                "<%= form_with url: subscribers_path, local: true do |f| %><% end %>\n"
                "<%= form_with url: reports_path, local: true do |f| %><% end %>\n"
                "<%= form_with url: newsletters_path, local: true do |f| %><% end %>\n"
            ),
        },
    )
    assert findings_of(app, "turbo/form-local") == [
        ("index.html.erb", 1, "warning"),
        ("index.html.erb", 2, "info"),
        ("index.html.erb", 3, "warning"),
        ("index.html.erb", 4, "info"),
    ]


def test_spa_fetch_html_that_builds_no_fetched_markup(tmp_path: Path):
    """In controllers that fetch: a constant SVG for a button (a trailing `// comment`, or a template literal
    without `${}`), a constant error sentence after insertAdjacentHTML's position (an escaped quote in it), a
    canvas made to probe WebGL, a loading skeleton copied from the page (`innerHTML = skeleton.innerHTML`), text from
    the controller's own script where the only fetch posts progress and reads nothing back: no server markup is
    rebuilt. Markup built from a fetched answer stays a warning."""
    js = {
        "icons": (
            "  async load() {\n    const data = await (await fetch('/x')).json()\n"
            '    this.button.innerHTML =\n      \'<svg width="18"><circle r="2"/></svg>\' // gear\n'
            '    this.element.insertAdjacentHTML("afterend",\n'
            "      '<p class=\"error\">Sorry, we couldn\\'t load it.</p>'\n    )\n"
            '    const c = document.createElement("canvas")\n    c.textContent = data.name\n'
            '    this.icon.innerHTML = `<svg viewBox="0 0 24 24">\n<path d="M1 1"/></svg>`\n'
            "    this.frame.innerHTML = this.skeleton.innerHTML\n  }\n"
        ),
        "tour": (
            "  static targets = ['text']\n"
            "  show(step) {\n    this.textTarget.innerHTML = this.steps[step].text || ''\n  }\n"
            "  async done() {\n    const response = await fetch('/tour/done', { method: 'POST' })\n"
            "    if (!response.ok) console.error('failed')\n  }\n"
        ),
        "feed": (
            "  async load() {\n    const data = await (await fetch('/feed')).json()\n"
            "    this.element.innerHTML = `<ul>${data.items.map((i) => `<li>${i}</li>`).join('')}</ul>`\n  }\n"
        ),
    }
    files = {f"app/javascript/controllers/{k}_controller.js": STIMULUS_CONTROLLER % v for k, v in js.items()}
    app = write_app(tmp_path, files)
    assert findings_of(app, "stimulus/spa-fetch-html", loud=True) == [("feed_controller.js", 5, "warning")]


def test_render_turbo_stream_in_a_helper_called_only_for_streams(tmp_path: Path):
    """A private method that does `render turbo_stream:` and is called only from `format.turbo_stream { }` beside a
    `format.html` answer serves stream requests only. The same helper also called from `format.html`, or where the
    respond_to answers no HTML at all (a plain browser gets 406), stays a warning."""
    body = (
        '  def create\n    respond_to do |format|\n      format.turbo_stream { show_error("no") }\n'
        "      format.html { redirect_to root_path }\n    end\n  end\n\n"
        '  def update\n    respond_to do |format|\n      format.turbo_stream { show_error("no") }\n'
        "      format.html { %s }\n    end\n  end\n\n  private\n\n"
        '  def show_error(msg)\n    render turbo_stream: turbo_stream.replace("form", msg)\n  end\nend\n'
    )
    app = write_app(
        tmp_path,
        {
            "app/controllers/replies_controller.rb": "class RepliesController < ApplicationController\n"
            + body % "redirect_to root_path",
            "app/controllers/notes_controller.rb": "class NotesController < ApplicationController\n"
            + body % 'show_error("no")',
            "app/controllers/pins_controller.rb": "class PinsController < ApplicationController\n"
            + body.replace("      format.html { %s }\n", "      format.json { head :ok }\n"),
        },
    )
    assert findings_of(app, "rails/turbo-stream-no-html", loud=True) == [
        ("notes_controller.rb", 19, "warning"),
        ("pins_controller.rb", 19, "warning"),
    ]


def test_bare_word_data_action_beside_a_third_party_script(tmp_path: Path):
    """A captcha widget's `data-action="signup"` in a template that loads the widget's script from its CDN is the
    widget's setting (info). A bare word where no outside script is loaded stays a warning."""
    app = write_app(
        tmp_path,
        {
            "app/views/shared/_captcha.html.erb": (
                '<script src="https://challenges.example.com/widget/api.js" async></script>\n'
                '<div class="captcha" data-sitekey="k" data-action="signup"></div>\n'
            ),
            "app/views/shared/_toolbar.html.erb": '<button data-action="bold">B</button>\n',
        },
    )
    assert findings_of(app, "stimulus/malformed-action") == [
        ("_captcha.html.erb", 2, "info"),
        ("_toolbar.html.erb", 1, "warning"),
    ]


def test_pagination_markup_of_the_pagy_object(tmp_path: Path):
    """`<%== @pagy.series_nav %>` (Pagy's newer API) outputs the gem's own escaped links: no warning. A record's
    attribute output raw stays a warning."""
    app = write_app(
        tmp_path,
        {
            "app/views/posts/index.html.erb": "<%== @pagy.series_nav %>\n<%== @post.body %>\n",
        },
    )
    assert findings_of(app, "security/erb-raw-output", loud=True) == [("index.html.erb", 2, "warning")]


def test_count_of_a_value_the_model_stores_itself(tmp_path: Path):
    """`trip.visited_countries.count` where the model assigns `self.visited_countries = …` (an array column): an
    in-memory count, no query. An association's `.count` in the same row partial stays a warning."""
    app = write_app(
        tmp_path,
        {
            "app/models/trip.rb": (
                "class Trip < ApplicationRecord\n  has_many :points\n"
                "  def remember_countries\n    self.visited_countries = points.pluck(:country).uniq\n  end\nend\n"
            ),
            "app/views/trips/_trip.html.erb": (
                "<%= trip.visited_countries.count %> countries\n<%= trip.points.count %> points\n"
            ),
            "app/views/trips/index.html.erb": "<%= render @trips %>\n",
        },
    )
    assert findings_of(app, "perf/partial-query", loud=True) == [("_trip.html.erb", 2, "warning")]


def test_stream_target_whose_messages_announce_themselves(tmp_path: Path):
    """#flash-messages renders each message through a partial whose root has role="alert", and streams add that
    partial: every message is announced as it lands. A stream target whose partial brings its own aria-live region
    (inserted together with its text, so not reliably announced) stays a warning."""
    app = write_app(
        tmp_path,
        {
            "app/views/shared/_flash.html.erb": (
                '<div id="flash-messages">\n  <% flash.each do |type, msg| %>\n'
                '    <%= render "shared/flash_message", msg: msg %>\n  <% end %>\n</div>\n'
            ),
            "app/views/shared/_flash_message.html.erb": '<div role="alert" class="alert"><%= msg %></div>\n',
            "app/views/shared/_notices.html.erb": '<div id="notice-messages"><%= render "shared/notice" %></div>\n',
            "app/views/shared/_notice.html.erb": '<p aria-live="assertive"><%= notice %></p>\n',
            "app/views/posts/create.turbo_stream.erb": (
                '<%= turbo_stream.append "flash-messages", partial: "shared/flash_message", locals: { msg: "" } %>\n'
                '<%= turbo_stream.update "notice-messages", partial: "shared/notice" %>\n'
            ),
        },
    )
    assert findings_of(app, "a11y/live-region", loud=True) == [("_notices.html.erb", 1, "warning")]


def test_literal_asset_path_in_a_script_string():
    """Herb's unsafe-script-interpolation on `"<%= asset_path "sprite.webp" %>"` inside a <script>: the path of a
    literal asset the app fingerprints, no user data (info). A record's attribute there stays a warning."""
    text = (
        '<script>\n  new Bugs({\n    sprite: "<%= asset_path "sprite.webp" %>",\n'
        '    name: "<%= @user.name %>",\n  })\n</script>\n'
    )
    offenses = [
        {"code": "erb-no-unsafe-script-interpolation", "message": "Unsafe ERB output in <script>.",
         "location": {"start": {"line": line, "column": 4}}}
        for line in (3, 4)
    ]  # fmt: skip
    got = [(f.line, f.severity) for f in to_findings("layout.html.erb", offenses, text)]
    assert got == [(3, "info"), (4, "warning")]


def test_html_safe_of_numbers_constants_and_helper_markup(tmp_path: Path):
    """`"#{icon name} #{Date::MONTHNAMES[stat.month]} #{stat.year}".html_safe`: an icon helper's markup, a
    constant's month name and the integer year carry no user-written text (not a warning). A record's text
    attribute in the same string stays a warning."""
    app = write_app(
        tmp_path,
        {
            "app/views/stats/_stat.html.erb": (
                '<%= "#{icon "calendar"} #{Date::MONTHNAMES[stat.month]} #{stat.year}".html_safe %>\n'
                '<%= "#{icon "calendar"} #{stat.title}".html_safe %>\n'
            ),
        },
    )
    assert findings_of(app, "security/html-safe", loud=True) == [("_stat.html.erb", 2, "warning")]


def test_herb_js_attribute_with_an_id_and_an_empty_heading_a_controller_fills():
    """Herb's unsafe-js-attribute on `onclick="dialog_<%= user.id %>.showModal()"` (an integer id) and its
    empty-heading on an `<h4>` that is a Stimulus target (filled by the controller): info. JSON printed raw into a
    double-quoted onload attribute, and an empty heading nothing fills, stay warnings."""
    text = (
        '<button onclick="dialog_<%= user.id %>.showModal()">Delete</button>\n'
        '<script src="x.js" onload="start(<%= ENV["MODE"].to_json.html_safe %>)"></script>\n'
        '<h4 class="title" data-map-target="infoTitle"></h4>\n'
        '<h4 class="title"></h4>\n'
    )

    def offense(line: int, code: str) -> dict:
        return {"code": code, "message": "m", "location": {"start": {"line": line, "column": 0}}}

    offenses = [offense(1, "erb-no-unsafe-js-attribute"), offense(2, "erb-no-unsafe-js-attribute")]
    offenses += [offense(3, "html-no-empty-headings"), offense(4, "html-no-empty-headings")]
    got = [(f.line, f.severity) for f in to_findings("users.html.erb", offenses, text)]
    assert got == [(1, "info"), (2, "warning"), (3, "info"), (4, "warning")]


def test_herb_script_interpolation_of_helper_and_class_values():
    """Herb's unsafe-script-interpolation on values no request or record reaches (`Subscription.price(:annual)`, an
    argument-less helper, `to_json` of a record's attribute): info, as our taint contract has it. A record's
    attribute printed raw into the script, or a request parameter, stays a warning."""
    text = (
        "<script>\n"
        '  var price = "<%= Subscription.price(:annual) %>";\n'
        "  Paddle.Environment.set('<%= paddle_environment %>');\n"
        "  var name = <%= current_user.name.to_json %>;\n"
        '  var title = "<%= @post.title %>";\n'
        '  var q = "<%= params[:q] %>";\n'
        "</script>\n"
    )
    offenses = [
        {"code": "erb-no-unsafe-script-interpolation", "message": "m", "location": {"start": {"line": n, "column": 2}}}
        for n in (2, 3, 4, 5, 6)
    ]
    got = [(f.line, f.severity) for f in to_findings("page.html.erb", offenses, text)]
    assert got == [(2, "info"), (3, "info"), (4, "info"), (5, "warning"), (6, "warning")]


def test_fields_of_the_default_form_builder_that_labels_them(tmp_path: Path):
    """`default_form_builder AppFormBuilder` in ApplicationController: every `form_with` in the app uses that
    builder, whose `text_field` renders the field's label. Its `text_area` does not, and an admin controller with
    Rails' own builder as its default leaves its views' fields unlabelled: those stay warnings."""
    app = write_app(
        tmp_path,
        {
            "app/controllers/application_controller.rb": (
                "class ApplicationController < ActionController::Base\n  default_form_builder AppFormBuilder\nend\n"
            ),
            "app/controllers/admin/posts_controller.rb": (
                "class Admin::PostsController < ApplicationController\n"
                "  default_form_builder ActionView::Helpers::FormBuilder\n  def edit; end\nend\n"
            ),
            "app/form_builders/app_form_builder.rb": (
                "class AppFormBuilder < ActionView::Helpers::FormBuilder\n"
                "  def text_field(method, **options)\n    label(method) + super\n  end\nend\n"
            ),
            "app/views/posts/_form.html.erb": (
                "<%= form_with model: @post do |f| %>\n  <%= f.text_field :title %>\n  <%= f.text_area :body %>\n"
                "<% end %>\n"
            ),
            "app/views/admin/posts/edit.html.erb": (
                "<%= form_with model: @post do |f| %>\n  <%= f.text_field :title %>\n<% end %>\n"
            ),
        },
    )
    assert findings_of(app, "a11y/input-label", loud=True) == [
        ("_form.html.erb", 3, "warning"),
        ("edit.html.erb", 2, "warning"),
    ]


def test_frame_response_inside_a_lazy_frame_of_another_frame_response(tmp_path: Path):
    """A partial rendered in the response for a lazy frame (`info-*`, its id set through a local) that sits in the
    response for another frame (`feed-frame`), whose requester is inside the map controller's element: two frames
    down, the action is inside the controller. A frame response that no page requests stays a warning."""
    ctrl = STIMULUS_CONTROLLER % "  replay() {}\n"
    app = write_app(
        tmp_path,
        {
            "app/javascript/controllers/map_controller.js": ctrl,
            "app/views/maps/index.html.erb": '<div data-controller="map"><%= render "maps/panel" %></div>\n',
            "app/views/maps/_panel.html.erb": '<turbo-frame id="feed-frame" src="/feed"></turbo-frame>\n',
            "app/views/feeds/index.html.erb": (
                '<turbo-frame id="feed-frame"><%= render "feeds/entry", entry: @entry %></turbo-frame>\n'
            ),
            "app/views/feeds/_entry.html.erb": (
                '<% frame_id = "info-#{entry.id}" %>\n'
                '<turbo-frame id="<%= frame_id %>" src="/info" loading="lazy"></turbo-frame>\n'
            ),
            "app/views/infos/show.html.erb": (
                '<turbo-frame id="info-<%= @entry.id %>"><%= render "infos/details" %></turbo-frame>\n'
            ),
            "app/views/infos/_details.html.erb": '<button data-action="map#replay">Replay</button>\n',
            "app/views/others/show.html.erb": (
                '<turbo-frame id="other-<%= @x.id %>"><%= render "others/stray" %></turbo-frame>\n'
            ),
            "app/views/others/_stray.html.erb": '<button data-action="map#replay">Replay</button>\n',
        },
    )
    assert findings_of(app, "stimulus/outside-controller", loud=True) == [("_stray.html.erb", 1, "warning")]


def test_app_root_of_namespaced_views_and_of_a_project_named_app(tmp_path: Path):
    """app/views/app/… belongs to the app above app/ (not to app/views), and a project folder that is itself named
    `app` (no Gemfile, its own app/ inside) is still a root."""
    from hotwire_assist.core.appindex import find_app_root
    from hotwire_assist.core.appindex.index import _root_of_dir

    _root_of_dir.cache_clear()
    namespaced = write_app(tmp_path / "shop", {"app/views/app/posts/index.html.erb": "<p></p>\n"})
    assert find_app_root(namespaced / "app/views/app/posts/index.html.erb") == namespaced.resolve()
    bare = tmp_path / "elsewhere" / "app"
    (bare / "app/views/posts").mkdir(parents=True)
    (bare / "app/views/posts/index.html.erb").write_text("<p></p>\n")
    assert find_app_root(bare / "app/views/posts/index.html.erb") == bare.resolve()


def test_permit_bang_followed_by_a_permit_list(tmp_path: Path):
    """`params.fetch(:post, {}).permit!.permit(*allowed)`: the chained permit keeps only the listed keys, so no
    mass assignment (held-out-17, madmin). `permit!` used as the last word stays an error."""
    app = write_app(
        tmp_path,
        {
            "app/controllers/application_controller.rb": SIGNED_IN_BASE,
            "app/controllers/posts_controller.rb": (
                "class PostsController < ApplicationController\n  def create\n"
                "    Post.create(params.fetch(:post, {}).permit!.permit(*Post::FIELDS))\n"
                "    Note.create(params.fetch(:note, {}).permit!)\n  end\nend\n"
            ),
        },
    )
    assert findings_of(app, "security/permit-bang", loud=True) == [("posts_controller.rb", 4, "error")]


def test_backdrop_of_a_controller_that_listens_for_keys_on_the_page(tmp_path: Path):
    """A menu overlay with `click->mobile-nav#close` whose controller adds its own document keydown listener
    (Escape closes the menu): the keyboard path exists, info. A clickable div of a controller without one stays a
    warning."""
    app = write_app(
        tmp_path,
        {
            "app/javascript/controllers/mobile_nav_controller.js": STIMULUS_CONTROLLER
            % (
                '  connect() { document.addEventListener("keydown", this.onKey) }\n'
                "  close() {}\n  onKey = (e) => { if (e.key === 'Escape') this.close() }\n"
            ),
            "app/javascript/controllers/card_controller.js": STIMULUS_CONTROLLER % "  open() {}\n",
            "app/views/layouts/application.html.erb": (
                '<body data-controller="mobile-nav card">\n<%= yield %>\n'
                '<div class="overlay" data-action="click->mobile-nav#close"></div>\n'
                '<div class="card" data-action="click->card#open">Open</div>\n</body>\n'
            ),
        },
    )
    assert findings_of(app, "a11y/click-handler") == [
        ("application.html.erb", 3, "info"),
        ("application.html.erb", 4, "warning"),
    ]
