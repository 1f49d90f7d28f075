"""The README's maintainer loop, command for command, on tiny settings (issue 19).

Mine a small app, ingest a scripted session's telemetry, `train run examples/train.toml`, export, `eval run`
both models with default flags, compare, gate, promote, and a tampered promote that must be refused. Each
command is the README's text (the app path and the step count are the only substitutions), run by bash in a
checkout-shaped folder with HOME pointing at a fresh home, so `~/.local/share/hotwire-assist` is the data dir.

Slow: the two `eval run`s answer the whole suite (93 tasks; the gate refuses limited runs). Measured 36 min
wall / 8 min CPU on a 2-core machine shared by a load of ~20, the tiny-model fixture included. The tiny
models are junk, so the gate keeps the current model and both promotes are refused; with a model that
passes, the tampered promote is refused for its sha256 (asserted below).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SAMPLE_APP

from hotwire_assist.core.schemas import TelemetryEvent
from hotwire_assist.training.dataset import curated_files, curated_pairs

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
PARTIAL = "app/views/todos/_todo.html.erb"


def readme_commands() -> list[str]:
    """The `hotwire-assist …` lines of the README's maintainer loop block (comments dropped)."""
    text = README.read_text(encoding="utf-8")
    block = text.split("<!-- maintainer-loop -->", 2)[1]
    lines = [line.split("  #", 1)[0].strip() for line in block.splitlines()]
    return [line for line in lines if line.startswith("hotwire-assist ")]


def _session_events(app: Path) -> list[TelemetryEvent]:
    """A scripted editor session in the sample app's partial: one suggestion kept, one corrected, one dismissed."""
    text = (app / PARTIAL).read_text()
    cut = text.index("\n") + 1  # after the first line
    prefix, suffix = text[:cut] + "  ", "\n" + text[cut:]
    base = {"path": PARTIAL, "prefix": prefix, "suffix": suffix, "language": "erb", "file_type": "erb"}
    kept = "<%= link_to todo.title, todo_path(todo) %>"
    suggested, corrected = "<%= todo.title %>", "<%= todo.title.titleize %>"
    events, ts = [], 1_700_000_000.0
    for sid, suggestion, surviving, outcome in (
        ("kept", kept, kept, "accepted"),
        ("fixed", suggested, corrected, "accepted"),
        ("dismissed", '<%= link_to "x", todo, method: :delete %>', "", "rejected"),
    ):
        code = {**base, "suggestion": suggestion}
        events.append(TelemetryEvent(suggestion_id=sid, kind="shown", ts=ts, latency_ms=40.0, **code))
        events.append(TelemetryEvent(suggestion_id=sid, kind=outcome, ts=ts + 1, **code))
        if outcome == "accepted":
            share = 1.0 if surviving == suggestion else 0.6
            for age in (30.0, 120.0, 600.0):
                events.append(
                    TelemetryEvent(
                        suggestion_id=sid,
                        kind="survival",
                        ts=ts + age,
                        age_s=age,
                        survival=share,
                        surviving=surviving,
                        **code,
                    )
                )
        ts += 1000
    return events


def test_the_readme_maintainer_loop_runs_as_written(tiny_model, tmp_path):
    from hotwire_assist.core.telemetry import TelemetryStore

    commands = readme_commands()
    assert any(c.startswith("hotwire-assist train run examples/train.toml") for c in commands), commands

    # a checkout-shaped folder: examples/train.toml as shipped (tiny step count), the curated set
    root = tmp_path / "repo"
    (root / "examples").mkdir(parents=True)
    run_file = (REPO / "examples" / "train.toml").read_text()
    run_file = re.sub(r"(?m)^steps = \d+$", "steps = 3", run_file)
    run_file = re.sub(r"(?m)^save_steps = \d+$", "save_steps = 3", run_file)
    (root / "examples" / "train.toml").write_text(run_file)
    (root / "training" / "curated").mkdir(parents=True)
    for f in [*curated_files(), curated_pairs()]:
        shutil.copy(f, root / "training" / "curated" / f.name)
    app = tmp_path / "src" / "my_app"
    shutil.copytree(SAMPLE_APP, app)

    home = tmp_path / "home"
    data_dir = home / ".local" / "share" / "hotwire-assist"
    shutil.copytree(tiny_model, data_dir / "models" / "hotwire-tiny")  # the embedded default, built here
    env = {k: v for k, v in os.environ.items() if k not in ("HOTWIRE_ASSIST_DATA_DIR", "XDG_DATA_HOME")}
    env.update(HOME=str(home), PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}")

    def run(command: str) -> subprocess.CompletedProcess:
        command = command.replace("~/src/my_app", str(app))
        return subprocess.run(["bash", "-c", command], cwd=root, env=env, capture_output=True, text=True, timeout=900)

    outcomes: dict[str, subprocess.CompletedProcess] = {}
    for command in commands:
        verb = " ".join(command.split()[1:3])
        if verb == "telemetry export":  # the scripted session happened on this machine first
            with TelemetryStore(data_dir / "telemetry.sqlite3") as store:
                store.record_many(_session_events(app))
        done = run(command)
        outcomes[verb] = done
        expected = (0, 1) if verb in ("eval gate", "model promote") else (0,)
        assert done.returncode in expected, f"{command}\n{done.stdout}\n{done.stderr}"

    # what each step must have produced
    mined = [json.loads(line) for line in (root / "data" / "my_app.jsonl").read_text().splitlines()]
    assert mined and all(ex["source"].startswith("mined:my_app@") for ex in mined)
    pairs = [json.loads(line) for line in (root / "data" / "tel-pairs.jsonl").read_text().splitlines()]
    assert {p["id"].split(":")[-1] for p in pairs} >= {"dismissed", "corrected"}  # accepted then corrected: a pair
    info = json.loads((root / "runs" / "lora-example" / "train.json").read_text())
    assert info["items"]["negative"] > 0 and all(n > 0 for n in info["stages"].values())
    read = {(root / p).resolve() for p in info["data"]["data"]}  # relative to the folder the command ran in
    assert (root / "data" / "tel-pairs.jsonl").resolve() in read  # a pairs file the data glob matched: read as pairs
    export = root / "runs" / "lora-example" / "export" / "model.gguf"
    assert export.is_file()
    for run_dir in ("runs/eval-current", "runs/eval-candidate"):
        run_json = json.loads((root / run_dir / "run.json").read_text())
        assert run_json["complete"] and run_json["tasks"]["limit"] is None
    assert outcomes["eval compare"].returncode == 0

    # the gate's verdict binds promotion: promoted only when it passed, and then only this very file
    gate, promote = outcomes["eval gate"], outcomes["model promote"]
    assert promote.returncode == gate.returncode, (gate.stdout, promote.stderr)
    status = run("hotwire-assist model status --format json")
    assert status.returncode == 0, status.stderr
    tampered = root / "runs" / "tampered.gguf"
    tampered.write_bytes(export.read_bytes() + b"\0")
    refused = run(
        f"hotwire-assist model promote {tampered} --candidate-run runs/eval-candidate --current-run runs/eval-current"
    )
    assert refused.returncode == 1 and "not promoted" in refused.stderr
    if gate.returncode == 0:
        assert "not the model the candidate run evaluated" in refused.stderr
    else:  # a tiny model is junk: the gate keeps the current model, and says why
        assert "junk" in gate.stdout + gate.stderr or "below the current" in gate.stdout + gate.stderr
