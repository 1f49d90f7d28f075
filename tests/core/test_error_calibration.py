"""Error means certain: each error-level rule reports an error only where everything it needs is visible in the app.

Issue 15's contract: error = Turbo/Stimulus will misbehave, or a real vulnerability with untrusted input. Where the
outcome depends on something the checker cannot see, or the failure is a loud bug rather than a hole, the finding
is a warning. Each test holds one case that drops below error beside one that stays an error.
"""

from __future__ import annotations

from pathlib import Path

from support.small_app import findings_of, write_app

LOCK_WITH_TURBO = (
    "GEM\n  remote: https://rubygems.org/\n  specs:\n    turbo-rails (2.0.11)\n\nDEPENDENCIES\n  turbo-rails\n"
)
MODEL = "class Post < ApplicationRecord\nend\n"


def test_unpermitted_params_raise_so_only_to_unsafe_h_is_a_mass_assignment_error(tmp_path: Path):
    app = write_app(
        tmp_path,
        {
            "app/models/application_record.rb": "class ApplicationRecord < ActiveRecord::Base\nend\n",
            "app/models/post.rb": MODEL,
            "app/controllers/posts_controller.rb": (
                "class PostsController < ApplicationController\n"
                "  def create\n    Post.create(params[:post])\n  end\n\n"
                "  def update\n    Post.find(params[:id]).update(params.to_unsafe_h)\n  end\nend\n"
            ),
        },
    )
    # params[:post] is unpermitted Parameters: Active Record raises ForbiddenAttributesError (a bug, no hole)
    assert findings_of(app, "security/mass-assignment") == [
        ("posts_controller.rb", 3, "warning"),
        ("posts_controller.rb", 7, "error"),
    ]


def test_raw_params_are_a_mass_assignment_error_where_the_app_turns_the_check_off(tmp_path: Path):
    app = write_app(
        tmp_path,
        {
            "config/application.rb": (
                "module Blog\n  class Application < Rails::Application\n"
                "    config.action_controller.permit_all_parameters = true\n  end\nend\n"
            ),
            "app/models/post.rb": MODEL,
            "app/controllers/posts_controller.rb": (
                "class PostsController < ApplicationController\n"
                "  def create\n    Post.create(params[:post])\n  end\nend\n"
            ),
        },
    )
    assert findings_of(app, "security/mass-assignment") == [("posts_controller.rb", 3, "error")]


def test_form_without_token_is_an_error_only_where_turbo_does_not_send_the_header(tmp_path: Path):
    app = write_app(
        tmp_path,
        {
            "Gemfile.lock": LOCK_WITH_TURBO,
            "app/views/posts/index.html.erb": (
                '<form method="post" action="/posts"><button>Go</button></form>\n'
                '<form method="post" action="/posts" data-turbo="false"><button>Go</button></form>\n'
            ),
        },
    )
    assert findings_of(app, "security/form-token") == [
        ("index.html.erb", 1, "warning"),
        ("index.html.erb", 2, "error"),
    ]


def test_form_without_token_in_an_app_without_turbo_stays_an_error(tmp_path: Path):
    app = write_app(
        tmp_path, {"app/views/posts/index.html.erb": '<form method="post" action="/p"><button>Go</button></form>\n'}
    )
    assert findings_of(app, "security/form-token") == [("index.html.erb", 1, "error")]


STREAMS = (
    '<turbo-stream action="highlight" target="post_1"><template>x</template></turbo-stream>\n'
    '<%= turbo_stream.action :highlight, "post_1" %>\n'
)


def test_unknown_stream_action_is_a_warning_when_the_app_loads_a_stream_add_on(tmp_path: Path):
    app = write_app(
        tmp_path,
        {
            "package.json": '{"dependencies": {"@hotwired/turbo-rails": "^8.0.0", "turbo-stream-extras": "1.0.0"}}\n',
            "app/views/posts/update.turbo_stream.erb": STREAMS,
        },
    )
    assert findings_of(app, "turbo/unknown-stream-action") == [
        ("update.turbo_stream.erb", 1, "warning"),
        ("update.turbo_stream.erb", 2, "warning"),
    ]


def test_unknown_stream_action_stays_an_error_when_every_source_of_actions_is_read(tmp_path: Path):
    app = write_app(
        tmp_path,
        {
            "config/importmap.rb": 'pin "@hotwired/turbo-rails", to: "turbo.min.js"\npin "@hotwired/stimulus"\n',
            "app/javascript/application.js": 'import "@hotwired/turbo-rails"\n',
            "app/views/posts/update.turbo_stream.erb": STREAMS,
        },
    )
    assert findings_of(app, "turbo/unknown-stream-action") == [
        ("update.turbo_stream.erb", 1, "error"),
        ("update.turbo_stream.erb", 2, "error"),
    ]


def test_csrf_skip_is_an_error_only_where_a_signed_in_identity_is_visible(tmp_path: Path):
    app = write_app(
        tmp_path,
        {
            "config/routes.rb": (
                "Rails.application.routes.draw do\n  resources :imports, only: :create\n"
                "  resource :profile, only: :update\nend\n"
            ),
            "app/controllers/application_controller.rb": "class ApplicationController < ActionController::Base\nend\n",
            # the parent comes from a gem the checker cannot read, and the action reads no identity
            "app/controllers/imports_controller.rb": (
                "class ImportsController < Vendor::BaseController\n  skip_forgery_protection only: :create\n\n"
                "  def create\n    Import.create!(payload: request.raw_post)\n    head :ok\n  end\nend\n"
            ),
            "app/controllers/profiles_controller.rb": (
                "class ProfilesController < ApplicationController\n  before_action :authenticate_user!\n"
                "  skip_forgery_protection only: :update\n\n"
                "  def update\n    current_user.update!(name: params.expect(:name))\n    head :ok\n  end\nend\n"
            ),
        },
    )
    assert findings_of(app, "security/csrf-skip") == [
        ("imports_controller.rb", 2, "warning"),
        ("profiles_controller.rb", 3, "error"),
    ]


def test_a_bare_word_data_action_is_no_error_and_is_a_scripts_setting_where_a_script_reads_it(tmp_path: Path):
    view = (
        '<div data-controller="editor">\n'
        '  <button data-action="bold">B</button>\n'  # one bare word: Stimulus logs it and binds nothing
        '  <button data-action="click->editor#save,">Save</button>\n'  # shaped like a descriptor: broken
        "</div>\n"
    )
    controller = (
        "import { Controller } from '@hotwired/stimulus'\nexport default class extends Controller {\n  save() {}\n}\n"
    )
    files = {"app/views/posts/edit.html.erb": view, "app/javascript/controllers/editor_controller.js": controller}
    plain = write_app(tmp_path / "plain", files)
    assert findings_of(plain, "stimulus/malformed-action") == [
        ("edit.html.erb", 2, "warning"),
        ("edit.html.erb", 3, "error"),
    ]
    toolbar = controller.replace("save() {}", "save() {}\n  run(event) { this.exec(event.target.dataset.action) }")
    reads = write_app(tmp_path / "reads", {**files, "app/javascript/controllers/editor_controller.js": toolbar})
    assert findings_of(reads, "stimulus/malformed-action") == [
        ("edit.html.erb", 2, "info"),
        ("edit.html.erb", 3, "error"),
    ]
