"""The app index: Stimulus controllers, frames, stream targets, partials, versions, live updates."""

from __future__ import annotations

from pathlib import Path

from hotwire_assist.core.appindex import ids_overlap, index_app, stimulus_identifier

ROOT = Path(__file__).resolve().parents[2]
CLEAN = ROOT / "tests" / "fixtures" / "clean_app"


def test_stimulus_identifiers():
    assert stimulus_identifier("app/javascript/controllers/admin/users_controller.js") == "admin--users"
    assert stimulus_identifier("app/javascript/controllers/todo_form_controller.ts") == "todo-form"
    assert stimulus_identifier("app/javascript/controllers/date-picker-controller.js") == "date-picker"
    assert stimulus_identifier("app/javascript/application.js") is None


def test_index_of_clean_app():
    data = index_app(CLEAN).to_json()
    assert data["versions"]["turbo-rails"] == "2.0.11" and data["versions"]["rails"] == "7.2.1"
    ctrls = {c["identifier"]: c for c in data["stimulus_controllers"]}
    assert set(ctrls) == {"hotkeys", "dismissable", "autosize", "reset-form"}
    assert ctrls["hotkeys"]["targets"] == ["search"] and "focusSearch" in ctrls["hotkeys"]["actions"]
    assert ctrls["dismissable"]["values"] == {"after": "Number"}
    assert ctrls["hotkeys"]["path"] == "app/javascript/controllers/hotkeys_controller.js"
    frames = {f["id"] for f in data["frames"]}
    assert {"details_ticket_*", "activity_ticket_*", "new_comment", "search_results"} <= frames
    targets = {t["id"] for t in data["stream_targets"]}
    assert {"comments", "new_comment", "flash", "comment_*", "notification_*", "details_ticket_*"} <= targets
    assert data["partials"]["tickets/form"] == "app/views/tickets/_form.html.erb"
    models = {m["name"]: m for m in data["models"]}
    assert models["Ticket"]["broadcasts"] == ["broadcasts_refreshes"]
    assert "broadcasts_to" in models["Notification"]["broadcasts"]
    ctl = {c["name"]: c for c in data["controllers"]}
    assert ctl["CommentsController"]["actions"]["create"] == ["html", "turbo_stream"]


def test_namespaced_controller_and_update_file(tmp_path: Path):
    ctrl = tmp_path / "app" / "javascript" / "controllers" / "admin" / "users_controller.js"
    ctrl.parent.mkdir(parents=True)
    ctrl.write_text('import { Controller } from "@hotwired/stimulus"\nexport default class extends Controller {\n'
                    '  static targets = ["row"]\n  static outlets = ["admin--filter"]\n  static classes = ["active"]\n'
                    '  select() {}\n}\n')  # fmt: skip
    index = index_app(tmp_path)
    c = index.stimulus_controllers["admin--users"]
    assert (c.targets, c.outlets, c.classes, c.actions) == (["row"], ["admin--filter"], ["active"], ["select"])
    view = tmp_path / "app" / "views" / "users" / "index.html.erb"
    view.parent.mkdir(parents=True)
    view.write_text('<%= turbo_frame_tag "users_list" %>\n<div id="user_<%= @user.id %>"></div>\n')
    index.update_file(view)
    assert [f.id for f in index.frames] == ["users_list"]
    assert {d.id for d in index.ids} == {"users_list", "user_*"}
    ctrl.unlink()
    index.update_file(ctrl)
    assert "admin--users" not in index.stimulus_controllers


def test_id_globs_overlap():
    assert ids_overlap("todo_*", "todo_*")
    assert ids_overlap("todo_*", "todo_12")
    assert not ids_overlap("stats_list_*", "list_*")
    assert ids_overlap("*", "anything")
    assert not ids_overlap("comments", "comment_list")


def test_rails_app_root_is_the_folder_above_the_rails_app_dir():
    from hotwire_assist.core.appindex import rails_app_root

    assert rails_app_root(Path("/src/shop/app/views/todos/_todo.html.erb")) == Path("/src/shop")
    assert rails_app_root(Path("/src/app/app/models/todo.rb")) == Path("/src/app")  # an app folder named app
    assert rails_app_root(Path("app/javascript/controllers/x_controller.js")) == Path(".")
    assert rails_app_root(Path("/src/shop/lib/app/tasks.rb")) is None


def test_db_files_are_not_indexed_and_queries_follow_every_change(tmp_path: Path):
    """Migrations hold no Hotwire fact (hcb has 1,070 of them); a cached query is rebuilt after a change."""
    (tmp_path / "db" / "migrate").mkdir(parents=True)
    (tmp_path / "db" / "migrate" / "001_create_items.rb").write_text(
        "class CreateItems < ActiveRecord::Migration[7.1]\nend\n"
    )
    views = tmp_path / "app" / "views" / "items"
    views.mkdir(parents=True)
    (views / "index.html.erb").write_text('<div data-controller="list"></div>\n')
    index = index_app(tmp_path)
    assert [Path(p).relative_to(tmp_path).as_posix() for p in index.files] == ["app/views/items/index.html.erb"]
    assert len(index.views) == 1 and index.partials == {}
    index.update_file(views / "_item.html.erb", "<li><%= item.name %></li>\n")
    assert len(index.views) == 2 and index.partials == {"items/item": str(views / "_item.html.erb")}
    index.update_file(views / "_item.html.erb", None)  # gone from disk: dropped
    assert len(index.views) == 1 and index.partials == {}
