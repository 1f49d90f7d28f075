"""A default, rotated log file, and a bug-report bundle that carries no secret and no private path."""

from __future__ import annotations

import json
import logging
import subprocess
import zipfile
from pathlib import Path

from conftest import hotwire_assist_exe
from hardening.conftest import base_env, start_server

from hotwire_assist.cli.bugreport import LOG_BACKUPS, log_handlers

SECRET_PASSWORD = "Tr0ub4dor-and-3-horses"
SECRET_URL_PASSWORD = "hunter2hunter2"


def test_serve_logs_to_a_default_file_without_the_users_code(tmp_path):
    env = base_env(tmp_path, model_path=str(tmp_path / "missing.gguf"))
    lsp = start_server(env, None)
    uri = (tmp_path / "a.rb").as_uri()
    lsp.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "ruby", "version": 1, "text": "PRIVATE_CODE_42 = 1\n"}},
    )
    lsp.request("s", "hotwire-assist/status", None)
    lsp.__exit__()
    log = (tmp_path / "data" / "logs" / "server.log").read_text()
    assert " INFO hotwire_assist: hotwire-assist " in log and "starting" in log
    assert "PRIVATE_CODE_42" not in log, "message bodies are logged only with --trace"


def test_the_log_file_rotates(tmp_path):
    path = tmp_path / "logs" / "server.log"
    handler = log_handlers(path)[-1]
    logger = logging.getLogger("hotwire-rotation-test")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        for i in range(10_000):  # 4.7 MB
            logger.warning("line %d %s", i, "x" * 400)
    finally:
        logger.removeHandler(handler)
        handler.close()
    rotated = sorted(p.name for p in path.parent.iterdir())
    assert rotated == ["server.log", *(f"server.log.{i}" for i in range(1, LOG_BACKUPS + 1))]
    assert all(p.stat().st_size <= 1_100_000 for p in path.parent.iterdir())


def test_bug_report_redacts_secrets_planted_in_config_and_log(tmp_path):
    env = base_env(tmp_path)
    Path(env["HOTWIRE_ASSIST_CONFIG"]).write_text(
        f'[model]\nbackend = "openai"\nurl = "http://alice:{SECRET_URL_PASSWORD}@gpu-box:8000"\n'
    )
    log = tmp_path / "data" / "logs" / "server.log"
    log.parent.mkdir(parents=True)
    log.write_text(
        "2026-01-01 10:00:00,000 INFO x: started\n"
        f'2026-01-01 10:00:01,000 WARNING x: config password = "{SECRET_PASSWORD}" in {Path.home()}/app\n'
    )
    out = tmp_path / "report.zip"
    run = subprocess.run(
        [hotwire_assist_exe(), "bug-report", "--out", str(out), "--workspace", str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    with zipfile.ZipFile(out) as z:
        texts = {name: z.read(name).decode() for name in z.namelist()}
    assert {"versions.json", "config.json", "server.log"} <= set(texts)
    bundle = "\n".join(texts.values())
    assert SECRET_PASSWORD not in bundle and SECRET_URL_PASSWORD not in bundle
    assert str(Path.home()) + "/" not in bundle
    assert "started" in texts["server.log"]
    assert json.loads(texts["config.json"])["model"]["backend"] == "openai"
    assert json.loads(texts["versions.json"])["pygls"] != "not installed"


def test_bug_report_with_a_broken_config_still_writes_and_names_the_error(tmp_path):
    env = base_env(tmp_path)
    Path(env["HOTWIRE_ASSIST_CONFIG"]).write_text("[model\nbroken")
    out = tmp_path / "r.zip"
    run = subprocess.run(
        [hotwire_assist_exe(), "bug-report", "--out", str(out)], env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    with zipfile.ZipFile(out) as z:
        assert "not valid TOML" in json.loads(z.read("config.json"))["error"]
