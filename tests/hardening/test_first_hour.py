"""A newcomer's first commands: version, help texts, doctor, config typos, install advice that works."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hotwire_assist.cli.main import app
from hotwire_assist.core import __version__
from hotwire_assist.core.config import ConfigError, load_config

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()


def test_version_prints_the_installed_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"hotwire-assist {__version__}"
    assert __version__ == _pyproject_version()


def _pyproject_version() -> str:
    import tomllib

    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["train", "run", "--help"], ["[train]", "[[curriculum]]"]),
        (
            ["model", "promote", "--help"],
            ["--candidate-run", "--margin", "--candidate-run runs/eval-cand --current-run"],
        ),
        (["doctor", "--help"], ["--workspace", "--format"]),
    ],
)
def test_help_keeps_bracketed_words_and_whole_option_names_on_a_narrow_terminal(args, words):
    result = runner.invoke(app, args, env={"COLUMNS": "60", "TERMINAL_WIDTH": "60"})
    assert result.exit_code == 0, result.output
    for word in words:
        assert word in result.output, (word, result.output)


def test_doctor_names_the_workspace_file_it_loaded_and_gives_no_fix_on_passing_checks(tmp_path, isolated_user):
    (tmp_path / ".hotwire-assist.toml").write_text('[model]\nbackend = "openai"\nurl = "http://127.0.0.1:9"\n')
    result = runner.invoke(app, ["doctor", "--workspace", str(tmp_path), "--format", "json"])
    report = json.loads(result.stdout)
    config = next(c for c in report["checks"] if c["name"] == "config")
    assert str(tmp_path / ".hotwire-assist.toml") in config["detail"]
    assert str(isolated_user / "config.toml") not in config["detail"]  # it does not exist: not named as loaded
    assert all("fix" not in c for c in report["checks"] if c["ok"]), report
    backend = next(c for c in report["checks"] if c["name"] == "backend")
    assert not backend["ok"]  # nothing listens on port 9
    (isolated_user / "config.toml").write_text("[completion]\ndebounce_ms = 80\n")
    result = runner.invoke(app, ["doctor", "--workspace", str(tmp_path), "--format", "json"])
    detail = next(c for c in json.loads(result.stdout)["checks"] if c["name"] == "config")["detail"]
    assert str(isolated_user / "config.toml") in detail and str(tmp_path / ".hotwire-assist.toml") in detail


@pytest.mark.parametrize(
    ("toml", "hint"),
    [
        ("[model]\nbackedn = 'x'\n", "did you mean 'model.backend'?"),
        ("[completoin]\nenabled = true\n", "did you mean 'completion'?"),
        ("[completion]\ndebounce = 5\n", "did you mean 'completion.debounce_ms'?"),
    ],
)
def test_a_misspelt_config_key_gets_did_you_mean(tmp_path, toml, hint):
    (tmp_path / ".hotwire-assist.toml").write_text(toml)
    with pytest.raises(ConfigError, match="unknown setting") as e:
        load_config(tmp_path)
    assert hint in str(e.value)


def test_a_key_with_no_near_name_gets_no_guess(tmp_path):
    (tmp_path / ".hotwire-assist.toml").write_text("[model]\nzzzzzz = 1\n")
    with pytest.raises(ConfigError) as e:
        load_config(tmp_path)
    assert "did you mean" not in str(e.value)


def test_a_misspelt_environment_setting_gets_did_you_mean(tmp_path):
    with pytest.raises(ConfigError, match=r"did you mean 'model\.timeout_s'"):
        load_config(tmp_path, environ={"HOTWIRE_ASSIST_MODEL_TIMEOUT": "5"})


def test_a_missing_extra_names_a_command_that_works_from_a_clone(monkeypatch):
    """`model build-default` imports torch (the [train] extra); without it the message says how to get it."""
    monkeypatch.setitem(sys.modules, "hotwire_assist.training.tiny_model", None)  # import fails as without torch
    result = runner.invoke(app, ["model", "build-default", "--recipe", "tiny"])
    assert result.exit_code == 2
    said = " ".join(result.output.split())
    assert "[train]" in said and "scripts/install" in said and ".venv/bin/pip install '.[train]'" in said
    assert "pip install hotwire-assist" not in said  # no package index has it


def test_no_message_anywhere_tells_users_to_pip_install_from_an_index():
    """Editor READMEs, plugin messages, :checkhealth, the CLI: every install advice works from a clone."""
    places = [REPO / "README.md", *REPO.glob("editors/*/README.md"), *REPO.glob("editors/neovim/**/*.lua")]
    places += [*REPO.glob("editors/neovim/doc/*.txt"), *REPO.glob("editors/vscode/src/*.ts"), *REPO.glob("cli/*.py")]
    places += [*REPO.glob("server/**/*.py"), *REPO.glob("backends/**/*.py")]
    offenders = [
        str(p.relative_to(REPO))
        for p in places
        if "pip install hotwire-assist" in p.read_text() or "hotwire-assist[" in p.read_text()
    ]
    assert len(places) > 10 and offenders == []


def test_data_report_says_what_it_is_doing_before_the_slow_part(tmp_path):
    data = tmp_path / "d.jsonl"
    data.write_text("")
    result = runner.invoke(app, ["data", "report", str(data), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert "data report: 1 file(s), finding near-duplicates" in result.stderr
    assert json.loads(result.stdout)["total"] == 0


def test_quickstart_handles_the_servers_notifications(tmp_path, monkeypatch, caplog):
    """The quickstart's client takes the diagnostics and messages the server sends (it printed "Ignoring
    notification for unknown method 'textDocument/publishDiagnostics'" once per file) and shows the counts."""
    import asyncio
    import io
    import logging
    import shutil

    from hardening.fake_model import FakeModelServer
    from rich.console import Console

    from hotwire_assist.cli.quickstart import _ask, cut_holes, run_quickstart

    app_dir = tmp_path / "todo_app"
    shutil.copytree(REPO / "examples" / "todo_app", app_dir)
    model = FakeModelServer(reply="ZZZ")
    try:
        monkeypatch.setenv("HOTWIRE_ASSIST_MODEL_BACKEND", "openai")
        monkeypatch.setenv("HOTWIRE_ASSIST_MODEL_URL", model.url)
        monkeypatch.setenv("HOTWIRE_ASSIST_COMPLETION_DEBOUNCE_MS", "0")
        positions = json.loads((app_dir / "quickstart.json").read_text())
        with caplog.at_level(logging.WARNING):
            copy, holes = cut_holes(app_dir, positions, tmp_path / "cut")
            rows = asyncio.run(_ask(copy, holes))
            console = Console(file=io.StringIO(), width=200)
            assert run_quickstart(app_dir, console) == 0
    finally:
        model.stop()
    answers = [r for r in rows if "path" in r]
    assert len(answers) == len(positions)  # the index and the app's lines answer first; the model may not be asked
    assert all(isinstance(r["diagnostics"], int) for r in answers), answers  # each file's diagnostics were taken
    assert "findings" in console.file.getvalue()
    assert not [r for r in caplog.records if "Ignoring notification" in r.getMessage()], caplog.text


def test_doctor_text_keeps_bracketed_extras_and_names_the_install_command(monkeypatch, tmp_path):
    """Without llama-cpp-python the embedded backend fails; the fix names a command that works, and the text
    output keeps `[llama]` (rich markup used to eat it)."""
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF")  # present: the check gets as far as importing llama_cpp
    monkeypatch.setenv("HOTWIRE_ASSIST_MODEL_PATH", str(gguf))
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # import fails as without the [llama] extra
    result = runner.invoke(app, ["doctor", "--workspace", str(tmp_path)], env={"COLUMNS": "200"})
    said = " ".join(result.output.split())
    assert result.exit_code == 1, said
    assert "[llama]" in said and "scripts/install" in said, said
