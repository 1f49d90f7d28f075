"""`telemetry enable --level code`: one command turns on the level training needs."""

from __future__ import annotations

import tomllib

from typer.testing import CliRunner

from hotwire_assist.cli.telemetry import telemetry_app
from hotwire_assist.core.config import load_config, user_config_path


def test_enable_sets_the_level_and_keeps_the_rest_of_the_file(tmp_path):
    user_config_path().parent.mkdir(parents=True, exist_ok=True)
    user_config_path().write_text('# mine\n[model]\nname = "x"\n\n[telemetry]\nenabled = false # off for now\n')
    result = CliRunner().invoke(telemetry_app, ["enable", "--level", "code"])
    assert result.exit_code == 0, result.output
    text = user_config_path().read_text()
    assert text.startswith("# mine\n") and tomllib.loads(text)["model"] == {"name": "x"}
    cfg = load_config(tmp_path).telemetry
    assert cfg.enabled and cfg.level == "code"
    assert CliRunner().invoke(telemetry_app, ["enable"]).exit_code == 0  # no --level: the level is kept
    assert load_config(tmp_path).telemetry.level == "code"
    bad = CliRunner().invoke(telemetry_app, ["enable", "--level", "everything"])
    assert bad.exit_code == 2 and load_config(tmp_path).telemetry.level == "code"
