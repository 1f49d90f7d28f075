"""Every fact the app index gives the server, on small fixture apps (importmap + TypeScript, esbuild)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hotwire_assist.cli.main import app as cli
from hotwire_assist.core.appindex import index_app

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
INTEL = FIXTURES / "intel_app"
ESBUILD = FIXTURES / "esbuild_app"


@pytest.fixture(scope="module")
def data() -> dict:
    return index_app(INTEL).to_json()


def test_stimulus_controllers_in_js_and_ts_with_namespaces(data):
    ctrls = {c["identifier"]: c for c in data["stimulus_controllers"]}
    assert set(ctrls) == {"admin--users", "clipboard", "task-form"}
    ts = ctrls["task-form"]
    assert ts["path"] == "app/javascript/controllers/task_form_controller.ts"
    assert ts["targets"] == ["title", "submit"]
    assert ts["values"] == {"maxLength": "Number", "endpoint": "String"}
    assert (ts["classes"], ts["outlets"]) == (["invalid"], ["clipboard"])
    # typed signatures, async methods and arrow-function properties are actions; `declare` fields are not
    assert ts["actions"] == ["connect", "reset", "submitEnd", "validate"]
    assert ctrls["admin--users"]["path"] == "app/javascript/controllers/admin/users_controller.js"
    assert ctrls["admin--users"]["actions"] == ["select"]


def test_esbuild_layout_controllers_and_registrations():
    index = index_app(ESBUILD)
    assert set(index.stimulus_controllers) == {"chart"}
    assert index.stimulus_controllers["chart"].values == {"series": "Array"}
    assert index.known_controller_ids == {"chart", "legacy-widget"}  # registered in controllers/index.js


def test_frames_ids_and_stream_targets(data):
    frames = {(f["id"], f["file"]) for f in data["frames"]}
    assert frames == {
        ("projects_list", "app/views/projects/index.html.erb"),
        ("project_header", "app/views/projects/show.html.erb"),
        ("new_task_frame", "app/views/projects/show.html.erb"),
        ("task_*", "app/views/tasks/_task.html.erb"),  # turbo_frame_tag dom_id(task)
    }
    targets = {(t["id"], t["file"]) for t in data["stream_targets"]}
    assert targets == {
        ("project_tasks", "app/views/tasks/create.turbo_stream.erb"),
        ("new_task_frame", "app/views/tasks/create.turbo_stream.erb"),
        ("project_tasks", "app/models/task.rb"),  # broadcast_append_later_to ..., target:
    }
    ids = [(i["id"], i["line"]) for i in data["ids"] if i["file"] == "app/views/projects/show.html.erb"]
    assert sorted(ids) == [("new_task_frame", 8), ("project_header", 2), ("project_tasks", 5)]  # no duplicates
    assert {"user_*", "flash"} <= {i["id"] for i in data["ids"]}


def test_partials_models_controllers_and_formats(data):
    assert data["partials"] == {
        "tasks/form": "app/views/tasks/_form.html.erb",
        "tasks/task": "app/views/tasks/_task.html.erb",
    }
    models = {m["name"]: m["broadcasts"] for m in data["models"]}
    assert models["Task"] == ["broadcast_append_later_to", "broadcasts_refreshes"] and models["Project"] == []
    ctl = {c["name"]: c for c in data["controllers"]}
    assert ctl["TasksController"]["actions"] == {"create": ["html", "turbo_stream"], "complete": []}
    assert ctl["TasksController"]["action_lines"] == {"create": 4, "complete": 16}
    assert ctl["Admin::UsersController"]["actions"] == {"index": ["html", "json"]}
    assert data["versions"] == {
        "actionview": "7.1.3",
        "importmap-rails": "2.0.1",
        "rails": "7.1.3",
        "stimulus-rails": "1.3.3",
        "turbo-rails": "2.0.5",
    }


def test_routes(data):
    routes = {(r["verb"], r["path"]): r["action"] for r in data["routes"]}
    assert routes[("GET", "/admin/users")] == "admin/users#index"
    assert ("POST", "/admin/users") not in routes  # only: [:index]
    assert routes[("DELETE", "/projects/:id")] == "projects#destroy"
    assert routes[("POST", "/projects/:project_id/tasks")] == "tasks#create"
    assert ("GET", "/projects/:project_id/tasks/:id") not in routes  # except: show
    assert routes[("PATCH", "/projects/:project_id/tasks/:id/complete")] == "tasks#complete"
    assert routes[("GET", "/projects/archived")] == "projects#archived"
    assert routes[("GET", "/profile")] == "profiles#show" and ("PATCH", "/profile") not in routes
    assert routes[("GET", "/about")] == "pages#about" and routes[("GET", "/")] == "projects#index"


def test_update_file_keeps_every_fact_live(tmp_path: Path):
    index = index_app(INTEL)
    view = INTEL / "app/views/projects/index.html.erb"
    index.update_file(view, '<%= turbo_frame_tag "sidebar" %>\n<div id="counter"></div>\n')
    assert "projects_list" not in {f.id for f in index.frames} and "sidebar" in {f.id for f in index.frames}
    assert "counter" in {i.id for i in index.ids}
    routes = INTEL / "config/routes.rb"
    index.update_file(routes, "Rails.application.routes.draw do\n  resources :reports, only: :index\nend\n")
    assert [(r["verb"], r["path"]) for r in index.routes] == [("GET", "/reports")]


def test_index_cli_json_shape():
    result = CliRunner().invoke(cli, ["index", str(INTEL), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"stimulus_controllers", "frames", "stream_targets", "partials", "versions", "routes"} <= set(data)
    assert {"identifier", "path", "targets", "values", "actions"} <= set(data["stimulus_controllers"][0])
