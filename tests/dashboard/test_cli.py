"""The command refuses what it cannot serve with one clear line, before it listens."""

from __future__ import annotations

import httpx
from dashboard.factories import write_runs
from typer.testing import CliRunner

from hotwire_assist.cli.main import app

runner = CliRunner()


def test_non_loopback_host_needs_allow_remote():
    result = runner.invoke(app, ["dashboard", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "not a loopback address" in result.output and "--allow-remote" in result.output


def test_missing_run_folder_is_a_message_not_a_traceback(tmp_path):
    a, _ = write_runs(tmp_path, n=1)
    result = runner.invoke(app, ["dashboard", "--runs", str(a), str(tmp_path / "missing")])
    assert result.exit_code == 2
    assert "does not exist" in result.output and "Traceback" not in result.output


def test_bad_results_line_names_file_and_line(tmp_path):
    a, b = write_runs(tmp_path, n=2)
    with (b / "results.jsonl").open("a") as f:
        f.write('{"task_id": ""}\n')
    result = runner.invoke(app, ["dashboard", "--runs", str(a), str(b)])
    assert result.exit_code == 2
    assert "results.jsonl:3:" in " ".join(result.output.split())


def test_remote_mode_checks_a_token_on_every_request(tmp_path, start_dashboard):
    a, b = write_runs(tmp_path, n=2)
    d = start_dashboard("--runs", a, b, "--allow-remote")
    assert "?token=" in d.url
    token = d.url.split("token=")[1]
    assert httpx.get(d.base + "/api/pairs").status_code == 403
    assert httpx.get(d.base + "/api/pairs?token=wrong").status_code == 403
    with httpx.Client() as client:
        assert client.get(d.url).status_code == 200
        assert client.get(d.base + "/api/pairs").status_code == 200  # the cookie carries the token from here on
    assert httpx.get(d.base + "/api/pairs", params={"token": token}).json()["pairs"][0]["id"] == "task-00"


def test_cross_site_posts_are_refused(tmp_path, start_dashboard):
    a, b = write_runs(tmp_path, n=1)
    d = start_dashboard("--runs", a, b)
    r = httpx.post(d.base + "/export", headers={"Origin": "http://evil.example"})
    assert r.status_code == 403
    assert not (a / "reviews.json").exists()


def test_unusable_votes_database_is_a_message(tmp_path):
    a, b = write_runs(tmp_path, n=1)
    not_a_db = tmp_path / "votes.sqlite3"
    not_a_db.write_text("this is not sqlite")
    result = runner.invoke(app, ["dashboard", "--runs", str(a), str(b), "--db", str(not_a_db)])
    assert result.exit_code == 2
    assert "cannot open the votes database" in result.output and "Traceback" not in result.output
    assert not_a_db.read_text() == "this is not sqlite"
