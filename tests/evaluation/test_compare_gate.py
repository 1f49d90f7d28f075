"""compare / gate / report on synthetic runs with a known winner and a known tie, through the CLI too."""

from __future__ import annotations

import hashlib
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
from hotwire_assist.core.registry import Registry, file_sha256
from hotwire_assist.evaluation.gate import gate
from hotwire_assist.evaluation.results import RUN_FILE, FindingRecord, SampleResult, append_result
from hotwire_assist.evaluation.stats import compare_runs

DIMS = ("syntax", "conventions", "efficiency", "security", "accessibility")
runner = CliRunner()


def _run(
    tmp: Path,
    name: str,
    totals: list[float],
    passed: list[bool],
    digest: str = "d1",
    sha: str | None = None,
    **run_fields,
) -> Path:
    """A run folder of one sample per task; dimension scores are the total spread evenly; run.json as
    `eval run` writes it (whole suite, a scorer version, the model's sha256)."""
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
    run = {
        "label": name,
        "tasks": {"digest": digest},
        "contamination": {"ok": True},
        "complete": True,
        "settings": {"limit": None, "n": 1},
        "scorer_version": "s1",
        "model_identity": {"sha256": sha or hashlib.sha256(name.encode()).hexdigest(), "name": name},
        **run_fields,
    }
    (d / RUN_FILE).write_text(json.dumps(run))
    return d


BASE = [40.0 + (i * 37) % 41 for i in range(60)]  # 60 tasks: above the gate's minimum of 50
N = len(BASE)


def test_compare_finds_the_known_winner(tmp_path):
    a = _run(tmp_path, "current", BASE, [False] * N)
    b = _run(tmp_path, "candidate", [x + 10 + i % 3 for i, x in enumerate(BASE)], [True] * N)
    c = compare_runs(a, b)
    total = c["metrics"]["total"]
    assert c["paired_tasks"] == N
    assert total["mean_diff"] == 11.0 and total["verdict"] == "B better" and total["p"] < 0.01
    assert 10.0 <= total["ci95"][0] <= 11.0 <= total["ci95"][1] <= 12.0
    assert c["metrics"]["security"]["mean_diff"] == 2.2
    assert c["pass"]["b_only"] == N and c["pass"]["a_only"] == 0 and c["pass"]["p"] < 0.001
    result = gate(b, a, margin=2.0)
    assert result.passed and result.reasons == []
    reverse = gate(a, b, margin=2.0)
    assert not reverse.passed and any("below the current" in r for r in reverse.reasons)


def test_compare_and_gate_on_a_tie(tmp_path):
    a = _run(tmp_path, "current", BASE, [i % 2 == 0 for i in range(N)])
    b = _run(tmp_path, "candidate", BASE, [i % 2 == 0 for i in range(N)])
    c = compare_runs(a, b)
    assert c["metrics"]["total"]["mean_diff"] == 0.0 and c["metrics"]["total"]["p"] == 1.0
    assert c["metrics"]["total"]["verdict"] == "no significant difference"
    assert c["pass"]["p"] == 1.0
    assert gate(b, a, margin=0.0).passed


def test_gate_margin_and_run_checks(tmp_path):
    a = _run(tmp_path, "current", BASE, [True] * N)
    slightly_worse = _run(tmp_path, "cand", [x - 1.5 for x in BASE], [True] * N)
    assert gate(slightly_worse, a, margin=2.0).passed
    assert not gate(slightly_worse, a, margin=1.0).passed
    other_set = _run(tmp_path, "other", BASE, [True] * N, digest="d2")
    assert any("different task sets" in r for r in gate(other_set, a).reasons)
    run = json.loads((a / RUN_FILE).read_text())
    (a / RUN_FILE).write_text(json.dumps({**run, "contamination": {"ok": False}, "complete": False}))
    reasons = gate(slightly_worse, a).reasons
    assert any("contamination" in r for r in reasons) and any("incomplete" in r for r in reasons)


def test_cli_compare_gate_and_report(tmp_path):
    a = _run(tmp_path, "current", BASE, [False] * N)
    b = _run(tmp_path, "candidate", [x + 10 for x in BASE], [True] * N)
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
    assert data["comparison"]["paired_tasks"] == N and data["runs"][1]["reviews"]["reviews"] == 4


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


