"""compare / gate / report on synthetic runs with a known winner and a known tie, through the CLI too."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hotwire_assist.backends import GenerationParams, make_backend
from hotwire_assist.cli.eval import eval_app
from hotwire_assist.cli.main import app
from hotwire_assist.core.config import Config, promoted_model_dir
from hotwire_assist.evaluation.gate import gate
from hotwire_assist.evaluation.results import RUN_FILE, FindingRecord, SampleResult, append_result
from hotwire_assist.evaluation.stats import compare_runs

DIMS = ("syntax", "conventions", "efficiency", "security", "accessibility")
runner = CliRunner()


def _run(tmp: Path, name: str, totals: list[float], passed: list[bool], digest: str = "d1") -> Path:
    """A run folder of one sample per task; dimension scores are the total spread evenly."""
    d = tmp / name
    for i, (t, ok) in enumerate(zip(totals, passed, strict=True)):
        findings = (
            []
            if ok
            else [
                FindingRecord(
                    path="a.erb", rule="security/raw", severity="error", dimension="security", line=1, message="raw"
                )
            ]
        )
        append_result(
            d,
            SampleResult(
                task_id=f"task-{i}",
                task_kind="generation",
                category="turbo-streams/actions",
                model=name,
                prompt=f"request {i}",
                scores=dict.fromkeys(DIMS, t / 5),
                total=t,
                findings=findings,
                passed=ok,
            ),
        )
    run = {"label": name, "tasks": {"digest": digest}, "contamination": {"ok": True}, "complete": True}
    (d / RUN_FILE).write_text(json.dumps(run))
    return d


BASE = [50.0, 60, 55, 70, 65, 40, 75, 52, 58, 61, 66, 49]


def test_compare_finds_the_known_winner(tmp_path):
    a = _run(tmp_path, "current", BASE, [False] * 12)
    b = _run(tmp_path, "candidate", [x + 10 + i % 3 for i, x in enumerate(BASE)], [True] * 12)
    c = compare_runs(a, b)
    total = c["metrics"]["total"]
    assert c["paired_tasks"] == 12
    assert total["mean_diff"] == 11.0 and total["verdict"] == "B better" and total["p"] < 0.01
    assert 10.0 <= total["ci95"][0] <= 11.0 <= total["ci95"][1] <= 12.0
    assert c["metrics"]["security"]["mean_diff"] == 2.2
    assert c["pass"]["b_only"] == 12 and c["pass"]["a_only"] == 0 and c["pass"]["p"] < 0.001
    result = gate(b, a, margin=2.0)
    assert result.passed and result.reasons == []
    reverse = gate(a, b, margin=2.0)
    assert not reverse.passed and any("below the current" in r for r in reverse.reasons)


def test_compare_and_gate_on_a_tie(tmp_path):
    a = _run(tmp_path, "current", BASE, [i % 2 == 0 for i in range(12)])
    b = _run(tmp_path, "candidate", BASE, [i % 2 == 0 for i in range(12)])
    c = compare_runs(a, b)
    assert c["metrics"]["total"]["mean_diff"] == 0.0 and c["metrics"]["total"]["p"] == 1.0
    assert c["metrics"]["total"]["verdict"] == "no significant difference"
    assert c["pass"]["p"] == 1.0
    assert gate(b, a, margin=0.0).passed


def test_gate_margin_and_run_checks(tmp_path):
    a = _run(tmp_path, "current", BASE, [True] * 12)
    slightly_worse = _run(tmp_path, "cand", [x - 1.5 for x in BASE], [True] * 12)
    assert gate(slightly_worse, a, margin=2.0).passed
    assert not gate(slightly_worse, a, margin=1.0).passed
    other_set = _run(tmp_path, "other", BASE, [True] * 12, digest="d2")
    assert any("different task sets" in r for r in gate(other_set, a).reasons)
    run = json.loads((a / RUN_FILE).read_text())
    (a / RUN_FILE).write_text(json.dumps({**run, "contamination": {"ok": False}, "complete": False}))
    reasons = gate(slightly_worse, a).reasons
    assert any("contamination" in r for r in reasons) and any("incomplete" in r for r in reasons)


def test_cli_compare_gate_and_report(tmp_path):
    a = _run(tmp_path, "current", BASE, [False] * 12)
    b = _run(tmp_path, "candidate", [x + 10 for x in BASE], [True] * 12)
    (b / "reviews.json").write_text(json.dumps({"reviews": 4, "preferred": {"candidate": 3, "current": 1}}))
    res = runner.invoke(eval_app, ["compare", str(a), str(b), "--format", "json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["metrics"]["total"]["mean_diff"] == 10.0
    ok = runner.invoke(eval_app, ["gate", "--candidate", str(b), "--current", str(a)])
    assert ok.exit_code == 0 and "gate passed" in ok.stdout
    bad = runner.invoke(eval_app, ["gate", "--candidate", str(a), "--current", str(b), "--format", "json"])
    assert bad.exit_code == 1 and json.loads(bad.stdout)["passed"] is False
    out = tmp_path / "report"
    rep = runner.invoke(eval_app, ["report", str(a), str(b), "--out", str(out)])
    assert rep.exit_code == 0, rep.output
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 2 and "security/raw" in html and "preferred" in html
    data = json.loads((out / "report.json").read_text())
    assert data["comparison"]["paired_tasks"] == 12 and data["runs"][1]["reviews"]["reviews"] == 4


def test_cli_errors_are_messages_not_tracebacks(tmp_path):
    res = runner.invoke(eval_app, ["compare", str(tmp_path / "nope"), str(tmp_path / "nope2")])
    assert res.exit_code == 2 and "results.jsonl" in res.output and "Traceback" not in res.output
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "results.jsonl").write_text('{"task_id": "x"}\n')
    res = runner.invoke(eval_app, ["report", str(bad), "--out", str(tmp_path / "r")])
    assert res.exit_code == 2 and "results.jsonl:1" in res.output
    res = runner.invoke(eval_app, ["run", "--model", "no-such-model", "--out", str(tmp_path / "run")])
    assert res.exit_code == 2 and "cannot tell which backend" in res.output


def test_cli_score_json(tmp_path):
    good = tmp_path / "create.turbo_stream.erb"
    good.write_text('<turbo-stream action="remove" target="bio"></turbo-stream>\n')
    bad = tmp_path / "_bio.html.erb"
    bad.write_text('<div id="bio"><%= raw params[:bio] %></div>\n')
    res = runner.invoke(eval_app, ["score", str(good), str(bad), "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = {Path(r["file"]).name: r for r in json.loads(res.stdout)}
    assert rows["create.turbo_stream.erb"]["total"] == 100.0
    assert rows["_bio.html.erb"]["scores"]["security"] == 10.0
    assert [f["rule"] for f in rows["_bio.html.erb"]["findings"]] == ["security/raw"]
    assert set(rows["_bio.html.erb"]) == {"file", "scores", "total", "findings"}


# --- `model promote`: the CLI composes the gate and the switch; a running backend picks it up ---------------------


@pytest.mark.slow
def test_promotion_needs_the_gate_and_a_running_backend_switches_to_it(tiny_model, tmp_path):
    current = _run(tmp_path, "current", BASE, [True] * 12)
    worse = _run(tmp_path, "worse", [x - 20 for x in BASE], [False] * 12)
    better = _run(tmp_path, "better", [x + 5 for x in BASE], [True] * 12)
    candidate = tmp_path / "candidate.gguf"
    shutil.copyfile(tiny_model / "model.gguf", candidate)
    default = tmp_path / "default.gguf"
    shutil.copyfile(tiny_model / "model.gguf", default)

    backend = make_backend(Config.model_validate({"model": {"backend": "llama_cpp"}}))
    backend._fallback = default  # the embedded default of this test's data dir
    list(backend.generate("<%= ", GenerationParams(max_tokens=2), threading.Event()))
    assert backend.path == default

    args = ["model", "promote", str(candidate), "--current-run", str(current)]
    refused = runner.invoke(app, [*args, "--candidate-run", str(worse)])
    assert refused.exit_code == 1 and "fails the evaluation gate" in refused.output
    assert not (promoted_model_dir() / "model.gguf").exists()

    result = runner.invoke(app, [*args, "--candidate-run", str(better)])
    assert result.exit_code == 0, result.output
    record = json.loads((promoted_model_dir() / "promoted.json").read_text())
    assert record["gate"]["passed"] and record["source"] == str(candidate.resolve())

    list(backend.generate("<%= ", GenerationParams(max_tokens=2), threading.Event()))
    assert backend.path == promoted_model_dir() / "model.gguf"  # switched without a restart
    backend.close()