def _fim_run(tmp: Path, name: str, sims: list[float], **kw) -> Path:
    """A run of FIM holes only: total = 100 × edit similarity, exact when similarity is 1."""
    d = _run(tmp, name, [100 * x for x in sims], [x == 1.0 for x in sims], **kw)
    rows = [json.loads(line) for line in (d / "results.jsonl").read_text().splitlines()]
    for row, x in zip(rows, sims, strict=True):
        row.update(task_kind="fim", edit_similarity=x, exact_match=x == 1.0, completion="c")
    (d / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return d


def test_gate_refuses_limited_small_incomparable_unbound_and_junk_runs(tmp_path):
    current = _run(tmp_path, "current", BASE, [True] * N)
    better = [x + 5 for x in BASE]

    def reasons(name: str, totals=better, passed=None, n=N, **kw) -> list[str]:
        cand = _run(tmp_path, name, totals[:n], passed or [True] * n, **kw)
        return gate(cand, current).reasons

    assert reasons("fine") == []
    assert any("--limit 3" in r for r in reasons("limited", settings={"limit": 3, "n": 1}))
    assert any("older version" in r for r in reasons("old", settings={"n": 1}))  # no limit recorded
    small = reasons("small", n=20)
    assert any("share 20 tasks" in r and "at least 50" in r for r in small)
    assert any("different scorer versions" in r for r in reasons("rescored", scorer_version="s2"))
    assert any("sha256" in r for r in reasons("unbound", model_identity={"sha256": None}))
    junk = reasons("junk", totals=[x + 5 for x in BASE], passed=[False] * N)
    assert any("0 % pass rate" in r for r in junk)
    # a junk candidate against a junk current: no shortfall, still refused
    zero_current = _run(tmp_path, "zero-current", [10.0] * N, [False] * N)
    zero = gate(_run(tmp_path, "zero", [12.0] * N, [False] * N), zero_current)
    assert not zero.passed and any("known-junk level" in r for r in zero.reasons)
    # per-task differences spread too widely for the number of tasks
    noisy = [x + (45 if i % 2 else -40) for i, x in enumerate(BASE)]
    wide = gate(_run(tmp_path, "noisy", noisy, [True] * N), current)
    assert any("wider than ±10" in r and "tasks needed" in r for r in wide.reasons)


def test_paired_means_are_over_the_same_tasks_as_the_difference(tmp_path):
    a = _run(tmp_path, "current", BASE, [True] * N)
    b = _run(tmp_path, "candidate", BASE, [True] * N)
    rows = [json.loads(line) for line in (b / "results.jsonl").read_text().splitlines()]
    for i, row in enumerate(rows):  # B writes files with no accessibility dimension on half the tasks
        if i % 2:
            row["scores"]["accessibility"] = None
    (b / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    acc = compare_runs(a, b)["metrics"]["accessibility"]
    assert acc["n"] == N // 2 and acc["mean_diff"] == 0.0
    assert acc["mean_a"] == acc["mean_b"]  # unpaired means would differ: A's over all tasks, B's over half


def test_edit_similarity_is_compared_and_gated(tmp_path):
    sims = [round(0.3 + (i % 7) / 10, 2) for i in range(N)]
    current = _fim_run(tmp_path, "current", sims)
    same_total_worse_es = _fim_run(tmp_path, "worse", [max(0.0, x - 0.05) for x in sims])
    c = compare_runs(current, same_total_worse_es)
    es = c["metrics"]["edit_similarity"]
    assert es["n"] == N and es["mean_diff"] == pytest.approx(-0.05, abs=1e-3)
    assert c["metrics"]["exact_match"]["n"] == N
    assert any("edit similarity" in r for r in gate(same_total_worse_es, current, margin=2.0).reasons)
    res = runner.invoke(eval_app, ["compare", str(current), str(same_total_worse_es)])
    assert res.exit_code == 0 and "paired by task" in res.stdout
    res = runner.invoke(eval_app, ["compare", str(current), str(same_total_worse_es), "--format", "json"])
    data = json.loads(res.stdout)
    assert data["a"]["role"] == "current" and data["metrics"]["edit_similarity"]["mean_a"] > 0


@pytest.mark.slow
def test_promotion_needs_the_gate_and_a_running_backend_switches_to_it(tiny_model, tmp_path):
    candidate = tmp_path / "candidate.gguf"
    shutil.copyfile(tiny_model / "model.gguf", candidate)
    sha = file_sha256(candidate)
    current = _run(tmp_path, "current", BASE, [True] * N)
    worse = _run(tmp_path, "worse", [x - 20 for x in BASE], [False] * N, sha=sha)
    better = _run(tmp_path, "better", [x + 5 for x in BASE], [True] * N, sha=sha)
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

    tampered = tmp_path / "tampered.gguf"  # passes the gate's figures, but is not the file evaluated
    tampered.write_bytes(candidate.read_bytes() + b"\0")
    refused = runner.invoke(app, ["model", "promote", str(tampered), "--current-run", str(current),
                                  "--candidate-run", str(better)])  # fmt: skip
    assert refused.exit_code == 1 and "is not the model the candidate run evaluated" in refused.output
    assert not (promoted_model_dir() / "model.gguf").exists()

    result = runner.invoke(app, [*args, "--candidate-run", str(better)])
    assert result.exit_code == 0, result.output
    record = Registry().current()
    assert record.sha256 == sha and record.name == "better" and record.figures["gate"]["passed"]
    assert record.source == str(candidate.resolve())
    status = json.loads(runner.invoke(app, ["model", "status", "--format", "json"]).stdout)
    assert status["generic"]["current"]["sha256"] == sha and status["generic"]["previous"] is None
    assert runner.invoke(app, ["model", "rollback"]).exit_code == 1  # nothing before it

    list(backend.generate("<%= ", GenerationParams(max_tokens=2), threading.Event()))
    assert backend.path == promoted_model_dir() / "model.gguf"  # switched without a restart
    backend.close()
